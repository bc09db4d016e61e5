"""Digest bookkeeping in one SQLite file: subscriptions, what each channel was sent, and digests in flight.

A digest is written as an 'intent' before it is posted and flipped to 'posted' after, so a crash in
between can be reconciled on restart instead of posting twice or not at all.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from scholarbot.digest.types import Digest, Subscription
from scholarbot.errors import ScholarbotError

DEFAULT_FILENAME = "digests.sqlite3"

# One script per version: _MIGRATIONS[i] takes a file from user_version i to i + 1.
_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE subscriptions (
        id INTEGER PRIMARY KEY AUTOINCREMENT, guild_id INTEGER, channel_id INTEGER NOT NULL,
        topics TEXT NOT NULL, researcher_ids TEXT NOT NULL, researcher_names TEXT NOT NULL,  -- JSON lists
        cadence TEXT NOT NULL CHECK (cadence IN ('daily', 'weekly')), weekday INTEGER NOT NULL,
        hour INTEGER NOT NULL, timezone TEXT NOT NULL, top_n INTEGER NOT NULL, threshold REAL NOT NULL,
        post_empty INTEGER NOT NULL, created_by INTEGER,
        last_run_at TEXT, created_at TEXT NOT NULL  -- UTC ISO, fixed width (see _ts)
    );
    CREATE INDEX subscriptions_channel ON subscriptions (channel_id);
    CREATE INDEX subscriptions_guild ON subscriptions (guild_id);
    CREATE TABLE sent (
        channel_id INTEGER NOT NULL, paper_id TEXT NOT NULL, digest_id TEXT NOT NULL, sent_at TEXT NOT NULL,
        UNIQUE (channel_id, paper_id)  -- a paper reaches a channel at most once, ever
    );
    CREATE TABLE digests (
        id TEXT PRIMARY KEY, subscription_id INTEGER NOT NULL, channel_id INTEGER NOT NULL,
        due_at TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('intent', 'posted')),
        message_id INTEGER, paper_ids TEXT NOT NULL, created_at TEXT NOT NULL, posted_at TEXT
    );
    CREATE INDEX digests_status ON digests (status);
    """,
)
SCHEMA_VERSION = len(_MIGRATIONS)

# Every Subscription field but the id has a column of the same name; a field added to the dataclass
# without a migration fails loudly at the first insert rather than being dropped silently.
_SUBSCRIPTION_FIELDS = tuple(f.name for f in fields(Subscription) if f.name != "id")
_JSON_FIELDS = ("topics", "researcher_ids", "researcher_names")


def _ts(value: datetime) -> str:
    """Store an instant as fixed-width UTC ISO text, so SQL string comparison orders instants."""
    if value.tzinfo is None:
        raise ValueError(f"expected a timezone-aware datetime, got naive {value.isoformat()}")
    # e.g. 2025-03-30T07:00:00.000000+00:00: always microseconds, so '<' on text is '<' on time.
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


class RunMarks(NamedTuple):
    """Where a subscription's schedule stands."""

    created_at: datetime
    last_run_at: datetime | None


@dataclass(frozen=True)
class PendingDigest:
    """A digest recorded as intended but not (yet) known to be posted."""

    id: str
    subscription_id: int
    channel_id: int
    due_at: datetime
    paper_ids: tuple[str, ...]
    created_at: datetime

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> PendingDigest:
        """Build one from a `digests` row."""
        ids = tuple(json.loads(row["paper_ids"]))
        due, created = _dt(row["due_at"]), _dt(row["created_at"])
        return cls(row["id"], row["subscription_id"], row["channel_id"], due, ids, created)

    @property
    def marker(self) -> str:
        """The marker the posted message carries (the same text as `Digest.marker`)."""
        return Digest(self.id, self.subscription_id, self.channel_id, self.due_at, items=()).marker


