"""A real HTTP server on loopback that speaks OpenAI's Chat Completions protocol, tool calls included.

Requests that carry `tools` (the planner's) are answered from `Endpoint.plans`; the others (the writer's)
get `Endpoint.content`. Like llama-cpp-python 0.3.x, it answers HTTP 500 when an assistant turn with tool
calls has `"content": null`.
"""

from __future__ import annotations

import copy
import itertools
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

COMPLETION = json.loads((Path(__file__).parent / "data" / "openai_chat_completion.json").read_text())
#: A scripted model turn: tool calls ({"name", "arguments"}: the arguments as a JSON string) or plain text.
Turn = list[dict[str, str]] | str


def call(name: str, args: dict[str, Any] | str) -> dict[str, str]:
    """A tool call as the model writes it; a str is sent as the raw (possibly broken) arguments text."""
    return {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args)}


@dataclass
class Endpoint:
    """What the fake server replies, and the request bodies it received."""

    content: str = ""
    #: Replies to requests with tools, in order; the last one repeats (a model that keeps calling).
    plans: list[Turn] = field(default_factory=list)
    status: int = 200
    hang: bool = False
    #: Fail (status, hang) only the requests that carry tools: the planner fails, the writer works.
    fail_tools_only: bool = False
    release: threading.Event = field(default_factory=threading.Event)
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    _ids: Iterator[int] = field(default_factory=itertools.count)

    @property
    def tool_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if "tools" in r]

    def reply(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """The status and JSON body for one request."""
        with_tools = "tools" in body
        failing = with_tools or not self.fail_tools_only
        if failing and self.status != 200:
            return self.status, _error("The server had an error", "server_error")
        for m in body["messages"]:
            if m["role"] == "assistant" and m.get("tool_calls") and m.get("content") is None:
                # What llama-cpp-python 0.3.x does with langchain-openai's default tool-calling turn.
                return 500, _error("'NoneType' object has no attribute 'strip'", "internal_server_error")
        payload = copy.deepcopy(COMPLETION)
        payload["model"] = body["model"]
        choice = payload["choices"][0]
        turn: Turn = self.content
        if with_tools:
            done = len(self.tool_requests) - 1
            turn = self.plans[min(done, len(self.plans) - 1)] if self.plans else ""
        if isinstance(turn, str):
            choice["message"]["content"] = turn
            return 200, payload
        choice["finish_reason"] = "tool_calls"
        choice["message"]["content"] = None
        choice["message"]["tool_calls"] = [
            {"id": f"call_{next(self._ids)}", "type": "function", "function": dict(c)} for c in turn
        ]
        return 200, payload


def _error(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def _handler(endpoint: Endpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            endpoint.requests.append(body)
            if endpoint.hang and ("tools" in body or not endpoint.fail_tools_only):
                endpoint.release.wait(30)  # the client gives up long before; teardown releases us
            if self.path != "/v1/chat/completions":
                return self._send(404, _error(f"no route {self.path}", "invalid_request"))
            return self._send(*endpoint.reply(body))

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client timed out and hung up

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep pytest output clean

    return Handler


def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Endpoint]:
    """Run the server on 127.0.0.1 for one test (the body of the `endpoint` fixture in conftest.py)."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)  # loopback traffic must not go through a proxy
    for var in ("OPENAI_BASE_URL", "OPENAI_API_BASE", "LANGSMITH_GATEWAY", "LANGSMITH_TRACING"):
        monkeypatch.delenv(var, raising=False)
    state = Endpoint()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(10)
