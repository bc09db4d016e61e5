"""A loopback stand-in for Discord's REST API that enforces Discord's rules, not kinder ones.

discord.py is pointed at it (Route.BASE), so commands run through the real library, HTTP client and
serialisation; every request is recorded for assertions. No gateway connection: `deliver` hands the
bot a MESSAGE_CREATE the way the gateway would, after applying the message-content rule.

Rules enforced, each as Discord documents it (SEE: links at each rule):
- without the message-content intent, guild messages that do not mention the app arrive empty;
- the first follow-up after a deferred response edits the "thinking" message and keeps the
  deferral's visibility (its own ephemeral flag is ignored);
- over-limit payloads are refused with Discord's 400 "Invalid Form Body" bodies;
- channel history needs View Channel (else 403) and Read Message History (else an empty list);
- sending needs Send Messages (Send Messages in Threads in a thread); unknown channels are 404;
- `nonce` + `enforce_nonce`: the same nonce from the same author within minutes returns the first
  message and creates none.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import parse_qs

from aiohttp import web
from discord.http import Route

APP_ID = 881000000000000001
BOT_ID = 881000000000000002
OWNER_ID = 881000000000000009
GUILD_ID = 881000000000000400
BOT_ROLE_ID = 881000000000000401
CHANNEL_ID = 881000000000000500
DM_CHANNEL_ID = 700

# SEE: https://discord.com/developers/docs/topics/permissions#permissions-bitwise-permission-flags
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MANAGE_CHANNELS = 1 << 4
CREATE_PUBLIC_THREADS = 1 << 35
SEND_MESSAGES_IN_THREADS = 1 << 38
#: What the bot's role grants in the stand-in's guild unless a test takes some away.
BOT_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | CREATE_PUBLIC_THREADS
    | SEND_MESSAGES_IN_THREADS
)
EPHEMERAL = 1 << 6
LOADING = 1 << 7
#: SEE: https://discord.com/developers/docs/resources/application#application-object-application-flags
GATEWAY_MESSAGE_CONTENT = 1 << 18
GATEWAY_MESSAGE_CONTENT_LIMITED = 1 << 19
#: How long Discord remembers a nonce. Its docs say "the past few minutes"; the stand-in keeps the
#: low end, so no test can pass by leaning on a longer window than Discord promises.
NONCE_WINDOW = timedelta(minutes=2)
DISCORD_EPOCH_MS = 1420070400000

BOT_USER = {"id": str(BOT_ID), "username": "scholarbot", "discriminator": "0", "avatar": None, "bot": True}
_sequence = itertools.count(1)


#: How long Discord waits for the first response to an interaction.
ACK_DEADLINE = timedelta(seconds=3)


def snowflake(at: datetime | None = None) -> int:
    """A fresh id whose timestamp is `at` (now by default), as Discord mints them."""
    ms = int((at or datetime.now(UTC)).timestamp() * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) | (next(_sequence) & 0x3FFFFF)


def snowflake_time(value: int | str) -> datetime:
    return datetime.fromtimestamp(((int(value) >> 22) + DISCORD_EPOCH_MS) / 1000, UTC)


@dataclass
class Sent:
    """One request the bot made; for messages, `ephemeral` is what users saw, not what was asked."""

    method: str
    path: str
    payload: dict[str, Any]
    files: list[str] = field(default_factory=list)
    status: int = 200
    ephemeral: bool = False
    #: The request edited the deferred "thinking" message instead of creating a new one.
    edited_original: bool = False
    #: What the stand-in answered (a message object for message requests).
    response: Any = None


@dataclass
class Channel:
    """A channel of the stand-in's guild (or a thread in it)."""

    id: int
    name: str = "reading-group"
    type: int = 0  # 0 text, 11 public thread, 1 DM
    parent_id: int | None = None
    owner_id: int | None = None
    #: Permission bits a member overwrite takes away from the bot here.
    bot_deny: int = 0


@dataclass
class _Interaction:
    deferred: bool = False
    deferred_ephemeral: bool = False
    #: The deferred message still shows "thinking" (no follow-up has edited it, nobody deleted it).
    thinking: bool = False
    original: dict[str, Any] | None = None


def _form_error(path: list[str], code: str, message: str) -> dict[str, Any]:
    node: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for key in reversed(path):
        node = {key: node}
    return node


