"""Optional qualitative notes from a language model, behind a one-method interface.

The agent stays pure: the runtime injects a provider through the parameters (mops.core.llm implements one
for OpenAI-compatible chat-completions endpoints). Without one, the output says so; a provider's
error is reported as such. Notes are never invented.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import pandas as pd

NO_PROVIDER = "no LLM provider configured"


@runtime_checkable
class NotesProvider(Protocol):
    def notes(self, prompt: str) -> str: ...


def build_prompt(effects: pd.DataFrame, scores: pd.DataFrame, top: int = 5) -> str:
    """The measured facts only: the model's effects and the best and worst ads by score."""
    effect_lines = [
        f"- {r.feature} on {r.metric}: odds ratio {r.effect:.2f} ({r.effect_low:.2f}-{r.effect_high:.2f}), "
        f"p={r.p_value:.3g}{' (significant)' if r.is_significant else ''}"
        for r in effects.itertuples()
    ]
    judged = scores[scores["recommendation"] != "test"].sort_values("score")
    ad_lines = [
        f"- [{r.recommendation}] score {r.score:.2f}: {r.headline!r} / {r.body!r}"
        for r in pd.concat([judged.tail(top), judged.head(top)]).itertuples()
    ]
    return (
        "You review ad copy for a marketing team. Below are measured effects of copy features on click-through "
        "rate (ctr) and conversion rate per click (cvr), estimated between ads of the same campaign, and the "
        "best and worst ads by conversions per impression against their campaign's other ads.\n\n"
        "Feature effects:\n" + "\n".join(effect_lines) + "\n\nAds:\n" + "\n".join(ad_lines) + "\n\n"
        "Write at most five short bullet points of qualitative advice on the copy (tone, wording, what to test "
        "next). Do not restate numbers you were not given."
    )


def request_notes(provider: NotesProvider | None, prompt: str) -> tuple[str, str]:
    """(notes, source): source is 'llm', 'none' or 'error'."""
    if provider is None:
        return NO_PROVIDER, "none"
    try:
        return provider.notes(prompt).strip(), "llm"
    except Exception as exc:  # any provider failure is reported, not raised: notes are optional
        return f"LLM notes unavailable: {exc.__class__.__name__}: {exc}", "error"
