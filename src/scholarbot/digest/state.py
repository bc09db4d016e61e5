"""Digest bookkeeping in one SQLite file: subscriptions, what each channel was sent, and digests in flight.

A digest is written as an 'intent' before it is posted and flipped to 'posted' after, so a crash in
between can be reconciled on restart instead of posting twice or not at all. Writing the intent is
also the claim: of two runners (the bot's loop and a cron job) only the one that inserts it posts.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any, NamedTuple

from scholarbot.digest.types import Digest, Ranked, Subscription
from scholarbot.errors import ScholarbotError
from scholarbot.records import Author, Paper
from scholarbot.sqlite_file import SQLiteFile

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
    # 2: pausing and back-off; where each source was last read (a failing source is asked again for
    # its window); the papers that identify a followed researcher (store ids move when people are
    # re-resolved).
    """
    ALTER TABLE subscriptions ADD COLUMN paused TEXT;
    ALTER TABLE subscriptions ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE subscriptions ADD COLUMN retry_at TEXT;
    ALTER TABLE digests ADD COLUMN source_marks TEXT NOT NULL DEFAULT '{}';
    CREATE TABLE source_marks (
        subscription_id INTEGER NOT NULL, source TEXT NOT NULL, covered_until TEXT NOT NULL,
        PRIMARY KEY (subscription_id, source)
    );
    CREATE TABLE followed (
        subscription_id INTEGER NOT NULL, researcher_id TEXT NOT NULL, paper_ids TEXT NOT NULL,
        PRIMARY KEY (subscription_id, researcher_id)
    );
    """,
    # 3: what an intended digest says, so one that stopped between its messages can be finished.
    """
    ALTER TABLE digests ADD COLUMN items TEXT;
    """,
    # 4: which messages of a digest split into several went out, recorded as each does.
    """
    CREATE TABLE digest_parts (
        digest_id TEXT NOT NULL, part INTEGER NOT NULL, message_id INTEGER NOT NULL, posted_at TEXT NOT NULL,
        PRIMARY KEY (digest_id, part)
    );
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
    #: Failed posts in a row, and when the next attempt may be made (back-off).
    failures: int = 0
    retry_at: datetime | None = None


@dataclass(frozen=True)
class PendingDigest:
    """A digest recorded as intended but not (yet) known to be posted."""

    id: str
    subscription_id: int
    channel_id: int
    due_at: datetime
    paper_ids: tuple[str, ...]
    created_at: datetime
    #: The digest as it was built (None for intents written before schema 3).
    items: tuple[Ranked, ...] | None = None
    problems: tuple[str, ...] = ()
    #: The parts recorded as posted: part index (0-based) -> message id.
    parts: dict[int, int] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: sqlite3.Row, parts: dict[int, int] | None = None) -> PendingDigest:
        """Build one from a `digests` row (and its recorded parts)."""
        ids = tuple(json.loads(row["paper_ids"]))
        due, created = _dt(row["due_at"]), _dt(row["created_at"])
        items, problems = _items_from_json(row["items"])
        return cls(
            row["id"], row["subscription_id"], row["channel_id"], due, ids, created, items, problems,
            dict(parts or {}),
        )  # fmt: skip

    def digest(self) -> Digest | None:
        """The digest this intent recorded, to finish posting it; None when the row predates that."""
        if self.items is None:
            return None
        return Digest(self.id, self.subscription_id, self.channel_id, self.due_at, self.items, self.problems)

    @property
    def marker(self) -> str:
        """The marker the posted message carries (the same text as `Digest.marker`)."""
        return Digest(self.id, self.subscription_id, self.channel_id, self.due_at, items=()).marker


