"""A fake Bot API: canned answers to every method the bot uses, failure injection, and a record
of every call. Served over HTTP on 127.0.0.1 (`FakeTelegram`) for end-to-end tests, or plugged
straight into PTB as a `BaseRequest` (`RecordingRequest`) for unit tests."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from telegram.request import BaseRequest, RequestData

from tests.bot.fake_content import Hold, media_content

TOKEN = "123456789:AAHfakeTokenForTests_abcdefghijklmnopq"
BOT_ID = 123456789
BOT_USERNAME = "selection_bot"
BOT_USER = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": "Selection Assistant",
    "username": BOT_USERNAME,
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": True,
}
# Free-text parameters stay strings; everything else arrives JSON-encoded (PTB's json_parameters).
_TEXT_KEYS = {
    "text",
    "caption",
    "url",
    "secret_token",
    "file_id",
    "callback_query_id",
    "inline_query_id",
    "action",
    "parse_mode",
    "language_code",
    "filename",
}


@dataclass
class Call:
    """One request the bot made, and what the fake did with it."""

    method: str
    params: dict[str, Any]
    outcome: str = "ok"  # "ok", "held", "bad_gateway" or the failure injected
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)
    result: Any = None  # what an "ok" call answered


@dataclass
class Rule:
    """Answer the next `times` calls of `method` (matching `match`) with a failure."""

    method: str
    kind: str  # retry_after | forbidden | migrate | server_error | delay | bad_request
    times: int = 1
    retry_after: int = 1
    new_chat_id: int = -1001234567890
    delay: float = 2.0
    match: Callable[[dict[str, Any]], bool] | None = None


def chat_type(chat_id: int) -> str:
    """Private chats have positive ids; supergroups start with -100."""
    if chat_id > 0:
        return "private"
    return "supergroup" if str(chat_id).startswith("-100") else "group"


def _failure(rule: Rule) -> tuple[int, dict[str, Any]]:
    if rule.kind == "retry_after":
        return 429, {
            "ok": False,
            "error_code": 429,
            "description": f"Too Many Requests: retry after {rule.retry_after}",
            "parameters": {"retry_after": rule.retry_after},
        }
    if rule.kind == "forbidden":
        return 403, {
            "ok": False,
            "error_code": 403,
            "description": "Forbidden: bot was blocked by the user",
        }
    if rule.kind == "migrate":
        return 400, {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: group chat was upgraded to a supergroup chat",
            "parameters": {"migrate_to_chat_id": rule.new_chat_id},
        }
    if rule.kind == "bad_request":
        return 400, {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: can't parse entities",
        }
    return 500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}


class FakeBotApi:
    """The Bot API's behaviour, transport-free: updates, canned results, failures, records."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.rules: list[Rule] = []
        self.updates: list[dict[str, Any]] = []
        self.files: dict[str, bytes] = {}
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._new_updates = asyncio.Event()
        self._changed = asyncio.Event()
        self.outage_until = 0.0  # monotonic time until which every method answers 502
        self._outage_trigger: tuple[str, float] | None = None
        self._holds: list[Hold] = []

    # Outages and held requests ---------------------------------------------------------------

    def outage(self, seconds: float, *, starting_with: str | None = None) -> None:
        """Answer every method (getUpdates included) with 502 Bad Gateway for `seconds`, from
        now or from the next call of `starting_with` (which meets the outage first)."""
        if starting_with is None:
            self.outage_until = time.monotonic() + seconds
        else:
            self._outage_trigger = (starting_with, seconds)

    @property
    def in_outage(self) -> bool:
        """True while the 502 window lasts."""
        return time.monotonic() < self.outage_until

    def hold(self, method: str, match: Callable[[dict[str, Any]], bool] | None = None) -> Hold:
        """Keep the next matching call waiting (recorded as "held") until `release()`; then it
        succeeds, if its client is still there to hear it."""
        held = Hold(method, match)
        self._holds.append(held)
        return held

    # What tests do ---------------------------------------------------------------------------

    def fail(self, method: str, kind: str, **options: Any) -> Rule:
        """Inject a failure for the next call(s) of `method`."""
        rule = Rule(method, kind, **options)
        self.rules.append(rule)
        return rule

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates (assigns its update_id)."""
        update = {"update_id": next(self._update_ids), **update}
        self.updates.append(update)
        self._new_updates.set()
        return update

    def message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        first_name: str = "Ann",
        language_code: str = "en",
        is_bot: bool = False,
        thread_id: int | None = None,
        reply_to: dict[str, Any] | None = None,
        entities: list[dict[str, Any]] | None = None,
        document: dict[str, Any] | None = None,
        media: str | None = None,
        caption: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Queue a message update from a user; returns the update."""
        user_id = user_id if user_id is not None else (chat_id if chat_id > 0 else 4242)
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {
                "id": chat_id,
                "type": chat_type(chat_id),
                **({"title": "Team"} if chat_id < 0 else {"first_name": first_name}),
            },
            "from": {
                "id": user_id,
                "is_bot": is_bot,
                "first_name": first_name,
                "language_code": language_code,
            },
        }
        if document is not None:
            message["document"] = document
            if caption is not None:
                message["caption"] = caption
        elif media is not None:
            message.update(media_content(media, next(self._message_ids)))
            if caption is not None:
                message["caption"] = caption
        else:
            message["text"] = text
        if text.startswith("/") and document is None and media is None:
            length = len(text.split()[0])
            entities = [{"type": "bot_command", "offset": 0, "length": length}, *(entities or [])]
        if entities:
            message["entities"] = entities
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        message.update(extra or {})
        return self.push({"message": message})

    def reply_to_bot(self, call: Call, message_id: int) -> dict[str, Any]:
        """The `reply_to_message` of a reply to the bot's message sent by `call`."""
        chat_id = int(call.params["chat_id"])
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": chat_type(chat_id)},
            "from": BOT_USER,
            "text": call.params.get("text", ""),
        }

    def sent_message_id(self, call: Call) -> int:
        """The message_id the fake gave the message `call` sent."""
        return int(call.result["message_id"])

    def sent(self, method: str = "sendMessage", chat_id: int | None = None) -> list[Call]:
        """Successful calls of `method` (to one chat, if given), in order."""
        return [
            call
            for call in self.calls
            if call.method == method
            and call.outcome == "ok"
            and (chat_id is None or call.params.get("chat_id") == chat_id)
        ]

    def texts(self, chat_id: int | None = None) -> list[str]:
        """The texts of the messages sent (to one chat, if given)."""
        return [call.params["text"] for call in self.sent("sendMessage", chat_id)]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until `predicate()` holds (checked after every call), or fail."""
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out; calls: {[c.method for c in self.calls]}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.2))

    # What the bot does -----------------------------------------------------------------------

    def _rule_for(self, method: str, params: dict[str, Any]) -> Rule | None:
        for rule in self.rules:
            if (
                rule.method == method
                and rule.times > 0
                and (rule.match is None or rule.match(params))
            ):
                rule.times -= 1
                return rule
        return None

    async def handle(
        self, method: str, params: dict[str, Any], files: dict[str, tuple[str, bytes]] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Answer one Bot API call: (HTTP status, JSON body)."""
        if self._outage_trigger is not None and self._outage_trigger[0] == method:
            self.outage_until = time.monotonic() + self._outage_trigger[1]
            self._outage_trigger = None
        if self.in_outage:
            if method != "getUpdates":
                self.calls.append(Call(method, params, "bad_gateway", files or {}))
                self._changed.set()
            return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}
        held = self._hold_for(method, params)
        if held is not None:
            self.calls.append(Call(method, params, "held", files or {}))
            self._changed.set()
            held.arrived.set()
            await held.released.wait()
            return 200, {"ok": True, "result": self._result(method, params)}
        rule = self._rule_for(method, params)
        if method != "getUpdates":
            self.calls.append(Call(method, params, rule.kind if rule else "ok", files or {}))
            self._changed.set()
        if rule is not None:
            if rule.kind == "delay":
                await asyncio.sleep(rule.delay)
                return 200, {"ok": True, "result": self._result(method, params)}
            return _failure(rule)
        if method == "getUpdates":
            return 200, {"ok": True, "result": await self._get_updates(params)}
        result = self._result(method, params)
        self.calls[-1].result = result
        return 200, {"ok": True, "result": result}

    def _hold_for(self, method: str, params: dict[str, Any]) -> Hold | None:
        for held in self._holds:
            if (
                not held.used
                and held.method == method
                and (held.match is None or held.match(params))
            ):
                held.used = True
                return held
        return None

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates:
            # A short long-poll: tests stay fast, the bot still sees an idle server.
            self._new_updates.clear()
            wait = min(float(params.get("timeout") or 0), 0.3)
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._new_updates.wait(), wait)
        return self.updates[: int(params.get("limit") or 100)]

    def _message(self, chat_id: Any, **content: Any) -> dict[str, Any]:
        chat = int(chat_id) if str(chat_id).lstrip("-").isdigit() else 0
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat, "type": chat_type(chat)},
            "from": BOT_USER,
            **content,
        }

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "sendMessage":
            extra = {"reply_markup": params["reply_markup"]} if "reply_markup" in params else {}
            return self._message(params["chat_id"], text=params.get("text", ""), **extra)
        if method == "editMessageText":
            return self._message(params.get("chat_id", 0), text=params.get("text", ""))
        if method == "sendDocument":
            return self._message(
                params["chat_id"],
                document={
                    "file_id": "sent-doc",
                    "file_unique_id": "sent-doc-u",
                    "file_name": params.get("filename", "document"),
                },
            )
        if method == "getFile":
            file_id = params["file_id"]
            return {
                "file_id": file_id,
                "file_unique_id": f"u-{file_id}",
                "file_size": len(self.files.get(file_id, b"")),
                "file_path": f"documents/{file_id}",
            }
        if method == "getChat":
            return {"id": params["chat_id"], "type": chat_type(int(params["chat_id"]))}
        return True


