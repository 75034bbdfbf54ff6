"""Few-shot samples per CPU second, with the data's quality beside each speed (issue 14).

For each task, the few-shot recipe (`examples/<task>_fewshot.yaml`, k = 3, seeds drawn from the
real training split as in benchmarks/downstream.py) runs once per configuration into a fresh run
store, the embedded model loaded once and shared. Configurations run in turn (round robin over
`--repeats`), so a change of load on the shared machine hits all of them:

- `today`: one sample per prompt, each prompt prefilled on its own and transformers' sampler
  and `generate` (`backend.share_prefix: false`, `backend.sampler: transformers`: the local
  backend before issue 14);
- `fast`: one sample per prompt with today's defaults: identical prompts and the common prefix
  prefilled once where that saves a quarter of the prefill (`synloom.backends.shared_prefill`),
  top-p sampling without a sort of the vocabulary (`synloom.backends.nucleus`), and the
  backend's own decoding loop, where rows that ended leave the batch
  (`synloom.backends.decode_loop`);
- `refill`: as `fast`, with 4 x `--batch-size` requests per call and `backend.decode_rows`
  `--batch-size`: the same number of rows decode at once, and waiting prompts join as rows end;
- `n4`, `n8`: `generation.samples_per_prompt` 4 / 8, with the defaults; `n4-refill`: n4 with
  refill.

Speed: outputs per second and accepted samples per second of `run_generation` (backend loaded
before the clock starts). Quality of the accepted samples, by the same scorer as
benchmarks/recipes.py: oracle agreement (MiniLM + logistic regression trained on real training
rows), distinct-n, Self-BLEU-4, Vendi.

    python benchmarks/fewshot_speed.py --tasks sst2 trec --per-label 64 --out runs/fewshot-speed
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from downstream import TASKS, default_datasets, draw_seeds, fewshot_spec, per_prompt
from synloom.backends.local import LocalBackend
from synloom.generate import run_generation
from synloom.quality.metrics.distinct_n import distinct_n
from synloom.quality.metrics.self_bleu import self_bleu
from synloom.quality.run_scores import score_run
from synloom.quality.summary import summarize
from synloom.sampling import stratified_indices
from synloom.store import RunStore
from synloom.train.data import LabeledData

# name: (samples per prompt, backend, requests per call in units of --batch-size)
CONFIGS = {
    "today": (1, "today", 1),
    "fast": (1, "fast", 1),
    "refill": (1, "refill", 4),
    "n4": (4, "fast", 1),
    "n4-refill": (4, "refill", 4),
    "n8": (8, "fast", 1),
}
QUALITY = {"oracle": "oracle_agreement", "vendi": "vendi_embedding"}


def config_spec(task: str, seeds: list[dict], args, n: int, calls: int):
    return per_prompt(fewshot_spec(task, seeds, args.per_label, args.batch_size * calls), n)


def timed_run(spec, run_dir: Path, backend: LocalBackend) -> dict:
    start = time.perf_counter()
    run_generation(spec, run_dir, backend=backend)
    wall = time.perf_counter() - start
    with RunStore(run_dir) as store:
        outputs = store.db.execute("SELECT COUNT(*) FROM outputs").fetchone()[0]
        accepted = store.counts()["accepted"]
    return {
        "seconds": wall,
        "outputs": outputs,
        "accepted": accepted,
        "outputs_per_s": outputs / wall,
        "accepted_per_s": accepted / wall,
    }


def quality(run_dir: Path, reference: LabeledData) -> dict:
    rows = [{"text": t, "label": y} for t, y in zip(reference.texts, reference.labels)]
    result = score_run(run_dir, rows, reference_source="train", max_model_samples=0)
    values = {r.metric: r.value for r in summarize(result["metrics"], result["skipped"])}
    texts = LabeledData.from_run(run_dir).texts
    return {col: values.get(name) for col, name in QUALITY.items()} | {
        "distinct_2": distinct_n(texts, 2),
        "self_bleu_4": self_bleu(texts, max_order=4)["self_bleu_4"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", nargs="+", default=["sst2", "trec"], choices=sorted(TASKS))
    ap.add_argument(
        "--configs", nargs="+", default=[c for c in CONFIGS if c != "n8"], choices=list(CONFIGS)
    )
    ap.add_argument("--per-label", type=int, default=64)
    ap.add_argument("--seeds-per-label", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--reference-per-label", type=int, default=500, help="oracle training rows")
    ap.add_argument("--datasets", type=Path, default=default_datasets())
    ap.add_argument("--out", type=Path, default=Path("runs/fewshot-speed"))
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    # one model per backend setting, all loaded before any clock starts
    backends = {
        "today": LocalBackend(share_prefix=False, sampler="transformers"),
        "fast": LocalBackend(),
        "refill": LocalBackend(decode_rows=args.batch_size),
    }
    print(f"backend: {backends['fast'].device} {backends['fast'].dtype}", flush=True)
    results: dict = {"args": {k: str(v) for k, v in vars(args).items()}, "tasks": {}}
    for task in args.tasks:
        cfg = TASKS[task]
        train = LabeledData.from_jsonl(args.datasets / cfg["dir"] / cfg["train"])
        size = args.reference_per_label * len(train.label_names)
        reference = train.subset(stratified_indices(train.labels, size, seed=0))
        seeds = draw_seeds(train, args.seeds_per_label)
        cells = results["tasks"].setdefault(task, {})
        for repeat in range(args.repeats):
            for name in args.configs:
                n, backend, calls = CONFIGS[name]
                run_dir = args.out / f"{task}-{name}-r{repeat}"
                if run_dir.exists():
                    sys.exit(f"error: {run_dir} exists; pick a fresh --out")
                spec = config_spec(task, seeds, args, n, calls)
                speed = timed_run(spec, run_dir, backends[backend])
                speed |= quality(run_dir, reference)
                cells.setdefault(name, []).append(speed)
                print(f"[{task}] {name} r{repeat}: {json.dumps(speed)}", flush=True)
                (args.out / "results.json").write_text(json.dumps(results, indent=2))
    print(table(results))


def table(results: dict) -> str:
    lines = []
    for task, cells in results["tasks"].items():
        base = sum(r["outputs_per_s"] for r in cells["today"]) / len(cells["today"])
        lines += [
            f"\n{task}",
            "| config | outputs/s | vs today | accepted/s | oracle | distinct-2 | Self-BLEU-4 |"
            " Vendi |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for name, runs in cells.items():
            mean = {k: sum(r[k] for r in runs) / len(runs) for k in runs[0] if k != "seconds"}
            lines.append(
                f"| {name} | {mean['outputs_per_s']:.2f} | {mean['outputs_per_s'] / base:.2f}× "
                f"| {mean['accepted_per_s']:.2f} | {mean['oracle']:.3f} "
                f"| {mean['distinct_2']:.3f} | {mean['self_bleu_4']:.3f} | {mean['vendi']:.1f} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
