"""PII in agent outputs: text columns are scanned for e-mail addresses and phone numbers.

A documented pattern set rather than presidio (which needs spaCy models, hundreds of MB, and no
network here): e-mail addresses (RFC 5322's common form) and phone numbers written internationally
(+ and 8-15 digits) or in the grouped national forms ((555) 123-4567, 555-123-4567, 030 1234 5678).
Columns named `*_id` are identifiers (an ad account id is written 123-456-7890) and not scanned;
a column the contract declares `pii: true` may hold PII (the reader then needs the PII grant).
"""

from __future__ import annotations

import re

import pandas as pd

EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
PHONE = re.compile(
    r"(?<![\w+])(?:"
    r"\+\d[\d\s().-]{6,18}\d"  # international: +1 555 123 4567, +33 1 23 45 67 89, +4930123456
    r"|\(\d{2,5}\)\s?\d{3,4}[\s.-]?\d{3,4}"  # (555) 123-4567
    r"|\d{3}[.-]\d{3}[.-]\d{4}"  # 555-123-4567, 555.123.4567
    r"|0\d{2,4}\s\d{3,4}\s?\d{3,5}"  # 030 1234 5678, 020 7946 0958
    r")(?![\w])"
)
KINDS = (("an e-mail address", EMAIL), ("a phone number", PHONE))


def find_pii(value: str) -> str | None:
    """What kind of PII the text holds, or None."""
    for kind, pattern in KINDS:
        if pattern.search(value):
            return kind
    return None


def pii_problems(frame: pd.DataFrame, text_columns: list[str], label: str) -> list[str]:
    """One problem per column holding PII it does not declare: the column, the row and the kind, never the value."""
    problems = []
    for column in text_columns:
        if column.endswith("_id") or column not in frame:
            continue
        for row, value in frame[column].items():
            kind = find_pii(value) if isinstance(value, str) else None
            if kind:
                problems.append(
                    f"{label}: column {column} holds {kind} (row {row}) and its contract does not declare it PII; "
                    "PII never leaves in an agent's output unless the contract says `pii: true`"
                )
                break
    return problems
