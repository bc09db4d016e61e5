"""Full-model vectors: resumable enrichment and search that uses them."""

from __future__ import annotations

from pathlib import Path

from scholarbot.config import Settings, StoreSettings
from scholarbot.ingest.enrich import enrich
from scholarbot.ingest.pipeline import ingest_paths
from scholarbot.search.index import PaperIndex
from scholarbot.services import open_services

from conftest import SEEDS


def test_enrich_is_resumable_and_search_picks_the_vectors_up(tmp_path: Path, model_cache: Path):
    settings = Settings(store=StoreSettings(path=tmp_path / "store"))
    settings.embeddings.cache_dir = model_cache
    svc = open_services(settings)
    ingest_paths([SEEDS], svc.store, svc.embedder)
    total = svc.store.counts()["papers"]

    before = PaperIndex.open(svc.store, svc.embedder, svc.index_dir)
    assert before.deep_coverage == 0.0

    first = enrich(svc.store, limit=20)
    assert (first.embedded, first.remaining) == (20, total - 20)
    rest = enrich(svc.store)
    assert (rest.embedded, rest.remaining) == (total - 20, 0)
    assert enrich(svc.store).embedded == 0  # nothing left: a re-run is free

    # enrich started a new store generation, so the cached index is rebuilt with the vectors.
    after = PaperIndex.open(svc.store, svc.embedder, svc.index_dir)
    assert after.deep_coverage == 1.0
    # The saved index is not just patched: the full model's "unrelated" floor is calibrated anew.
    assert after.dense_floor(deep=True) == PaperIndex.build(svc.store, svc.embedder).dense_floor(deep=True)
    assert after.dense_floor(deep=True) != 0.5
    hits = after.search("training vision-language models from many clients' preference rewards", k=3)
    papers = svc.store.get_papers([h.id for h in hits])
    titles = [papers[h.id].title for h in hits]
    assert titles[0].startswith("Replacing Parameters with Preferences")


def test_changed_text_needs_new_vectors(tmp_path: Path, model_cache: Path):
    settings = Settings(store=StoreSettings(path=tmp_path / "store"))
    settings.embeddings.cache_dir = model_cache
    svc = open_services(settings)
    f = tmp_path / "naacl2021.json"
    f.write_text('[{"title": "A Paper", "abstract": "old words", "author": "A B"}]')
    ingest_paths([f], svc.store, svc.embedder)
    assert enrich(svc.store).embedded == 1
    f.write_text('[{"title": "A Paper", "abstract": "a much longer and newer abstract", "author": "A B"}]')
    ingest_paths([f], svc.store, svc.embedder)
    # Until enrich runs again, the full vector of the old text is not used.
    assert PaperIndex.open(svc.store, svc.embedder, svc.index_dir).deep_coverage == 0.0
    assert enrich(svc.store).embedded == 1
    assert PaperIndex.open(svc.store, svc.embedder, svc.index_dir).deep_coverage == 1.0


def _export(folder: Path) -> Path:
    """The bundled int8 MiniLM laid out as the hub keeps a sentence-transformers ONNX export."""
    import json
    import shutil

    from scholarbot.store.embeddings import TEACHER_PATH, TOKENIZER_PATH

    (folder / "onnx").mkdir(parents=True)
    shutil.copyfile(TEACHER_PATH, folder / "onnx" / "model.onnx")
    shutil.copyfile(TOKENIZER_PATH, folder / "tokenizer.json")
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 256}))
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_mean_tokens": True}))
    return folder


def test_a_user_named_model_folder_embeds_as_its_model_does(tmp_path: Path) -> None:
    import numpy as np

    from scholarbot.store.embeddings import OnnxMiniLMEmbedder, get_embedder

    named = get_embedder(str(_export(tmp_path / "my-model")))
    texts = ["Federated learning of large language models", "x", "a " * 400]
    assert named.name == str(tmp_path / "my-model") and named.dim == 384
    assert np.allclose(named.embed_documents(texts), OnnxMiniLMEmbedder().embed_documents(texts), atol=1e-5)


