"""HTTP serving benchmarks (issue 5). Prints ratios measured in one run; nothing is asserted.

  python benchmarks/http_serving.py fake [--n 5000] [--latency 0.1] [--concurrency 64]
      (a) ratio = wall / (requests x latency / concurrency) on the fake server (target <= 1.10),
          for a bare aiohttp loop (the floor on this machine), synloom's backend alone, and a full
          `run_generation` (plan, store, parse, dedup) through the engine.
  python benchmarks/http_serving.py peers --python /tmp/peers/bin/python [--n 5000] ...
      (b) the same workload through distilabel's OpenAILLM and Curator's LLM, where they install.
  python benchmarks/http_serving.py llama [--n 64] [--concurrency 16] [--max-tokens 32] [--repeats 3]
      (c) real llama-server with the embedded GGUF: synloom aggregate tok/s / bare client tok/s.

The fake server runs in its own process (`python -m synloom.testing.fake_openai`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent
PROMPT = 'The movie review in positive sentiment is: "'


def start_fake(latency: float) -> tuple[subprocess.Popen, str]:
    cmd = [sys.executable, "-m", "synloom.testing.fake_openai", "--latency", str(latency)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    return proc, proc.stdout.readline().strip()  # type: ignore[union-attr]


async def bare_client(
    url: str, n: int, concurrency: int, max_tokens: int, stop: tuple[str, ...] = ('"', "\n")
) -> tuple[float, int]:
    """The floor: a plain aiohttp loop with a fixed semaphore. Returns (wall s, completion tokens)."""
    sem = asyncio.Semaphore(concurrency)
    tokens = 0
    conn = aiohttp.TCPConnector(limit=concurrency + 8)
    async with aiohttp.ClientSession(connector=conn) as session:

        async def one(i: int) -> None:
            nonlocal tokens
            body = {
                "model": "m",
                "prompt": PROMPT,
                "max_tokens": max_tokens,
                "seed": i,
                "temperature": 1.0,
                "top_p": 0.9,
                "stop": list(stop),
            }
            async with sem, session.post(url + "/completions", json=body) as resp:
                data = await resp.json()
                tokens += data["usage"]["completion_tokens"]

        start = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        return time.perf_counter() - start, tokens


def synloom_backend(
    url: str, n: int, concurrency: int, max_tokens: int, stop: tuple[str, ...] = ('"', "\n")
):
    """synloom's OpenAIBackend.stream over n requests. Returns (wall s, tokens, failed, limiter)."""
    from synloom.backends.base import GenerationParams
    from synloom.backends.openai_compat import OpenAIBackend

    backend = OpenAIBackend(url, "m", max_concurrency=concurrency)
    params = GenerationParams(max_new_tokens=max_tokens, stop=stop)
    try:
        start = time.perf_counter()
        results = [c for _, c in backend.stream([PROMPT] * n, params, list(range(n)))]
        wall = time.perf_counter() - start
    finally:
        backend.close()
    return wall, sum(c.n_tokens for c in results), sum(c.failed for c in results), backend.limiter


def synloom_engine(url: str, n: int, concurrency: int) -> tuple[float, int]:
    """A full run through the engine, sized so that its single round plans n requests."""
    from synloom.generate import run_generation
    from synloom.spec import parse_spec

    per_label = int(n / 2 / 1.5)
    spec = parse_spec(
        {
            "labels": [{"name": "positive"}, {"name": "negative"}],
            "recipe": {
                "type": "zerogen",
                "prompt": 'The movie review in {verbalizer} sentiment is: "',
            },
            "generation": {"samples_per_label": per_label, "oversample": 1.5, "max_rounds": 1},
            "backend": {
                "type": "openai",
                "base_url": url,
                "model": "m",
                "max_concurrency": concurrency,
            },
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        summary = run_generation(spec, Path(tmp) / "run")
        return time.perf_counter() - start, summary.counts["planned"]


def run_fake(args) -> dict:
    proc, url = start_fake(args.latency)
    try:
        ideal = args.n * args.latency / args.concurrency
        out = {
            "n": args.n,
            "latency_s": args.latency,
            "concurrency": args.concurrency,
            "ideal_s": ideal,
        }
        wall, _ = asyncio.run(bare_client(url, args.n, args.concurrency, 40))
        out["bare_aiohttp"] = {"wall_s": wall, "ratio": wall / ideal}
        wall, _, failed, lim = synloom_backend(url, args.n, args.concurrency, 40)
        out["synloom_backend"] = {
            "wall_s": wall,
            "ratio": wall / ideal,
            "failed": failed,
            "final_limit": lim.limit,
            "max_in_flight": lim.stats.max_in_flight,
        }
        wall, planned = synloom_engine(url, args.n, args.concurrency)
        ideal_e = planned * args.latency / args.concurrency
        out["synloom_engine"] = {"wall_s": wall, "planned": planned, "ratio": wall / ideal_e}
    finally:
        proc.terminate()
    return out


def run_peers(args) -> dict:
    proc, url = start_fake(args.latency)
    out: dict = {"n": args.n, "latency_s": args.latency, "concurrency": args.concurrency}
    ideal = args.n * args.latency / args.concurrency
    try:
        for name in ("distilabel", "curator"):
            cmd = [
                args.python,
                str(ROOT / "http_peers.py"),
                name,
                url,
                str(args.n),
                str(args.concurrency),
            ]
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
            if res.returncode != 0:
                out[name] = {"error": (res.stderr or res.stdout).strip().splitlines()[-1:]}
                continue
            got = json.loads(res.stdout.strip().splitlines()[-1])
            out[name] = got | {"ratio": got["wall_s"] / ideal}
    finally:
        proc.terminate()
    return out


def run_llama(args) -> dict:
    from synloom.backends.embedded import embedded_gguf_path
    from synloom.testing.llama_server import LlamaServer

    out: dict = {"n": args.n, "concurrency": args.concurrency, "max_tokens": args.max_tokens}
    with LlamaServer(embedded_gguf_path(), parallel=args.concurrency) as server:
        url = server.base_url
        asyncio.run(bare_client(url, args.concurrency, args.concurrency, 8))  # warm up
        for _ in range(args.repeats):  # interleaved, so load drift hits both alike
            # No stop strings: every request decodes max_tokens, so tok/s is decode throughput.
            wall, tok = asyncio.run(bare_client(url, args.n, args.concurrency, args.max_tokens, ()))
            out.setdefault("bare_tok_s", []).append(tok / wall)
            wall, tok, failed, _ = synloom_backend(
                url, args.n, args.concurrency, args.max_tokens, ()
            )
            out.setdefault("synloom_tok_s", []).append(tok / wall)
            out.setdefault("failed", []).append(failed)
    bare, ours = sum(out["bare_tok_s"]), sum(out["synloom_tok_s"])
    out["ratio"] = ours / bare
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("which", choices=["fake", "peers", "llama"])
    ap.add_argument("--n", type=int, default=None)
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--concurrency", type=int, default=None)
    ap.add_argument("--max-tokens", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--python", default="/tmp/peers/bin/python")
    args = ap.parse_args()
    defaults = {"fake": (5000, 64), "peers": (5000, 64), "llama": (64, 16)}[args.which]
    args.n = args.n or defaults[0]
    args.concurrency = args.concurrency or defaults[1]
    result = {"fake": run_fake, "peers": run_peers, "llama": run_llama}[args.which](args)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
