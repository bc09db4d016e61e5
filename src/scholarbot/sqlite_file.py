"""One SQLite file that the bot's threads, and other processes (cron), share safely.

The digest state and the readers' file are both this: WAL so a reader never waits for a writer, a
busy timeout that rides out another process's short lock, one lock so one thread's transaction never
interleaves with another's statements, and numbered migration scripts recorded in `user_version`.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar, Self

from scholarbot.errors import ScholarbotError


class SchemaTooNew(ScholarbotError):
    """The file was written by a newer scholarbot with a schema this one does not know."""


class SQLiteFile:
    """Subclasses set MIGRATIONS (script i takes a file from user_version i to i + 1) and KIND."""

    MIGRATIONS: ClassVar[tuple[str, ...]] = ()
    #: What the file holds, for messages ("digest", "readers").
    KIND: ClassVar[str] = "state"
    TooNew = SchemaTooNew

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: no implicit transactions; _transaction() says where each one starts and ends.
        # check_same_thread=False + one lock: the bot writes from worker threads (a SQLite write may
        # wait up to busy_timeout for a cron run's lock, which must not freeze the event loop), and
        # the lock keeps one thread's transaction from interleaving with another's statements.
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._lock = threading.RLock()
        self._db.row_factory = sqlite3.Row
        # WAL lets a CLI `digest --dry-run` read while the bot writes; busy_timeout rides out short locks.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._migrate()

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        # IMMEDIATE takes the write lock up front, so two processes cannot interleave read-then-write.
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        """Run a read and fetch every row, under the lock."""
        with self._lock:
            return self._db.execute(sql, tuple(params)).fetchall()

    def _migrate(self) -> None:
        known = len(self.MIGRATIONS)
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > known:
            raise SchemaTooNew(
                f"{self.path} has {self.KIND} schema {version}; this scholarbot knows up to {known}. "
                "Upgrade scholarbot or point it at another data directory."
            )
        for target in range(version + 1, known + 1):
            with self._transaction() as db:
                for statement in self.MIGRATIONS[target - 1].split(";"):
                    if statement.strip():
                        db.execute(statement)
                # PRAGMA takes no parameters; `target` is an int from range(), never user text.
                db.execute(f"PRAGMA user_version = {int(target)}")
