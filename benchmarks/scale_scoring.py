"""Scoring and curation at scale (issue 14, `benchmarks/scale.py --parts score`): a synthetic run
store of N samples, then `score` and `curate` (`random`: cheap, per-sample, no model;
`consistency`: per-sample, on MiniLM embeddings) with executor local and ray, each measurement in
a fresh process that reports its samples/s and its own (the driver's) peak RSS.

The store: real labeled texts (SST-2's 67k training phrases and Rotten Tomatoes' 8.5k reviews)
repeated until N, every copy after the first with one word dropped (a seeded choice), written
through the store API (`RunStore.add_round` / `record_output` / `finalize_round`, rounds of
50,000 requests; the spec is the SST-2 zerogen spec of the tests, without seed examples:
`consistency` gets 16 real seeds per label from SST-2's validation split via `--seed-data`).

Embedding is the cost that grows fastest (MiniLM on 2 CPUs: tens of texts per second per core),
so `--score-embed-n M` runs the embedding work (`score`, `curate consistency`) on the first M
samples (a second store) while the store and `curate random` run at N, and adds `score-hashed`:
every metric of `score` at N with hashed word counts standing in for MiniLM (`hashed_embeddings`),
which measures the driver's metric work and memory at N without the embedding cost.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROUND = 50_000
SPEC = {
    "name": "scale-scoring",
    "task": {"kind": "text_classification", "description": "movie review sentiment"},
    "labels": [
        {"name": "negative", "verbalizers": ["negative"]},
        {"name": "positive", "verbalizers": ["positive"]},
    ],
    "recipe": {"type": "zerogen", "prompt": 'The movie review in {verbalizer} sentiment is: "'},
}


def datasets_dir() -> Path:
    sys.path.insert(0, str(Path(__file__).parent))
    from quality import datasets_dir as shared

    return shared()


def read_rows(name: str) -> list[dict]:
    with open(datasets_dir() / name, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def samples(n: int):
    """(text, label) x n: the real rows, then copies with one word dropped (seeded)."""
    real = read_rows("sst2/train.jsonl") + read_rows("rotten_tomatoes/train.jsonl")
    rng = random.Random(14)
    for i in range(n):
        row = real[i % len(real)]
        words = row["text"].split()
        if i >= len(real) and len(words) > 1:
            del words[rng.randrange(len(words))]
        yield " ".join(words), row["label"]


def build_store(run_dir: Path, n: int) -> dict:
    """A run of `n` accepted samples written through the store API; its time and size."""
    from synloom.spec import parse_spec
    from synloom.spec.io import spec_to_dict
    from synloom.store import PlannedRequest, RunStore

    start = time.perf_counter()
    spec = parse_spec(SPEC)
    stream = samples(n)
    with RunStore(run_dir, create=True) as store:
        store.write_manifest({"spec": spec_to_dict(spec), "seed": spec.seed})
        for rnd, first in enumerate(range(0, n, ROUND)):
            part = [next(stream) for _ in range(min(ROUND, n - first))]
            fields = {"stage": "sample", "round": rnd, "prompt": "p", "context": None}
            requests = [
                PlannedRequest(
                    id=f"r{first + i}",
                    idx=i,
                    batch=i // 32,
                    label=label,
                    seed=first + i,
                    params={},
                    meta={},
                    **fields,
                )
                for i, (_, label) in enumerate(part)
            ]
            store.add_round("sample", rnd, requests)
            with store.transaction():
                for i, (text, _) in enumerate(part):
                    store.record_output(
                        f"r{first + i}",
                        {"raw_text": text, "completion": text, "finish_reason": "stop",
                         "n_tokens": 1, "status": "accepted", "text": text, "text_b": None},
                    )  # fmt: skip
            store.finalize_round("sample", rnd)
    seconds = time.perf_counter() - start
    size = (run_dir / "run.sqlite").stat().st_size
    return {"n": n, "seconds": round(seconds, 1), "store_mb": round(size / 2**20, 1)}


def seed_file(path: Path, per_label: int = 16) -> Path:
    rows, counts = [], {}
    for row in read_rows("sst2/validation.jsonl"):
        if counts.get(row["label"], 0) < per_label:
            counts[row["label"]] = counts.get(row["label"], 0) + 1
            rows.append({"text": row["text"], "label": row["label"]})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def hashed_embeddings(texts):
    """A cheap stand-in for MiniLM (`score-hashed`): L2-normalised 384-dim hashed word counts
    (scikit-learn's HashingVectorizer) plus a constant component, so no row is zero. It keeps
    every metric of `score` running at N while MiniLM itself is measured at --score-embed-n."""
    import numpy as np
    from sklearn.feature_extraction.text import HashingVectorizer

    vectorizer = HashingVectorizer(n_features=383, norm="l2")
    out = np.full((len(texts), 384), 0.1, dtype=np.float32)
    for start in range(0, len(texts), 10_000):  # dense in slices: float32 n x 384 at most
        out[start : start + 10_000, :383] = vectorizer.transform(
            texts[start : start + 10_000]
        ).toarray()
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def measure_one(what: str, run_dir: Path, executor: str, workers: int, seeds: Path) -> dict:
    """One measurement in this process (`--one`): its wall time and this process's peak RSS."""
    import os

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if executor == "ray":
        import logging

        import ray

        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False,
                 logging_level=logging.WARNING)  # fmt: skip
    start = time.perf_counter()
    if what in ("score", "score-hashed"):
        from synloom.quality.run_scores import score_run

        embed = hashed_embeddings if what == "score-hashed" else None
        result = score_run(
            run_dir, max_model_samples=0, executor=executor, ray_workers=workers, embed=embed
        )
        n = result["n_samples"]
    else:
        from synloom.curate.pipeline import SizeTarget
        from synloom.curate.runner import curate_run
        from synloom.curate.settings import CurationRequest

        # a fresh name each time: a stored curation of the same settings would resume, not run
        name = f"{what}-{executor}-{time.time_ns()}"
        request = CurationRequest((what,), SizeTarget(keep=0.5), name=name)
        result = curate_run(run_dir, request, seed_data_path=seeds, replace=True,
                            executor=executor, ray_workers=workers)  # fmt: skip
        n = sum(result.summary["pool"].values())
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {
        "step": what if what.startswith("score") else f"curate {what}",
        "executor": executor if executor == "local" else f"ray ({workers} workers)",
        "n": n,
        "seconds": round(seconds, 1),
        "samples_per_s": round(n / seconds, 1),
        "driver_peak_rss_mb": round(peak),
    }


