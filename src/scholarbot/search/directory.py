"""Find researcher names in questions and resolve them to people in the store.

Matching is on name keys (order, case and diacritics folded), then fuzzy (typos) with rapidfuzz.
A key may hold several people; callers decide how to disambiguate.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import shutil
import sqlite3
import threading
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nicknames import NickNamer
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from scholarbot.records import Researcher, bare_key, fold, name_key, person_key
from scholarbot.store.store import researcher_dict, researcher_from_dict

if TYPE_CHECKING:
    from scholarbot.store.store import Store

#: Names of at most this many words are tried in other spellings (:meth:`NameIndex.respelt`).
MAX_RESPELT_WORDS = 4
#: A surname at least this long one edit from another, with the same given name, may be one
#: person's name spelt two ways (shared coauthors must still say so: spelling_variants).
SURNAME_RESPELT_LETTERS = 7
_NICKNAMES = NickNamer()
#: Similarity (0-100) a fuzzy match needs to count as the same name ("Hainan Zang" -> 91).
FUZZY_ACCEPT = 88
#: Similarity for "did you mean" suggestions.
FUZZY_SUGGEST = 70
#: Names offered when a name is not found.
SUGGESTIONS = 5
#: Similarity each word of a misspelt name needs to some word of the name it is read as: a whole-name
#: score hides a short surname swapped for another ("andrew ng" -> "andrew wang" scores 90).
FUZZY_WORD = 70
#: Similarity points a misspelt name's candidate gains per tenfold papers: a name people write about
#: more is the likelier one behind a typo ("yejin choy" is one letter off Yejin Cho, 1 paper, and two
#: off Yejin Choi, 44), as a spelling corrector weighs a word's frequency against its edit distance.
FUZZY_PRIOR = 6.0


def words_close(typed: str, key: str) -> bool:
    """Whether every word of a typed name key is near some word of `key` (see FUZZY_WORD), or one
    edit from one, two letters swapped counting as one ("yeu" for "yue")."""
    theirs = key.split()
    return all(
        max(fuzz.ratio(w, t) for t in theirs) >= FUZZY_WORD
        or (len(w) >= 3 and min(OSA.distance(w, t) for t in theirs) <= 1)
        for w in typed.split()
    )


@dataclass(frozen=True)
class PersonEntry:
    """The part of a researcher record needed to find them: cheap to keep for every person."""

    id: str
    name: str
    aliases: tuple[str, ...]
    paper_ids: tuple[str, ...]
    #: Affiliations in the records, most used first (institution questions filter on them).
    affiliations: tuple[str, ...] = ()


@dataclass(frozen=True)
class NameMatch:
    """People a name refers to, how it was matched, and near misses for messages."""

    query: str
    people: tuple[PersonEntry, ...]
    exact: bool
    suggestions: tuple[str, ...] = ()
    #: How many names the query's initials abbreviate when more than one does ("H. Zhang"), and
    #: the people under them (another person in the question may tell which one is meant).
    abbreviates: int = 0
    candidates: tuple[PersonEntry, ...] = ()


def entry_of(r: Researcher) -> PersonEntry:
    """The compact directory entry of a full researcher record."""
    return PersonEntry(r.id, r.name, r.aliases, r.paper_ids, r.affiliations)


def person_name_keys(person: PersonEntry | Researcher) -> list[str]:
    """Name keys of a person's name and aliases, without duplicates."""
    return list(dict.fromkeys(name_key(n) for n in (person.name, *person.aliases)))


def _once(people: list[PersonEntry]) -> list[PersonEntry]:
    return list({p.id: p for p in people}.values())


def _ordered(name: str) -> str:
    return " ".join(fold(name).replace("-", "").replace(".", " ").split())


