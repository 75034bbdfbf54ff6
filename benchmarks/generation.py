"""Samples/s of the full `synloom generate` path vs a bare `model.generate` loop.

Same model, same prompts (the planned prompts of the run), same batch size and decoding settings,
measured in one process. Prints the ratio (target >= 0.95) and, with --batch-sizes, the best batch
size for this machine.

    python benchmarks/generation.py --requests 128 --batch-sizes 8,16,32,64
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from synloom.backends.local import LocalBackend
from synloom.generate import run_generation
from synloom.spec import load_spec
from synloom.spec.io import parse_spec, spec_to_dict
from synloom.store import RunStore

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sst2_fewshot.yaml"


def spec_for(requests: int, batch_size: int, seed: int):
    data = spec_to_dict(load_spec(EXAMPLE))
    # one round of exactly `requests` requests: budget high enough that nothing is capped
    data["generation"] |= {
        "batch_size": batch_size,
        "samples_per_label": requests,
        "oversample": 1.0,
        "max_rounds": 1,
        "max_new_tokens": 32,
    }
    data["seed"] = seed
    return parse_spec(data)


def bare_loop(
    backend: LocalBackend, prompts: list[str], seeds: list[int], params, batch_size: int
) -> tuple[float, int]:
    """The same batches and seeds straight through `model.generate`, so both paths sample the same tokens."""
    import torch

    tok = backend.tokenizer
    tok.padding_side = "left"
    start = time.perf_counter()
    n_tokens = 0
    for i in range(0, len(prompts), batch_size):
        enc = tok(prompts[i : i + batch_size], return_tensors="pt", padding=True)
        torch.manual_seed(seeds[i] % (2**63))
        with torch.inference_mode():
            out = backend.model.generate(
                **enc,
                max_new_tokens=params.max_new_tokens,
                do_sample=True,
                temperature=params.temperature,
                top_p=params.top_p,
                top_k=params.top_k,
                pad_token_id=tok.pad_token_id,
                stop_strings=list(params.stop),
                tokenizer=tok,
            )
        n_tokens += int((out[:, enc["input_ids"].shape[1] :] != tok.pad_token_id).sum())
        tok.batch_decode(out[:, enc["input_ids"].shape[1] :], skip_special_tokens=True)
    return time.perf_counter() - start, n_tokens


def time_synloom(backend: LocalBackend, spec) -> tuple[float, list]:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        run_generation(spec, Path(tmp) / "run", backend=backend)
        seconds = time.perf_counter() - start
        with RunStore(Path(tmp) / "run") as store:
            reqs = store.requests("sample", 0)
    return seconds, reqs


def measure(backend: LocalBackend, requests: int, batch_size: int, seed: int, repeats: int) -> dict:
    """Alternate the two paths (ABBA...) so that load changes on a shared machine hit both."""
    from synloom.generate.engine import params_of

    spec = spec_for(requests // 2, batch_size, seed)
    synloom_s = bare_s = 0.0
    n = 0
    for rep in range(repeats):
        order = ("synloom", "bare") if rep % 2 == 0 else ("bare", "synloom")
        for path in order:
            if path == "synloom":
                seconds, reqs = time_synloom(backend, spec)
                synloom_s += seconds
                n = len(reqs)
            else:
                if rep == 0 and n == 0:  # the planned prompts come from a synloom run
                    _, reqs = time_synloom(backend, spec)
                    n = len(reqs)
                prompts = [r.prompt for r in reqs]
                seeds = [r.seed for r in reqs]
                seconds, _ = bare_loop(backend, prompts, seeds, params_of(reqs[0]), batch_size)
                bare_s += seconds
    return {
        "batch": batch_size,
        "requests": n,
        "synloom_rps": n * repeats / synloom_s,
        "bare_rps": n * repeats / bare_s,
        "ratio": bare_s / synloom_s,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--requests", type=int, default=128)
    ap.add_argument("--batch-sizes", default="32")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=2, help="alternating runs of each path")
    args = ap.parse_args()
    backend = LocalBackend()
    print(f"model embedded, dtype {backend.dtype}")
    rows = []
    for bs in [int(x) for x in args.batch_sizes.split(",")]:
        row = measure(backend, args.requests, bs, args.seed, args.repeats)
        rows.append(row)
        print(
            f"batch {bs:>3}: synloom {row['synloom_rps']:.2f} req/s, bare model.generate "
            f"{row['bare_rps']:.2f} req/s, ratio {row['ratio']:.3f} (target >= 0.95)"
        )
    best = max(rows, key=lambda r: r["synloom_rps"])
    print(f"best batch size: {best['batch']} ({best['synloom_rps']:.2f} samples/s requested)")


if __name__ == "__main__":
    main()
