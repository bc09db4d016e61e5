"""The Chroma-backed store of papers, researchers and profile pages.

Chroma's result shapes stay inside this module: callers get records and hits. The same code runs
on an embedded PersistentClient (default, under vectorstore/) or a Chroma server (HttpClient).
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import json
import re
import time
import uuid
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from scholarbot.config import StoreSettings
from scholarbot.errors import StoreError
from scholarbot.records import Author, Paper, ProfilePage, Researcher, name_key, paper_id_for, paper_labels
from scholarbot.store.packs import PackWriter, ResearcherRows

#: Chroma keeps an HNSW graph of every paper up to date on every write, and nothing here queries it
#: (search has its own index, `search/ann.py`); Chroma cannot be told not to keep one, so new stores
#: get a sparse graph that is cheap to keep: the shared corpus's papers were written 1.10x as fast
#: as with Chroma's default (100 candidates, 16 neighbours), the same rows alternating. The graph
#: still answers queries made with Chroma's own tools, less exactly. Existing collections keep the
#: graph they were made with.
PAPER_HNSW = {"space": "cosine", "ef_construction": 32, "max_neighbors": 8}

#: Records fetched per `get` page when scanning a collection.
SCAN_PAGE = 5000
#: The embedder behind the optional "deep" vectors: the full int8 MiniLM.
DEEP_EMBEDDER = "minilm-onnx"
#: Collection-metadata key naming the embedder the store's paper vectors come from.
EMBEDDER_FLAG = "embedder"
#: Collection-metadata keys naming the model of the second ("deep") vectors and its fusion weight.
DEEP_FLAG = "deep_model"
DEEP_WEIGHT_FLAG = "deep_weight"
#: How far behind this machine's clock another writer's may be (another machine's, for a Chroma
#: server): rows are stamped by their writer, so reads of "written since" reach back this far.
WRITE_CLOCK_MARGIN_S = 60.0
#: Flag set while papers are written and cleared once people are resolved again (ingest/pipeline.py).
PEOPLE_STALE = "people_stale"
#: Collection-metadata key of the store's generation id.
GENERATION = "generation"
#: Collection-metadata key of the id of the researchers as last resolved: unlike the generation it
#: stays put while papers are written or vectors enriched, so the people table survives those.
PEOPLE_GENERATION = "people_generation"


@dataclass(frozen=True)
class Hit:
    """One search result: a record id and its similarity (higher is closer)."""

    id: str
    score: float


@dataclass(frozen=True)
class Facets:
    """One paper's fields that the search index keeps as columns."""

    #: "" when unknown.
    venue: str
    #: 0 when unknown.
    year: int
    #: -1 when unknown.
    citations: int
    #: The distinct affiliations it prints.
    affiliations: tuple[str, ...]
    labels: tuple[str, ...]
    #: How many authors it lists.
    authors: int


@dataclass(frozen=True)
class PaperPage:
    """One page of stored papers as the search index reads them: no records are built."""

    ids: list[str]
    #: `paper_text` of each paper (title, blank line, abstract).
    texts: list[str]
    text_hashes: list[str]
    venues: list[str]
    #: 0 when unknown.
    years: list[int]
    #: -1 when unknown.
    citations: list[int]
    #: The distinct affiliations each paper prints for its authors.
    affiliations: list[tuple[str, ...]]
    #: How each paper was presented or recognised (`records.paper_labels`).
    labels: list[tuple[str, ...]]
    #: How many authors each paper lists.
    author_counts: list[int]
    #: One row per paper.
    vectors: np.ndarray
    #: Each paper's whole record as `paper_from_blob` reads it back (`StoredPaper.blob`).
    records: list[bytes]