def test_enrich_with_a_named_model_never_mixes_two_models(
    tmp_path: Path, model_cache: Path, monkeypatch
) -> None:
    import pytest

    from scholarbot.errors import ConfigError

    settings = Settings(store=StoreSettings(path=tmp_path / "store"))
    settings.embeddings.cache_dir = model_cache
    svc = open_services(settings)
    ingest_paths([SEEDS], svc.store, svc.embedder)
    total = svc.store.counts()["papers"]
    assert enrich(svc.store).embedded == total  # the bundled model's vectors

    model = str(_export(tmp_path / "my-model"))
    monkeypatch.chdir(tmp_path)  # named relative to where the command runs...
    with pytest.raises(ConfigError, match="--replace"):
        enrich(svc.store, model="my-model")
    assert svc.store.deep_collection().count() == total  # refused before touching anything
    report = enrich(svc.store, model="my-model", weight=3.5, replace=True)
    assert (report.embedded, report.remaining, report.model) == (total, 0, model)  # ...recorded absolute
    monkeypatch.chdir(model_cache)

    index = PaperIndex.open(svc.store, svc.embedder, svc.index_dir)
    assert (index.deep_model, index.deep_weight, index.dense_weight) == (model, 3.5, 3.5)
    assert index._deep().name == model  # questions are embedded by the model the papers were
    enrich(svc.store, model=model, weight=1.5)  # a new weight alone re-embeds nothing
    assert PaperIndex.open(svc.store, svc.embedder, svc.index_dir).dense_weight == 1.5


def test_a_hub_name_is_fetched_once_and_offline_says_what_to_do(tmp_path: Path, monkeypatch) -> None:
    import huggingface_hub
    import pytest
    from huggingface_hub.errors import LocalEntryNotFoundError

    from scholarbot.errors import ConfigError
    from scholarbot.store import embeddings

    export = _export(tmp_path / "snapshot")
    asked: list[tuple[str, list[str]]] = []

    def snapshot(repo: str, allow_patterns: list[str], cache_dir: Path) -> str:
        asked.append((repo, allow_patterns))
        return str(export)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot)
    named = embeddings.load_model("someone/some-model", tmp_path / "cache")
    assert named.name == "someone/some-model" and named.dim == 384
    assert asked == [("someone/some-model", embeddings.HUB_FILES)]  # the ONNX export, not PyTorch weights

    def offline(*args: object, **kwargs: object) -> str:
        raise LocalEntryNotFoundError("no connection")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", offline)
    with pytest.raises(ConfigError, match="name its folder instead"):
        embeddings.load_model("someone/other-model", tmp_path / "cache")
    (tmp_path / "weights-only").mkdir()
    (tmp_path / "weights-only" / "model.safetensors").write_bytes(b"")
    with pytest.raises(ConfigError, match="no ONNX sentence-transformers export"):
        embeddings.load_model(str(tmp_path / "weights-only"))


def test_another_models_vectors_get_their_own_unrelated_floor(hash_store, monkeypatch) -> None:
    import numpy as np

    from scholarbot.ingest.pipeline import ingest_records
    from scholarbot.records import Author, Paper, paper_id_for
    from scholarbot.store import embeddings

    from fakes import HashEmbedder

    class Shifted(HashEmbedder):
        """A model whose unrelated texts sit closer together (as e5-style models do next to MiniLM)."""

        def __init__(self, name: str, shift: float) -> None:
            self.name, self.shift = name, shift

        def embed_documents(self, texts: list[str]) -> np.ndarray:
            v = super().embed_documents(texts)
            v[:, 1] += self.shift
            return np.asarray(v / np.linalg.norm(v, axis=1, keepdims=True), dtype=np.float32)

    for name, shift in (("model-a", 0.0), ("model-b", 2.0)):
        monkeypatch.setitem(embeddings._loaded, (name, None), Shifted(name, shift))
    store, emb = hash_store
    # Every paper in words of its own: unrelated to every other under model A, close under model B.
    papers = [
        Paper(id=paper_id_for(f"w{i}a w{i}b"), title=f"w{i}a w{i}b", abstract=f"w{i}c w{i}d w{i}e",
              authors=(Author(f"Ann Lee{i}"),))
        for i in range(120)
    ]  # fmt: skip
    ingest_records(papers, [], store, emb)
    # Papers written within the last minute would be read again and make the patch a full build.
    monkeypatch.setattr("scholarbot.search.index.WRITE_CLOCK_MARGIN_S", 0.0)
    cache = store.settings.path / "index"
    enrich(store, model="model-a")
    floor_a = PaperIndex.open(store, emb, cache).dense_floor(deep=True)
    enrich(store, model="model-b", replace=True)  # writes no paper: the cached index is patched
    opened = PaperIndex.open(store, emb, cache)
    built = PaperIndex.build(store, emb).dense_floor(deep=True)
    assert opened.deep_model == "model-b" and built != floor_a
    assert opened.dense_floor(deep=True) == built
