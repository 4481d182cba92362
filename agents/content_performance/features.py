"""Copy features read from ad text: what the copy says, not what its author meant.

Patterns are deliberately plain (a digit, a question mark, a short list of imperative and urgency
phrases) so a marketer can read and extend them; length is measured on the body only.
"""

from __future__ import annotations

import pandas as pd

FEATURES = ("has_number", "has_question", "has_call_to_action", "has_urgency", "is_long_copy")

DESCRIPTIONS = {
    "has_number": "a number (price, percentage, count)",
    "has_question": "a question",
    "has_call_to_action": "a call to action (shop now, order online, get yours)",
    "has_urgency": "urgency (today, limited time, last chance)",
    "is_long_copy": "long body copy",
}

NUMBER = r"\d"
QUESTION = r"\?"
CALL_TO_ACTION = (
    r"\b(?:shop|order|buy|get|book|sign up|subscribe|download|try|claim|discover|learn more|start)"
    r"\b(?:\s+(?:now|online|today|yours|it|direct|free|more|here))?"
)
URGENCY = (
    r"\b(?:today|tonight|limited time|limited offer|ends soon|ends today|last chance|hurry|"
    r"while stocks last|final hours|don't miss|only \d+ left)\b"
)


def copy_features(headline: pd.Series, body: pd.Series, long_copy_min_chars: int) -> pd.DataFrame:
    """One boolean column per feature; missing text has none of the features."""
    headline = headline.fillna("").astype(str)
    body = body.fillna("").astype(str)
    text = (headline + " " + body).str.lower()
    return pd.DataFrame(
        {
            "has_number": text.str.contains(NUMBER, regex=True),
            "has_question": text.str.contains(QUESTION, regex=True),
            "has_call_to_action": text.str.contains(CALL_TO_ACTION, regex=True),
            "has_urgency": text.str.contains(URGENCY, regex=True),
            "is_long_copy": body.str.len() > long_copy_min_chars,
        },
        index=headline.index,
    ).astype(bool)
