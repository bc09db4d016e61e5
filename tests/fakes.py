"""Test doubles that are cheap and deterministic; real models are used where a test is about them."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np


class HashEmbedder:
    """Bag-of-words vectors by feature hashing: deterministic, instant, meaning-blind."""

    name = "hash-test"
    dim = 64

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                h = int(hashlib.md5(word.encode()).hexdigest()[:8], 16)
                out[i, h % self.dim] += 1.0
        out[:, 0] += 1e-3  # keep empty texts off the zero vector
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


class HashChromaEF:
    """Chroma embedding-function wrapper around HashEmbedder."""

    def __init__(self, embedder: HashEmbedder | None = None) -> None:
        self.embedder = embedder or HashEmbedder()

    def __call__(self, input: Any) -> Any:
        return list(self.embedder.embed_documents(list(input)))

    @staticmethod
    def name() -> str:
        return "hash-test"

    def is_legacy(self) -> bool:
        return False

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> HashChromaEF:
        return HashChromaEF()
