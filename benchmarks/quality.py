"""Quality-suite benchmark: Self-BLEU vs nltk, MinHash dedup vs exact Jaccard, scoring cost.

    python benchmarks/quality.py                      # everything (long: embeds 100k texts)
    python benchmarks/quality.py --parts self_bleu minhash
    python benchmarks/quality.py --parts scoring --scoring-sizes 1000 10000

Prints one JSON line per measurement and a table at the end; ratios are measured in one run on
one machine. Data: ../shared/datasets (or $SYNLOOM_SHARED/datasets).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def datasets_dir() -> Path:
    base = os.environ.get("SYNLOOM_SHARED")
    return Path(base) / "datasets" if base else ROOT.parent / "shared" / "datasets"


def rows(name: str) -> list[dict]:
    with open(datasets_dir() / name, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def emit(record: dict) -> dict:
    print(json.dumps(record), flush=True)
    return record


# ---------------------------------------------------------------- Self-BLEU vs nltk
def bench_self_bleu(sizes: list[int], nltk_hyps: int) -> list[dict]:
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

    from synloom.quality.metrics.self_bleu import self_bleu_per_sample
    from synloom.quality.tokens import tokenize

    pool = [
        r["text"] for r in rows("sst2/train_sentences.jsonl") + rows("rotten_tomatoes/train.jsonl")
    ]
    weights = [tuple([1.0 / k] * k) for k in range(1, 6)]
    smooth = SmoothingFunction().method1
    out = []
    for n in sizes:
        texts = pool[:n]
        start = time.perf_counter()
        ours = self_bleu_per_sample(texts)
        t_ours = time.perf_counter() - start
        toks = [tokenize(t) for t in texts]
        # nltk re-counts all N-1 references per hypothesis: time `k` hypotheses, scale by N/k
        k = n if nltk_hyps <= 0 else min(n, nltk_hyps)
        picks = sorted(random.Random(0).sample(range(n), k))
        worst = 0.0
        start = time.perf_counter()
        for i in picks:
            ref = sentence_bleu(
                toks[:i] + toks[i + 1 :], toks[i], weights, smoothing_function=smooth
            )
            ref = ref if isinstance(ref, list) else [ref] * 5
            worst = max(worst, max(abs(a - b) for a, b in zip(ref, ours[i], strict=True)))
        t_nltk = (time.perf_counter() - start) * n / k
        out.append(
            emit(
                {
                    "part": "self_bleu",
                    "n": n,
                    "ours_s": round(t_ours, 3),
                    "nltk_s": round(t_nltk, 1),
                    "nltk_measured_hypotheses": k,
                    "speedup": round(t_nltk / t_ours, 1),
                    "max_abs_diff": worst,
                    "self_bleu_4": float(ours[:, 3].mean()),
                }
            )
        )
    return out


# ---------------------------------------------------------------- MinHash vs exact Jaccard
def corpus_100k(n: int = 100_000) -> list[str]:
    """All real texts (~93.5k), topped up with lightly edited copies (one word dropped)."""
    names = [
        "sst2/train.jsonl", "sst2/train_sentences.jsonl", "sst2/validation.jsonl",
        "sst2/test.jsonl", "rotten_tomatoes/train.jsonl", "rotten_tomatoes/validation.jsonl",
        "rotten_tomatoes/test.jsonl", "trec/train.jsonl", "trec/test.jsonl",
    ]  # fmt: skip
    texts = [r["text"] for name in names for r in rows(name)]
    rng = random.Random(0)
    while len(texts) < n:
        words = rng.choice(texts).split()
        if len(words) >= 8:
            del words[rng.randrange(len(words))]
            texts.append(" ".join(words))
    rng.shuffle(texts)
    return texts[:n]


def exact_pairs(sets: list[frozenset[str]], t: float) -> set[tuple[int, int]]:
    """All pairs (i < j) of distinct sets with Jaccard >= t: prefix filtering (Chaudhuri et
    al., ICDE 2006; Bayardo et al., WWW 2007 AllPairs), exact, sub-quadratic."""
    from synloom.generate.near_dup import jaccard

    freq = Counter(tok for s in sets for tok in s)
    rank = {
        tok: r for r, (tok, _) in enumerate(sorted(freq.items(), key=lambda kv: (kv[1], kv[0])))
    }
    ordered = [sorted(s, key=rank.__getitem__) for s in sets]
    index: dict[str, list[int]] = defaultdict(list)
    pairs = set()
    for x in sorted(range(len(sets)), key=lambda i: len(sets[i])):
        size = len(ordered[x])
        prefix = size - math.ceil(t * size - 1e-9) + 1
        cands = set()
        for tok in ordered[x][:prefix]:
            for y in index[tok]:
                if len(sets[y]) >= t * size - 1e-9:
                    cands.add(y)
            index[tok].append(x)
        for y in cands:
            if jaccard(sets[x], sets[y]) >= t:
                pairs.add((min(x, y), max(x, y)))
    return pairs


def bench_minhash(n: int, threshold: float) -> dict:
    from synloom.generate.near_dup import NearDuplicateIndex, shingles

    texts = corpus_100k(n)
    start = time.perf_counter()
    index = NearDuplicateIndex(threshold=threshold)
    hits = [index.add_if_new(i, t) for i, t in enumerate(texts)]
    t_stream = time.perf_counter() - start

    # ground truth on distinct shingle sets (identical sets are trivially duplicates)
    groups: dict[frozenset[str], list[int]] = defaultdict(list)
    for i, t in enumerate(texts):
        groups[shingles(t)].append(i)
    distinct = list(groups)
    start = time.perf_counter()
    truth = exact_pairs(distinct, threshold)
    t_exact = time.perf_counter() - start

    # LSH pair recall: index every distinct set, query each before inserting it
    start = time.perf_counter()
    lsh = NearDuplicateIndex(threshold=threshold)
    found = set()
    for j, s in enumerate(distinct):
        text = " ".join(sorted(s))  # unigram shingles: any order reproduces the set
        found.update((i, j) for i in lsh.matches(text))
        lsh.add(j, text)
    t_pairs = time.perf_counter() - start
    size = [len(groups[s]) for s in distinct]
    same_set_pairs = sum(k * (k - 1) // 2 for k in size)
    text_pairs = same_set_pairs + sum(size[i] * size[j] for i, j in truth)
    text_found = same_set_pairs + sum(size[i] * size[j] for i, j in truth & found)

    # streaming decisions vs the exact streaming rule (reject if a kept earlier text is >= t)
    set_id = {s: k for k, s in enumerate(distinct)}
    neighbours: dict[int, set[int]] = defaultdict(set)
    for i, j in truth:
        neighbours[i].add(j)
        neighbours[j].add(i)
    kept_sets: set[int] = set()
    exact_reject = []
    for t in texts:
        k = set_id[shingles(t)]
        dup = k in kept_sets or bool(neighbours[k] & kept_sets)
        exact_reject.append(dup)
        if not dup:
            kept_sets.add(k)
    ours_reject = [h is not None for h in hits]
    both = sum(a and b for a, b in zip(ours_reject, exact_reject, strict=True))
    return emit(
        {
            "part": "minhash",
            "n": n,
            "threshold": threshold,
            "bands_rows": [index.bands, index.rows],
            "stream_dedup_s": round(t_stream, 1),
            "stream_rejected": sum(ours_reject),
            "exact_stream_rejected": sum(exact_reject),
            "stream_recall": round(both / max(1, sum(exact_reject)), 4),
            "stream_precision": round(both / max(1, sum(ours_reject)), 4),
            "distinct_sets": len(distinct),
            "exact_pairs_distinct": len(truth),
            "lsh_pairs_found": len(truth & found),
            "pair_recall_distinct": round(len(truth & found) / max(1, len(truth)), 4),
            "pair_recall_texts": round(text_found / max(1, text_pairs), 4),
            "lsh_all_pairs_s": round(t_pairs, 1),
            "exact_all_pairs_s": round(t_exact, 1),
        }
    )


# ---------------------------------------------------------------- total scoring time
def bench_scoring(sizes: list[int], with_model: bool) -> list[dict]:
    from synloom.quality.suite import score_dataset

    pool = (
        rows("sst2/train.jsonl")
        + rows("sst2/train_sentences.jsonl")
        + rows("rotten_tomatoes/train.jsonl")
    )
    rng = random.Random(0)
    rng.shuffle(pool)
    base = len(pool)  # 82,799 labelled sentiment texts; top up with one-word-dropped copies
    while len(pool) < max(sizes):
        row = pool[rng.randrange(base)]
        words = row["text"].split()
        if len(words) >= 4:
            del words[rng.randrange(len(words))]
            pool.append({"text": " ".join(words), "label": row["label"]})
    reference = rows("sst2/test.jsonl")
    seeds = [r["text"] for r in rows("sst2/validation.jsonl")[:16]]
    scorer = None
    if with_model:
        from synloom.backends.local import LocalBackend

        scorer = LocalBackend().score
    verbalizers = {"negative": ["negative"], "positive": ["positive"]}
    out = []
    for n in sizes:
        data = pool[:n]
        start = time.perf_counter()
        result = score_dataset(
            [r["text"] for r in data],
            [r["label"] for r in data],
            reference=reference,
            seed_texts=seeds,
            scorer=scorer,
            verbalizers=verbalizers,
            max_model_samples=200,
        )
        total = time.perf_counter() - start
        timings = result["timings_s"]
        embed = timings.get("embed", 0.0) + timings.get("embed_reference", 0.0)
        model = timings.get("perplexity", 0.0) + timings.get("relabel_agreement", 0.0)
        out.append(
            emit(
                {
                    "part": "scoring",
                    "n": n,
                    "total_s": round(total, 1),
                    "embedding_s": round(embed, 1),
                    "model_s": round(model, 1),
                    "metrics_s": round(total - embed - model, 1),
                    "slowest": sorted(timings.items(), key=lambda kv: -kv[1])[:5],
                    "skipped": sorted(result["skipped"]),
                }
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="+", default=["self_bleu", "minhash", "scoring"])
    parser.add_argument("--self-bleu-sizes", nargs="+", type=int, default=[1000, 10000])
    parser.add_argument("--nltk-hyps", type=int, default=100, help="0 = all (slow at 10k)")
    parser.add_argument("--minhash-n", type=int, default=100_000)
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--scoring-sizes", nargs="+", type=int, default=[1000, 10000, 100000])
    parser.add_argument(
        "--with-model", action="store_true", help="also score 200 samples with the embedded LM"
    )
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if "self_bleu" in args.parts:
        bench_self_bleu(args.self_bleu_sizes, args.nltk_hyps)
    if "minhash" in args.parts:
        bench_minhash(args.minhash_n, args.threshold)
    if "scoring" in args.parts:
        bench_scoring(args.scoring_sizes, args.with_model)


if __name__ == "__main__":
    main()