class _Table:
    """The directory's SQLite file (or an in-memory database): one row per person, indexed by name key,
    name word and paper, so opening it reads nothing and every question touches a few rows.

    Reads come from the bot's worker threads; one connection behind a lock is enough for lookups
    that take microseconds.
    """

    SCHEMA = """
        CREATE TABLE people (n INTEGER PRIMARY KEY, id TEXT NOT NULL, name TEXT NOT NULL, key TEXT NOT NULL,
                             clusters INTEGER NOT NULL,
                             aliases TEXT NOT NULL, paper_ids TEXT NOT NULL, affiliations TEXT NOT NULL,
                             papers INTEGER NOT NULL, details TEXT NOT NULL);
        CREATE TABLE keys (key TEXT NOT NULL, n INTEGER NOT NULL);
        CREATE TABLE display (key TEXT NOT NULL, name TEXT NOT NULL, folded TEXT NOT NULL);
        CREATE TABLE words (word TEXT NOT NULL, key TEXT NOT NULL, people INTEGER NOT NULL);
        CREATE TABLE authorship (paper TEXT NOT NULL, n INTEGER NOT NULL);
        CREATE TABLE affiliations (n INTEGER NOT NULL, pos INTEGER NOT NULL, aff TEXT NOT NULL);
        CREATE TABLE institutions (aff TEXT PRIMARY KEY, first INTEGER NOT NULL);
        CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    """
    #: Indexes are made after the rows are in: one sort each instead of a b-tree insert per row.
    INDEXES = """
        CREATE UNIQUE INDEX people_id ON people (id);
        CREATE INDEX people_key ON people (key);
        CREATE INDEX keys_key ON keys (key, n);
        CREATE UNIQUE INDEX display_key ON display (key);
        CREATE INDEX display_folded ON display (folded);
        CREATE INDEX words_word ON words (word, key);
        CREATE INDEX authorship_paper ON authorship (paper, n);
        CREATE INDEX affiliations_n ON affiliations (n, pos);
        CREATE INDEX authorship_n ON authorship (n);
        CREATE INDEX affiliations_aff ON affiliations (aff, n);
    """

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.lock = threading.Lock()

    @classmethod
    def build(
        cls, people: Iterable[Researcher], path: Path | None, generation: str | Callable[[], str] = ""
    ) -> _Table:
        """Write every person into a new database at `path` (atomically replaced) or in memory.

        `generation` may be a function, asked once every person is in: an ingest streams people
        into the table as it writes them to the store, and learns the generation only at the end.
        """
        tmp = None if path is None else _scratch(path)
        db = sqlite3.connect(":memory:" if tmp is None else tmp, check_same_thread=False)
        try:
            # A cache file written aside and renamed into place: no journal needed.
            db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;" + cls.SCHEMA)
            with db:
                names = _insert(db, people, 0)
                _label(db, names)
                label = generation() if callable(generation) else generation
                db.execute("INSERT INTO meta VALUES ('generation', ?)", (label,))
            db.executescript(cls.INDEXES)
            with db:
                _list_institutions(db)
            if tmp is None or path is None:
                return cls(db)
            db.close()
            os.replace(tmp, path)
        finally:
            if tmp is not None:
                db.close()
                tmp.unlink(missing_ok=True)
        return cls.open(path)

    @classmethod
    def patch(
        cls, path: Path, removed: Collection[str], added: Iterable[Researcher], generation: str
    ) -> None:
        """Replace some people in the file at `path` (a copy, swapped in: open readers keep theirs)."""
        tmp = _scratch(path)
        shutil.copyfile(path, tmp)
        db = sqlite3.connect(tmp)
        try:
            db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
            with db:
                gone = [
                    n
                    for part in _parts(sorted(removed))
                    for (n,) in db.execute(f"SELECT n FROM people WHERE id IN ({_marks(part)})", part)
                ]
                touched: set[str] = set()
                for part in _parts(gone):
                    touched.update(
                        k for (k,) in db.execute(f"SELECT key FROM keys WHERE n IN ({_marks(part)})", part)
                    )
                    for table in ("people", "keys", "authorship", "affiliations"):
                        db.execute(f"DELETE FROM {table} WHERE n IN ({_marks(part)})", part)
                first = db.execute("SELECT coalesce(max(n), -1) + 1 FROM people").fetchone()[0]
                touched |= set(_insert(db, added, int(first)))
                names: dict[str, list[str]] = {key: [] for key in touched}
                for part in _parts(sorted(touched)):
                    db.execute(f"DELETE FROM display WHERE key IN ({_marks(part)})", part)
                    db.execute(f"DELETE FROM words WHERE key IN ({_marks(part)})", part)
                    rows = db.execute(
                        f"SELECT k.key, p.name FROM keys k JOIN people p ON p.n = k.n "
                        f"WHERE k.key IN ({_marks(part)}) ORDER BY k.n",
                        part,
                    )
                    for key, name in rows:
                        names[key].append(name)
                _label(db, {k: v for k, v in names.items() if v})
                _list_institutions(db)
                db.execute("UPDATE meta SET value = ? WHERE name = 'generation'", (generation,))
            db.close()
            os.replace(tmp, path)
        finally:
            db.close()
            tmp.unlink(missing_ok=True)

    @classmethod
    def open(cls, path: Path) -> _Table:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        db.execute("PRAGMA query_only = ON")
        return cls(db)

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        with self.lock:
            return self.db.execute(sql, params).fetchall()

    def authors(self, paper_ids: Collection[str]) -> dict[str, list[str]]:
        """Researcher ids of each paper's resolved authors, in author order (papers without any left out)."""
        out: dict[str, list[str]] = defaultdict(list)
        for part in _parts(sorted(paper_ids)):
            sql = (
                "SELECT a.paper, p.id FROM authorship a JOIN people p ON p.n = a.n "
                f"WHERE a.paper IN ({_marks(part)}) ORDER BY a.paper, a.n"
            )
            for pid, rid in self.rows(sql, part):
                out[pid].append(rid)
        return dict(out)

    def generation(self) -> str | None:
        found = self.rows("SELECT value FROM meta WHERE name = 'generation'")
        return str(found[0][0]) if found else None


