"""Peak memory of every model pass over user text, on long real reviews (issue 9 item 10).

Runs the prompting baseline (embedded generator), MiniLM embeddings and perplexity (embedded
generator) each in a fresh child process on N long reviews built from consecutive real Rotten
Tomatoes sentences (`synloom.testing.long_reviews`: mean ~230 words, the first three 1,100-1,500
words), and prints each child's peak RSS, the RSS after loading its model, and the growth per
input token (peak - loaded) / tokens. With batches bounded by tokens the growth is set by the
budget, not by N, so the ratio falls as N grows (unbounded batching keeps it flat or rising).

    python benchmarks/memory.py --n 48 --dtype float32
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, resource, sys
task, datasets, n, dtype = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
from synloom.testing.long_reviews import long_reviews
texts = [r["text"] for r in long_reviews(datasets, n)]
rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
info = {}
if task == "embeddings":
    from synloom.embeddings import embed_with_truncation, load_embedder
    model = load_embedder(device="cpu")
    tokens = sum(len(i) for i in model.tokenizer(texts, verbose=False)["input_ids"])
    loaded = rss()
    _, cut = embed_with_truncation(texts)
    info = cut.to_json()
else:
    from synloom.backends.local import LocalBackend
    backend = LocalBackend(dtype=dtype, device="cpu")
    tokens = sum(len(i) for i in backend.tokenizer(texts, verbose=False)["input_ids"])
    loaded = rss()
    if task == "prompting":
        from synloom.evaluate.prompting import predict_zero_shot
        from synloom.spec import parse_spec
        spec = parse_spec({
            "task": {"kind": "text_classification", "description": "movie review sentiment"},
            "labels": [{"name": "negative", "verbalizers": ["negative"]},
                       {"name": "positive", "verbalizers": ["positive"]}],
            "recipe": {"type": "zerogen",
                       "prompt": 'The movie review in {verbalizer} sentiment is: "'},
        })
        info = predict_zero_shot(backend, spec, texts).describe().get("truncation", {})
    else:
        from synloom.quality.metrics.perplexity import score_perplexity
        result = score_perplexity(backend.score, texts)
        info = {"n_truncated": result.n_truncated, "max_tokens": result.max_tokens}
print(json.dumps({"peak": rss(), "loaded": loaded, "tokens": tokens, "info": info}))
"""


def measure(task: str, datasets: Path, n: int, dtype: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, task, str(datasets), str(n), dtype],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{task}: child failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=48, help="long reviews")
    parser.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    parser.add_argument(
        "--datasets", type=Path, default=Path(__file__).resolve().parents[2] / "shared/datasets"
    )
    parser.add_argument("--tasks", default="prompting,embeddings,perplexity")
    args = parser.parse_args()
    gib = 2**30
    print(f"{args.n} long real reviews, {args.dtype}")
    print(
        f"{'pass':<11} {'tokens':>7} {'loaded GiB':>10} {'peak GiB':>9} {'growth B/token':>14}  cut"
    )
    for task in args.tasks.split(","):
        m = measure(task, args.datasets, args.n, args.dtype)
        per_token = (m["peak"] - m["loaded"]) / m["tokens"]
        print(
            f"{task:<11} {m['tokens']:>7} {m['loaded'] / gib:>10.2f} {m['peak'] / gib:>9.2f} "
            f"{per_token:>14.0f}  {json.dumps(m['info'])}"
        )


if __name__ == "__main__":
    main()
