"""Scale (issue 14): the Ray executor with 1 / 2 / 4 / 8 actors against a fixed-latency fake
OpenAI server (I/O-bound, so it scales on 2 cores), on one local Ray node and on a simulated
two-node cluster (`ray.cluster_utils.Cluster`); and the MinHash near-duplicate filter streaming
over 100k real texts (`quality.py`'s corpus), the bound the curation and Ray paths must keep.

    python benchmarks/scale.py --parts ray minhash --out runs/scale
    python benchmarks/scale.py --parts score --score-n 2000 --out runs/scale   # scale_scoring.py

Each ratio is measured in one run: the actors are started and answer once before the clock
starts; the same spec (`synloom.testing.ray_scenario`'s zerogen spec, the Ray tests' own, at
64 samples per label) runs for every actor count.
Results: docs/scale.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from synloom.generate import run_generation
from synloom.generate.ray_executor import RayExecutor
from synloom.spec import parse_spec
from synloom.testing.fake_openai import FakeConfig, FakeOpenAIServer
from synloom.testing.ray_scenario import CLUSTERS, ray_cluster, ray_spec_data


def ray_scaling(kind: str, counts: list[int], latency: float, per_label: int) -> list[dict]:
    import ray

    rows = []
    with ray_cluster(kind), FakeOpenAIServer(FakeConfig(latency_s=latency)) as server:
        spec = parse_spec(ray_spec_data(server.base_url, samples_per_label=per_label))
        for n in counts:
            with RayExecutor(spec.backend, n) as ex, tempfile.TemporaryDirectory() as tmp:
                ex._start()  # actors up and answering before the clock starts
                nodes = {node for node, _ in ray.get([a.where.remote() for a in ex.actors])}
                start = time.perf_counter()
                summary = run_generation(spec, Path(tmp) / "run", executor=ex)
                seconds = time.perf_counter() - start
            planned = summary.counts["planned"]
            rows.append(
                {
                    "cluster": kind,
                    "actors": n,
                    "nodes_used": len(nodes),
                    "requests": planned,
                    "seconds": round(seconds, 2),
                    "requests_per_s": round(planned / seconds, 1),
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    base = rows[0]["requests_per_s"]
    for row in rows:
        row["vs_1_actor"] = round(row["requests_per_s"] / base, 2)
    return rows


def minhash_stream(n: int, threshold: float) -> dict:
    sys.path.insert(0, str(Path(__file__).parent))
    from quality import corpus_100k
    from synloom.generate.near_dup import NearDuplicateIndex

    texts = corpus_100k(n)
    start = time.perf_counter()
    index = NearDuplicateIndex(threshold=threshold)
    rejected = sum(index.add_if_new(i, t) is not None for i, t in enumerate(texts))
    seconds = time.perf_counter() - start
    return {"n": n, "threshold": threshold, "seconds": round(seconds, 1), "rejected": rejected}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--parts", nargs="+", default=["ray", "minhash"], choices=["ray", "minhash", "score"]
    )
    ap.add_argument("--actors", default="1,2,4,8")
    ap.add_argument("--clusters", default=",".join(CLUSTERS))
    ap.add_argument("--per-label", type=int, default=64)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--minhash-n", type=int, default=100_000)
    ap.add_argument("--score-n", type=int, default=2_000, help="samples in the score part's run")
    ap.add_argument("--score-embed-n", type=int, default=None, help="samples the embedding work"
                    " (score, consistency) runs on (default: --score-n)")  # fmt: skip
    ap.add_argument("--score-workers", type=int, default=2, help="Ray Data workers")
    ap.add_argument("--out", type=Path, default=Path("runs/scale"))
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict = {}
    if "ray" in args.parts:
        counts = [int(x) for x in args.actors.split(",")]
        results["ray"] = [
            row
            for kind in args.clusters.split(",")
            for row in ray_scaling(kind, counts, args.latency, args.per_label)
        ]
    if "minhash" in args.parts:
        results["minhash"] = minhash_stream(args.minhash_n, 0.8)
        print(json.dumps(results["minhash"]), flush=True)
    if "score" in args.parts:  # scoring and curation on Ray Data vs local (scale_scoring.py)
        sys.path.insert(0, str(Path(__file__).parent))
        from scale_scoring import scoring_at_scale

        n, embed_n = args.score_n, args.score_embed_n or args.score_n
        results["score"] = scoring_at_scale(n, embed_n, args.score_workers, args.out / "score")
    (args.out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