_ENTRY = "SELECT p.id, p.name, p.aliases, p.paper_ids, p.affiliations FROM people p"
_RECORD = "SELECT p.id, p.name, p.aliases, p.paper_ids, p.affiliations, p.clusters, p.details FROM people p"


def _insert(db: sqlite3.Connection, people: Iterable[Researcher], first: int) -> dict[str, list[str]]:
    """Add people numbered from `first`; return each name key's people's names in that order."""
    names: dict[str, list[str]] = defaultdict(list)
    # In slices, so a store's worth of rows is never held as Python tuples at once.
    for part in _parts(enumerate(people, first), INSERT_SLICE):
        _insert_slice(db, part, names)
    return names


#: People whose rows are inserted together (with whole records in the rows, slices of 20k raised a
#: 13k-paper ingest's peak by 35 MB; 5k kept it where it was, at the same speed).
INSERT_SLICE = 5_000


def _insert_slice(
    db: sqlite3.Connection, numbered: Iterable[tuple[int, Researcher]], names: dict[str, list[str]]
) -> None:
    people: list[tuple[object, ...]] = []
    keys: list[tuple[str, int]] = []
    authorship: list[tuple[str, int]] = []
    affiliations: list[tuple[int, int, str]] = []
    for n, e in numbered:
        people.append(
            (
                n,
                e.id,
                e.name,
                person_key(e.name),
                1 + e.rarity_joins,
                _dump(e.aliases),
                _dump(e.paper_ids),
                _dump(e.affiliations),
                len(e.paper_ids),
                _details(e),
            )
        )
        for key in person_name_keys(e):
            if key:
                keys.append((key, n))
                names[key].append(e.name)
        authorship.extend((pid, n) for pid in dict.fromkeys(e.paper_ids))
        affiliations.extend((n, i, a) for i, a in enumerate(e.affiliations))
    db.executemany("INSERT INTO people VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", people)
    db.executemany("INSERT INTO keys VALUES (?, ?)", keys)
    db.executemany("INSERT INTO authorship VALUES (?, ?)", authorship)
    db.executemany("INSERT INTO affiliations VALUES (?, ?, ?)", affiliations)


def _label(db: sqlite3.Connection, names: Mapping[str, Sequence[str]]) -> None:
    """Display name and name-word rows of these keys, from their people's names in table order."""
    # The first person with a key names it in suggestions.
    db.executemany(
        "INSERT INTO display VALUES (?, ?, ?)", ((key, ns[0], fold(ns[0])) for key, ns in names.items())
    )
    db.executemany(
        "INSERT INTO words VALUES (?, ?, ?)",
        ((w, key, len(ns)) for key, ns in names.items() for w in set(key.split())),
    )


def _list_institutions(db: sqlite3.Connection) -> None:
    """Each distinct affiliation once, with the first person holding it: an institution vocabulary of
    a few thousand strings, where the affiliation rows are millions (2.3 s to read at 500k papers)."""
    db.execute("DELETE FROM institutions")
    db.execute("INSERT INTO institutions SELECT aff, min(n) FROM affiliations GROUP BY aff")


def _scratch(path: Path) -> Path:
    """A temporary name beside `path`, unique per writer: a bot process may build the table from one
    thread while a digest's ingest patches it from another."""
    return path.with_name(f"{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")


def _parts(values: Iterable[Any], size: int = 500) -> Iterator[list[Any]]:
    # SQLite caps bound parameters per statement; rows are inserted in slices of any iterable.
    part: list[Any] = []
    for value in values:
        part.append(value)
        if len(part) == size:
            yield part
            part = []
    if part:
        yield part


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


def _dump(values: Sequence[str]) -> str:
    return json.dumps(list(values), ensure_ascii=False)


#: Record fields the people table keeps in columns of their own (rarity_joins as `clusters`).
_COLUMNS = frozenset({"id", "name", "aliases", "paper_ids", "affiliations", "rarity_joins"})


def _details(person: Researcher) -> str:
    """The record's fields that have no column of their own, so the table holds whole records and
    answering never reads Chroma's researcher collection (loading its index: 3.7 s and 680 MB at
    1.36M researchers). Taken from the store's own record layout, so a new field is kept too."""
    rest = {k: v for k, v in researcher_dict(person).items() if k not in _COLUMNS}
    return json.dumps(rest, ensure_ascii=False, separators=(",", ":"))


