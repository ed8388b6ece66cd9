"""A fake OpenAI-compatible server on 127.0.0.1 (aiohttp, port 0), scripted per test.

`POST /v1/chat/completions` answers with the next scripted `Reply`: JSON, or server-sent events
(`data: {...}` chunks then `data: [DONE]`) when the request asks to stream; a status other than
200, a delay before answering, or the caller's Authorization header echoed in an error body.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

START_SECONDS = 5.0


@dataclass(frozen=True)
class Reply:
    """One scripted answer of the fake server."""

    content: str = ""
    status: int = 200
    delay: float = 0.0  # seconds before the response starts
    usage: tuple[int, int] | None = (120, 30)  # prompt, completion tokens
    echo_auth: bool = False  # put the Authorization header in the error message


@dataclass
class FakeOpenAIServer:
    """The server, its script and what it received."""

    script: list[Reply] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    auth_headers: list[str] = field(default_factory=list)
    port: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _runner: web.AppRunner | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL as LLM_BASE_URL takes it."""
        return f"http://127.0.0.1:{self.port}/v1"

    def _next(self) -> Reply:
        # The last reply repeats, so retries and warm-up calls see it again.
        return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        self.auth_headers.append(request.headers.get("Authorization", ""))
        reply = self._next()
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.status != 200:
            message = "internal error"
            if reply.echo_auth:
                message = f"invalid credentials: {request.headers.get('Authorization', '')}"
            error = {"error": {"message": message, "type": "server_error", "code": None}}
            return web.json_response(error, status=reply.status)
        model = body.get("model", "fake")
        if body.get("stream"):
            return await self._stream(request, reply, model, body)
        usage = _usage(reply)
        return web.json_response(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": 0,
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": reply.content},
                        "finish_reason": "stop",
                    }
                ],
                **({"usage": usage} if usage else {}),
            }
        )

    async def _stream(
        self, request: web.Request, reply: Reply, model: str, body: dict[str, Any]
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)

        async def send(payload: dict[str, Any]) -> None:
            await response.write(f"data: {json.dumps(payload)}\n\n".encode())

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }

        await send(chunk({"role": "assistant", "content": ""}))
        for piece in re.findall(r"\S+\s*|\s+", reply.content):
            await send(chunk({"content": piece}))
        await send(chunk({}, "stop"))
        usage = _usage(reply)
        if usage and (body.get("stream_options") or {}).get("include_usage"):
            await send(
                {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": model,
                    "choices": [],
                    "usage": usage,
                }
            )
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    def start(self) -> None:
        """Serve on 127.0.0.1 and a free port, in a thread of its own."""
        ready = threading.Event()

        async def serve() -> None:
            app = web.Application()
            app.router.add_post("/v1/chat/completions", self._completions)
            # Cancel handlers of clients that gave up (a timed-out request), and never wait long
            # for them at shutdown.
            self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1.0)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            server = site._server
            assert server is not None
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            ready.set()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(serve())
            self._loop.run_forever()
            self._loop.close()

        self._thread = threading.Thread(target=run, name="fake-openai", daemon=True)
        self._thread.start()
        if not ready.wait(START_SECONDS):
            raise RuntimeError("the fake OpenAI server did not start")

    def stop(self) -> None:
        """Shut down (bounded)."""
        if self._loop is None or self._runner is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop)
        future.result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)


def _usage(reply: Reply) -> dict[str, int] | None:
    if reply.usage is None:
        return None
    prompt, completion = reply.usage
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def closed_port() -> int:
    """A loopback port nobody listens on: connections are refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
