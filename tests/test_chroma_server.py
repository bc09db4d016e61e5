"""The same store code against a real `chroma run` server on loopback (HttpClient)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from scholarbot.config import StoreSettings
from scholarbot.ingest.pipeline import ingest_paths
from scholarbot.records import paper_id_for
from scholarbot.store.store import Store

from conftest import SEEDS
from fakes import HashChromaEF, HashEmbedder

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    exe = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    port = _free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    log = (data / "server.log").open("wb")
    proc = subprocess.Popen(
        [exe, "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"chroma run did not start: {(data / 'server.log').read_text()[-2000:]}")
                time.sleep(0.2)
        yield "127.0.0.1", port
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def test_ingest_and_search_through_a_chroma_server(chroma_server, tmp_path):
    host, port = chroma_server
    settings = StoreSettings(host=host, port=port, prefix="it", batch_size=50)
    emb = HashEmbedder()
    store = Store(settings, HashChromaEF(emb))
    first = ingest_paths([SEEDS], store, emb)
    assert first.papers_added > 50 and first.profiles == 4

    again = ingest_paths([SEEDS], Store(settings, HashChromaEF(emb)), emb)
    assert again.papers_added == again.papers_updated == 0

    title = "FedMKT: Federated Mutual Knowledge Transfer for Large and Small Language Models"
    hits = store.search_papers(emb.embed_query(title + "\n\n"), k=3)
    assert paper_id_for(title) in [h.id for h in hits]
    assert store.where == f"{host}:{port}"


def test_unreachable_server_gives_a_clear_error():
    from scholarbot.errors import StoreError

    with pytest.raises(StoreError, match="could not open"):
        Store(StoreSettings(host="127.0.0.1", port=_free_port()), HashChromaEF())