def _entry(row: tuple[Any, ...]) -> PersonEntry:
    return PersonEntry(
        row[0], row[1], tuple(json.loads(row[2])), tuple(json.loads(row[3])), tuple(json.loads(row[4]))
    )


def _record(row: tuple[Any, ...]) -> Researcher:
    columns = {
        "id": row[0],
        "name": row[1],
        "aliases": json.loads(row[2]),
        "paper_ids": json.loads(row[3]),
        "affiliations": json.loads(row[4]),
        "rarity_joins": int(row[5]) - 1,
    }
    return researcher_from_dict(json.loads(row[6]) | columns)


class _ByKey(Mapping[str, list[PersonEntry]]):
    """Name key -> the people with it, most published first (a read-only view of the table)."""

    def __init__(self, table: _Table) -> None:
        self.table = table

    def __getitem__(self, key: str) -> list[PersonEntry]:
        rows = self.table.rows(
            f"{_ENTRY} JOIN keys k ON k.n = p.n WHERE k.key = ? ORDER BY p.papers DESC, p.id", (key,)
        )
        if not rows:
            raise KeyError(key)
        return [_entry(r) for r in rows]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and bool(
            self.table.rows("SELECT 1 FROM keys WHERE key = ? LIMIT 1", (key,))
        )

    def __iter__(self) -> Iterator[str]:
        return iter([r[0] for r in self.table.rows("SELECT key FROM display ORDER BY key")])

    def __len__(self) -> int:
        return int(self.table.rows("SELECT count(*) FROM display")[0][0])


