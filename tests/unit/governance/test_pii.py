"""The PII detector: true positives in the forms people write, and the look-alikes agents do write."""

from __future__ import annotations

import pandas as pd
import pytest

from mops.core.governance.pii import find_pii, pii_problems


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("contact jane.doe+ads@example.co.uk today", "an e-mail address"),
        ("JOHN@EXAMPLE.COM", "an e-mail address"),
        ("call +1 555 123 4567", "a phone number"),
        ("+33 1 23 45 67 89", "a phone number"),
        ("+4930123456", "a phone number"),
        ("(555) 123-4567", "a phone number"),
        ("555-123-4567 after hours", "a phone number"),
        ("office 020 7946 0958", "a phone number"),
    ],
)
def test_pii_is_found(text, kind):
    assert find_pii(text) == kind


@pytest.mark.parametrize(
    "text",
    [
        "raise to 1,253.99: marginal return 1.03 per unit of spend",
        "window 2026-11-03..2026-11-30, markov v2, USD, UTC",
        "segment 3 of 12; 4,767 customers; +17.6% spend",
        "utm_source=newsletter@2026",  # an @ without a domain
        "cut to 158.25 (at its bound for the day)",
        "version 1.11.16 on 2026-12-01 08:24:16",
        "email_hash 5f4dcc3b5aa765d61d8327deb882cf99",
    ],
)
def test_look_alikes_are_not_pii(text):
    assert find_pii(text) is None


def test_problems_name_the_column_and_row_never_the_value():
    frame = pd.DataFrame(
        {
            "note": ["fine", "mail bob@example.com"],
            "account_id": ["123-456-7890", "123-456-7891"],  # identifiers are not scanned
            "other": ["ok", None],
        }
    )
    problems = pii_problems(frame, ["note", "account_id", "other"], "agent_notes v1")
    assert len(problems) == 1
    assert "column note holds an e-mail address (row 1)" in problems[0]
    assert "bob@example.com" not in problems[0]
