"""The optional OpenAI-compatible embeddings, against a loopback server speaking /v1/embeddings."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
from typer.testing import CliRunner

from scholarbot.cli import app
from scholarbot.config import Settings, StoreSettings
from scholarbot.errors import ConfigError
from scholarbot.ingest.pipeline import ingest_paths
from scholarbot.services import open_services
from scholarbot.store.embeddings import get_embedder

from conftest import SEEDS

DIM = 12


def _vector(text: str) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    return [b / 255.0 for b in digest[:DIM]]


class _Handler(BaseHTTPRequestHandler):
    requests: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(
            {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
        )
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        # The response shape of OpenAI's embeddings endpoint, data deliberately out of order.
        data = [{"object": "embedding", "index": i, "embedding": _vector(t)} for i, t in enumerate(inputs)]
        payload = {
            "object": "list",
            "data": list(reversed(data)),
            "model": body["model"],
            "usage": {"prompt_tokens": 5 * len(inputs), "total_tokens": 5 * len(inputs)},
        }
        raw = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.requests = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    finally:
        httpd.shutdown()


def test_ingest_and_search_with_openai_compatible_embeddings(server, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    settings = Settings(store=StoreSettings(path=tmp_path / "store"))
    settings.embeddings.model = "openai"
    settings.embeddings.openai_base_url = server
    settings.embeddings.openai_model = "nomic-embed-text"
    svc = open_services(settings)
    report = ingest_paths([SEEDS], svc.store, svc.embedder)
    assert report.papers_added > 50
    sent = _Handler.requests
    assert sent and all(r["path"] == "/v1/embeddings" for r in sent)
    assert sent[0]["body"]["model"] == "nomic-embed-text" and sent[0]["auth"] == "Bearer sk-test"
    assert max(len(r["body"]["input"]) for r in sent) <= 128
    # Out-of-order data items are put back in input order, and rows are unit length.
    vecs = svc.embedder.embed_documents(["alpha", "beta"])
    expected = np.asarray([_vector("alpha"), _vector("beta")])
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert np.allclose(vecs, expected, atol=1e-6)


def test_the_cli_builds_it_from_the_config_file_it_is_given(server, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    cfg = tmp_path / "elsewhere.toml"  # not ./config.toml: only --config names it
    cfg.write_text(f'[embeddings]\nmodel = "openai"\nopenai_base_url = "{server}"\nopenai_model = "m-cfg"\n')
    page = SEEDS / "002_9ae034b0383cefe3.txt"
    result = CliRunner().invoke(
        app, ["ingest", str(page), "--config", str(cfg), "--store", str(tmp_path / "s")]
    )
    assert result.exit_code == 0, result.output
    assert _Handler.requests and {r["body"]["model"] for r in _Handler.requests} == {"m-cfg"}
    assert {r["auth"] for r in _Handler.requests} == {"Bearer sk-from-env"}


def test_by_name_alone_it_refuses_to_guess_the_settings():
    # Chroma's persisted collection config names the embedder only; reading ./config.toml here
    # would silently ignore --config, so the embedder must come from open_services(settings).
    with pytest.raises(ConfigError, match="open_services"):
        get_embedder("openai")