class NameIndex:
    """All researcher names, for lookup and for spotting names inside free text."""

    def __init__(self, table: _Table) -> None:
        self.table = table
        self.by_key = _ByKey(table)

    def __len__(self) -> int:
        return len(self.by_key)

    def word_count(self, word: str) -> int:
        """How many people carry a (folded) word in their name: "wang" is a name word, "long" mostly not."""
        return int(
            self.table.rows("SELECT coalesce(sum(people), 0) FROM words WHERE word = ?", (word,))[0][0]
        )

    def given_name(self, word: str) -> bool:
        """Whether a (folded) word is a given name: someone's first name in the records, or one the
        nickname table knows ("emily", though no Emily is in the records)."""
        if _NICKNAMES.nicknames_of(word) or _NICKNAMES.canonicals_of(word):
            return True
        return any(
            fold(p.name).split()[:1] == [word] for k in self.keys_with_word(word) for p in self.by_key[k]
        )

    def keys_with_word(self, word: str) -> list[str]:
        """Name keys that contain a (folded) word."""
        return [r[0] for r in self.table.rows("SELECT key FROM words WHERE word = ?", (word,))]

    def _keys_near(self, key: str) -> list[str]:
        """Candidate keys for a misspelt name: those sharing the first three letters of one of its words.

        Fuzzy scoring then runs over these rather than over every name in the store.
        """
        found: set[str] = set()
        for w in set(key.split()):
            lo = w[:3]
            found.update(
                r[0]
                for r in self.table.rows(
                    "SELECT key FROM words WHERE word >= ? AND word < ?", (lo, lo + "\uffff")
                )
            )
        return sorted(found)

    def keys_but_initials(self, key: str) -> list[str]:
        """Keys that are `key` once middle initials are set aside on either side: "noah smith" finds
        "Noah A. Smith", "noah a smith" finds "Noah Smith". At least two full words must remain."""
        bare = bare_key(key)
        if len(bare.split()) < 2 or any(len(w) == 1 for w in bare.split()):
            return []  # fewer than two full words: the initials are part of the name
        if bare != key:
            return [bare] if bare in self.by_key else []
        # People are filed under their person key (the name key, initials aside, indexed): the keys of
        # the names of those filed under this one are the keys asked for.
        rows = self.table.rows("SELECT name, aliases FROM people WHERE key = ?", (key,))
        found = {name_key(n) for name, aliases in rows for n in (name, *json.loads(aliases))}
        return sorted(found - {key})

    def keys_by_initials(self, name: str) -> list[str]:
        """Keys of the names that a name of initials and surname abbreviates: "R. Navigli" finds
        Roberto Navigli, "M. Y. Vardi" Moshe Y. Vardi (and Moshe Vardi: a middle initial more or
        less is the same abbreviation). Keys hold their words sorted, so order does not matter."""
        words = re.sub(r"[.\s]+", " ", fold(name)).split()
        typed = Counter(w for w in words if len(w) == 1)
        full = [w for w in words if len(w) > 1]
        if not typed or not full:
            return []
        found = []
        for k in self.keys_with_word(name_key(full[-1])):
            rest = Counter(k.split())
            rest.subtract(Counter(name_key(w) for w in full))
            if any(v < 0 for v in rest.values()):
                continue  # a surname word the key lacks
            letters = Counter(w[0] for w, v in rest.items() for _ in range(v))
            if letters and (typed <= letters or letters <= typed):
                found.append(k)
        return sorted(found)

    def respelt(self, name: str) -> str | None:
        """Another spelling of a name that the records hold when this one they do not: a given
        name typed without its hyphen ("tat seng chua": Tat-Seng Chua) or as its short form ("kathy
        mckeown": Kathleen McKeown, from a curated table of English nicknames)."""
        words = name.split()
        if not 2 <= len(words) <= MAX_RESPELT_WORDS:
            return None
        joined = [[*words[:i], words[i] + words[i + 1], *words[i + 2 :]] for i in range(len(words) - 1)]
        tried = [" ".join(j) for j in joined]
        for i in (0, len(words) - 1):  # the given name comes first, or last in family-first order
            word = fold(words[i])
            others = sorted(_NICKNAMES.canonicals_of(word) | _NICKNAMES.nicknames_of(word))
            tried += [" ".join([*words[:i], other, *words[i + 1 :]]) for other in others]
        found = [t for t in tried if self.by_key.get(name_key(t))]
        if not found and len(words) == 2:
            # "neil gong" for "Neil Zhenqiang Gong": the one name the records hold with a middle name added.
            found = [self._display(k) for k in self._with_middle_name(words)]
        # Two spellings that fit are two guesses: none is taken.
        return found[0] if len({name_key(f) for f in found}) == 1 else None

    def _with_middle_name(self, words: list[str]) -> list[str]:
        """Keys of three-word names that hold both words and a middle name (not an initial)."""
        rows = self.table.rows(
            "SELECT key FROM words WHERE word = ? INTERSECT SELECT key FROM words WHERE word = ?",
            (name_key(fold(words[0])), name_key(fold(words[1]))),
        )
        return [k for (k,) in rows if len(k.split()) == 3 and min(map(len, k.split())) > 1]

    def spelling_variants(self, names: Iterable[str]) -> set[str]:
        """Keys of names the records hold that differ from these by a middle name ("Thien Nguyen",
        "Thien Huu Nguyen"), a hyphen ("Espinosa-Anke", "Espinosa Anke") or an umlaut spelt out
        ("Schütze", "Schuetze"): spellings resolution keeps apart, which may be one person."""
        own = {name_key(n) for n in names}
        found: set[str] = set()
        for name in names:
            words = name.replace(".", " ").split()
            tried = []
            if len(words) == 3:
                tried.append(f"{words[0]} {words[2]}")
            if len(words) == 2:
                found.update(self._with_middle_name(words))
            tried += [name.replace("-", " "), self.respelt(name) or ""]
            spelt_out = name
            for letter, out in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "Ae"), ("Ö", "Oe"), ("Ü", "Ue")):
                spelt_out = spelt_out.replace(letter, out)
            tried.append(spelt_out)
            # "Schuetze" -> "Schutze" (as "Schütze" folds), in words long enough not to be "Xue" or "Yue".
            tried.append(
                " ".join(
                    re.sub(r"(?<=[^aeiouAEIOU\W])([aouAOU])e", r"\1", w) if len(w) >= 5 else w for w in words
                )
            )
            found.update(k for k in (name_key(t) for t in tried if t) if k and self.by_key.get(k))
            found.update(self._surname_respelt(words))
        return found - own

    def _surname_respelt(self, words: list[str]) -> list[str]:
        """Keys of two-word names with the same given name and a surname one edit away, in names
        long enough for that to be a spelling and not another name ("Pushpak Bhattacharya",
        "Pushpak Bhattacharyya"; not "Yejin Cho" / "Yejin Choi")."""
        if len(words) != 2:
            return []
        given, surname = (name_key(fold(w)) for w in words)
        if len(surname) < SURNAME_RESPELT_LETTERS:
            return []
        return [
            k
            for k in self.keys_with_word(given)
            if len(parts := k.split()) == 2
            and (other := parts[0] if parts[1] == given else parts[1]) != surname
            and len(other) >= SURNAME_RESPELT_LETTERS
            and OSA.distance(other, surname) == 1
        ]

    def lookup(self, name: str) -> NameMatch:
        """Resolve a name: exact key first (middle initials aside), then another spelling of it,
        then a fuzzy match, else suggestions only."""
        key = name_key(name)
        people = self.by_key.get(key) if key else None
        # One person's names may sit under several keys ("Nanyun Peng", "Nanyun (Violet) Peng"): once each.
        if not people and key:
            people = _once([p for k in self.keys_but_initials(key) for p in self.by_key[k]])
        if not people and key and (keys := self.keys_by_initials(name)):
            # Names that differ only in middle initials ("Moshe Vardi", "Moshe Y. Vardi") are one
            # name abbreviated; several names ("Hao Zhang", "Hongming Zhang") are a question to ask back.
            # A name with a middle name or a nickname more ("Nanyun (Violet) Peng") is the same name.
            full = sorted(
                {frozenset(w for w in k.split() if len(w) > 1) for k in keys}, key=len, reverse=True
            )
            names = [n for i, n in enumerate(full) if not any(n < m for m in full[:i])]
            people = _once([p for k in keys for p in self.by_key[k]])
            if len(names) > 1:
                ranked = sorted(keys, key=lambda k: (-self._papers(k), k))
                shown = tuple(self._display(k) for k in ranked[:SUGGESTIONS])
                return NameMatch(
                    name, (), exact=False, suggestions=shown, abbreviates=len(names), candidates=tuple(people)
                )
        if not people and key and (other := self.respelt(name)) is not None:
            return NameMatch(name, tuple(self.lookup(other).people), exact=False)
        if people:
            # "Zhao Li" and "Li Zhao" share a key but are usually different people: when some
            # candidates were printed in the asked order, those are the ones meant.
            same_order = [p for p in people if _ordered(name) in {_ordered(n) for n in (p.name, *p.aliases)}]
            return NameMatch(name, tuple(same_order or people), exact=True)
        pool = self._keys_near(key) if key else []
        if not pool:
            return NameMatch(name, (), exact=False)
        weighed = self._weighed(key, pool)
        best = self._accepted(key, weighed, FUZZY_ACCEPT)
        if best is not None:
            return NameMatch(name, tuple(self.by_key[best]), exact=False)
        shown = tuple(self._display(k) for _, _, k in weighed[:SUGGESTIONS])
        return NameMatch(name, (), exact=False, suggestions=shown)

    def likeliest(self, key: str, pool: Collection[str], minimum: float) -> str | None:
        """The name key a misspelt `key` most likely stands for among `pool` (see _accepted)."""
        return self._accepted(key, self._weighed(key, pool), minimum)

    def _weighed(self, key: str, pool: Collection[str]) -> list[tuple[float, float, str]]:
        """(similarity with papers weighed in, similarity, key) of the keys most like `key`, best
        first: a name people write about more is the likelier one behind a typo (FUZZY_PRIOR)."""
        hits = process.extract(
            key, pool, scorer=fuzz.ratio, limit=3 * SUGGESTIONS, score_cutoff=FUZZY_SUGGEST
        )
        return sorted(
            ((score + FUZZY_PRIOR * math.log10(1 + self._papers(k)), score, k) for k, score, _ in hits),
            reverse=True,
        )

    @staticmethod
    def _accepted(key: str, weighed: list[tuple[float, float, str]], minimum: float) -> str | None:
        """The best key when it is similar by at least `minimum`, every word near one of its words,
        and 3 points ahead of the next once papers are weighed in; else None."""
        if (
            weighed
            and weighed[0][1] >= minimum
            and (len(weighed) == 1 or weighed[0][0] - weighed[1][0] >= 3)
            and words_close(key, weighed[0][2])
        ):
            return weighed[0][2]
        return None

    def _papers(self, key: str) -> int:
        """Papers of the people under a name key."""
        sql = "SELECT sum(p.papers) FROM keys k JOIN people p ON p.n = k.n WHERE k.key = ?"
        rows = self.table.rows(sql, (key,))
        return int(rows[0][0] or 0)

    def _display(self, key: str) -> str:
        found = self.table.rows("SELECT name FROM display WHERE key = ?", (key,))
        return str(found[0][0]) if found else key

    def suggest(self, prefix: str, limit: int = 25) -> list[str]:
        """Display names starting with `prefix` (any word order), then fuzzy matches, most published first."""
        key = name_key(prefix)
        if not key:
            return []
        start = fold(prefix).strip()
        rows = self.table.rows(
            "SELECT name FROM display WHERE (folded >= ? AND folded < ?) OR (key >= ? AND key < ?)",
            (start, start + "\uffff", key, key + "\uffff"),
        )
        starts = sorted({r[0] for r in rows})
        if len(starts) < limit:
            names = sorted({self._display(k) for k in self._keys_near(key)})
            extra = process.extract(
                prefix, names, scorer=fuzz.WRatio, limit=limit, score_cutoff=FUZZY_SUGGEST
            )
            starts += [n for n, _, _ in extra if n not in starts]
        return starts[:limit]

    def spot(self, text: str, max_tokens: int = 5) -> tuple[str, str] | None:
        """Find the longest span of `text` that is a known name; return (span, key).

        Used when a question's wording does not follow a pattern we parse; spans of 2 to
        `max_tokens` words are tried, longest first, so "Rui Zhang" wins over "Zhang".
        """
        tokens = text.replace("?", " ").replace(",", " ").replace("'s ", " ").split()
        for size in range(min(max_tokens, len(tokens)), 1, -1):
            for start in range(len(tokens) - size + 1):
                span = " ".join(tokens[start : start + size])
                if not any(ch.isupper() for ch in span) and fold(span) == span:
                    continue
                key = name_key(span)
                if key in self.by_key:
                    return span, key
        return None