class DigestState(SQLiteFile):
    """The digest database: open it once per process, close it on shutdown."""

    class NotFound(ScholarbotError):
        """A digest or subscription id is not in the database."""

    MIGRATIONS = _MIGRATIONS
    KIND = "digest"

    # --- subscriptions ------------------------------------------------------------------------

    def add_subscription(
        self,
        sub: Subscription,
        *,
        created_at: datetime | None = None,
        followed: dict[str, tuple[str, ...]] | None = None,
    ) -> Subscription:
        """Store `sub` (its `id` is ignored; pass 0) and return it with the id it was given.

        `followed` maps each of `sub.researcher_ids` to paper ids of that researcher at subscription
        time: they keep identifying the person when re-resolution gives them another store id.
        """
        params = _subscription_params(sub)
        params["created_at"] = _ts(created_at or datetime.now(UTC))
        # Column names come from the Subscription dataclass, never from input; values are all bound.
        columns = ", ".join(params)
        values = ", ".join(f":{name}" for name in params)
        with self._transaction() as db:
            cursor = db.execute(f"INSERT INTO subscriptions ({columns}) VALUES ({values})", params)
            assert cursor.lastrowid is not None
            db.executemany(
                "INSERT INTO followed (subscription_id, researcher_id, paper_ids) VALUES (?, ?, ?)",
                [(cursor.lastrowid, rid, json.dumps(list(ids))) for rid, ids in (followed or {}).items()],
            )
        return replace(sub, id=cursor.lastrowid)

    def followed(self, subscription_id: int) -> dict[str, tuple[str, ...]]:
        """The papers that identified each followed researcher when the subscription was made."""
        rows = self._query(
            "SELECT researcher_id, paper_ids FROM followed WHERE subscription_id = ?", (subscription_id,)
        )
        return {row[0]: tuple(json.loads(row[1])) for row in rows}

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
        rows = self._query(f"SELECT * FROM subscriptions{where} ORDER BY id", params)
        return [_subscription(row) for row in rows]

    def get_subscription(self, subscription_id: int) -> Subscription | None:
        """Return one subscription, or None when there is no such id."""
        rows = self._query("SELECT * FROM subscriptions WHERE id = ?", (subscription_id,))
        return _subscription(rows[0]) if rows else None

    def remove_subscription(self, subscription_id: int, channel_id: int) -> bool:
        """Delete a subscription if it belongs to `channel_id`; return whether one was deleted."""
        # Requiring the channel stops `/unsubscribe 12` in one channel from removing another's digest.
        with self._transaction() as db:
            cursor = db.execute(
                "DELETE FROM subscriptions WHERE id = ? AND channel_id = ?", (subscription_id, channel_id)
            )
            if cursor.rowcount:
                for table in ("source_marks", "followed"):  # fixed names, not input
                    db.execute(f"DELETE FROM {table} WHERE subscription_id = ?", (subscription_id,))
        return cursor.rowcount > 0

    def update_subscription(
        self,
        subscription_id: int,
        channel_id: int,
        /,
        *,
        followed: dict[str, tuple[str, ...]] | None = None,
        **changes: Any,
    ) -> Subscription | None:
        """Change a subscription of `channel_id` in place (what it follows, its schedule, its limits).

        Its id, what the channel was sent, where each source was read to and when it last ran stay,
        so an edit neither repeats papers nor loses its place in the schedule. Changing the researchers
        (`researcher_ids` and `researcher_names`) needs `followed`, as for `add_subscription`. Returns
        the updated subscription, or None when the channel has no such subscription.
        """
        fixed = {"guild_id", "channel_id", "created_by", "paused"}
        if bad := sorted(set(changes) - (set(_SUBSCRIPTION_FIELDS) - fixed)):
            raise ValueError(f"these cannot be edited: {', '.join(bad)}")
        people = {"researcher_ids", "researcher_names"}
        if (followed is not None or people & set(changes)) and not (
            people <= set(changes) and followed is not None
        ):
            raise ValueError("researchers change together: researcher_ids, researcher_names and followed")
        with self._transaction() as db:
            row = db.execute(
                "SELECT * FROM subscriptions WHERE id = ? AND channel_id = ?", (subscription_id, channel_id)
            ).fetchone()
            if row is None:
                return None
            updated = replace(_subscription(row), **changes)
            params = {name: value for name, value in _subscription_params(updated).items() if name in changes}
            if params:
                # Column names come from the Subscription dataclass (checked above), values are bound.
                assignments = ", ".join(f"{name} = :{name}" for name in params)
                db.execute(
                    f"UPDATE subscriptions SET {assignments} WHERE id = :id",
                    {**params, "id": subscription_id},
                )
            if followed is not None:
                db.execute("DELETE FROM followed WHERE subscription_id = ?", (subscription_id,))
                db.executemany(
                    "INSERT INTO followed (subscription_id, researcher_id, paper_ids) VALUES (?, ?, ?)",
                    [(subscription_id, rid, json.dumps(list(ids))) for rid, ids in followed.items()],
                )
        return updated

    def pause(self, subscription_id: int, reason: str) -> None:
        """Stop posting a subscription until `resume`; `reason` is shown by /digest list."""
        with self._transaction() as db:
            db.execute("UPDATE subscriptions SET paused = ? WHERE id = ?", (reason, subscription_id))

    def resume(self, subscription_id: int, channel_id: int) -> bool:
        """Post a paused subscription again, with its failures forgiven; return whether it was found."""
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE subscriptions SET paused = NULL, failures = 0, retry_at = NULL"
                " WHERE id = ? AND channel_id = ?",
                (subscription_id, channel_id),
            )
        return cursor.rowcount > 0

    def nudge_threshold(
        self, subscription_id: int, by: float, low: float, high: float
    ) -> tuple[float, float] | None:
        """Move a subscription's threshold by `by`, kept within [low, high] (readers' votes tune it).

        Returns (before, after), or None when the subscription is gone. One statement, so two votes
        at once both count.
        """
        with self._transaction() as db:
            row = db.execute(
                "SELECT threshold FROM subscriptions WHERE id = ?", (subscription_id,)
            ).fetchone()
            if row is None:
                return None
            before = float(row["threshold"])
            # A threshold a manager set outside the range stays put rather than jumping into it.
            after = before + by
            after = min(after, max(before, high)) if by > 0 else max(after, min(before, low))
            after = round(after, 4)
            db.execute("UPDATE subscriptions SET threshold = ? WHERE id = ?", (after, subscription_id))
        return before, after

    def record_failure(self, subscription_id: int, retry_at: datetime) -> int:
        """Count a failed post and wait until `retry_at` before the next; return the failures in a row."""
        with self._transaction() as db:
            db.execute(
                "UPDATE subscriptions SET failures = failures + 1, retry_at = ? WHERE id = ?",
                (_ts(retry_at), subscription_id),
            )
            row = db.execute("SELECT failures FROM subscriptions WHERE id = ?", (subscription_id,)).fetchone()
        return int(row[0]) if row else 0

    def source_marks(self, subscription_id: int) -> dict[str, datetime]:
        """Per source, the instant up to which it was last read successfully for this subscription."""
        rows = self._query(
            "SELECT source, covered_until FROM source_marks WHERE subscription_id = ?", (subscription_id,)
        )
        return {row[0]: _dt(row[1]) for row in rows}

    def marks(self, subscription_id: int) -> RunMarks:
        """Return when a subscription was created and which due instant it last covered."""
        rows = self._query(
            "SELECT created_at, last_run_at, failures, retry_at FROM subscriptions WHERE id = ?",
            (subscription_id,),
        )
        if not rows:
            raise DigestState.NotFound(f"No digest subscription {subscription_id!r}.")
        row = rows[0]
        last, retry = row["last_run_at"], row["retry_at"]
        return RunMarks(
            _dt(row["created_at"]),
            None if last is None else _dt(last),
            int(row["failures"]),
            None if retry is None else _dt(retry),
        )

    # --- sending ------------------------------------------------------------------------------

    def already_sent(self, channel_id: int, paper_ids: Iterable[str]) -> set[str]:
        """Return those of `paper_ids` that some digest already sent to `channel_id`."""
        wanted = list(dict.fromkeys(paper_ids))
        found: set[str] = set()
        # Chunked: SQLite caps bound parameters per statement (32766 by default, 999 on old builds).
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = self._query(
                f"SELECT paper_id FROM sent WHERE channel_id = ? AND paper_id IN ({marks})",
                [channel_id, *chunk],
            )
            found.update(row[0] for row in rows)
        return found

    def record_intent(
        self,
        digest: Digest,
        *,
        at: datetime | None = None,
        source_marks: dict[str, datetime] | None = None,
    ) -> bool:
        """Claim `digest` for posting: True when this call recorded it, False when a row already exists.

        Insert-or-nothing: two runners building the same due digest (same id) race here, and only
        the winner may post. A leftover intent from a crash is settled by reconcile, never overwritten.
        `source_marks` are applied with the post: the sources read successfully for this digest.
        """
        d, created = digest, _ts(at or datetime.now(UTC))
        paper_ids = json.dumps([item.paper.id for item in d.items])
        marks = json.dumps({name: _ts(when) for name, when in (source_marks or {}).items()})
        items = _items_to_json(d)
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO digests (id, subscription_id, channel_id, due_at, status, message_id, paper_ids,"
                " created_at, posted_at, source_marks, items)"
                " VALUES (?, ?, ?, ?, 'intent', NULL, ?, ?, NULL, ?, ?) ON CONFLICT (id) DO NOTHING",
                (d.id, d.subscription_id, d.channel_id, _ts(d.due_at), paper_ids, created, marks, items),
            )
        return cursor.rowcount == 1

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
            _advance(db, row["subscription_id"], row["due_at"], json.loads(row["source_marks"]))
            db.execute(
                "UPDATE subscriptions SET failures = 0, retry_at = NULL WHERE id = ?",
                (row["subscription_id"],),
            )

    def record_empty_run(
        self, subscription_id: int, due_at: datetime, source_marks: dict[str, datetime] | None = None
    ) -> None:
        """Advance a subscription past `due_at` when nothing was worth sending."""
        marks = {name: _ts(when) for name, when in (source_marks or {}).items()}
        with self._transaction() as db:
            _advance(db, subscription_id, _ts(due_at), marks)

    def pending_intents(self) -> list[PendingDigest]:
        """Return digests recorded as intended but not marked posted, oldest due first."""
        with self._lock:  # one snapshot of both tables
            rows = self._query("SELECT * FROM digests WHERE status = 'intent' ORDER BY due_at, id")
            parts: dict[str, dict[int, int]] = {}
            for p in self._query(
                "SELECT p.digest_id, p.part, p.message_id FROM digest_parts p"
                " JOIN digests d ON d.id = p.digest_id WHERE d.status = 'intent'"
            ):
                parts.setdefault(p[0], {})[int(p[1])] = int(p[2])
        return [PendingDigest.from_row(row, parts.get(row["id"])) for row in rows]

    def record_part(self, digest_id: str, part: int, message_id: int, at: datetime | None = None) -> None:
        """Record that part `part` (0-based) of an intended digest is in the channel as `message_id`."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO digest_parts (digest_id, part, message_id, posted_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (digest_id, part) DO NOTHING",  # the first message of a part stays its own
                (digest_id, part, message_id, _ts(at or datetime.now(UTC))),
            )

    def posted_parts(self, digest_id: str) -> dict[int, int]:
        """The parts of a digest recorded as posted: part index -> message id."""
        rows = self._query("SELECT part, message_id FROM digest_parts WHERE digest_id = ?", (digest_id,))
        return {int(row[0]): int(row[1]) for row in rows}

    def drop_intent(self, digest_id: str) -> None:
        """Forget an intent that never went out, so the next run builds and posts it afresh.

        An intent with a part recorded as posted did go out (in part): it stays, to be finished.
        """
        with self._transaction() as db:
            db.execute(
                "DELETE FROM digests WHERE id = ? AND status = 'intent'"
                " AND NOT EXISTS (SELECT 1 FROM digest_parts WHERE digest_id = ?)",
                (digest_id, digest_id),
            )


def _advance(db: sqlite3.Connection, subscription_id: int, due_at: str, marks: dict[str, str]) -> None:
    # Only forward: reconciling an old intent after a newer run must not rewind the schedule.
    db.execute(
        "UPDATE subscriptions SET last_run_at = ? WHERE id = ? AND (last_run_at IS NULL OR last_run_at < ?)",
        (due_at, subscription_id, due_at),
    )
    # A source's mark moves forward only, like the schedule; a source that failed keeps its old mark
    # (or gets the window start it was asked for), so the next run asks it for that window again.
    db.executemany(
        "INSERT INTO source_marks (subscription_id, source, covered_until) VALUES (?, ?, ?)"
        " ON CONFLICT (subscription_id, source) DO UPDATE SET covered_until = excluded.covered_until"
        " WHERE excluded.covered_until > source_marks.covered_until",
        [(subscription_id, name, when) for name, when in marks.items()],
    )


def _items_to_json(digest: Digest) -> str:
    """What the digest's messages show, enough to render them again (not the papers' whole records)."""
    items = [
        {
            "id": p.id, "title": p.title, "authors": [a.name for a in p.authors], "year": p.year,
            "venue": p.venue, "url": p.url or p.pdf_url, "authors_complete": p.authors_complete,
            "authors_omitted": p.authors_omitted, "score": item.score, "reason": item.reason,
        }
        for item in digest.items
        for p in (item.paper,)
    ]  # fmt: skip
    return json.dumps({"items": items, "problems": list(digest.problems)})


def _items_from_json(text: str | None) -> tuple[tuple[Ranked, ...] | None, tuple[str, ...]]:
    if not text:
        return None, ()
    data = json.loads(text)
    items = tuple(
        Ranked(
            Paper(
                id=i["id"], title=i["title"], authors=tuple(Author(n) for n in i["authors"]), year=i["year"],
                venue=i["venue"], url=i["url"], authors_complete=i["authors_complete"],
                authors_omitted=i["authors_omitted"],
            ),
            float(i["score"]),
            str(i["reason"]),
        )
        for i in data["items"]
    )  # fmt: skip
    return items, tuple(data.get("problems") or ())


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
