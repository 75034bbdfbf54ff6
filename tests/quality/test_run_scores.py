"""`score_run` over run directories: sentence pairs, and a backend that cannot score."""

from __future__ import annotations

import pytest

from synloom.quality.run_scores import read_run_texts, score_run
from synloom.spec import parse_spec
from synloom.spec.io import spec_to_dict
from synloom.store import PlannedRequest, RunStore
from tests.fakes import FakeBackend
from tests.report.runs import make_run

pytestmark = pytest.mark.slow  # real MiniLM embeddings

PAIR_SPEC = {
    "task": {"kind": "text_pair_classification"},
    "labels": [{"name": "entailment"}, {"name": "not_entailment"}],
    "seed_examples": [{"text": "a man sleeps", "text_b": "someone rests", "label": "entailment"}],
    "recipe": {"type": "zerogen", "prompt": '"{context}" so "', "contexts": ["a man sleeps"]},
}


def _pair_run(run_dir, pairs):
    spec = parse_spec(PAIR_SPEC)
    with RunStore(run_dir, create=True) as store:
        store.write_manifest({"spec": spec_to_dict(spec)})
        store.add_round(
            "sample",
            0,
            [
                PlannedRequest(f"r{i}", "sample", 0, i, 0, label, "p", a, i, {})
                for i, (a, _, label) in enumerate(pairs)
            ],
        )
        with store.transaction():
            for i, (a, b, _) in enumerate(pairs):
                store.record_output(
                    f"r{i}",
                    {"raw_text": b, "completion": b, "finish_reason": "stop", "n_tokens": 1,
                     "status": "accepted", "text": a, "text_b": b},
                )  # fmt: skip


def test_pair_runs_score_the_generated_sentence(tmp_path):
    pairs = [
        ("a man sleeps", "someone rests", "entailment"),
        ("a man sleeps", "a man runs a marathon", "not_entailment"),
        ("a dog barks", "an animal makes noise", "entailment"),
    ]
    _pair_run(tmp_path / "run", pairs)
    run = read_run_texts(tmp_path / "run")
    assert run.is_pair and run.texts == [b for _, b, _ in pairs]
    assert run.seed_texts == ["someone rests"]
    reference = [{"text": "x", "text_b": "someone rests", "label": "entailment"}] * 3
    out = score_run(tmp_path / "run", reference, max_model_samples=0)
    assert out["metrics"]["leakage_seed"]["n_exact"] == 1
    assert out["metrics"]["leakage_reference"]["n_exact"] == 1
    assert out["plot_data"]["lengths"]["synthetic"]["not_entailment"] == {"5": 1}


def test_a_backend_without_scoring_skips_the_lm_metrics(tmp_path, datasets_dir):
    run_dir = make_run(tmp_path / "run", datasets_dir, per_label=4)
    out = score_run(run_dir, backend=FakeBackend())
    for name in ("perplexity", "relabel_agreement"):
        assert "cannot score" in out["skipped"][name] and name not in out["metrics"]
    assert out["settings"]["scorer"] is None and out["settings"]["n_reference"] == 0
    assert "reference" not in out["plot_data"]["embedding_map"]