class _Entries(Mapping[str, PersonEntry]):
    """Researcher id -> directory entry, read from the table on demand."""

    def __init__(self, table: _Table) -> None:
        self.table = table

    def __getitem__(self, rid: str) -> PersonEntry:
        rows = self.table.rows(f"{_ENTRY} WHERE p.id = ?", (rid,))
        if not rows:
            raise KeyError(rid)
        return _entry(rows[0])

    def __contains__(self, rid: object) -> bool:
        return isinstance(rid, str) and bool(self.table.rows("SELECT 1 FROM people WHERE id = ?", (rid,)))

    def __iter__(self) -> Iterator[str]:
        return iter([r[0] for r in self.table.rows("SELECT id FROM people ORDER BY n")])

    def __len__(self) -> int:
        return int(self.table.rows("SELECT count(*) FROM people")[0][0])


#: Layout of the directory's table; a table of another layout is rebuilt.
TABLE_FORMAT = 9
TABLE_FILE = "people.sqlite3"


def _table_generation(people_generation: str) -> str:
    # A table of another layout is stale too, whatever the store's generation.
    return f"{people_generation}/{TABLE_FORMAT}"


class PeopleTable:
    """The directory's file as ingest sees it: read to re-resolve only touched names, kept current.

    Every method is cheap on a file of any size (indexed lookups, one aggregate); a missing or
    damaged file reads as no generation, which makes ingest resolve everyone and write it anew.
    """

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        self.path = cache_dir / TABLE_FILE
        self._table: _Table | None = None

    def _open(self) -> _Table:
        if self._table is None:
            self._table = _Table.open(self.path)
        return self._table

    def _rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        return self._open().rows(sql, params)

    def _close(self) -> None:
        if self._table is not None:
            self._table.db.close()
            self._table = None

    def generation(self) -> str | None:
        if not self.path.exists():
            return None
        try:
            found = self._open().generation()
        except sqlite3.Error:
            return None
        if found is None or not found.endswith(f"/{TABLE_FORMAT}"):
            return None
        return found.rsplit("/", 1)[0]

    def ids_named(self, keys: Collection[str]) -> set[str]:
        out: set[str] = set()
        for part in _parts(sorted(keys)):
            sql = f"SELECT id FROM people WHERE key IN ({_marks(part)})"
            out.update(r[0] for r in self._rows(sql, part))
        return out

    def authors_of(self, paper_ids: Collection[str]) -> dict[str, set[str]]:
        return {pid: set(rids) for pid, rids in self._open().authors(paper_ids).items()}

    def name_counts(self, keys: Collection[str]) -> tuple[dict[str, int], int]:
        # Through the name-word rows: a late ingest reads the names that share a word with its own,
        # not all 2.7M people of a million-paper store.
        words = sorted({w for k in keys for w in k.split() if len(w) > 1})
        counts: dict[str, int] = {}
        # The asked keys themselves too: one of only initials ("j k") shares no word with anyone.
        for part in _parts(sorted(keys)):
            sql = f"SELECT key, sum(clusters) FROM people WHERE key IN ({_marks(part)}) GROUP BY key"
            counts.update((k, int(c)) for k, c in self._rows(sql, part))
        for part in _parts(words):
            # `words` holds the words of every printed name key; a person's own key is its name's
            # key with initials aside, so people are found through their printed names.
            sql = (
                "SELECT key, sum(clusters) FROM people WHERE n IN (SELECT k.n FROM keys k WHERE k.key IN "
                f"(SELECT key FROM words WHERE word IN ({_marks(part)}))) GROUP BY key"
            )
            counts.update((k, int(c)) for k, c in self._rows(sql, part))
        total = self._rows("SELECT coalesce(sum(clusters), 0) FROM people")[0][0]
        return counts, int(total)

    def paper_sample(self, n: int) -> list[str]:
        return [
            r[0] for r in self._rows("SELECT DISTINCT paper FROM authorship ORDER BY paper LIMIT ?", (n,))
        ]

    def write(self, people: Iterable[Researcher], generation: Callable[[], str]) -> None:
        self._close()
        with contextlib.suppress(OSError, sqlite3.Error):  # a reader then builds it from the store
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            label = lambda: _table_generation(generation())  # noqa: E731  (asked after the last row)
            _Table.build(people, self.path, label).db.close()

    def patch(self, removed: Collection[str], added: Sequence[Researcher], generation: str) -> None:
        self._close()
        try:
            _Table.patch(self.path, removed, added, _table_generation(generation))
        except (OSError, sqlite3.Error):
            # A reader rebuilds it from the store; a stale file must not pass for this generation.
            with contextlib.suppress(OSError):
                self.path.unlink()


