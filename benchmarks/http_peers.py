"""Peer frameworks on the fake server, run by `benchmarks/http_serving.py peers` in a throwaway venv
(`python -m venv /tmp/peers --system-site-packages && /tmp/peers/bin/pip install distilabel
bespokelabs-curator`), never in synloom's environment.

  /tmp/peers/bin/python benchmarks/http_peers.py distilabel|curator BASE_URL N CONCURRENCY

Prints one JSON line: {"wall_s": ..., "ok": ...}.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

PROMPT = "Write a positive movie review."


def run_distilabel(url: str, n: int, concurrency: int) -> dict:
    """distilabel's OpenAILLM as its TextGeneration step drives it: batches of `input_batch_size`
    prompts, all of a batch in flight at once, the next batch after the slowest one returns."""
    from distilabel.models.llms import OpenAILLM

    llm = OpenAILLM(model="m", base_url=url, api_key="sk-bench", max_retries=6, timeout=120)
    llm.load()
    ok = 0
    start = time.perf_counter()
    for first in range(0, n, concurrency):
        size = min(concurrency, n - first)
        out = llm.generate(inputs=[[{"role": "user", "content": PROMPT}]] * size, max_new_tokens=40)
        ok += sum(1 for o in out for g in o["generations"] if g)
    return {
        "wall_s": time.perf_counter() - start,
        "ok": ok,
        "how": "OpenAILLM.generate, batches of concurrency",
    }


def run_curator(url: str, n: int, concurrency: int) -> dict:
    """Curator's LLM with the OpenAI backend; it throttles by requests/tokens per minute, so the
    limits are set far above what the fake server can serve and `max_concurrent_requests` (where
    supported) to the same concurrency."""
    os.environ.setdefault("CURATOR_CACHE_DIR", tempfile.mkdtemp(prefix="curator-"))
    os.environ.setdefault("OPENAI_API_KEY", "sk-bench")
    os.environ.setdefault("CURATOR_DISABLE_RICH_DISPLAY", "1")
    os.environ.setdefault("TELEMETRY_ENABLED", "false")  # Curator reports usage by default
    # Curator counts tokens with tiktoken, which downloads its tables; offline, point it at the
    # copies litellm (a Curator dependency) bundles.
    import importlib.util

    litellm = importlib.util.find_spec("litellm")
    if litellm and litellm.submodule_search_locations:
        bundled = Path(next(iter(litellm.submodule_search_locations)))
        os.environ.setdefault(
            "TIKTOKEN_CACHE_DIR", str(bundled / "litellm_core_utils" / "tokenizers")
        )
    from bespokelabs import curator

    backend_params = {
        "base_url": url,
        "api_key": "sk-bench",
        "max_requests_per_minute": 1_000_000,
        "max_tokens_per_minute": 1_000_000_000,
        "max_concurrent_requests": concurrency,
        "max_retries": 6,
        "request_timeout": 120,
        "require_all_responses": False,
    }
    llm = curator.LLM(
        model_name="gpt-4o-mini",
        backend="openai",
        backend_params=backend_params,
        generation_params={"max_tokens": 40},
    )
    prompts = [f"{PROMPT} ({i})" for i in range(n)]  # distinct, or Curator's cache dedups them
    start = time.perf_counter()
    out = llm(prompts)
    wall = time.perf_counter() - start
    try:
        ok = len(out.dataset) if hasattr(out, "dataset") else len(out)
    except TypeError:
        ok = -1
    return {"wall_s": wall, "ok": ok, "how": "curator.LLM(backend='openai')"}


def main() -> None:
    name, url, n, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    fn = {"distilabel": run_distilabel, "curator": run_curator}[name]
    print(json.dumps(fn(url, n, concurrency)))


if __name__ == "__main__":
    main()