def measure(what: str, run_dir: Path, executor: str, workers: int, seeds: Path) -> dict:
    """`measure_one` in a fresh process, so each peak RSS is that step's own."""
    cmd = [sys.executable, __file__, "--one", what, "--run", str(run_dir), "--executor", executor,
           "--workers", str(workers), "--seeds", str(seeds)]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def scoring_at_scale(n: int, embed_n: int, workers: int, out: Path) -> dict:
    """The store, then score and curate (random at N; score and consistency at embed_n)."""
    out.mkdir(parents=True, exist_ok=True)
    seeds = seed_file(out / "seeds.jsonl")
    stores = {n: out / f"run-{n}"}
    stores[min(n, embed_n)] = out / f"run-{min(n, embed_n)}"
    results: dict = {"stores": [], "steps": []}
    for size, run_dir in sorted(stores.items()):
        if not (run_dir / "run.sqlite").exists():
            results["stores"].append(build_store(run_dir, size))
            print(json.dumps(results["stores"][-1]), flush=True)
    small = stores[min(n, embed_n)]
    plan = [("random", stores[n]), ("consistency", small), ("score", small)]
    runs = [(what, run_dir, executor) for what, run_dir in plan for executor in ("local", "ray")]
    if small != stores[n]:  # every metric of score at N, on hashed word counts for embeddings
        runs.append(("score-hashed", stores[n], "local"))
    for what, run_dir, executor in runs:
        results["steps"].append(measure(what, run_dir, executor, workers, seeds))
        print(json.dumps(results["steps"][-1]), flush=True)
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--one", choices=["score", "score-hashed", "random", "consistency"])
    ap.add_argument("--run", type=Path)
    ap.add_argument("--executor", default="local")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seeds", type=Path)
    args = ap.parse_args()
    print(json.dumps(measure_one(args.one, args.run, args.executor, args.workers, args.seeds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
