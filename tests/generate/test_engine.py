"""Engine orchestration with a deterministic fake backend: accounting, dedup, budget, resume."""

from __future__ import annotations

import pytest

from synloom.generate import run_generation
from synloom.spec import parse_spec
from synloom.store import RunStore
from tests.fakes import FakeBackend


def make_spec(**gen):
    return parse_spec(
        {
            "labels": [{"name": "positive"}, {"name": "negative"}],
            "recipe": {"type": "zerogen", "prompt": 'Review {verbalizer}: "', "min_words": 2},
            "generation": {"samples_per_label": 30, "batch_size": 8, "stop": ['"']} | gen,
            "seed": 5,
        }
    )


def snapshot(run_dir):
    with RunStore(run_dir) as store:
        acc = [(s.id, s.label, s.text) for s in store.accepted()]
        rej = [(r["id"], r["reason"]) for r in store.rejected()]
        return acc, rej, store.counts(), [f["id"] for f in store.failed()]


def test_every_output_is_accounted_for(tmp_path):
    summary = run_generation(
        make_spec(), tmp_path / "run", backend=FakeBackend(fail_every=10, vocab=3)
    )
    c = summary.counts
    assert c["accepted"] + c["rejected"] == c["done"]
    assert c["done"] + c["failed"] == c["planned"]
    assert c["unfinished"] == 0 and c["candidate"] == 0
    assert c["failed"] > 0
    assert summary.label_counts == {"negative": 30, "positive": 30}
    reasons = summary.rejection_reasons
    assert reasons.get("too_short", 0) > 0 and reasons.get("duplicate", 0) > 0
    with RunStore(tmp_path / "run") as store:
        texts = [s.text for s in store.accepted()]
        assert len(texts) == len(set(texts))
        dup = next(r for r in store.rejected() if r["reason"] == "duplicate")
        assert dup["dup_of"] in {s.id for s in store.accepted()}
        assert all(r["raw_text"] for r in store.rejected())
        assert all(f["error"] for f in store.failed())


def test_small_vocabulary_exhausts_rounds_without_losing_rows(tmp_path):
    # One word makes at most 7 distinct texts of 2-8 words: the engine stops after max_rounds.
    summary = run_generation(
        make_spec(max_rounds=3), tmp_path / "run", backend=FakeBackend(vocab=1)
    )
    c = summary.counts
    assert c["accepted"] <= 7
    assert c["accepted"] + c["rejected"] + c["failed"] == c["planned"]


def test_resume_after_crash_matches_uninterrupted_run(tmp_path):
    spec = make_spec()
    run_generation(spec, tmp_path / "full", backend=FakeBackend(fail_every=10))
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_generation(
            spec, tmp_path / "crashed", backend=FakeBackend(fail_every=10, crash_after=3)
        )
    partial = snapshot(tmp_path / "crashed")
    assert partial[2]["unfinished"] > 0
    backend = FakeBackend(fail_every=10)
    run_generation(spec, tmp_path / "crashed", backend=backend)
    assert snapshot(tmp_path / "crashed") == snapshot(tmp_path / "full")
    # finished batches were not sent again
    sent_before = 3 * 8
    total = snapshot(tmp_path / "full")[2]["planned"]
    assert sum(len(b) for b in backend.calls) == total - sent_before


def test_rerun_of_finished_run_sends_nothing(tmp_path):
    spec = make_spec()
    run_generation(spec, tmp_path / "run", backend=FakeBackend())
    backend = FakeBackend()
    run_generation(spec, tmp_path / "run", backend=backend)
    assert backend.calls == []


def test_other_spec_in_same_run_dir_is_refused(tmp_path):
    from synloom.errors import StoreError

    run_generation(make_spec(), tmp_path / "run", backend=FakeBackend())
    with pytest.raises(StoreError, match="different spec"):
        run_generation(make_spec(max_new_tokens=17), tmp_path / "run", backend=FakeBackend())
    # a larger budget alone tops the run up (tests/generate/test_top_up.py)


def test_pair_task_keeps_context_as_first_text(tmp_path):
    spec = parse_spec(
        {
            "task": {"kind": "text_pair_classification"},
            "labels": [
                {"name": "entailment", "verbalizers": ["correct"]},
                {"name": "not_entailment", "verbalizers": ["wrong"]},
            ],
            "recipe": {
                "type": "zerogen",
                "contexts": ["The sky is blue today.", "Cats sleep a lot."],
                "prompt": '"{context}" is definitely {verbalizer}: "',
                "min_words": 1,
            },
            "generation": {"samples_per_label": 5, "batch_size": 4, "stop": ['"']},
        }
    )
    run_generation(spec, tmp_path / "pair", backend=FakeBackend())
    with RunStore(tmp_path / "pair") as store:
        samples = store.accepted()
    assert len(samples) == 10
    assert all(s.text in {"The sky is blue today.", "Cats sleep a lot."} for s in samples)
    assert all(s.text_b and s.meta["context"] == s.text for s in samples)


def _near_duplicate_pairs(run_dir) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Accepted texts by id, and (rejected text, id of the kept text it duplicates) pairs."""
    with RunStore(run_dir) as store:
        kept = {s.id: s.text for s in store.accepted()}
        near = store.db.execute(
            "SELECT text, dup_of FROM outputs WHERE reason = 'near_duplicate'"
        ).fetchall()
    return kept, [(text, dup_of) for text, dup_of in near]


def test_near_duplicates_become_rejected_rows(tmp_path):
    from synloom.generate.near_dup import jaccard, shingles

    spec = make_spec(near_duplicate_threshold=0.5, samples_per_label=15)
    summary = run_generation(spec, tmp_path / "run", backend=FakeBackend(vocab=6))
    c = summary.counts
    assert summary.rejection_reasons.get("near_duplicate", 0) > 0
    assert c["accepted"] + c["rejected"] == c["done"]
    kept, near = _near_duplicate_pairs(tmp_path / "run")
    assert len(near) == summary.rejection_reasons["near_duplicate"]
    similarity = [jaccard(shingles(text), shingles(kept[dup_of])) for text, dup_of in near]
    # every rejection is justified at the spec's threshold, and some are not exact copies
    assert min(similarity) >= 0.5 and any(j < 1.0 for j in similarity)
    # a pair between 0.5 and 0.95 is a near duplicate at 0.5 and survives a 0.95 threshold
    lenient = make_spec(near_duplicate_threshold=0.95, samples_per_label=15)
    lenient_summary = run_generation(lenient, tmp_path / "lenient", backend=FakeBackend(vocab=6))
    kept_lenient, near_lenient = _near_duplicate_pairs(tmp_path / "lenient")
    assert all(jaccard(shingles(t), shingles(kept_lenient[d])) >= 0.95 for t, d in near_lenient)
    texts = list(kept_lenient.values())
    survivors = [
        (a, b)
        for i, a in enumerate(texts)
        for b in texts[:i]
        if 0.5 <= jaccard(shingles(a), shingles(b)) < 0.95
    ]
    assert survivors  # accepted at 0.95, would have been rejected at 0.5
    assert lenient_summary.rejection_reasons.get("near_duplicate", 0) < len(near)