def decode_params(raw: dict[str, str]) -> dict[str, Any]:
    """PTB's form parameters → Python values (free text stays text)."""
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _TEXT_KEYS:
            params[key] = value
            continue
        try:
            params[key] = json.loads(value)
        except (ValueError, TypeError):
            params[key] = value
    return params


class FakeTelegram(FakeBotApi):
    """The fake Bot API served over HTTP on 127.0.0.1 (an ephemeral port)."""

    def __init__(self, token: str = TOKEN) -> None:
        super().__init__()
        self.token = token
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        """What TELEGRAM_BASE_URL should be."""
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> FakeTelegram:
        """Start serving."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.*}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        raw: dict[str, str] = {}
        files: dict[str, tuple[str, bytes]] = {}
        if request.can_read_body:
            if request.content_type == "application/json":
                raw = {
                    k: v if isinstance(v, str) else json.dumps(v)
                    for k, v in (await request.json()).items()
                }
            else:
                try:
                    form = await request.post()
                except ConnectionResetError:  # the bot went away mid-request (killed, stopped)
                    return web.Response(status=499)
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        files[key] = (value.filename, value.file.read())
                    else:
                        raw[key] = str(value)
        status, body = await self.handle(request.match_info["method"], decode_params(raw), files)
        return web.json_response(body, status=status)

    async def _file(self, request: web.Request) -> web.Response:
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        if file_id not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[file_id])


class RecordingRequest(BaseRequest):
    """A PTB request object that records `(method, parameters)` and answers from FakeBotApi,
    so handlers run against PTB's real parsing and error mapping without any network."""

    def __init__(self, api: FakeBotApi | None = None) -> None:
        self.api = api or FakeBotApi()

    @property
    def read_timeout(self) -> float | None:
        """Unused: nothing waits on a network."""
        return 1.0

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, **_: Any
    ) -> tuple[int, bytes]:
        """Answer a call from FakeBotApi."""
        if "/file/bot" in url:
            return 200, self.api.files.get(url.rsplit("/", 1)[-1], b"")
        params = dict(request_data.parameters) if request_data else {}
        files = {}
        if request_data and request_data.contains_files:
            for key, value in request_data.multipart_data.items():
                files[key] = (str(value[0]), value[1] if isinstance(value[1], bytes) else b"")
        status, body = await self.api.handle(url.rsplit("/", 1)[-1], params, files)
        return status, json.dumps(body).encode()
