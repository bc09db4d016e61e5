"""The static MiniLM embedder, its on-disk cache, the ONNX embedder, and the Chroma adapter."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import chromadb
import numpy as np
import pytest

from scholarbot.errors import ConfigError
from scholarbot.store import embeddings
from scholarbot.store.embeddings import (
    MANIFEST,
    MODEL_ID,
    ChromaEmbeddingFunction,
    OnnxMiniLMEmbedder,
    StaticEmbedder,
    get_embedder,
)

QUERY = "denoising images without clean training data"
DENOISE = (
    "We show that a neural network can learn to restore photographs corrupted by noise while only "
    "ever seeing pairs of independently noisy observations of the same scene, never a clean target. "
    "The restored images match those of networks trained with clean references."
)
TAX = (
    "This article analyses how the reform of corporate income tax law changed the filing obligations "
    "of small businesses, and what courts have said about the deductibility of interest payments."
)
BIRDS = "Field observations of migratory songbird nesting behaviour in northern European forests."


@pytest.fixture(scope="session")
def static(model_cache: Path) -> StaticEmbedder:
    """Distils at most once per session, into the cache every test of the session shares."""
    return StaticEmbedder.load(model_cache)


def test_meaning_beats_unrelated_text(static: StaticEmbedder) -> None:
    q, denoise, tax = static.embed_documents([QUERY, DENOISE, TAX])
    assert q @ denoise > q @ tax + 0.15
    paraphrase = static.embed_query("removing noise from photos when no clean pictures are available")
    assert paraphrase @ q > paraphrase @ static.embed_query(BIRDS) + 0.15


def test_vectors_are_unit_length_and_deterministic(static: StaticEmbedder) -> None:
    texts = [QUERY, DENOISE, TAX, "", "!!!"]
    a = static.embed_documents(texts)
    assert a.dtype == np.float32 and a.shape == (5, static.dim) == (5, 256)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(a, static.embed_documents(texts))
    # A text's vector must not depend on what else is in the batch.
    np.testing.assert_allclose(static.embed_query(TAX), a[2], atol=1e-6)
    assert static.embed_documents([]).shape == (0, 256)


def test_the_product_path_does_not_import_torch(static: StaticEmbedder, model_cache: Path) -> None:
    # A fresh interpreter: other tests in this session may import torch for their own reasons.
    code = (
        "import sys; from scholarbot.store.embeddings import get_embedder; "
        f"get_embedder('minilm-static', {str(model_cache)!r}).embed_query('x'); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'sentence_transformers')))"
    )
    src = Path(embeddings.__file__).parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={
        **os.environ, "PYTHONPATH": str(src)}, check=True, timeout=120)  # fmt: skip
    assert out.stdout.strip() == "[]"


def test_onnx_embedder_pads_without_changing_vectors() -> None:
    onnx = OnnxMiniLMEmbedder(batch_size=4)
    alone = onnx.embed_query(QUERY)
    batch = onnx.embed_documents([DENOISE, QUERY, TAX])  # one batch, padded to DENOISE's length
    np.testing.assert_allclose(batch[1], alone, atol=1e-4)
    np.testing.assert_allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    assert batch[1] @ batch[0] > batch[1] @ batch[2] + 0.15


def test_chroma_collection_round_trip(static: StaticEmbedder, tmp_path: Path) -> None:
    # Any: chromadb types create_collection for Documents | Images functions, as with its own text ones.
    ef: Any = ChromaEmbeddingFunction(static)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client = chromadb.PersistentClient(path=str(tmp_path / "chroma"))
        col = client.create_collection("papers", embedding_function=ef)
        col.add(ids=["denoise", "tax", "birds"], documents=[DENOISE, TAX, BIRDS])
        got = col.query(query_texts=[QUERY], n_results=3)
    assert got["ids"][0][0] == "denoise"
    assert not ef.is_legacy()
    assert not [w for w in caught if "legacy" in str(w.message) or "embedding function" in str(w.message)]

    stored = col.configuration_json["embedding_function"]
    assert stored["name"] == "scholarbot" and stored["config"]["embedder"] == "minilm-static"
    assert col.configuration_json["hnsw"]["space"] == "cosine"
    # Reopened with no function given, Chroma rebuilds ours from the persisted config.
    again = chromadb.PersistentClient(path=str(tmp_path / "chroma")).get_collection("papers")
    assert again.query(query_texts=["corporate tax filing rules"], n_results=1)["ids"][0][0] == "tax"


def test_cached_model_is_reused(static: StaticEmbedder, model_cache: Path) -> None:
    weights = model_cache / MODEL_ID / "model.safetensors"
    before = weights.stat().st_mtime_ns
    again = StaticEmbedder.load(model_cache)
    assert again.distill_seconds is None
    assert weights.stat().st_mtime_ns == before
    np.testing.assert_array_equal(again.embed_query(QUERY), static.embed_query(QUERY))


@pytest.mark.parametrize("damage", ["no-manifest", "truncated-weights", "other-teacher", "empty-folder"])
def test_damaged_cache_is_rebuilt(
    damage: str, static: StaticEmbedder, model_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = model_cache / MODEL_ID
    folder = tmp_path / MODEL_ID
    shutil.copytree(good, folder)
    if damage == "no-manifest":
        (folder / MANIFEST).unlink()
    elif damage == "truncated-weights":
        data = (folder / "model.safetensors").read_bytes()
        (folder / "model.safetensors").write_bytes(data[: len(data) // 2])
    elif damage == "other-teacher":
        text = (folder / MANIFEST).read_text()
        (folder / MANIFEST).write_text(text.replace('"teacher_sha256": "', '"teacher_sha256": "0'))
    else:
        shutil.rmtree(folder)
        folder.mkdir()

    # Re-distilling costs ~10 s; a stand-in that installs the known-good files through the same
    # atomic path proves the damage was detected and the folder replaced.
    calls: list[Path] = []

    def fake_distill(target: Path) -> float:
        calls.append(target)
        staging = tmp_path / "staging"
        shutil.copytree(good, staging)
        embeddings._install(staging, target)
        return 0.5

    monkeypatch.setattr(embeddings, "distill", fake_distill)
    rebuilt = StaticEmbedder.load(tmp_path)
    assert calls == [folder] and rebuilt.distill_seconds == 0.5
    np.testing.assert_array_equal(rebuilt.embed_query(QUERY), static.embed_query(QUERY))
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(f".{MODEL_ID}")]


def test_get_embedder_rejects_unknown_names() -> None:
    with pytest.raises(ConfigError, match="neither a folder nor a Hugging Face model name"):
        get_embedder("word2vec")
    with pytest.raises(ConfigError, match="neither a folder"):
        ChromaEmbeddingFunction("word2vec")(["a paper"])
