"""A loopback stand-in for Discord's REST API, speaking its real routes and payload shapes.

discord.py is pointed at it (Route.BASE), so commands run through the real library, HTTP client
and serialisation; every request is recorded for assertions. No gateway is involved: tests feed
interactions and messages built from real payload shapes straight to the bot.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

APP_ID = 881000000000000001
BOT_ID = 881000000000000002
GUILD_ID = 881000000000000400
CHANNEL_ID = 881000000000000500

BOT_USER = {"id": str(BOT_ID), "username": "scholarbot", "discriminator": "0", "avatar": None, "bot": True}
_ids = itertools.count(900000000000000000)


@dataclass
class Sent:
    """One request the bot made."""

    method: str
    path: str
    payload: dict[str, Any]
    files: list[str] = field(default_factory=list)


class DiscordStandIn:
    """Records requests and answers them the way Discord does."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.synced_commands: list[dict[str, Any]] = []
        self.threads: list[dict[str, Any]] = []
        self.runner: web.AppRunner | None = None
        self.base = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/v10/{tail:.*}", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}/api/v10"
        return self.base

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    # --- requests -------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        payload, files = await _read_body(request)
        self.sent.append(Sent(request.method, path, payload, files))
        if path == "/users/@me":
            return _json(BOT_USER)
        if path == "/oauth2/applications/@me":
            return _json(_application())
        if (
            path.startswith(f"/applications/{APP_ID}/")
            and path.endswith("/commands")
            and request.method == "PUT"
        ):
            self.synced_commands = payload if isinstance(payload, list) else []
            return _json(
                [
                    {**c, "id": str(next(_ids)), "application_id": str(APP_ID), "version": "1"}
                    for c in self.synced_commands
                ]
            )
        if path.startswith("/interactions/") and path.endswith("/callback"):
            # discord.py asks ?with_response=true and reads an interaction callback response.
            kind = payload.get("type") if isinstance(payload, dict) else None
            flags = (payload.get("data") or {}).get("flags", 0) if isinstance(payload, dict) else 0
            return _json(
                {
                    "interaction": {
                        "id": path.split("/")[2],
                        "type": 2,
                        "response_message_id": str(next(_ids)),
                        "response_message_loading": kind == 5,
                        "response_message_ephemeral": bool(flags & 64),
                    }
                }
            )
        if path.startswith(f"/webhooks/{APP_ID}/") or (
            path.startswith("/channels/") and path.endswith("/messages")
        ):
            channel = path.split("/")[2] if path.startswith("/channels/") else str(CHANNEL_ID)
            return _json(_message(payload, channel))
        if path.endswith("/typing"):
            return web.Response(status=204)
        if "/threads" in path:
            self.threads.append(_thread(path.split("/")[2], payload.get("name", "thread")))
            return _json(self.threads[-1])
        return _json({"message": "404: Not Found", "code": 0}, status=404)

    # --- what tests look at ---------------------------------------------------------------------

    def messages(self) -> list[Sent]:
        """Messages posted (follow-ups, channel messages, and interaction responses that carry content)."""
        out = []
        for s in self.sent:
            if s.method != "POST":
                continue
            if s.path.startswith(f"/webhooks/{APP_ID}/") or s.path.endswith("/messages"):
                out.append(s)
            elif s.path.endswith("/callback") and s.payload.get("type") == 4:
                out.append(Sent(s.method, s.path, s.payload.get("data", {}), s.files))
        return out

    def callbacks(self) -> list[dict[str, Any]]:
        return [s.payload for s in self.sent if s.path.endswith("/callback")]


def _json(data: Any, status: int = 200) -> web.Response:
    # Exactly "application/json": discord.py compares the header verbatim and treats anything
    # else (aiohttp's default adds "; charset=utf-8") as text.
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"}
    )


async def _read_body(request: web.Request) -> tuple[Any, list[str]]:
    if request.content_type.startswith("multipart/"):
        payload: Any = {}
        files: list[str] = []
        reader = await request.multipart()
        async for part in reader:
            if part.name == "payload_json":  # type: ignore[union-attr]
                payload = json.loads(await part.text())  # type: ignore[union-attr]
            else:
                files.append(part.filename or "")  # type: ignore[union-attr]
                await part.read()  # type: ignore[union-attr]
        return payload, files
    if request.can_read_body:
        text = await request.text()
        return (json.loads(text) if text else {}), []
    return {}, []


def _application() -> dict[str, Any]:
    return {
        "id": str(APP_ID),
        "name": "scholarbot",
        "icon": None,
        "description": "",
        "rpc_origins": [],
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": {**BOT_USER, "id": "881000000000000009", "bot": False, "username": "lab-admin"},
        "summary": "",
        "verify_key": "0" * 64,
        "flags": 0,
        "interactions_endpoint_url": None,
    }


def _message(payload: dict[str, Any], channel_id: str) -> dict[str, Any]:
    return message_payload(
        channel_id,
        BOT_USER,
        payload.get("content") or "",
        embeds=payload.get("embeds") or [],
        flags=payload.get("flags", 0),
    )


def message_payload(
    channel_id: str | int,
    author: dict[str, Any],
    content: str,
    *,
    embeds: list[Any] | None = None,
    flags: int = 0,
) -> dict[str, Any]:
    """A message object as Discord returns and dispatches it."""
    return {
        "id": str(next(_ids)),
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": "2026-11-22T12:00:00.000000+00:00",
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": embeds or [],
        "pinned": False,
        "type": 0,
        "flags": flags,
    }


def _thread(parent_id: str, name: str) -> dict[str, Any]:
    return {
        "id": str(next(_ids)),
        "type": 11,
        "guild_id": str(GUILD_ID),
        "parent_id": parent_id,
        "owner_id": str(BOT_ID),
        "name": name,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "message_count": 0,
        "member_count": 1,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": "2026-11-22T12:00:00.000000+00:00",
            "locked": False,
        },
    }


def user(uid: int = 42, name: str = "alice") -> dict[str, Any]:
    return {
        "id": str(uid),
        "username": name,
        "discriminator": "0",
        "avatar": None,
        "global_name": name.title(),
    }


def command_interaction(
    command: str, options: dict[str, Any], *, command_id: int = 1, uid: int = 42, guild: bool = True
) -> dict[str, Any]:
    """An APPLICATION_COMMAND interaction payload as Discord sends it."""
    data: dict[str, Any] = {
        "id": str(next(_ids)),
        "application_id": str(APP_ID),
        "type": 2,
        "token": f"itoken-{next(_ids)}",
        "version": 1,
        "channel_id": str(CHANNEL_ID),
        "app_permissions": "2147483647",
        "attachment_size_limit": 10485760,
        "context": 0,
        "locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {},
        "data": {
            "id": str(command_id),
            "name": command,
            "type": 1,
            "options": [{"type": 3, "name": k, "value": v} for k, v in options.items()],
        },
    }
    if guild:
        data["guild_id"] = str(GUILD_ID)
        data["channel"] = {
            "id": str(CHANNEL_ID),
            "type": 0,
            "guild_id": str(GUILD_ID),
            "name": "reading-group",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
        }
        data["guild_locale"] = "en-US"
        data["member"] = {
            "user": user(uid),
            "roles": [],
            "joined_at": "2024-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "permissions": "2147483647",
            "flags": 0,
        }
    else:
        data["user"] = user(uid)
    return data


def dm_message(content: str, *, channel_id: int = 700, uid: int = 42) -> dict[str, Any]:
    """A MESSAGE_CREATE payload for a direct message to the bot."""
    return message_payload(channel_id, user(uid), content)
