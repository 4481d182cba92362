"""A client for OpenAI-compatible chat-completions endpoints, used for optional qualitative notes.

Any server speaking POST <base_url>/chat/completions works (OpenAI, Azure OpenAI's compatible route,
vLLM, Ollama, llama.cpp server, LiteLLM). Stdlib only, a short timeout, and errors that say what
went wrong; it implements the agents' one-method notes interface (`notes(prompt) -> str`).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from mops.core.errors import MopsError


class LLMError(MopsError):
    """The chat-completions endpoint could not be reached or answered with something unusable."""


@dataclass(frozen=True)
class ChatCompletionsNotes:
    base_url: str  # e.g. https://api.openai.com/v1 or http://localhost:11434/v1
    model: str
    api_key: str | None = None
    timeout_seconds: float = 20.0
    system_prompt: str = "You are a concise, careful marketing analyst."
    temperature: float = 0.2

    @property
    def endpoint(self) -> str:
        return self.base_url.rstrip("/") + "/chat/completions"

    def notes(self, prompt: str) -> str:
        body = {
            "model": self.model,
            "messages": [{"role": "system", "content": self.system_prompt}, {"role": "user", "content": prompt}],
            "temperature": self.temperature,
        }
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.endpoint, data=json.dumps(body).encode(), headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace")
            raise LLMError(f"{self.endpoint} answered HTTP {exc.code}: {detail}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise LLMError(f"cannot reach {self.endpoint} within {self.timeout_seconds:g}s: {reason}") from exc
        try:
            content = json.loads(raw)["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise LLMError(
                f"{self.endpoint} did not answer in the chat-completions shape "
                f"(choices[0].message.content): {raw[:200]!r}"
            ) from exc
        if not isinstance(content, str) or not content.strip():
            raise LLMError(f"{self.endpoint} returned an empty message")
        return content


def notes_provider(base_url: str | None, model: str | None, api_key: str | None = None) -> ChatCompletionsNotes | None:
    """The configured provider, or None when no endpoint is configured (agents then say so)."""
    if not base_url:
        return None
    if not model:
        raise LLMError("llm_base_url is set but llm_model is not; set MOPS_LLM_MODEL")
    return ChatCompletionsNotes(base_url=base_url, model=model, api_key=api_key or None)
