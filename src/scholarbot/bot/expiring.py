"""What the bot remembers in memory for a while: conversations, the queries behind "Next" buttons."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Expiring(Generic[K, V]):
    """A mapping whose entries are forgotten `ttl_s` after they were last written, `most` at most.

    Past `most`, the least recently written entry goes first, so memory stays bounded however many
    users the bot serves.
    """

    def __init__(self, ttl_s: float, most: int) -> None:
        self.ttl_s = ttl_s
        self.most = most
        self._items: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K, now: float | None = None) -> V | None:
        """The value, or None when there is none or it expired."""
        now = time.monotonic() if now is None else now
        found = self._items.get(key)
        if found is None or now - found[0] > self.ttl_s:
            self._items.pop(key, None)
            return None
        return found[1]

    def put(self, key: K, value: V, now: float | None = None) -> None:
        """Remember `value`, its clock restarted."""
        self._items[key] = (time.monotonic() if now is None else now, value)
        self._items.move_to_end(key)
        while len(self._items) > self.most:
            self._items.popitem(last=False)
