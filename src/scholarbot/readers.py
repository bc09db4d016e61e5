"""What readers keep and say: each user's reading list, and votes on digest items.

One small SQLite file beside the digest state. Votes are kept one per user, paper and subscription,
so clicking 👎 twice, or changing one's mind, never counts twice; the caller turns the change of a
vote into a nudge of the subscription's threshold (see `Vote.delta`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from scholarbot.errors import ScholarbotError
from scholarbot.records import Paper
from scholarbot.sqlite_file import SQLiteFile

DEFAULT_FILENAME = "readers.sqlite3"
#: A reading list longer than this refuses new papers (a runaway script, not a reader).
MAX_SAVED = 1000

_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE saved (
        user_id INTEGER NOT NULL, paper_id TEXT NOT NULL, title TEXT NOT NULL, url TEXT,
        venue TEXT, year INTEGER, saved_at TEXT NOT NULL,
        PRIMARY KEY (user_id, paper_id)
    );
    CREATE TABLE votes (
        subscription_id INTEGER NOT NULL, paper_id TEXT NOT NULL, user_id INTEGER NOT NULL,
        vote INTEGER NOT NULL CHECK (vote IN (-1, 1)), voted_at TEXT NOT NULL,
        PRIMARY KEY (subscription_id, paper_id, user_id)
    );
    """,
)

VoteKind = Literal["up", "down"]


@dataclass(frozen=True)
class SavedPaper:
    """A paper on a reading list, as it was when saved (digest papers may come from outside the store)."""

    paper_id: str
    title: str
    url: str | None
    venue: str | None
    year: int | None
    saved_at: datetime


@dataclass(frozen=True)
class Vote:
    """The outcome of a vote: `delta` is the change in the user's vote (-2..2; 0 when unchanged)."""

    delta: int
    ups: int
    downs: int


class ReadingListFull(ScholarbotError):
    """A user's reading list is at MAX_SAVED."""


class ReaderState(SQLiteFile):
    """Reading lists and votes in one SQLite file; safe to share between the bot's threads."""

    MIGRATIONS = _MIGRATIONS
    KIND = "readers"

    # --- reading lists ------------------------------------------------------------------------

    def save(self, user_id: int, paper: Paper, now: datetime | None = None) -> bool:
        """Add a paper to the user's list; False when it was there already."""
        now = now or datetime.now(UTC)
        with self._transaction() as db:
            if db.execute(
                "SELECT 1 FROM saved WHERE user_id = ? AND paper_id = ?", (user_id, paper.id)
            ).fetchone():
                return False
            if self.count(user_id) >= MAX_SAVED:
                raise ReadingListFull(
                    f"Your reading list holds {MAX_SAVED} papers, the most it keeps; "
                    "remove some with `/saved remove`."
                )
            db.execute(
                "INSERT INTO saved VALUES (?, ?, ?, ?, ?, ?, ?)",
                (user_id, paper.id, paper.title, paper.url or paper.pdf_url, paper.venue, paper.year,
                 now.isoformat()),
            )  # fmt: skip
            return True

    def unsave(self, user_id: int, paper_id: str) -> bool:
        """Remove a paper from the user's list; False when it was not there."""
        with self._transaction() as db:
            cur = db.execute("DELETE FROM saved WHERE user_id = ? AND paper_id = ?", (user_id, paper_id))
            return cur.rowcount > 0

    def count(self, user_id: int) -> int:
        """How many papers the user's list holds."""
        return int(self._query("SELECT COUNT(*) FROM saved WHERE user_id = ?", (user_id,))[0][0])

    def saved(self, user_id: int) -> list[SavedPaper]:
        """The user's list, most recently saved first."""
        rows = self._query(
            "SELECT * FROM saved WHERE user_id = ? ORDER BY saved_at DESC, rowid DESC", (user_id,)
        )
        return [
            SavedPaper(
                r["paper_id"],
                r["title"],
                r["url"],
                r["venue"],
                r["year"],
                datetime.fromisoformat(r["saved_at"]),
            )
            for r in rows
        ]

    # --- votes on digest items ----------------------------------------------------------------

    def vote(
        self, subscription_id: int, paper_id: str, user_id: int, kind: VoteKind, now: datetime | None = None
    ) -> Vote:
        """Record (or change) a user's vote on a digest item; the result says how much it moved."""
        value = 1 if kind == "up" else -1
        now = now or datetime.now(UTC)
        key = (subscription_id, paper_id, user_id)
        with self._transaction() as db:
            row = db.execute(
                "SELECT vote FROM votes WHERE subscription_id = ? AND paper_id = ? AND user_id = ?", key
            ).fetchone()
            before = row["vote"] if row else 0
            db.execute(
                "INSERT INTO votes VALUES (?, ?, ?, ?, ?) ON CONFLICT (subscription_id, paper_id, user_id) "
                "DO UPDATE SET vote = excluded.vote, voted_at = excluded.voted_at",
                (*key, value, now.isoformat()),
            )
            ups, downs = db.execute(
                "SELECT COALESCE(SUM(vote = 1), 0), COALESCE(SUM(vote = -1), 0) FROM votes "
                "WHERE subscription_id = ?",
                (subscription_id,),
            ).fetchone()
        return Vote(value - before, int(ups), int(downs))


def readers_path(digest_state_path: Path) -> Path:
    """The readers' file: beside the digest state, so one data folder holds all the bot writes."""
    return digest_state_path.with_name(DEFAULT_FILENAME)