def open_client(settings: StoreSettings) -> Any:
    """Open an embedded or remote Chroma client with telemetry off."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.host:
            return chromadb.HttpClient(
                host=settings.host, port=settings.port, ssl=settings.ssl, settings=chroma_settings
            )
        settings.path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.path), settings=chroma_settings)
    except Exception as e:  # chromadb raises bare Exception/ValueError subclasses for both cases
        where = f"{settings.host}:{settings.port}" if settings.host else str(settings.path)
        raise StoreError(f"could not open the Chroma store at {where}: {e}") from e


class Store:
    """Papers, researchers and profile pages in three Chroma collections."""

    def __init__(self, settings: StoreSettings, embedding_function: Any, client: Any | None = None) -> None:
        self.settings = settings
        self._researcher_dim: int | None = None
        self.client = client if client is not None else open_client(settings)
        self.where = f"{settings.host}:{settings.port}" if settings.host else str(settings.path)
        prefix = settings.prefix
        # SEE: https://docs.trychroma.com/docs/collections/configure (cosine suits normalised vectors)
        config = {"hnsw": {"space": "cosine"}}
        self._ef = embedding_function
        kw = {"embedding_function": embedding_function, "configuration": config}
        try:
            self.papers = self.client.get_or_create_collection(
                # A fresh mapping per call: Chroma adds the embedding function to the one it is given.
                f"{prefix}_papers",
                embedding_function=embedding_function,
                configuration={"hnsw": {**PAPER_HNSW}},
            )
            self.researchers = self.client.get_or_create_collection(f"{prefix}_researchers", **kw)
            self.profiles = self.client.get_or_create_collection(f"{prefix}_profiles", **kw)
            # One row per bookkeeping value: an upsert writes just the values named, where rewriting
            # one metadata mapping let two writers (a digest's ingest, an enrich) undo each other.
            self._flags = self.client.get_or_create_collection(
                f"{prefix}_flags", embedding_function=None, configuration=config
            )
            self._adopt_metadata_flags()
            self._researcher_rows = ResearcherRows(
                self.researchers,
                self.flags,
                self.set_flags,
                lambda ids, rows: self._write_researcher_rows(ids, rows),
                lambda: SCAN_PAGE,
            )
        except Exception as e:
            raise StoreError(f"could not open collections in {self.where}: {e}") from e
        self._deep: Any | None = None

    def close(self) -> None:
        """Release the client (Chroma's SQLite connections and file locks when embedded)."""
        close = getattr(self.client, "close", None)  # chromadb >= 1.1; older clients hold nothing to release
        if close is not None:
            close()

    # --- the optional full-model vectors ("deep" index, filled by `scholarbot enrich`) ---------

    def deep_collection(self, create: bool = False) -> Any | None:
        """The collection of full-model paper vectors, or None when it was never created."""
        if self._deep is None:
            name = f"{self.settings.prefix}_papers_deep"
            if create:
                self._deep = self.client.get_or_create_collection(
                    name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
                )
            elif name in {c.name for c in self.client.list_collections()}:
                self._deep = self.client.get_collection(name, embedding_function=None)
        return self._deep

    def deep_model(self) -> str | None:
        """The model the stored full-model vectors come from; None when there are none."""
        if self.deep_collection() is None:
            return None
        return str(self.get_flag(DEEP_FLAG) or DEEP_EMBEDDER)  # stores before the flag had only MiniLM's

    def drop_deep(self) -> None:
        """Delete every full-model vector (before vectors of another model replace them)."""
        if self.deep_collection() is not None:
            self.client.delete_collection(f"{self.settings.prefix}_papers_deep")
            self._deep = None

    def papers_without_deep_vectors(self) -> list[tuple[str, str, str]]:
        """(id, text, text_hash) of papers whose full-model vector is missing or stale."""
        deep = self.deep_collection()
        have: dict[str, str] = {}
        if deep is not None:
            for ids, _docs, metas in self._scan(deep, include=["metadatas"]):
                have.update((i, str(m.get("text_hash"))) for i, m in zip(ids, metas, strict=True))
        todo = []
        for ids, docs, metas in self._scan(self.papers):
            for pid, doc, meta in zip(ids, docs, metas, strict=True):
                row = stored_paper(doc, meta)
                if have.get(pid) != row.text_hash:
                    todo.append((pid, row.text, row.text_hash))
        return todo

    def upsert_deep(self, ids: Sequence[str], vectors: np.ndarray, hashes: Sequence[str]) -> None:
        """Write full-model vectors (no documents: the text lives in the papers collection)."""
        deep = self.deep_collection(create=True)
        assert deep is not None
        deep.upsert(
            ids=list(ids),
            embeddings=np.asarray(vectors, dtype=np.float32),
            metadatas=[{"text_hash": h} for h in hashes],
        )

    def deep_vectors(self) -> tuple[list[str], list[str], np.ndarray] | None:
        """Every stored full-model vector with its paper id and the text hash it was made from."""
        deep = self.deep_collection()
        if deep is None or deep.count() == 0:
            return None
        ids: list[str] = []
        hashes: list[str] = []
        chunks: list[np.ndarray] = []
        for res in self._pages(deep, ["embeddings", "metadatas"]):
            ids.extend(res["ids"])
            hashes.extend(str(m.get("text_hash")) for m in res["metadatas"])
            chunks.append(np.asarray(res["embeddings"], dtype=np.float32))
        return ids, hashes, np.vstack(chunks)

    # --- papers -------------------------------------------------------------------------------

    def get_papers(self, ids: Sequence[str]) -> dict[str, Paper]:
        """Fetch papers by id; missing ids are absent from the result."""
        out: dict[str, Paper] = {}
        for start in range(0, len(ids), SCAN_PAGE):
            res = self.papers.get(
                ids=list(ids[start : start + SCAN_PAGE]), include=["documents", "metadatas"]
            )
            for pid, doc, meta in zip(res["ids"], res["documents"], res["metadatas"], strict=True):
                out[pid] = paper_from_chroma(doc, meta)
        return out

    def upsert_papers(
        self, papers: Sequence[Paper], embeddings: np.ndarray, first_seen: Mapping[str, int] | None = None
    ) -> None:
        """Write papers with their vectors (one row per paper).

        `first_seen` keeps the time a paper first entered the store across rewrites; papers not in it
        are new now. Digests find "papers newly ingested" by it.
        """
        now = int(time.time())
        seen = first_seen or {}
        rows = [paper_to_chroma(p, seen.get(p.id, now)) for p in papers]
        self._upsert(self.papers, [p.id for p in papers], embeddings, rows)

    def first_seen(self, ids: Sequence[str]) -> dict[str, int]:
        """When each stored paper first entered the store (unix seconds)."""
        out: dict[str, int] = {}
        for start in range(0, len(ids), SCAN_PAGE):
            res = self.papers.get(
                ids=list(ids[start : start + SCAN_PAGE]), include=["documents", "metadatas"]
            )
            for pid, doc, meta in zip(res["ids"], res["documents"], res["metadatas"], strict=True):
                seen = stored_paper(doc, meta).first_seen
                if seen is not None:
                    out[pid] = seen
        return out

    def update_paper_records(self, papers: Sequence[Paper]) -> None:
        """Rewrite records whose embedded text did not change, keeping their vectors."""
        seen = self.first_seen([p.id for p in papers])
        now = int(time.time())
        metas = [paper_to_chroma(p, seen.get(p.id, now)) for p in papers]
        for start in range(0, len(papers), self.settings.batch_size):
            chunk = slice(start, start + self.settings.batch_size)
            self.papers.update(ids=[p.id for p in papers[chunk]], metadatas=metas[chunk])

    def papers_first_seen(self, lo: float, hi: float, page: int = SCAN_PAGE) -> list[Paper]:
        """Papers that first entered the store in [lo, hi) (unix seconds), for the local digest source."""
        # A paper is written when it first enters and on every rewrite, so one first seen in the
        # window was written since its start: rows carry `first_seen` inside their packed value
        # (one key less is a sixth off every paper write) and are filtered after reading. Rows
        # written before the packed value carry it as a key, and rows from 0.1 no write time.
        since = int((lo - WRITE_CLOCK_MARGIN_S) * 1000)
        where = {
            "$or": [
                {"written_at": {"$gte": since}},
                {"$and": [{"first_seen": {"$gte": lo}}, {"first_seen": {"$lt": hi}}]},
            ]
        }
        papers: list[Paper] = []
        read = 0
        while True:
            res = self.papers.get(where=where, include=["documents", "metadatas"], limit=page, offset=read)
            if not res["ids"]:
                return papers
            read += len(res["ids"])
            for doc, meta in zip(res["documents"], res["metadatas"], strict=True):
                row = stored_paper(doc, meta)
                if row.first_seen is not None and lo <= row.first_seen < hi:
                    papers.append(row.paper())

    def paper_pages(self, ids: Sequence[str] | None = None) -> Iterator[PaperPage]:
        """Every stored paper (or the given ones; missing ids are skipped), page by page, with its
        text, vector and the fields the search index keeps, in store order."""
        include = ["documents", "embeddings", "metadatas"]
        pages: Iterator[dict[str, Any]]
        if ids is not None:
            pages = (
                self.papers.get(ids=list(ids[start : start + SCAN_PAGE]), include=include)
                for start in range(0, len(ids), SCAN_PAGE)
            )
        else:
            pages = self._pages(self.papers, include)
        for res in pages:
            rows = [stored_paper(d, m) for d, m in zip(res["documents"], res["metadatas"], strict=True)]
            facets = [row.facets() for row in rows]
            yield PaperPage(
                ids=list(res["ids"]),
                texts=[row.text for row in rows],
                text_hashes=[row.text_hash for row in rows],
                venues=[f.venue for f in facets],
                years=[f.year for f in facets],
                citations=[f.citations for f in facets],
                affiliations=[f.affiliations for f in facets],
                labels=[f.labels for f in facets],
                author_counts=[f.authors for f in facets],
                vectors=np.asarray(res["embeddings"], dtype=np.float32),
                records=[row.blob for row in rows],
            )

    def papers_written_since(self, when: float) -> list[str]:
        """Ids of the papers written at or after a time (unix seconds); rows from before 0.2 lack the
        stamp and never count."""
        ids: list[str] = []
        where = {"written_at": {"$gte": int(when * 1000)}}
        while True:
            res = self.papers.get(where=where, include=[], limit=SCAN_PAGE, offset=len(ids))
            if not res["ids"]:
                return ids
            ids.extend(res["ids"])

    def iter_papers(self) -> Iterator[Paper]:
        """Scan every stored paper."""
        for _ids, docs, metas in self._scan(self.papers):
            for doc, meta in zip(docs, metas, strict=True):
                yield paper_from_chroma(doc, meta)

    def search_papers(self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None) -> list[Hit]:
        """Nearest papers to a query vector (cosine similarity)."""
        return self._query(self.papers, vector, k, where)

    # --- researchers and profile pages --------------------------------------------------------

    def researcher_hashes(self) -> dict[str, str]:
        """Every stored researcher id with its record hash."""
        return {rid: _digest(record) for rid, record in self._researcher_rows.lines()}

    @contextlib.contextmanager
    def researcher_writer(self) -> Iterator[ResearcherWriter]:
        """Buffer researcher writes and deletes; they are written together when the block ends
        (researchers are kept many to a Chroma row: `store/packs.py`), and not at all if it raises."""
        with self._researcher_rows.writer() as w:
            yield ResearcherWriter(w)

    def upsert_researchers(self, people: Sequence[Researcher]) -> None:
        """Write researcher records."""
        with self.researcher_writer() as w:
            w.upsert(people)

    def delete_researchers(self, ids: Sequence[str]) -> None:
        """Remove researchers that no longer exist after re-resolution."""
        with self.researcher_writer() as w:
            w.delete(ids)

    def _write_researcher_rows(self, ids: list[str], rows: list[dict[str, Any]]) -> None:
        """Write rows of the researchers collection.

        Nothing searches researchers by vector. Chroma still wants a vector per row and keeps an
        HNSW index of them on every write, so rows carry a constant placeholder of one dimension
        (researcher writes 2.7x faster than with 256, measured), or of the collection's own
        dimension in older stores.
        """
        if self._researcher_dim is None:
            first = self.researchers.get(limit=1, include=["embeddings"])
            self._researcher_dim = len(first["embeddings"][0]) if first["ids"] else 1
        try:
            self._upsert(self.researchers, ids, self._placeholders(len(ids)), rows)
        except Exception as e:  # chromadb raises its own InvalidArgumentError
            # An emptied collection keeps the dimension of the vectors it once held.
            held = re.search(r"dimension of (\d+)", str(e))
            if held is None or int(held[1]) == self._researcher_dim:
                raise
            self._researcher_dim = int(held[1])
            self._upsert(self.researchers, ids, self._placeholders(len(ids)), rows)

    def _placeholders(self, n: int) -> np.ndarray:
        vectors = np.zeros((n, self._researcher_dim or 1), dtype=np.float32)
        vectors[:, 0] = 1.0
        return vectors

    def get_researchers(self, ids: Sequence[str]) -> dict[str, Researcher]:
        """Fetch researchers by id."""
        return {rid: researcher_from_json(rec) for rid, rec in self._researcher_rows.lines(ids)}

    def iter_researchers(self) -> Iterator[Researcher]:
        """Scan every stored researcher."""
        for _rid, record in self._researcher_rows.lines():
            yield researcher_from_json(record)

    def upsert_profiles(self, pages: Sequence[ProfilePage], embeddings: np.ndarray) -> None:
        """Keep profile pages as their sources showed them (metrics, notes)."""
        ids = [profile_id(p) for p in pages]
        rows = [{"record": json.dumps(dataclasses.asdict(p), ensure_ascii=False)} for p in pages]
        self._upsert(self.profiles, ids, embeddings, rows)

    def iter_profiles(self) -> Iterator[ProfilePage]:
        """Scan every stored profile page."""
        for _ids, _docs, metas in self._scan(self.profiles, include=["metadatas"]):
            for meta in metas:
                yield _profile_from_json(meta["record"])

    # --- bookkeeping --------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """How many records each collection holds."""
        return {kind: self.count(kind) for kind in ("papers", "researchers", "profiles")}

    def count(self, kind: Literal["papers", "researchers", "profiles"]) -> int:
        """How many records one collection holds (each count is a query: at 100k, ~0.5 s)."""
        if kind == "researchers":
            return self._researcher_rows.count()
        return int(getattr(self, kind).count())

    def flags(self) -> dict[str, Any]:
        """Every bookkeeping value, read fresh (another process may have written since)."""
        res = self._flags.get(include=["metadatas"])
        return {fid: meta.get("value") for fid, meta in zip(res["ids"], res["metadatas"], strict=True)}

    def _adopt_metadata_flags(self) -> None:
        """Copy the values stores before 0.3 kept in the papers collection's metadata, once."""
        legacy = dict(self.papers.metadata or {})
        if legacy and not self._flags.count():
            self._write_flags(legacy)

    def get_flag(self, name: str) -> Any:
        """Read a bookkeeping value kept in the papers collection's metadata."""
        return self.flags().get(name)

    def set_flag(self, name: str, value: str | float | bool) -> str:
        """Write a bookkeeping value (e.g. that people need re-resolving after an interrupted ingest).

        Every flag write also starts a new generation, which is what search caches are keyed on:
        flags are written around every change to the store. Returns the new generation.
        """
        return self.set_flags({name: value})

    def set_flags(self, values: Mapping[str, str | float | bool]) -> str:
        """Write several bookkeeping values at once (one new generation); return the generation."""
        generation = uuid.uuid4().hex
        self._write_flags({**values, GENERATION: generation})
        return generation

    def _write_flags(self, values: Mapping[str, Any]) -> None:
        ids = list(values)
        vectors = np.ones((len(ids), 1), dtype=np.float32)  # nothing searches flags by vector
        self._flags.upsert(ids=ids, embeddings=vectors, metadatas=[{"value": values[i]} for i in ids])

    def generation(self) -> str:
        """An id that changes whenever the store's contents may have changed."""
        return str(self.get_flag(GENERATION) or "empty")

    def people_resolved(self) -> str:
        """Clear the stale flag after researchers were written; return their new people generation."""
        people = uuid.uuid4().hex
        self.set_flags({PEOPLE_STALE: False, PEOPLE_GENERATION: people})
        return people

    def people_generation(self) -> str:
        """An id that changes whenever the researchers are written (older stores: the generation)."""
        flags = self.flags()
        return str(flags.get(PEOPLE_GENERATION) or flags.get(GENERATION) or "empty")

    def cache_key(self) -> str:
        """Where this store is, as a file-name-safe string (for caches kept outside the store)."""
        raw = f"{self.where}|{self.settings.prefix}"
        return hashlib.sha1(raw.encode()).hexdigest()[:16]

    # --- Chroma plumbing ----------------------------------------------------------------------

    def _upsert(
        self, collection: Any, ids: list[str], embeddings: np.ndarray, rows: list[dict[str, Any]]
    ) -> None:
        # Rows carry no Chroma document: Chroma full-text-indexes documents on every write (4x the
        # cost of a row without one, measured), and nothing here searches them; the text is metadata.
        if len(ids) != len(embeddings):
            raise ValueError(f"{len(ids)} ids but {len(embeddings)} vectors")
        size = self.settings.batch_size
        for start in range(0, len(ids), size):
            chunk = slice(start, start + size)
            collection.upsert(
                ids=ids[chunk],
                embeddings=np.asarray(embeddings[chunk], dtype=np.float32),
                metadatas=rows[chunk],
            )

    def _scan(
        self, collection: Any, include: list[str] | None = None
    ) -> Iterator[tuple[list[str], list[str], list[dict[str, Any]]]]:
        for res in self._pages(collection, include or ["documents", "metadatas"]):
            docs = res.get("documents") or [""] * len(res["ids"])
            yield res["ids"], docs, res["metadatas"]

    def _pages(self, collection: Any, include: list[str]) -> Iterator[dict[str, Any]]:
        # Ids first, then rows by id: paging with `offset` makes Chroma walk every row before the
        # page, so a scan is quadratic (at 1.36M researchers the page at 1.3M took 10.6 s and a
        # table rebuild had not finished in 15 min; by id, 5,000 rows take 0.25 s anywhere: 319 s).
        ids = collection.get(include=[])["ids"]
        for start in range(0, len(ids), SCAN_PAGE):
            res = collection.get(ids=ids[start : start + SCAN_PAGE], include=include)
            if res["ids"]:  # rows deleted since the ids were read are skipped
                yield res

    def _query(self, collection: Any, vector: np.ndarray, k: int, where: dict[str, Any] | None) -> list[Hit]:
        # No count() first: Chroma returns what there is when asked for more, and counting a 500k
        # collection took 1.5 s of a cold first answer (it scans, it does not keep a count).
        res = collection.query(
            query_embeddings=np.asarray(vector, dtype=np.float32).reshape(1, -1),
            n_results=k,
            where=where,
            include=["distances"],
        )
        # Cosine distance is 1 - similarity; report similarity so higher is better everywhere.
        return [Hit(i, 1.0 - float(d)) for i, d in zip(res["ids"][0], res["distances"][0], strict=True)]


# --- record <-> Chroma row --------------------------------------------------------------------


def paper_text(paper: Paper) -> str:
    """The text a paper is embedded and searched by."""
    return f"{paper.title}\n\n{paper.abstract}".strip()


def _hash(obj: Any) -> str:
    return _digest(_canonical(obj))


def _canonical(obj: Any) -> str:
    """A record's JSON, the same text for the same record (what `_hash` digests)."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False)


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def paper_dict(paper: Paper) -> dict[str, Any]:
    """A paper as plain JSON-able data.

    Written out by hand: dataclasses.asdict deep-copies every value and took a fifth of a full
    corpus ingest in profiles.
    """
    return {
        "id": paper.id,
        "title": paper.title,
        "abstract": paper.abstract,
        "authors": [
            {"name": a.name, "source_id": a.source_id, "affiliations": list(a.affiliations)}
            for a in paper.authors
        ],
        "authors_complete": paper.authors_complete,
        "authors_omitted": paper.authors_omitted,
        "year": paper.year,
        "date": paper.date,
        "venue": paper.venue,
        "url": paper.url,
        "pdf_url": paper.pdf_url,
        "code_urls": list(paper.code_urls),
        "external_ids": dict(paper.external_ids),
        "versions": list(paper.versions),
        "citation_count": paper.citation_count,
        "tags": list(paper.tags),
        "sources": list(paper.sources),
        # Only when a paper has them: every other record, and its hash, stays as it was.
        **({"affiliations": list(paper.affiliations)} if paper.affiliations else {}),
    }


def researcher_dict(person: Researcher) -> dict[str, Any]:
    """A researcher as plain JSON-able data (see paper_dict for why not asdict)."""
    return {
        "id": person.id,
        "name": person.name,
        "aliases": list(person.aliases),
        "affiliations": list(person.affiliations),
        "metrics": dict(person.metrics),
        "topics": list(person.topics),
        "links": list(person.links),
        "sources": list(person.sources),
        "paper_ids": list(person.paper_ids),
        "coauthors": [[rid, n] for rid, n in person.coauthors],
        "rarity_joins": person.rarity_joins,
    }


#: The metadata key holding a paper row's whole record: `StoredPaper.blob`, compressed.
PAPER_KEY = "paper"
#: zlib level of that value: level 1 compresses paper JSON within a few percent of level 6, faster.
_PAPER_ZLIB_LEVEL = 1


def paper_to_chroma(paper: Paper, first_seen: int | None = None) -> dict[str, Any]:
    """A paper as one Chroma metadata row: the record, compressed, and the time it was written.

    Embedded Chroma writes and indexes one row per metadata key, and indexes every string whole
    (title, abstract and record JSON were 2 kB a paper), with nothing here querying them; so the
    record travels as one compressed value and the write time, which `where` filters read, is the
    only other key. Rows written before keep their keys (`title`, `abstract`, `record`, hashes,
    `first_seen`, `year`, `venue`) and read as before.
    """
    rec = paper_dict(paper)
    del rec["title"], rec["abstract"], rec["id"]
    record = json.dumps(rec, ensure_ascii=False)
    seen = first_seen if first_seen is not None else int(time.time())
    blob = json.dumps(
        [paper.title, paper.abstract, record, record_hash(paper), text_hash(paper), seen], ensure_ascii=False
    ).encode()
    return {
        # Milliseconds: what the search index reads to patch itself with the papers written since,
        # and what finds the papers first seen in a window (`Store.papers_first_seen`).
        "written_at": int(time.time() * 1000),
        PAPER_KEY: base64.b64encode(zlib.compress(blob, _PAPER_ZLIB_LEVEL)).decode("ascii"),
    }


def record_hash(paper: Paper) -> str:
    """A digest of everything a paper record says, to tell updated records from unchanged ones."""
    return _hash(paper_dict(paper))


def text_hash(paper: Paper) -> str:
    """A digest of the embedded text: when it is unchanged the stored vector is still right."""
    return _hash(paper_text(paper))


@dataclass(frozen=True)
class StoredPaper:
    """A stored paper row, read without building its record."""

    title: str
    abstract: str
    #: The record's JSON without title, abstract and id.
    record: str
    record_hash: str
    text_hash: str
    #: When the paper first entered the store (unix seconds); None in rows of 0.1.
    first_seen: int | None
    #: `paper_from_blob`'s input.
    blob: bytes

    @property
    def text(self) -> str:
        """`paper_text` of the paper."""
        return f"{self.title}\n\n{self.abstract}".strip()

    def facets(self) -> Facets:
        """The fields of the paper that the search index keeps as columns."""
        rec = json.loads(self.record)
        cited = rec.get("citation_count")
        return Facets(
            venue=str(rec.get("venue") or ""),
            year=int(rec.get("year") or 0),
            citations=-1 if cited is None else int(cited),
            affiliations=_printed(rec),
            labels=paper_labels(rec.get("tags", ())),
            authors=len(rec.get("authors", ())),
        )

    def paper(self) -> Paper:
        """The whole record."""
        return _paper(self.title, self.abstract, self.record)


def stored_paper(document: str | None, meta: Mapping[str, Any]) -> StoredPaper:
    """Read a paper row of any layout: the packed value, or the keys rows had before it."""
    if PAPER_KEY in meta:
        blob = zlib.decompress(base64.b64decode(meta[PAPER_KEY]))
        title, abstract, record, rhash, thash, seen = json.loads(blob)
        return StoredPaper(title, abstract, record, rhash, thash, seen, blob)
    if "abstract" in meta:
        title, abstract = str(meta["title"]), str(meta["abstract"])
    else:  # a row written before 0.2 keeps the text as its document
        title, _, abstract = (document or "").partition("\n\n")
    record = str(meta["record"])
    rhash, thash = str(meta.get("record_hash", "")), str(meta.get("text_hash", ""))
    seen = int(meta["first_seen"]) if "first_seen" in meta else None
    blob = json.dumps([title, abstract, record, rhash, thash, seen], ensure_ascii=False).encode()
    return StoredPaper(title, abstract, record, rhash, thash, seen, blob)


def stored_text(document: str | None, meta: Mapping[str, Any]) -> str:
    """`paper_text` of a stored paper row."""
    return stored_paper(document, meta).text


def paper_from_chroma(document: str | None, meta: Mapping[str, Any]) -> Paper:
    """Rebuild a paper from its Chroma row."""
    return stored_paper(document, meta).paper()


def paper_from_blob(blob: bytes) -> Paper:
    """Rebuild a paper from `StoredPaper.blob` (the search index keeps these by row; indexes built
    before the hashes and first-seen time joined it hold three items)."""
    title, abstract, record = json.loads(blob)[:3]
    return _paper(title, abstract, record)


def printed_affiliations(blob: bytes) -> tuple[str, ...]:
    """The distinct affiliations a paper's `StoredPaper.blob` prints, read without building the paper."""
    return _printed(json.loads(json.loads(blob)[2]))


def _printed(record: Mapping[str, Any]) -> tuple[str, ...]:
    by_author = (x for a in record.get("authors", ()) for x in a.get("affiliations", ()))
    return tuple(dict.fromkeys(x for x in (*by_author, *record.get("affiliations", ())) if x))


def _paper(title: str, abstract: str, record: str) -> Paper:
    rec = json.loads(record)
    rec["authors"] = tuple(
        Author(a["name"], a["source_id"], tuple(a["affiliations"])) for a in rec["authors"]
    )
    for key in ("code_urls", "versions", "tags", "sources"):
        rec[key] = tuple(rec[key])
    rec["affiliations"] = tuple(rec.get("affiliations", ()))
    return Paper(id=paper_id_for(title), title=title, abstract=abstract, **rec)


class ResearcherWriter:
    """Researcher writes and deletes waiting for the end of a `Store.researcher_writer` block."""

    def __init__(self, packs: PackWriter) -> None:
        self._packs = packs

    def upsert(self, people: Iterable[Researcher]) -> None:
        # The record's canonical JSON is what its hash digests (`researcher_hash`), so it need not
        # be stored beside it.
        self._packs.upsert((r.id, _canonical(researcher_dict(r))) for r in people)

    def delete(self, ids: Iterable[str]) -> None:
        self._packs.delete(ids)


def researcher_hash(person: Researcher) -> str:
    """A digest of a researcher record."""
    return _hash(researcher_dict(person))


def researcher_from_json(record: str) -> Researcher:
    """Rebuild a researcher from its stored JSON."""
    return researcher_from_dict(json.loads(record))


def researcher_from_dict(rec: dict[str, Any]) -> Researcher:
    """The inverse of `researcher_dict`."""
    for key in ("aliases", "affiliations", "topics", "links", "sources", "paper_ids"):
        rec[key] = tuple(rec[key])
    rec["coauthors"] = tuple((a, int(b)) for a, b in rec["coauthors"])
    return Researcher(**rec)


def profile_id(page: ProfilePage) -> str:
    """Stable id of a profile page: its source and the name it is about."""
    return "pp_" + hashlib.sha1(f"{page.source}|{name_key(page.name)}".encode()).hexdigest()[:16]


def _profile_from_json(text: str) -> ProfilePage:
    rec = json.loads(text)
    for key in ("affiliations", "topics", "links", "paper_ids", "notes"):
        rec[key] = tuple(rec[key])
    return ProfilePage(**rec)


def store_size_bytes(path: Path) -> int:
    """Bytes on disk under an embedded store folder."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
