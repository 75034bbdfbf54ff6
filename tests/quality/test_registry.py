"""The metric registry: lazy resolution, new metrics run by `score_dataset`, skip reasons, and
shared inputs (tokens) computed once per scoring."""

from __future__ import annotations

import subprocess
import sys

import pytest

import synloom.quality.registry as registry
import synloom.quality.tokens as tokens
from synloom.errors import SynloomError
from synloom.quality.info import Metric, MetricInfo
from synloom.quality.inputs import NEEDS
from synloom.quality.metrics.distribution import length_distance
from synloom.quality.metrics.ingf import ingf
from synloom.quality.metrics.vendi import vendi_ngram
from synloom.quality.suite import score_dataset
from synloom.quality.summary import summarize


def _mean_words(inputs) -> dict[str, float]:
    counts = [tokens.word_count(t) for t in inputs.texts]
    return {"mean": sum(counts) / len(counts), "n": len(counts)}


MEAN_WORDS = Metric(
    "mean_words",
    (
        MetricInfo(
            name="mean_words",
            family="naturalness",
            measures="mean whitespace-separated words per sample",
            range="[0, inf)",
            better="none",
            citation="none",
            function="tests.quality.test_registry:_mean_words",
            headline="mean",
            label="mean words per sample",
        ),
    ),
    needs=("texts",),
    compute=_mean_words,
)
NEEDS_REFERENCE = Metric("needs_reference", MEAN_WORDS.infos, ("texts", "reference"), _mean_words)
NEEDS_SEEDS = Metric("needs_seeds", MEAN_WORDS.infos, ("seed_embeddings",), _mean_words)
NEEDS_SCORER = Metric("needs_scorer", MEAN_WORDS.infos, ("scorer", "verbalizers"), _mean_words)
NEEDS_TYPO = Metric("needs_typo", MEAN_WORDS.infos, ("embedings",), _mean_words)


def _hashing_embed(texts):
    """A real, model-free embedder: hashed word counts (MiniLM is not needed to count calls)."""
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(n_features=32, alternate_sign=False).transform(texts).toarray()


def _register(monkeypatch, names: list[str]) -> None:
    """Only `names` are registered: the built-in ones by their entry, the rest from here."""
    table = {
        name: registry.METRICS.get(name, f"tests.quality.test_registry:{name.upper()}")
        for name in names
    }
    monkeypatch.setattr(registry, "METRICS", table)


def test_every_metric_resolves_lazily_to_a_metric_of_its_name():
    code = (
        "import sys, synloom.quality, synloom.quality.registry, synloom.quality.summary; "
        "print(sorted(m for m in sys.modules if m.startswith('synloom.quality.metrics.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # importing the package and the registry imports no metric module; the summary asks for all
    assert "synloom.quality.metrics.mauve" in out.stdout
    code = code.replace(", synloom.quality.summary", "")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    for name in registry.METRICS:
        metric = registry.load_metric(name)
        assert isinstance(metric, Metric) and metric.name == name and metric.infos
        assert set(metric.needs) <= set(NEEDS), name
    with pytest.raises(SynloomError, match="unknown metric 'bleurt'"):
        registry.load_metric("bleurt")


def test_a_metric_registered_here_is_run_and_summarized(monkeypatch, sst2_test):
    texts = [r["text"] for r in sst2_test[:40]]
    labels = [r["label"] for r in sst2_test[:40]]
    _register(monkeypatch, ["distinct_n", "mean_words"])
    out = score_dataset(texts, labels, embed=_hashing_embed)
    assert list(out["metrics"]) == ["distinct_n", "mean_words"]  # nothing needed embeddings
    expected = sum(len(t.split()) for t in texts) / len(texts)
    assert out["metrics"]["mean_words"] == {"mean": pytest.approx(expected), "n": 40}
    assert set(out["timings_s"]) == {"distinct_n", "mean_words"}
    row = {r.name: r for r in summarize(out["metrics"], out["skipped"])}["mean words per sample"]
    assert row.value == pytest.approx(expected) and row.family == "naturalness"


def test_missing_inputs_give_the_skip_reasons(monkeypatch, sst2_test):
    texts = [r["text"] for r in sst2_test[:20]]
    labels = [r["label"] for r in sst2_test[:20]]
    _register(monkeypatch, ["needs_reference", "needs_seeds", "needs_scorer", "dcr"])
    out = score_dataset(texts, labels, embed=_hashing_embed)
    assert out["metrics"] == {}
    assert out["skipped"] == {
        "needs_reference": "needs reference (real) data",
        "needs_seeds": "needs seed examples",
        "needs_scorer": "needs a scoring backend",
        "dcr": "needs reference (real) data",
    }
    small = [{"text": t, "label": lab} for t, lab in zip(texts[:5], labels[:5], strict=True)]
    out = score_dataset(texts, labels, reference=small, embed=_hashing_embed)
    assert out["skipped"]["dcr"] == "reference data too small for a holdout (needs >= 10 rows)"
    assert "needs_reference" in out["metrics"]
    _register(monkeypatch, ["needs_typo"])
    with pytest.raises(SynloomError, match="unknown metric input 'embedings'"):
        score_dataset(texts, labels, embed=_hashing_embed)


def test_each_text_is_tokenized_once_per_scoring(monkeypatch, sst2_test, sst2_train_sentences):
    texts = [r["text"] for r in sst2_test[:120]]
    labels = [r["label"] for r in sst2_test[:120]]
    reference = sst2_train_sentences[:60]
    seeds = [r["text"] for r in sst2_train_sentences[100:110]]
    calls: list[str] = []
    real = tokens.tokenize

    def spy(text: str) -> list[str]:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(tokens, "tokenize", spy)
    out = score_dataset(texts, labels, reference=reference, seed_texts=seeds, embed=_hashing_embed)
    token_metrics = {"distinct_n", "self_bleu", "ingf", "vocabulary_size", "vendi_ngram"}
    token_metrics |= {"length_distance", "leakage_reference", "leakage_seed"}
    assert token_metrics <= set(out["metrics"])
    assert len(calls) == len(texts) + len(reference) + len(seeds)
    monkeypatch.setattr(tokens, "tokenize", real)
    # the shared token lists give the numbers the texts do
    m = out["metrics"]
    ref_texts = [r["text"] for r in reference]
    assert m["ingf"]["ingf_2"] == ingf(texts, 2)
    assert m["length_distance"]["wasserstein"] == length_distance(texts, ref_texts).wasserstein
    assert m["vendi_ngram"]["score"] == vendi_ngram(texts).score
    assert vendi_ngram(texts, max_samples=50, seed=3) == vendi_ngram(
        texts, max_samples=50, seed=3, tokens=tokens.tokenize_all(texts)
    )


def test_length_distance_says_tokens_and_words_are_whitespace_words():
    result = {"wasserstein": 1.5, "ks": 0.2, "mean_length": 9.0, "reference_mean_length": 8.0}
    (row,) = summarize({"length_distance": result})
    assert row.name == "length_distance (W1, tokens)" and row.value == 1.5
    text = "it 's a charming , funny film"
    assert tokens.words(text) == text.split() and tokens.word_count(text) == 7
    assert len(tokens.tokenize(text)) == 8  # "'", "s" and "," are tokens, not words