class PeopleDirectory:
    """Every researcher's record in a SQLite table, indexed by name, paper and affiliation.

    The table is a copy of the store's researchers, built once per store generation (or written by
    the ingest that made it) and kept beside the paper index; opening it reads nothing, so a cold
    process answers at the same speed with 30k or 3M researchers.
    """

    def __init__(self, people: Iterable[Researcher] | _Table) -> None:
        self.table = people if isinstance(people, _Table) else _Table.build(people, None)
        self.entries = _Entries(self.table)
        self.names = NameIndex(self.table)

    @classmethod
    def open(cls, store: Store, cache_dir: Path) -> PeopleDirectory:
        """Open the table when it matches the store's generation, else build and save it."""
        path, generation = cache_dir / TABLE_FILE, _table_generation(store.people_generation())
        with contextlib.suppress(sqlite3.Error):
            if path.exists():
                table = _Table.open(path)
                if table.generation() == generation:
                    return cls(table)
                table.db.close()
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            return cls(_Table.build(store.iter_researchers(), path, generation))
        except (OSError, sqlite3.Error):
            # A read-only cache folder still gets a working directory, in memory.
            return cls(_Table.build(store.iter_researchers(), None))

    def __len__(self) -> int:
        return len(self.entries)

    def affiliations(self, matches: Callable[[str], bool] | None = None) -> list[str]:
        """Every distinct affiliation (or those `matches` accepts), in order of the first holder."""
        every = [r[0] for r in self.table.rows("SELECT aff FROM institutions ORDER BY first, aff")]
        return every if matches is None else [a for a in every if matches(a)]

    def members(self, matches: Callable[[str], bool]) -> set[str]:
        """Ids of the people with an affiliation that `matches` accepts (each distinct string judged once)."""
        return self.holding(self.affiliations(matches))

    def holding(self, affiliations: Collection[str]) -> set[str]:
        """Ids of the people with one of these affiliations (one query per chunk, not one per
        person: a large institution has tens of thousands at 1M papers)."""
        found: set[str] = set()
        sql = "SELECT DISTINCT p.id FROM affiliations a JOIN people p ON p.n = a.n WHERE a.aff IN ({})"
        for part in _parts(affiliations):
            found.update(r[0] for r in self.table.rows(sql.format(_marks(part)), part))
        return found

    def authors_of_papers(self, paper_ids: Collection[str]) -> dict[str, list[str]]:
        """Researcher ids of each paper's resolved authors, in author order (papers without any left out)."""
        return self.table.authors(paper_ids)

    def authors_of(self, paper_id: str) -> list[str]:
        """Researcher ids of a paper's resolved authors."""
        rows = self.table.rows(
            "SELECT p.id FROM authorship a JOIN people p ON p.n = a.n WHERE a.paper = ? ORDER BY a.n",
            (paper_id,),
        )
        return [r[0] for r in rows]

    def most_papers(self, paper_ids: Collection[str] | None, limit: int) -> list[tuple[str, int]]:
        """Who has the most papers among `paper_ids` (None: in the whole store), with how many, most
        first (ties by id, so pages follow on)."""
        if paper_ids is None:
            rows = self.table.rows("SELECT id, papers FROM people ORDER BY papers DESC, id LIMIT ?", (limit,))
            return [(rid, int(n)) for rid, n in rows]
        counts: Counter[str] = Counter()
        for part in _parts(paper_ids):
            sql = (
                f"SELECT p.id FROM authorship a JOIN people p ON p.n = a.n WHERE a.paper IN ({_marks(part)})"
            )
            counts.update(r[0] for r in self.table.rows(sql, part))
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]

    def records(self, ids: Iterable[str]) -> dict[str, Researcher]:
        """Full records for the given ids, in the order asked (unknown ids left out)."""
        ids = list(dict.fromkeys(ids))
        found: dict[str, Researcher] = {}
        for part in _parts(ids):
            found.update(
                (r[0], _record(r)) for r in self.table.rows(f"{_RECORD} WHERE p.id IN ({_marks(part)})", part)
            )
        return {i: found[i] for i in ids if i in found}

    def record(self, rid: str) -> Researcher:
        """One full record."""
        return self.records([rid])[rid]