def _merge(into: dict[str, Any], other: dict[str, Any]) -> None:
    for key, value in other.items():
        if key in into and isinstance(into[key], dict) and isinstance(value, dict):
            _merge(into[key], value)
        else:
            into[key] = value


def form_errors(payload: dict[str, Any]) -> dict[str, Any]:
    """Discord's `errors` object for a message payload that breaks a size limit ({} when none does).

    SEE: https://discord.com/developers/docs/resources/message#embed-object-embed-limits
    SEE: https://discord.com/developers/docs/resources/message#create-message (content, 10 embeds)
    """
    errors: dict[str, Any] = {}

    def too_long(path: list[str], value: Any, limit: int) -> None:
        if isinstance(value, str) and len(value) > limit:
            _merge(errors, _form_error(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."))

    too_long(["content"], payload.get("content"), 2000)
    nonce = payload.get("nonce")
    if nonce is not None and len(str(nonce)) > 25:
        _merge(errors, _form_error(["nonce"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."))
    embeds = payload.get("embeds") or []
    if len(embeds) > 10:
        _merge(errors, _form_error(["embeds"], "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length."))
    total = 0
    for i, embed in enumerate(embeds):
        at = ["embeds", str(i)]
        for key, limit in (("title", 256), ("description", 4096)):
            too_long([*at, key], embed.get(key), limit)
            total += len(embed.get(key) or "")
        footer, author = embed.get("footer") or {}, embed.get("author") or {}
        too_long([*at, "footer", "text"], footer.get("text"), 2048)
        too_long([*at, "author", "name"], author.get("name"), 256)
        total += len(footer.get("text") or "") + len(author.get("name") or "")
        fields = embed.get("fields") or []
        if len(fields) > 25:
            _merge(
                errors,
                _form_error([*at, "fields"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."),
            )
        for j, f in enumerate(fields):
            too_long([*at, "fields", str(j), "name"], f.get("name"), 256)
            too_long([*at, "fields", str(j), "value"], f.get("value"), 1024)
            total += len(f.get("name") or "") + len(f.get("value") or "")
    if total > 6000:
        # The sum over every embed of the message, not per embed.
        _merge(
            errors,
            _form_error(["embeds"], "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"),
        )
    _merge(errors, component_errors(payload.get("components") or []))
    return errors


def component_errors(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Discord's errors for message components (action rows of buttons or one select menu).

    SEE: https://discord.com/developers/docs/components/reference
    """
    errors: dict[str, Any] = {}

    def bad(path: list[str], code: str, message: str) -> None:
        _merge(errors, _form_error(path, code, message))

    if len(rows) > 5:
        bad(["components"], "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    seen: set[str] = set()
    for i, row in enumerate(rows):
        at = ["components", str(i)]
        items = row.get("components") or []
        selects = [c for c in items if c.get("type") in (3, 5, 6, 7, 8)]
        if row.get("type") != 1 or not items or len(items) > 5 or (selects and len(items) > 1):
            bad(at, "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "The specified component exceeds the maximum width")
        for j, c in enumerate(items):
            cat = [*at, "components", str(j)]
            cid = c.get("custom_id")
            if c.get("type") != 2 or c.get("style") != 5:  # every component but a link button has an id
                if not isinstance(cid, str) or not 1 <= len(cid) <= 100:
                    bad([*cat, "custom_id"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
                elif cid in seen:
                    bad(
                        [*cat, "custom_id"],
                        "COMPONENT_CUSTOM_ID_DUPLICATED",
                        "Component custom id cannot be duplicated",
                    )
                seen.add(str(cid))
            if c.get("type") == 2 and len(c.get("label") or "") > 80:
                bad([*cat, "label"], "BASE_TYPE_MAX_LENGTH", "Must be 80 or fewer in length.")
            if c.get("type") == 3:
                options = c.get("options") or []
                if not 1 <= len(options) <= 25:
                    bad([*cat, "options"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 25 in length.")
                if len(c.get("placeholder") or "") > 150:
                    bad([*cat, "placeholder"], "BASE_TYPE_MAX_LENGTH", "Must be 150 or fewer in length.")
                values = [o.get("value") for o in options]
                if len(set(values)) != len(values):
                    bad(
                        [*cat, "options"],
                        "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED",
                        "Option values must be unique",
                    )
                for k, o in enumerate(options):
                    for key in ("label", "value", "description"):
                        value = o.get(key)
                        if value is not None and not 1 <= len(value) <= 100:
                            bad(
                                [*cat, "options", str(k), key],
                                "BASE_TYPE_BAD_LENGTH",
                                "Must be between 1 and 100 in length.",
                            )
    return errors


def _invalid_form(errors: dict[str, Any]) -> web.Response:
    return _json({"message": "Invalid Form Body", "code": 50035, "errors": errors}, status=400)


def _is_empty(payload: dict[str, Any], files: list[str]) -> bool:
    return not (
        payload.get("content")
        or payload.get("embeds")
        or payload.get("components")
        or payload.get("sticker_ids")
        or payload.get("poll")
        or files
    )


class DiscordStandIn:
    """Records requests and answers them the way Discord does, rules included."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.synced_commands: list[dict[str, Any]] = []
        self.synced_where: list[str] = []
        self.threads: list[dict[str, Any]] = []
        self.runner: web.AppRunner | None = None
        self.base = ""
        #: The stand-in's clock (message ids, timestamps, nonce windows); None is the real time.
        self.now: datetime | None = None
        self.channels: dict[int, Channel] = {
            CHANNEL_ID: Channel(CHANNEL_ID),
            DM_CHANNEL_ID: Channel(DM_CHANNEL_ID, name="dm", type=1, owner_id=42),
        }
        #: Every message in each channel, oldest first, as Discord stores them.
        self.history: dict[int, list[dict[str, Any]]] = {}
        #: Application flags (the message-content intent is granted in the developer portal).
        self.app_flags = 0
        #: Seconds to wait before creating a channel message (to let two runners race).
        self.post_delay = 0.0
        #: Responses to give the next channel-message POSTs instead of creating one: (status, body).
        self.fail_posts: list[tuple[int, dict[str, Any]]] = []
        #: Users whose DMs are closed to the bot.
        self.closed_dms: set[int] = set()
        self.gateway: Any = None
        self._interactions: dict[str, _Interaction] = {}
        self._nonces: dict[tuple[int, str], tuple[dict[str, Any], datetime]] = {}
        self._dms: dict[int, int] = {}

    # --- lifecycle ----------------------------------------------------------------------------

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

    def clock(self) -> datetime:
        return self.now or datetime.now(UTC)

    # --- the guild as the gateway and REST describe it ----------------------------------------

    def permissions(self, channel_id: int) -> int:
        """The bot's effective permissions in a channel (threads follow their parent)."""
        channel = self.channels.get(channel_id)
        if channel is None:
            return 0
        if channel.type == 1:
            return VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY
        deny = channel.bot_deny
        if channel.parent_id is not None and channel.parent_id in self.channels:
            deny |= self.channels[channel.parent_id].bot_deny
        perms = BOT_PERMISSIONS & ~deny
        return perms if perms & VIEW_CHANNEL else 0

    def channel_payload(self, channel_id: int) -> dict[str, Any]:
        c = self.channels[channel_id]
        if c.type == 1:
            return {"id": str(c.id), "type": 1, "recipients": [user(c.owner_id or 42)]}
        if c.type == 11:
            return _thread(c.parent_id or CHANNEL_ID, c.name, c.id)
        overwrites = []
        if c.bot_deny:
            overwrites.append({"id": str(BOT_ID), "type": 1, "allow": "0", "deny": str(c.bot_deny)})
        return {
            "id": str(c.id),
            "type": c.type,
            "guild_id": str(GUILD_ID),
            "name": c.name,
            "position": 0,
            "permission_overwrites": overwrites,
            "nsfw": False,
            "parent_id": None,
        }

    def guild_payload(self) -> dict[str, Any]:
        roles = [
            _role(GUILD_ID, "@everyone", 0),
            _role(BOT_ROLE_ID, "scholarbot", BOT_PERMISSIONS),
        ]
        text = [self.channel_payload(c.id) for c in self.channels.values() if c.type == 0]
        return {
            "id": str(GUILD_ID),
            "name": "lab",
            "owner_id": str(OWNER_ID),
            "roles": roles,
            "emojis": [],
            "features": [],
            "members": [self.bot_member()],
            "channels": text,
            "threads": [],
            "member_count": 2,
        }

    def bot_member(self) -> dict[str, Any]:
        return {
            "user": BOT_USER,
            "roles": [str(BOT_ROLE_ID)],
            "joined_at": "2024-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
        }

    def connect(self, bot: Any) -> None:
        """Put the guild, its channels and the bot's member into the client's cache (GUILD_CREATE)."""
        import discord

        state = bot._connection
        guild = discord.Guild(data=self.guild_payload(), state=state)
        state._add_guild(guild)
        self.gateway = bot

    async def interact(self, bot: Any, payload: dict[str, Any]) -> None:
        """Dispatch an INTERACTION_CREATE as the gateway would (commands, autocomplete, components)."""
        bot._connection.parse_interaction_create(payload)
        await settle()

    async def deliver(self, bot: Any, payload: dict[str, Any]) -> None:
        """Dispatch a MESSAGE_CREATE as the gateway would, and wait for every handler to finish.

        SEE: https://discord.com/developers/docs/events/gateway#message-content-intent
        Without the intent, `content`, `embeds`, `attachments` and `components` arrive empty unless
        the message is a DM, mentions the app, or was sent by the app.
        """
        payload = dict(payload)
        if not bot.intents.message_content:
            in_dm = "guild_id" not in payload
            mentioned = any(str(m.get("id")) == str(BOT_ID) for m in payload.get("mentions") or [])
            own = str((payload.get("author") or {}).get("id")) == str(BOT_ID)
            if not (in_dm or mentioned or own):
                payload.update(content="", embeds=[], attachments=[], components=[])
        channel_id = int(payload["channel_id"])
        if channel_id not in self.channels and "guild_id" not in payload:
            author = int((payload.get("author") or {}).get("id") or 42)
            self.channels[channel_id] = Channel(channel_id, name="dm", type=1, owner_id=author)
        self.history.setdefault(channel_id, []).append(payload)
        bot._connection.parse_message_create(payload)
        await settle()

    # --- requests -------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        payload, files = await _read_body(request)
        sent = Sent(request.method, path, payload if isinstance(payload, dict) else {"_": payload}, files)
        self.sent.append(sent)
        response = await self._route(request, path, payload, files, sent)
        sent.status = response.status
        if isinstance(response, web.Response) and isinstance(response.body, bytes) and response.body:
            sent.response = json.loads(response.body)
        return response

    async def _route(
        self, request: web.Request, path: str, payload: Any, files: list[str], sent: Sent
    ) -> web.StreamResponse:
        parts = path.strip("/").split("/")
        method = request.method
        query = {k: v[0] for k, v in parse_qs(request.query_string).items()}
        if path == "/users/@me":
            return _json(BOT_USER)
        if path == "/oauth2/applications/@me":
            return _json(_application(self.app_flags))
        if parts[0] == "applications" and parts[-1] == "commands" and method == "PUT":
            self.synced_commands = payload if isinstance(payload, list) else []
            self.synced_where.append("global" if len(parts) == 3 else f"guild:{parts[3]}")
            return _json(
                [
                    # Discord answers context menus with an empty description, as every command has one.
                    {
                        "description": "",
                        **c,
                        "id": str(snowflake()),
                        "application_id": str(APP_ID),
                        "version": "1",
                    }
                    for c in self.synced_commands
                ]
            )
        if parts[0] == "interactions" and parts[-1] == "callback":
            return self._callback(parts[1], payload, files, sent)
        if parts[0] == "webhooks" and parts[1] == str(APP_ID):
            return self._webhook(method, parts[2], parts[3:], payload, files, sent)
        if parts[0] == "users" and len(parts) == 3 and parts[2] == "channels" and method == "POST":
            return self._open_dm(int(payload["recipient_id"]))
        if parts[0] == "users" and len(parts) == 2:
            return _json(user(int(parts[1])))
        if parts[0] == "guilds" and len(parts) == 2 and parts[1] == str(GUILD_ID):
            guild = self.guild_payload()
            del guild["members"], guild["channels"], guild["threads"]  # REST's guild object has none
            return _json(guild)
        if parts[0] == "guilds" and len(parts) == 4 and parts[2] == "members":
            if parts[3] == str(BOT_ID):
                return _json(self.bot_member())
            return _json({"message": "Unknown Member", "code": 10007}, status=404)
        if parts[0] == "channels":
            return await self._channel_route(method, int(parts[1]), parts[2:], payload, files, query, sent)
        return _json({"message": "404: Not Found", "code": 0}, status=404)

    async def _channel_route(
        self,
        method: str,
        channel_id: int,
        rest: list[str],
        payload: Any,
        files: list[str],
        query: dict[str, str],
        sent: Sent,
    ) -> web.StreamResponse:
        channel = self.channels.get(channel_id)
        if channel is None:
            return _json({"message": "Unknown Channel", "code": 10003}, status=404)
        perms = self.permissions(channel_id)
        if not perms & VIEW_CHANNEL:
            return _json({"message": "Missing Access", "code": 50001}, status=403)
        if not rest:
            return _json(self.channel_payload(channel_id))
        if rest == ["typing"]:
            return web.Response(status=204)
        if rest == ["messages"] and method == "GET":
            # SEE: https://discord.com/developers/docs/resources/message#get-channel-messages
            # "If the current user is missing the READ_MESSAGE_HISTORY permission in the channel,
            # then no messages will be returned."
            if not perms & READ_MESSAGE_HISTORY:
                return _json([])
            return _json(self._history_page(channel_id, query))
        if rest == ["messages"] and method == "POST":
            needed = SEND_MESSAGES_IN_THREADS if channel.type == 11 else SEND_MESSAGES
            if not perms & needed:
                return _json({"message": "Missing Permissions", "code": 50013}, status=403)
            return await self._create_message(channel_id, payload, files, sent)
        if len(rest) == 3 and rest[0] == "messages" and rest[2] == "threads" and method == "POST":
            if not perms & CREATE_PUBLIC_THREADS:
                return _json({"message": "Missing Permissions", "code": 50013}, status=403)
            name = str(payload.get("name") or "")
            if not 1 <= len(name) <= 100:
                return _invalid_form(
                    _form_error(["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
                )
            thread_id = int(rest[1])  # a thread started from a message takes the message's id
            self.channels[thread_id] = Channel(
                thread_id, name=name, type=11, parent_id=channel_id, owner_id=BOT_ID
            )
            thread = _thread(channel_id, name, thread_id)
            self.threads.append(thread)
            if self.gateway is not None:  # THREAD_CREATE reaches the bot, which caches the thread
                self.gateway._connection.parse_thread_create({**thread, "newly_created": True})
            return _json(thread, status=201)
        if len(rest) == 2 and rest[0] == "messages" and method in ("PATCH", "DELETE"):
            return self._edit_stored(channel_id, int(rest[1]), method, payload)
        return _json({"message": "404: Not Found", "code": 0}, status=404)

    def _history_page(self, channel_id: int, query: dict[str, str]) -> list[dict[str, Any]]:
        limit = max(1, min(100, int(query.get("limit", 50))))
        stored = sorted(self.history.get(channel_id, []), key=lambda m: int(m["id"]))
        if "after" in query:
            after = int(query["after"])
            # The `limit` messages just after `after`, returned newest first.
            page = [m for m in stored if int(m["id"]) > after][:limit]
            return list(reversed(page))
        if "before" in query:
            before = int(query["before"])
            return list(reversed([m for m in stored if int(m["id"]) < before]))[:limit]
        return list(reversed(stored))[:limit]

    async def _create_message(
        self, channel_id: int, payload: dict[str, Any], files: list[str], sent: Sent
    ) -> web.StreamResponse:
        if errors := form_errors(payload):
            return _invalid_form(errors)
        if _is_empty(payload, files):
            return _json({"message": "Cannot send an empty message", "code": 50006}, status=400)
        if self.post_delay:
            await asyncio.sleep(self.post_delay)
        now = self.clock()
        nonce = payload.get("nonce")
        # SEE: https://discord.com/developers/docs/resources/message#create-message-jsonform-params
        # enforce_nonce: "If another message was created by the same author with the same nonce,
        # that message will be returned and no new message will be created."
        if nonce is not None and payload.get("enforce_nonce"):
            seen = self._nonces.get((channel_id, str(nonce)))
            if seen is not None and now - seen[1] <= NONCE_WINDOW:
                sent.payload = {**sent.payload, "_deduplicated": True}
                return _json(seen[0])
        if self.fail_posts:
            status, body = self.fail_posts.pop(0)
            return _json(body, status=status)
        message = self._store(channel_id, payload, files, now)
        if nonce is not None:
            self._nonces[(channel_id, str(nonce))] = (message, now)
        return _json(message)

    def _store(
        self,
        channel_id: int,
        payload: dict[str, Any],
        files: list[str],
        now: datetime,
        flags: int = 0,
        keep: bool = True,
    ) -> dict[str, Any]:
        message = message_payload(
            channel_id,
            BOT_USER,
            payload.get("content") or "",
            embeds=payload.get("embeds") or [],
            flags=flags or int(payload.get("flags") or 0),
            at=now,
        )
        message["components"] = payload.get("components") or []
        message["attachments"] = [
            {"id": str(snowflake(now)), "filename": f, "size": 1, "url": "https://cdn/x", "proxy_url": "x"}
            for f in files
        ]
        if payload.get("nonce") is not None:
            message["nonce"] = str(payload["nonce"])
        if keep:
            self.history.setdefault(channel_id, []).append(message)
        return message

    def _edit_stored(
        self, channel_id: int, message_id: int, method: str, payload: dict[str, Any]
    ) -> web.StreamResponse:
        for m in self.history.get(channel_id, []):
            if int(m["id"]) == message_id:
                if method == "DELETE":
                    self.history[channel_id].remove(m)
                    return web.Response(status=204)
                if errors := form_errors(payload):
                    return _invalid_form(errors)
                m.update({k: v for k, v in payload.items() if k in ("content", "embeds", "components")})
                return _json(m)
        return _json({"message": "Unknown Message", "code": 10008}, status=404)

    def _open_dm(self, user_id: int) -> web.StreamResponse:
        channel_id = self._dms.get(user_id)
        if channel_id is None:
            channel_id = snowflake(self.clock())
            self._dms[user_id] = channel_id
            self.channels[channel_id] = Channel(channel_id, name="dm", type=1, owner_id=user_id)
        if user_id in self.closed_dms:
            self.channels[channel_id].bot_deny = SEND_MESSAGES  # sending answers 50007 below
        return _json(self.channel_payload(channel_id))

    # --- interactions ---------------------------------------------------------------------------

    def _callback(self, interaction_id: str, payload: Any, files: list[str], sent: Sent) -> web.Response:
        # discord.py asks ?with_response=true and reads an interaction callback response.
        token = sent.path.split("/")[3]
        state = self._interactions.setdefault(token, _Interaction())
        if state.original is not None or state.deferred:
            return _json({"message": "Interaction has already been acknowledged.", "code": 40060}, 400)
        # Discord's 3-second rule: an interaction not answered (or deferred) within 3 s of its creation
        # is gone. Wall time, not `self.now`: the id was minted from the real clock.
        if datetime.now(UTC) - snowflake_time(interaction_id) > ACK_DEADLINE:
            return _json({"message": "Unknown interaction", "code": 10062}, 404)
        kind = payload.get("type") if isinstance(payload, dict) else None
        data = (payload.get("data") or {}) if isinstance(payload, dict) else {}
        flags = int(data.get("flags") or 0)
        if kind in (4, 7) and (errors := form_errors(data)):
            return _invalid_form({"data": errors})
        sent.ephemeral = bool(flags & EPHEMERAL)
        if kind == 5:
            state.deferred, state.deferred_ephemeral, state.thinking = True, bool(flags & EPHEMERAL), True
            state.original = self._store(
                CHANNEL_ID, {"content": ""}, [], self.clock(), flags=(flags & EPHEMERAL) | LOADING, keep=False
            )
        elif kind == 4:
            state.original = self._store(
                CHANNEL_ID, data, files, self.clock(), flags=flags & EPHEMERAL, keep=False
            )
        message_id = state.original["id"] if state.original else str(snowflake())
        return _json(
            {
                "interaction": {
                    "id": interaction_id,
                    "type": 2,
                    "response_message_id": message_id,
                    "response_message_loading": kind == 5,
                    "response_message_ephemeral": bool(flags & EPHEMERAL),
                }
            }
        )

    def _webhook(
        self, method: str, token: str, rest: list[str], payload: Any, files: list[str], sent: Sent
    ) -> web.StreamResponse:
        state = self._interactions.setdefault(token, _Interaction())
        payload = payload if isinstance(payload, dict) else {}
        if not rest and method == "POST":
            if errors := form_errors(payload):
                return _invalid_form(errors)
            if _is_empty(payload, files):
                return _json({"message": "Cannot send an empty message", "code": 50006}, status=400)
            if state.thinking:
                # SEE: https://github.com/discord/discord-api-docs/issues/2860 (intended behaviour):
                # the first follow-up after a deferral edits the thinking message, whose visibility
                # was fixed by the deferral; the follow-up's own ephemeral flag is ignored.
                state.thinking = False
                sent.ephemeral, sent.edited_original = state.deferred_ephemeral, True
                flags = EPHEMERAL if state.deferred_ephemeral else 0
                state.original = self._store(
                    CHANNEL_ID, payload, files, self.clock(), flags=flags, keep=False
                )
                return _json(state.original)
            flags = int(payload.get("flags") or 0) & EPHEMERAL
            sent.ephemeral = bool(flags)
            return _json(self._store(CHANNEL_ID, payload, files, self.clock(), flags=flags, keep=False))
        if rest[:2] == ["messages", "@original"]:
            if state.original is None:
                return _json({"message": "Unknown Message", "code": 10008}, status=404)
            if method == "GET":
                return _json(state.original)
            if method == "DELETE":
                state.original, state.thinking = None, False
                return web.Response(status=204)
            if method == "PATCH":
                if errors := form_errors(payload):
                    return _invalid_form(errors)
                state.thinking = False
                sent.ephemeral = bool(int(state.original.get("flags") or 0) & EPHEMERAL)
                sent.edited_original = True
                state.original.update(
                    {k: v for k, v in payload.items() if k in ("content", "embeds", "components")}
                )
                state.original["flags"] = int(state.original.get("flags") or 0) & ~LOADING
                return _json(state.original)
        if len(rest) == 2 and rest[0] == "messages" and method == "PATCH":
            if errors := form_errors(payload):
                return _invalid_form(errors)
            return _json(message_payload(CHANNEL_ID, BOT_USER, payload.get("content") or "", at=self.clock()))
        return _json({"message": "404: Not Found", "code": 0}, status=404)

    # --- what tests look at ---------------------------------------------------------------------

    def messages(self) -> list[Sent]:
        """Messages users saw: follow-ups, channel messages, and responses that carry content.

        Only requests Discord accepted; `ephemeral` says whether only the invoking user saw it.
        """
        out = []
        for s in self.sent:
            if s.status >= 300 or s.payload.get("_deduplicated"):
                continue
            if (
                s.method == "POST"
                and (
                    (s.path.startswith(f"/webhooks/{APP_ID}/") and s.path.count("/") == 3)
                    or s.path.endswith("/messages")
                )
            ) or (s.method == "PATCH" and s.path.endswith("/messages/@original")):
                out.append(s)
            elif s.path.endswith("/callback") and s.payload.get("type") == 4:
                data = s.payload.get("data", {})
                out.append(Sent(s.method, s.path, data, s.files, s.status, s.ephemeral, response=s.response))
        return out

    def channel_messages(self, channel_id: int) -> list[dict[str, Any]]:
        """What the channel holds now, oldest first (bot posts and delivered messages alike)."""
        return sorted(self.history.get(channel_id, []), key=lambda m: int(m["id"]))

    def callbacks(self) -> list[dict[str, Any]]:
        return [s.payload for s in self.sent if s.path.endswith("/callback")]

    def rejected(self) -> list[Sent]:
        return [s for s in self.sent if s.status >= 400]


C = TypeVar("C")


def run_client(
    standin: DiscordStandIn,
    make_client: Callable[[], C],
    body: Callable[[C, DiscordStandIn], Awaitable[None]],
    *,
    cached: bool = True,
) -> DiscordStandIn:
    """Log a discord.py client in against the stand-in, run `body`, close both; return the stand-in.

    `cached`: the guild arrives as after GUILD_CREATE (the running bot); else REST only, like
    `scholarbot digest run` from cron. The client is made inside the event loop, as discord.py wants.
    """

    async def main() -> None:
        base = await standin.start()
        old = Route.BASE
        Route.BASE = base  # discord.py builds every request URL from this
        client: Any = make_client()
        try:
            await client.login("not-a-real-token")  # REST only: /users/@me, application info
            if cached:
                standin.connect(client)
            await body(client, standin)
        finally:
            Route.BASE = old
            await client.close()
            await standin.stop()

    asyncio.run(main())
    return standin


async def settle() -> None:
    """Wait until every event handler discord.py scheduled (tasks named 'discord.py: …') is done."""
    me = asyncio.current_task()
    for _ in range(100):
        pending = [
            t
            for t in asyncio.all_tasks()
            if t is not me
            and not t.done()
            and t.get_name().startswith(
                (
                    "discord.py: ",
                    "discord-ui-view-dispatch",
                    "discord-ui-dynamic-item-",
                    "CommandTree-invoker",
                )
            )
        ]
        if not pending:
            return
        await asyncio.gather(*pending, return_exceptions=True)


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


def _role(role_id: int, name: str, permissions: int) -> dict[str, Any]:
    return {
        "id": str(role_id),
        "name": name,
        "permissions": str(permissions),
        "position": 0 if role_id == GUILD_ID else 1,
        "color": 0,
        "hoist": False,
        "managed": role_id != GUILD_ID,
        "mentionable": False,
        "flags": 0,
    }


def _application(flags: int = 0) -> dict[str, Any]:
    return {
        "id": str(APP_ID),
        "name": "scholarbot",
        "icon": None,
        "description": "",
        "rpc_origins": [],
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": {**BOT_USER, "id": str(OWNER_ID), "bot": False, "username": "lab-admin"},
        "summary": "",
        "verify_key": "0" * 64,
        "flags": flags,
        "interactions_endpoint_url": None,
    }


def message_payload(
    channel_id: str | int,
    author: dict[str, Any],
    content: str,
    *,
    embeds: list[Any] | None = None,
    flags: int = 0,
    at: datetime | None = None,
    mentions: list[dict[str, Any]] | None = None,
    guild_id: int | None = None,
) -> dict[str, Any]:
    """A message object as Discord returns and dispatches it; its id carries its time."""
    at = at or datetime.now(UTC)
    data: dict[str, Any] = {
        "id": str(snowflake(at)),
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": at.isoformat(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": mentions or [],
        "mention_roles": [],
        "attachments": [],
        "embeds": embeds or [],
        "pinned": False,
        "type": 0,
        "flags": flags,
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    return data


def _thread(parent_id: int | str, name: str, thread_id: int | None = None) -> dict[str, Any]:
    return {
        "id": str(thread_id or snowflake()),
        "type": 11,
        "guild_id": str(GUILD_ID),
        "parent_id": str(parent_id),
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
    command: str,
    options: dict[str, Any],
    *,
    command_id: int = 1,
    uid: int = 42,
    guild: bool = True,
    channel_id: int = CHANNEL_ID,
) -> dict[str, Any]:
    """An APPLICATION_COMMAND interaction payload as Discord sends it."""
    data: dict[str, Any] = {
        "id": str(snowflake()),
        "application_id": str(APP_ID),
        "type": 2,
        "token": f"itoken-{snowflake()}",
        "version": 1,
        "channel_id": str(channel_id),
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
            "id": str(channel_id),
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


def component_interaction(
    message: dict[str, Any], custom_id: str, values: list[str] | None = None, *, uid: int = 42
) -> dict[str, Any]:
    """A MESSAGE_COMPONENT interaction on `message`: a select menu choice, or a button when no `values`."""
    data = command_interaction("", {}, uid=uid)
    data["type"] = 3
    data["message"] = message
    if values is None:
        data["data"] = {"custom_id": custom_id, "component_type": 2}
    else:
        data["data"] = {"custom_id": custom_id, "component_type": 3, "values": values}
    return data


def message_command_interaction(name: str, target: dict[str, Any], *, uid: int = 42) -> dict[str, Any]:
    """An APPLICATION_COMMAND interaction for a message context menu, the target message resolved.

    Discord sends the target's content here whatever the bot's intents.
    """
    data = command_interaction(name, {}, uid=uid)
    data["data"] = {
        "id": "7",
        "name": name,
        "type": 3,
        "target_id": target["id"],
        "resolved": {"messages": {target["id"]: target}},
    }
    return data


def dm_message(content: str, *, channel_id: int = DM_CHANNEL_ID, uid: int = 42) -> dict[str, Any]:
    """A MESSAGE_CREATE payload for a direct message to the bot."""
    return message_payload(channel_id, user(uid), content)


def guild_message(
    content: str,
    *,
    channel_id: int = CHANNEL_ID,
    uid: int = 42,
    mention_bot: bool = False,
    at: datetime | None = None,
) -> dict[str, Any]:
    """A MESSAGE_CREATE payload for a message in the guild; `mentions` lists the bot when pinged."""
    text = f"<@{BOT_ID}> {content}" if mention_bot else content
    mentions = [BOT_USER] if f"<@{BOT_ID}>" in text or f"<@!{BOT_ID}>" in text else []
    return message_payload(channel_id, user(uid), text, mentions=mentions, guild_id=GUILD_ID, at=at)