class DigestState:
    """The digest database: open it once per process, close it on shutdown."""

    class NotFound(ScholarbotError):
        """A digest or subscription id is not in the database."""

    class TooNew(ScholarbotError):
        """The file was written by a newer scholarbot with a schema this one does not know."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: no implicit transactions; _transaction() says where each one starts and ends.
        self._db = sqlite3.connect(self.path, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        # WAL lets a CLI `digest --dry-run` read while the bot writes; busy_timeout rides out short locks.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._migrate()

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def __enter__(self) -> DigestState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        # IMMEDIATE takes the write lock up front, so two processes cannot interleave read-then-write.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise DigestState.TooNew(
                f"{self.path} has digest schema {version}; this scholarbot knows up to {SCHEMA_VERSION}. "
                "Upgrade scholarbot or point it at another data directory."
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self._transaction() as db:
                for statement in _MIGRATIONS[target - 1].split(";"):
                    if statement.strip():
                        db.execute(statement)
                # PRAGMA takes no parameters; `target` is an int from range(), never user text.
                db.execute(f"PRAGMA user_version = {int(target)}")

    # --- subscriptions ------------------------------------------------------------------------

    def add_subscription(self, sub: Subscription, *, created_at: datetime | None = None) -> Subscription:
        """Store `sub` (its `id` is ignored; pass 0) and return it with the id it was given."""
        params = _subscription_params(sub)
        params["created_at"] = _ts(created_at or datetime.now(UTC))
        # Column names come from the Subscription dataclass, never from input; values are all bound.
        columns = ", ".join(params)
        values = ", ".join(f":{name}" for name in params)
        with self._transaction() as db:
            cursor = db.execute(f"INSERT INTO subscriptions ({columns}) VALUES ({values})", params)
        assert cursor.lastrowid is not None
        return replace(sub, id=cursor.lastrowid)

    def list_subscriptions(
        self, channel_id: int | None = None, guild_id: int | None = None
    ) -> list[Subscription]:
        """Return subscriptions, oldest first, optionally only one channel's or one guild's."""
        clauses: list[str] = []
        params: list[Any] = []
        if channel_id is not None:
            clauses.append("channel_id = ?")
            params.append(channel_id)
        if guild_id is not None:
            clauses.append("guild_id = ?")
            params.append(guild_id)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""  # fixed fragments; values are bound
        rows = self._db.execute(f"SELECT * FROM subscriptions{where} ORDER BY id", params).fetchall()
        return [_subscription(row) for row in rows]

    def get_subscription(self, subscription_id: int) -> Subscription | None:
        """Return one subscription, or None when there is no such id."""
        row = self._db.execute("SELECT * FROM subscriptions WHERE id = ?", (subscription_id,)).fetchone()
        return None if row is None else _subscription(row)

    def remove_subscription(self, subscription_id: int, channel_id: int) -> bool:
        """Delete a subscription if it belongs to `channel_id`; return whether one was deleted."""
        # Requiring the channel stops `/unsubscribe 12` in one channel from removing another's digest.
        with self._transaction() as db:
            cursor = db.execute(
                "DELETE FROM subscriptions WHERE id = ? AND channel_id = ?", (subscription_id, channel_id)
            )
        return cursor.rowcount > 0

    def marks(self, subscription_id: int) -> RunMarks:
        """Return when a subscription was created and which due instant it last covered."""
        row = self._db.execute(
            "SELECT created_at, last_run_at FROM subscriptions WHERE id = ?", (subscription_id,)
        ).fetchone()
        if row is None:
            raise DigestState.NotFound(f"No digest subscription {subscription_id!r}.")
        last = row["last_run_at"]
        return RunMarks(_dt(row["created_at"]), None if last is None else _dt(last))

    # --- sending ------------------------------------------------------------------------------

    def already_sent(self, channel_id: int, paper_ids: Iterable[str]) -> set[str]:
        """Return those of `paper_ids` that some digest already sent to `channel_id`."""
        wanted = list(dict.fromkeys(paper_ids))
        found: set[str] = set()
        # Chunked: SQLite caps bound parameters per statement (32766 by default, 999 on old builds).
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = self._db.execute(
                f"SELECT paper_id FROM sent WHERE channel_id = ? AND paper_id IN ({marks})",
                [channel_id, *chunk],
            )
            found.update(row[0] for row in rows)
        return found

    def record_intent(self, digest: Digest, *, at: datetime | None = None) -> None:
        """Record that `digest` is about to be posted (call before posting)."""
        d, created = digest, _ts(at or datetime.now(UTC))
        paper_ids = json.dumps([item.paper.id for item in d.items])
        with self._transaction() as db:
            # A retry of the same due digest has the same id: refresh a leftover intent, never a posted row.
            db.execute(
                "INSERT INTO digests (id, subscription_id, channel_id, due_at, status, message_id, paper_ids,"
                " created_at, posted_at) VALUES (?, ?, ?, ?, 'intent', NULL, ?, ?, NULL)"
                " ON CONFLICT (id) DO UPDATE SET paper_ids = excluded.paper_ids,"
                " created_at = excluded.created_at WHERE digests.status = 'intent'",
                (d.id, d.subscription_id, d.channel_id, _ts(d.due_at), paper_ids, created),
            )

    def record_posted(self, digest_id: str, message_id: int | None, posted_at: datetime) -> None:
        """Mark a digest posted, remember its papers as sent, and advance its subscription, atomically."""
        with self._transaction() as db:
            row = db.execute("SELECT * FROM digests WHERE id = ?", (digest_id,)).fetchone()
            if row is None:
                raise DigestState.NotFound(f"No digest {digest_id!r} was recorded before posting.")
            if row["status"] == "posted":
                return  # already reconciled; recording twice must not move anything
            db.execute(
                "UPDATE digests SET status = 'posted', message_id = ?, posted_at = ? WHERE id = ?",
                (message_id, _ts(posted_at), digest_id),
            )
            # OR IGNORE: a paper a parallel digest already sent stays attributed to that one.
            at, ids = _ts(posted_at), json.loads(row["paper_ids"])
            sent = [(row["channel_id"], pid, digest_id, at) for pid in ids]
            db.executemany(
                "INSERT OR IGNORE INTO sent (channel_id, paper_id, digest_id, sent_at) VALUES (?, ?, ?, ?)",
                sent,
            )
            _advance(db, row["subscription_id"], row["due_at"])

    def record_empty_run(self, subscription_id: int, due_at: datetime) -> None:
        """Advance a subscription past `due_at` when nothing was worth sending."""
        with self._transaction() as db:
            _advance(db, subscription_id, _ts(due_at))

    def pending_intents(self) -> list[PendingDigest]:
        """Return digests recorded as intended but not marked posted, oldest due first."""
        rows = self._db.execute("SELECT * FROM digests WHERE status = 'intent' ORDER BY due_at, id")
        return [PendingDigest.from_row(row) for row in rows]

    def drop_intent(self, digest_id: str) -> None:
        """Forget an intent that never went out, so the next run builds and posts it afresh."""
        with self._transaction() as db:
            db.execute("DELETE FROM digests WHERE id = ? AND status = 'intent'", (digest_id,))


def _advance(db: sqlite3.Connection, subscription_id: int, due_at: str) -> None:
    # Only forward: reconciling an old intent after a newer run must not rewind the schedule.
    db.execute(
        "UPDATE subscriptions SET last_run_at = ? WHERE id = ? AND (last_run_at IS NULL OR last_run_at < ?)",
        (due_at, subscription_id, due_at),
    )


def _subscription_params(sub: Subscription) -> dict[str, Any]:
    params = {name: getattr(sub, name) for name in _SUBSCRIPTION_FIELDS}
    for name in _JSON_FIELDS:
        params[name] = json.dumps(list(params[name]))
    params["post_empty"] = int(sub.post_empty)
    return params


def _subscription(row: sqlite3.Row) -> Subscription:
    values = {name: row[name] for name in _SUBSCRIPTION_FIELDS}
    for name in _JSON_FIELDS:
        values[name] = tuple(json.loads(values[name]))
    values["post_empty"] = bool(values["post_empty"])
    return Subscription(id=row["id"], **values)
