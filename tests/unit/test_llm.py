"""The chat-completions client against a real local HTTP server speaking the OpenAI shape (no mocks)."""

from __future__ import annotations

import json
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mops.core.llm import ChatCompletionsNotes, LLMError, notes_provider


class ChatServer:
    """A tiny chat-completions endpoint; `mode` picks how it answers, requests are recorded."""

    def __init__(self):
        self.mode = "ok"
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                if server.mode == "slow":
                    time.sleep(1.0)
                if server.mode == "error":
                    return self._send(401, {"error": {"message": "invalid api key"}})
                if server.mode == "garbage":
                    return self._send(200, {"unexpected": True})
                prompt = body["messages"][-1]["content"]
                message = {"role": "assistant", "content": f"- echo: {prompt[:20]}"}
                return self._send(200, {"choices": [{"message": message}]})

            def _send(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def chat_server():
    server = ChatServer()
    yield server
    server.close()


def test_posts_the_chat_completions_shape_and_returns_the_message(chat_server):
    client = ChatCompletionsNotes(base_url=chat_server.base_url + "/", model="tiny", api_key="sk-test")
    assert client.notes("Review these ads please") == "- echo: Review these ads ple"
    request = chat_server.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer sk-test"
    assert request["body"]["model"] == "tiny"
    assert [m["role"] for m in request["body"]["messages"]] == ["system", "user"]


def test_no_key_sends_no_authorization_header(chat_server):
    ChatCompletionsNotes(base_url=chat_server.base_url, model="tiny").notes("hi")
    assert chat_server.requests[0]["auth"] is None


def test_http_errors_name_the_status_and_the_server_message(chat_server):
    chat_server.mode = "error"
    with pytest.raises(LLMError, match=r"HTTP 401: .*invalid api key"):
        ChatCompletionsNotes(base_url=chat_server.base_url, model="tiny").notes("hi")


def test_an_answer_of_another_shape_is_an_error(chat_server):
    chat_server.mode = "garbage"
    with pytest.raises(LLMError, match=r"chat-completions shape"):
        ChatCompletionsNotes(base_url=chat_server.base_url, model="tiny").notes("hi")


def test_a_slow_server_times_out_with_a_clear_error(chat_server):
    chat_server.mode = "slow"
    with pytest.raises(LLMError, match=r"within 0.2s"):
        ChatCompletionsNotes(base_url=chat_server.base_url, model="tiny", timeout_seconds=0.2).notes("hi")


def test_an_unreachable_endpoint_is_a_clear_error():
    with pytest.raises(LLMError, match=r"cannot reach http://127.0.0.1:9/v1/chat/completions"):
        ChatCompletionsNotes(base_url="http://127.0.0.1:9/v1", model="tiny", timeout_seconds=1).notes("hi")


def test_no_base_url_means_no_provider_and_a_url_without_model_is_refused():
    assert notes_provider(None, None) is None
    assert notes_provider("", "m") is None
    with pytest.raises(LLMError, match="MOPS_LLM_MODEL"):
        notes_provider("http://localhost:1/v1", None)


def test_the_content_agent_puts_the_provider_notes_in_its_output(chat_server):
    from agents.content_performance import AGENT
    from mops.core.runtime.context import RunContext
    from tests.unit.agents.test_content_performance_model import daily_frame

    provider = notes_provider(chat_server.base_url, "tiny")
    context = RunContext(window_start=date(2026, 6, 1), window_end=date(2026, 6, 30))
    result = AGENT.run({"fct_ad_creative_daily": daily_frame()}, context, AGENT.parameters(notes_provider=provider))
    assert "- echo: You review ad copy" in result.artifacts["content_performance_notes.md"]
    assert result.metrics["llm_notes"] == 1.0
    assert "has_number on ctr: odds ratio" in chat_server.requests[0]["body"]["messages"][-1]["content"]
