"""Scale (issue 14): the Ray executor with 1 / 2 / 4 / 8 actors against a fixed-latency fake
OpenAI server (I/O-bound, so it scales on 2 cores), on one local Ray node and on a simulated
two-node cluster (`ray.cluster_utils.Cluster`); and the MinHash near-duplicate filter streaming
over 100k real texts (`quality.py`'s corpus), the bound the curation and Ray paths must keep.

    python benchmarks/scale.py --parts ray minhash --out runs/scale

Each ratio is measured in one run: the actors are started and answer once before the clock
starts; the same spec (zerogen, `batch_size` 4, 64 samples per label) runs for every actor count.
Results: docs/scale.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import yaml

from synloom.generate import run_generation
from synloom.generate.ray_executor import RayExecutor
from synloom.spec import parse_spec
from synloom.testing.fake_openai import FakeConfig, FakeOpenAIServer

SPEC = """\
name: scale
labels:
  - {name: positive, verbalizers: [positive]}
  - {name: negative, verbalizers: [negative]}
recipe:
  type: zerogen
  prompt: 'The movie review in {verbalizer} sentiment is: "'
  min_words: 3
  max_words: 16
generation: {samples_per_label: 64, batch_size: 4, max_new_tokens: 40}
backend: {type: openai, model: fake-model, max_concurrency: 4}
seed: 3
"""


def ray_cluster(kind: str):
    """(connect, shutdown) for one local node of 2 CPUs or two simulated nodes of 1 CPU."""
    import ray

    if kind == "one_node":
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        return ray.shutdown
    from ray.cluster_utils import Cluster

    nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    nodes.add_node(num_cpus=1)
    nodes.wait_for_nodes()
    ray.init(address=nodes.address, log_to_driver=False)

    def stop() -> None:
        ray.shutdown()
        nodes.shutdown()

    return stop


def ray_scaling(kind: str, counts: list[int], latency: float) -> list[dict]:
    import ray

    stop = ray_cluster(kind)
    rows = []
    try:
        with FakeOpenAIServer(FakeConfig(latency_s=latency)) as server:
            data = yaml.safe_load(SPEC)
            data["backend"]["base_url"] = server.base_url
            spec = parse_spec(data)
            for n in counts:
                with RayExecutor(spec.backend, n) as ex, tempfile.TemporaryDirectory() as tmp:
                    ex._start()
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
    finally:
        stop()
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
    ap.add_argument("--parts", nargs="+", default=["ray", "minhash"], choices=["ray", "minhash"])
    ap.add_argument("--actors", default="1,2,4,8")
    ap.add_argument("--clusters", default="one_node,two_nodes")
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--minhash-n", type=int, default=100_000)
    ap.add_argument("--out", type=Path, default=Path("runs/scale"))
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict = {}
    if "ray" in args.parts:
        counts = [int(x) for x in args.actors.split(",")]
        results["ray"] = [
            row
            for kind in args.clusters.split(",")
            for row in ray_scaling(kind, counts, args.latency)
        ]
    if "minhash" in args.parts:
        results["minhash"] = minhash_stream(args.minhash_n, 0.8)
        print(json.dumps(results["minhash"]), flush=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
