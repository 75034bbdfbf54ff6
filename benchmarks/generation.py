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


def measure(backend: LocalBackend, requests: int, batch_size: int, seed: int) -> dict:
    spec = spec_for(requests // 2, batch_size, seed)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        run_generation(spec, Path(tmp) / "run", backend=backend)
        synloom_s = time.perf_counter() - start
        with RunStore(Path(tmp) / "run") as store:
            reqs = store.requests("sample", 0)
            n = store.counts()["done"]
    prompts = [r.prompt for r in reqs]
    from synloom.generate.engine import params_of

    bare_s, _ = bare_loop(backend, prompts, [r.seed for r in reqs], params_of(reqs[0]), batch_size)
    return {
        "batch": batch_size,
        "requests": n,
        "synloom_rps": n / synloom_s,
        "bare_rps": len(prompts) / bare_s,
        "ratio": (n / synloom_s) / (len(prompts) / bare_s),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--requests", type=int, default=128)
    ap.add_argument("--batch-sizes", default="32")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    backend = LocalBackend()
    print(f"model embedded, dtype {backend.dtype}")
    rows = []
    for bs in [int(x) for x in args.batch_sizes.split(",")]:
        row = measure(backend, args.requests, bs, args.seed)
        rows.append(row)
        print(
            f"batch {bs:>3}: synloom {row['synloom_rps']:.2f} req/s, bare model.generate "
            f"{row['bare_rps']:.2f} req/s, ratio {row['ratio']:.3f} (target >= 0.95)"
        )
    best = max(rows, key=lambda r: r["synloom_rps"])
    print(f"best batch size: {best['batch']} ({best['synloom_rps']:.2f} samples/s requested)")


if __name__ == "__main__":
    main()
