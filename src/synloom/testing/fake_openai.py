"""A fake OpenAI-compatible server for tests and benchmarks: fixed latency, seeded fault injection.

Pure asyncio HTTP/1.1 with keep-alive (no dependencies), so it can serve thousands of requests per
second from a background thread or a separate process:

    with FakeOpenAIServer(FakeConfig(latency_s=0.1, error_rate=0.1)) as server:
        client = httpx.Client(base_url=server.base_url)   # "http://127.0.0.1:PORT/v1"

Each request's fate (ok / 5xx / timeout / malformed / truncated) is drawn from a RNG seeded by
(seed, prompt, seed field, how often this prompt was seen), so a run is reproducible whatever order
requests arrive in. 429 bursts are driven by the request count: every `burst_every`-th request opens
a window of `burst_s` seconds in which every request gets 429 with `Retry-After`.
Texts are deterministic in (prompt, seed): a short review whose sentiment follows the prompt.
`n` > 1 asks for n choices (as vLLM serves them): choice k is the text of seed `seed` for k = 0
and of `"{seed}/{k}"` after; `one_choice=True` refuses n > 1 as llama-server does (HTTP 500 "Only
one completion choice is allowed").
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass

from synloom.testing.fake_responses import (
    HTML_PAGE,
    completion_response,
    echo_response,
    head,
    prompt_of,
    send,
    send_html,
)


@dataclass
class FakeConfig:
    latency_s: float = 0.0
    seed: int = 0
    error_rate: float = 0.0  # answer 500/502/503 at random
    timeout_rate: float = 0.0  # hang for `hang_s` (longer than the client's timeout)
    malformed_rate: float = 0.0  # 200 with a body that is not JSON
    truncated_rate: float = 0.0  # headers promise more bytes than are sent, then close
    hang_s: float = 30.0
    burst_every: int = 0  # every n-th request opens a 429 burst (0: never)
    burst_s: float = 0.2
    retry_after_s: float = 0.1
    max_concurrency: int = 0  # more requests in flight than this get `overload_status` (0: no cap)
    slots: int = 0  # like llama-server --parallel: at most this many served at once, others queue
    overload_status: int = 429
    echo_logprobs: bool = True  # vLLM-like prompt log-probs; False answers 400 like llama-server
    model: str = "fake-model"
    required_api_key: str | None = None  # when set, other bearer tokens get 401
    echo_auth_in_errors: bool = (
        False  # a careless server: error bodies quote the Authorization header
    )
    error_pad: int = 0  # characters before the quoted Authorization header in error bodies
    fail_status: int = 0  # answer every completion request with this status (e.g. 400)
    html_pages: bool = False  # a web server, not an API: every route answers 200 with HTML
    one_choice: bool = False  # refuse n > 1 like llama-server (else n choices, like vLLM)


class FakeOpenAIServer:
    """Serve `FakeConfig` on 127.0.0.1 (random free port) from a background thread."""

    def __init__(self, config: FakeConfig | None = None, port: int = 0):
        self.config = config or FakeConfig()
        self.port = port
        self.counters: Counter[str] = Counter()
        self.max_in_flight = 0
        self.seen_auth: set[str] = set()
        self._in_flight = 0
        self._seen: Counter[str] = Counter()
        self._burst_until = 0.0
        self._auth = ""
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._tasks: set[asyncio.Task] = set()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # lifecycle -----------------------------------------------------------
    def start(self) -> FakeOpenAIServer:
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(self.serve_async())
            ready.set()
            self._loop.run_forever()
            self._loop.close()

        self._thread = threading.Thread(target=run, name="fake-openai", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fake OpenAI server did not start")
        return self

    async def serve_async(self) -> None:
        """Bind and start serving on the running loop (use directly inside an event loop)."""
        self._loop = asyncio.get_running_loop()
        self._server = await asyncio.start_server(
            self._handle, "127.0.0.1", self.port, backlog=4096
        )
        self.port = self._server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return

        async def shutdown() -> None:
            assert self._server is not None
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self._loop.stop()  # type: ignore[union-attr]

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop)
        self._thread.join(10)
        self._thread = None

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # HTTP ----------------------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._tasks.add(task)  # type: ignore[arg-type]
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        k, v = line.split(":", 1)
                        headers[k.strip().lower()] = v.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
                keep = await self._dispatch(method, path, headers, body, writer)
                if not keep or headers.get("connection", "").lower() == "close":
                    break
        except (
            asyncio.IncompleteReadError,
            ConnectionError,
            ValueError,
            asyncio.LimitOverrunError,
        ):
            pass
        except asyncio.CancelledError:
            pass  # server shutting down
        finally:
            self._tasks.discard(task)  # type: ignore[arg-type]
            writer.close()

    async def _dispatch(self, method, path, headers, body, writer) -> bool:
        cfg = self.config
        auth = headers.get("authorization", "")
        self.seen_auth.add(auth)
        self._auth = ("." * cfg.error_pad + auth) if cfg.echo_auth_in_errors else ""
        if cfg.html_pages:
            if path.split("?")[0].rstrip("/").endswith("completions"):
                self.counters["requests"] += 1
            return await send_html(writer, HTML_PAGE)
        if cfg.required_api_key is not None and auth != f"Bearer {cfg.required_api_key}":
            return await send(writer, 401, {"error": {"message": f"invalid api key {self._auth}"}})
        path = path.split("?")[0].rstrip("/")
        if method == "GET" and path == "/v1/models":
            return await send(
                writer, 200, {"object": "list", "data": [{"id": cfg.model, "object": "model"}]}
            )
        kind = "chat" if path == "/v1/chat/completions" else "completions"
        if method != "POST" or path not in ("/v1/completions", "/v1/chat/completions"):
            return await send(writer, 404, {"error": {"message": f"no route {method} {path}"}})
        try:
            req = json.loads(body)
        except json.JSONDecodeError:
            return await send(writer, 400, {"error": {"message": "request body is not JSON"}})
        self.counters["requests"] += 1
        if cfg.fail_status:
            self.counters["fail_status"] += 1
            message = f"invalid request: 'max_tokens' is too large {self._auth}".strip()
            return await send(writer, cfg.fail_status, {"error": {"message": message}})
        now = time.monotonic()
        if cfg.burst_every and self.counters["requests"] % cfg.burst_every == 0:
            self._burst_until = now + cfg.burst_s
        if now < self._burst_until:
            self.counters["429_burst"] += 1
            return await send(
                writer,
                429,
                {"error": {"message": "rate limited"}},
                {"Retry-After": f"{cfg.retry_after_s:g}"},
            )
        if cfg.max_concurrency and self._in_flight >= cfg.max_concurrency:
            self.counters["overloaded"] += 1
            return await send(
                writer,
                cfg.overload_status,
                {"error": {"message": "server busy"}},
                {"Retry-After": f"{cfg.retry_after_s:g}"},
            )
        self._in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            if not cfg.slots:
                return await self._answer(kind, req, writer)
            if self._slots is None:
                self._slots = asyncio.Semaphore(cfg.slots)
            async with self._slots:
                return await self._answer(kind, req, writer)
        finally:
            self._in_flight -= 1

    async def _answer(self, kind: str, req: dict, writer) -> bool:
        cfg = self.config
        prompt = prompt_of(kind, req)
        key = f"{prompt}\x00{req.get('seed')}"
        attempt = self._seen[key]
        self._seen[key] += 1
        digest = hashlib.sha256(f"{cfg.seed}\x00{key}\x00{attempt}".encode()).digest()
        u = random.Random(digest).random()
        if cfg.latency_s:
            await asyncio.sleep(cfg.latency_s)
        for rate, fault in (
            (cfg.error_rate, "5xx"),
            (cfg.timeout_rate, "timeout"),
            (cfg.malformed_rate, "malformed"),
            (cfg.truncated_rate, "truncated"),
        ):
            if u < rate:
                self.counters[fault] += 1
                return await self._fault(fault, digest, writer)
            u -= rate
        if req.get("echo") or (
            req.get("logprobs") and kind == "completions" and req.get("max_tokens") == 0
        ):
            if not cfg.echo_logprobs:
                self.counters["bad_request"] += 1
                return await send(writer, 400, {"error": {"message": "'echo' is not supported"}})
            self.counters["ok"] += 1
            return await send(writer, 200, echo_response(prompt, req, cfg.model))
        n = int(req.get("n") or 1)
        if n > 1 and cfg.one_choice:
            self.counters["n_refused"] += 1
            message = "Only one completion choice is allowed"
            return await send(writer, 500, {"error": {"code": 500, "message": message}})
        self.counters["ok"] += 1
        if n == 1:
            return await send(writer, 200, completion_response(kind, prompt, req, cfg.model))
        self.counters["choices"] += n
        return await send(writer, 200, n_choices(kind, prompt, req, cfg.model, n))

    async def _fault(self, fault: str, digest: bytes, writer) -> bool:
        if fault == "5xx":
            status = (500, 502, 503)[digest[0] % 3]
            message = f"injected server error {self._auth}".strip()
            return await send(writer, status, {"error": {"message": message}})
        if fault == "timeout":
            await asyncio.sleep(self.config.hang_s)
            return False
        if fault == "malformed":
            body = b'{"id": "cmpl-x", "choices": [{"text": "unterminated'
            writer.write(head(200, len(body)) + body)
            await writer.drain()
            return True
        body = json.dumps({"id": "cmpl-x", "choices": [{"text": "x" * 200}]}).encode()
        writer.write(head(200, len(body)) + body[: len(body) // 2])
        await writer.drain()
        return False


def n_choices(kind: str, prompt: str, req: dict, model: str, n: int) -> dict:
    """One answer with n choices (index k: the text of seed `seed`, then `"{seed}/{k}"`) and the
    usage of all of them together, as vLLM reports it."""
    seed = req.get("seed")
    parts = [
        completion_response(kind, prompt, {**req, "seed": seed if k == 0 else f"{seed}/{k}"}, model)
        for k in range(n)
    ]
    out = parts[0]
    out["choices"] = [{**part["choices"][0], "index": k} for k, part in enumerate(parts)]
    used = sum(part["usage"]["completion_tokens"] for part in parts)
    out["usage"] = {**out["usage"], "completion_tokens": used}
    out["usage"]["total_tokens"] = out["usage"]["prompt_tokens"] + used
    return out


def main(argv: list[str] | None = None) -> None:
    """`python -m synloom.testing.fake_openai --latency 0.1 --port 8123` (for benchmarks)."""
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--max-concurrency", type=int, default=0)
    args = ap.parse_args(argv)
    server = FakeOpenAIServer(
        FakeConfig(latency_s=args.latency, max_concurrency=args.max_concurrency), port=args.port
    )

    async def serve() -> None:
        await server.serve_async()
        print(server.base_url, flush=True)
        await asyncio.Event().wait()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
