"""Score a synthetic dataset with every metric whose inputs are available.

What `synloom score` calls. Returns a JSON-serialisable dict: `metrics` (name -> result),
`skipped` (name -> why), `timings_s` (name -> seconds) and `settings`. Embeddings are computed
once (MiniLM by default) and shared by every embedding metric. Model-based metrics (perplexity,
relabel agreement) run on at most `max_model_samples` seeded samples because they cost an LM
forward pass each; MAUVE runs on at most `mauve_max_samples` per side (its k-means is
super-linear); the n-gram Vendi kernel on at most 2,000. Every subsample is reported.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, is_dataclass
from typing import Any

from synloom.errors import SynloomError
from synloom.quality import (
    aps,
    compression,
    dcr,
    distinct_n,
    distribution,
    frechet,
    ingf,
    leakage,
    mauve,
    oracle,
    perplexity,
    relabel,
    self_bleu,
    vendi,
    vocabulary,
)
from synloom.quality.scoring import ScoreFn


def score_dataset(
    texts: Sequence[str],
    labels: Sequence[str],
    reference: Sequence[Mapping[str, str]] | None = None,
    seed_texts: Sequence[str] | None = None,
    scorer: ScoreFn | None = None,
    verbalizers: Mapping[str, Sequence[str]] | None = None,
    relabel_template: str = relabel.DEFAULT_TEMPLATE,
    embed: Callable[[Sequence[str]], Any] | None = None,
    max_model_samples: int = 1000,
    mauve_max_samples: int = 2000,
    seed: int = 0,
) -> dict:
    """Every metric for (texts, labels); `reference` rows carry real `text` and `label`."""
    import numpy as np

    if len(texts) != len(labels):
        raise SynloomError(f"got {len(texts)} texts but {len(labels)} labels")
    if len(texts) < 2:
        raise SynloomError("scoring needs at least 2 samples")
    if embed is None:
        from synloom.embeddings import embed_texts as embed
    texts, labels = list(texts), list(labels)
    rng = np.random.default_rng(seed)
    out: dict = {"n_samples": len(texts), "metrics": {}, "skipped": {}, "timings_s": {}}
    out["settings"] = {
        "max_model_samples": max_model_samples,
        "mauve_max_samples": mauve_max_samples,
        "seed": seed,
    }

    def run(name: str, fn: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        value = fn()
        out["timings_s"][name] = round(time.perf_counter() - start, 4)
        out["metrics"][name] = _jsonable(value)
        return value

    def skip(name: str, why: str) -> None:
        out["skipped"][name] = why

    run("distinct_n", lambda: distinct_n.distinct_ns(texts))
    run("self_bleu", lambda: self_bleu.self_bleu(texts))
    run("ingf", lambda: {f"ingf_{n}": ingf.ingf(texts, n) for n in (1, 2, 3)})
    run("vocabulary_size", lambda: vocabulary.vocabulary_size(texts))
    run("compression_ratio", lambda: compression.compression_ratio(texts))
    run("vendi_ngram", lambda: vendi.vendi_ngram(texts, seed=seed))

    emb = run("embed", lambda: np.asarray(embed(texts)))
    out["metrics"]["embed"] = {"n": len(texts), "dim": int(emb.shape[1])}
    run("vendi_embedding", lambda: vendi.vendi_embedding(emb))
    run("aps", lambda: aps.aps(emb, labels))

    ref_texts = [r["text"] for r in reference] if reference else []
    ref_labels = [r["label"] for r in reference] if reference else []
    no_ref = "needs reference (real) data"
    if reference:
        ref_emb = run("embed_reference", lambda: np.asarray(embed(ref_texts)))
        out["metrics"]["embed_reference"] = {"n": len(ref_texts)}
        order = rng.permutation(len(ref_texts))
        n_hold = max(1, len(order) // 5) if len(order) >= 10 else 0
        hold, train = order[:n_hold], order[n_hold:]
        if len(set(ref_labels)) >= 2:
            run(
                "oracle_agreement",
                lambda: oracle.oracle_agreement(
                    ref_emb[train],
                    [ref_labels[i] for i in train],
                    emb,
                    labels,
                    ref_emb[hold] if n_hold else None,
                    [ref_labels[i] for i in hold] if n_hold else None,
                    seed=seed,
                ),
            )
        else:
            skip("oracle_agreement", "reference data has fewer than two labels")
        p_idx = _subsample(len(ref_texts), mauve_max_samples, rng)
        q_idx = _subsample(len(texts), mauve_max_samples, rng)
        run("mauve", lambda: mauve.mauve(ref_emb[p_idx], emb[q_idx]))
        out["metrics"]["mauve"]["n_reference"], out["metrics"]["mauve"]["n_samples"] = (
            len(p_idx),
            len(q_idx),
        )
        run("frechet_distance", lambda: frechet.frechet_distance(ref_emb, emb))
        run("length_distance", lambda: distribution.length_distance(texts, ref_texts))
        run("label_distance", lambda: distribution.label_distance(labels, ref_labels))
        run(
            "leakage_reference",
            lambda: leakage.find_leaks(
                texts, ref_texts, embeddings=emb, reference_embeddings=ref_emb
            ),
        )
        if n_hold:
            run("dcr", lambda: dcr.distance_to_closest_record(emb, ref_emb[train], ref_emb[hold]))
        else:
            skip("dcr", "reference data too small for a holdout (needs >= 10 rows)")
    else:
        for name in ("oracle_agreement", "mauve", "frechet_distance", "length_distance"):
            skip(name, no_ref)
        for name in ("label_distance", "leakage_reference", "dcr"):
            skip(name, no_ref)

    if seed_texts:
        seed_emb = np.asarray(embed(list(seed_texts)))
        run(
            "leakage_seed",
            lambda: leakage.find_leaks(
                texts, list(seed_texts), embeddings=emb, reference_embeddings=seed_emb
            ),
        )
    else:
        skip("leakage_seed", "needs seed examples")

    if scorer is None:
        skip("perplexity", "needs a scoring backend")
        skip("relabel_agreement", "needs a scoring backend")
        return out
    idx = _subsample(len(texts), max_model_samples, rng)
    sub_texts, sub_labels = [texts[i] for i in idx], [labels[i] for i in idx]
    run("perplexity", lambda: perplexity.score_perplexity(scorer, sub_texts))
    out["metrics"]["perplexity"]["n_scored"] = len(idx)
    if not verbalizers:
        skip("relabel_agreement", "needs label verbalizers")
        return out
    names = list(verbalizers)
    if set(sub_labels) - set(names):
        skip(
            "relabel_agreement",
            f"labels without verbalizers: {sorted(set(sub_labels) - set(names))}",
        )
        return out
    run(
        "relabel_agreement",
        lambda: relabel.relabel_agreement(
            sub_labels,
            relabel.verbalizer_scores(scorer, sub_texts, verbalizers, relabel_template),
            names,
        ),
    )
    out["metrics"]["relabel_agreement"].pop("judged", None)
    out["metrics"]["relabel_agreement"]["n_scored"] = len(idx)
    return out


def _subsample(n: int, limit: int | None, rng) -> Any:
    import numpy as np

    if limit is None or n <= limit:
        return np.arange(n)
    return np.sort(rng.choice(n, limit, replace=False))


def _jsonable(value: Any) -> Any:
    import numpy as np

    if is_dataclass(value) and not isinstance(value, type):
        return _jsonable(asdict(value))
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return None  # raw arrays (embeddings) are not results
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    return value
