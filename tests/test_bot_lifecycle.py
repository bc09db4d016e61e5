"""The bot's life: SIGTERM (systemd, docker stop) closes it cleanly, files included."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from discord.http import Route

from scholarbot.bot.client import ScholarBot, serve
from scholarbot.config import Settings
from scholarbot.digest.state import DigestState
from scholarbot.readers import ReaderState

from discord_standin import DiscordStandIn


class _Digests:
    """Just what close() touches: the real state file, and the HTTP threads."""

    def __init__(self, path: Path) -> None:
        self.state = DigestState(path)
        self.closed = False

    def close(self) -> None:
        self.closed = True
        self.state.close()


@pytest.mark.skipif(not hasattr(signal, "SIGTERM") or os.name == "nt", reason="POSIX signals only")
def test_sigterm_closes_the_bot_and_its_files(tmp_path: Path) -> None:
    standin = DiscordStandIn()
    digests = _Digests(tmp_path / "digests.sqlite3")
    readers = ReaderState(tmp_path / "readers.sqlite3")
    answerer: Any = object()  # never asked anything here

    async def main() -> None:
        base = await standin.start()
        old = Route.BASE
        Route.BASE = base
        bot = ScholarBot(settings=Settings(), answerer=answerer, digests=digests, readers=readers)  # type: ignore[arg-type]

        async def start(token: str) -> None:  # the gateway, reduced to "run until closed"
            await bot.login(token)
            asyncio.get_running_loop().call_later(0.2, os.kill, os.getpid(), signal.SIGTERM)
            while not bot.is_closed():
                await asyncio.sleep(0.05)

        bot.start = start  # type: ignore[method-assign]
        try:
            await asyncio.wait_for(serve(bot, "not-a-real-token"), timeout=10)
        finally:
            Route.BASE = old
            await standin.stop()
        assert bot.is_closed()

    asyncio.run(main())
    assert digests.closed
    with pytest.raises(sqlite3.ProgrammingError):  # closed, not left for the process exit
        readers.saved(1)


def test_scholarbot_run_closes_the_store_after_the_bot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import discord
    from typer.testing import CliRunner

    from scholarbot import cli
    from scholarbot.bot import client
    from scholarbot.config import StoreSettings
    from scholarbot.services import Services
    from scholarbot.store.store import Store

    from fakes import HashChromaEF, HashEmbedder

    where = StoreSettings(path=tmp_path / "store")
    store = Store(where, HashChromaEF())
    svc = Services(Settings(store=where), HashEmbedder(), store, tmp_path / "index")  # type: ignore[arg-type]
    monkeypatch.setattr(cli, "_services", lambda settings: svc)
    monkeypatch.setattr(cli, "_answerer", lambda services: type("A", (), {"warm": lambda self: None})())
    monkeypatch.setattr(discord.utils, "setup_logging", lambda **kw: None)  # leave the test's logging be
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-real-token")
    seen: list[str] = []

    async def serve(bot: ScholarBot, token: str) -> None:  # the gateway, stopped at once (SIGTERM: above)
        await bot.close()
        seen.append("bot closed, store open" if not store.client._closed else "store closed by the bot")

    monkeypatch.setattr(client, "serve", serve)
    result = CliRunner().invoke(cli.app, ["run", "--store", str(where.path)])
    assert result.exit_code == 0, result.output
    assert seen == ["bot closed, store open"]  # the bot does not own the store; `run` does
    assert store.client._closed  # Chroma's SQLite connections and file locks released
