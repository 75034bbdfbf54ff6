"""Top-up: a rerun with a larger `samples_per_label` continues a finished or partial run (its
rounds and accepted samples kept, new rounds for the difference, the budgets recorded in the
manifest), deterministically and resumably; a smaller budget or any other change is refused in
one line. Orchestration with the fake backend; `test_top_up_real.py` runs the embedded model."""

from __future__ import annotations

import pytest

from synloom.errors import StoreError
from synloom.generate import run_generation
from synloom.recipes import recipe_for
from synloom.recipes.fewshot import FewShot
from synloom.recipes.progen import ProGen
from synloom.spec import parse_spec
from synloom.store import RunStore
from tests.fakes import FakeBackend
from tests.generate.test_manifest import make_legacy
from tests.helpers import run_cli
from tests.recipes.test_progen import progen

SEEDS = [
    {"label": "positive", "text": "a warm and funny film"},
    {"label": "negative", "text": "a dull and empty film"},
]


def fewshot(per_label: int, **generation) -> dict:
    return {
        "name": "top-up",
        "labels": [{"name": "positive"}, {"name": "negative"}],
        "seed_examples": SEEDS,
        "recipe": {"type": "fewshot", "k": 1, "prompt": "[{verbalizer}] ", "min_words": 2},
        "generation": {"samples_per_label": per_label, "batch_size": 4, "stop": ['"']} | generation,
        "seed": 5,
    }


def snapshot(run_dir):
    """The accepted samples, every request (id, round, seed, prompt) and the manifest."""
    with RunStore(run_dir) as store:
        accepted = [(s.id, s.label, s.text) for s in store.accepted()]
        requests = store.db.execute(
            "SELECT id, round, seed, prompt, status FROM requests ORDER BY stage, round, idx"
        ).fetchall()
        return accepted, requests, store.manifest(), store.label_counts()


def test_top_up_keeps_the_run_and_generates_the_difference(tmp_path):
    run = tmp_path / "run"
    first = run_generation(parse_spec(fewshot(6)), run, backend=FakeBackend())
    assert first.complete and first.budgets == (6,)
    before, before_requests, before_manifest, _ = snapshot(run)

    summary = run_generation(parse_spec(fewshot(12)), run, backend=FakeBackend())

    assert summary.complete and summary.budgets == (6, 12)
    after, after_requests, manifest, counts = snapshot(run)
    assert counts == {"negative": 12, "positive": 12}
    assert after[: len(before)] == before  # the first samples are untouched, in plan order
    assert after_requests[: len(before_requests)] == before_requests
    old_rounds = max(r[1] for r in before_requests) + 1
    assert min(r[1] for r in after_requests[len(before_requests) :]) == old_rounds
    assert {r[0] for r in after[len(before) :]} <= {
        r[0] for r in after_requests if r[1] >= old_rounds
    }
    # the manifest takes the new budget and keeps its history; the rest of the spec is as it was
    assert manifest["spec"]["generation"]["samples_per_label"] == 12
    assert manifest["data_fingerprint"]["generation"]["samples_per_label"] == 12
    steps = manifest["budgets"]
    assert [(b["samples_per_label"], b["first_round"]) for b in steps] == [(6, 0), (12, old_rounds)]
    assert steps[0]["spec_hash"] == before_manifest["spec_hash"] != manifest["spec_hash"]
    assert steps[1]["spec_hash"] == manifest["spec_hash"]
    fresh = tmp_path / "fresh"  # same fingerprint and hash as a run started at 12
    run_generation(parse_spec(fewshot(12)), fresh, backend=FakeBackend())
    assert snapshot(fresh)[2]["spec_hash"] == manifest["spec_hash"]

    shown = run_cli("inspect", run, "--show", "0")
    assert shown.returncode == 0, shown.stderr
    assert f"topped up: 6 (from round 0) → 12 (from round {old_rounds})" in shown.stdout

    # rerunning the topped-up spec is a plain resume that sends nothing
    backend = FakeBackend()
    assert run_generation(parse_spec(fewshot(12)), run, backend=backend).complete
    assert backend.calls == [] and snapshot(run)[0] == after


def test_top_up_is_deterministic_and_resumes_after_a_crash(tmp_path):
    runs = {}
    for name, crash in (("a", None), ("b", None), ("crashed", 2)):
        run = tmp_path / name
        run_generation(parse_spec(fewshot(5)), run, backend=FakeBackend())
        if crash is not None:
            with pytest.raises(RuntimeError, match="simulated crash"):
                run_generation(parse_spec(fewshot(11)), run, backend=FakeBackend(crash_after=crash))
            assert snapshot(run)[3] != {"negative": 11, "positive": 11}
        assert run_generation(parse_spec(fewshot(11)), run, backend=FakeBackend()).complete
        accepted, requests, manifest, _ = snapshot(run)
        runs[name] = (accepted, requests, [b["first_round"] for b in manifest["budgets"]])
    assert runs["a"] == runs["b"] == runs["crashed"]


def test_a_partial_run_is_topped_up_and_max_rounds_counts_the_new_budget_only(tmp_path):
    run = tmp_path / "run"
    # one round of exactly the budget: the fake backend's rejections leave it short (exit 3)
    short = run_generation(
        parse_spec(fewshot(8, max_rounds=1, oversample=1.0)), run, backend=FakeBackend()
    )
    assert not short.complete and "max_rounds (1) reached" in (short.stop_reason or "")
    # the same budget again stops at once: its one round is spent
    backend = FakeBackend()
    again = run_generation(
        parse_spec(fewshot(8, max_rounds=1, oversample=1.0)), run, backend=backend
    )
    assert backend.calls == [] and again.label_counts == short.label_counts
    # a larger budget gets a round of its own
    topped = run_generation(
        parse_spec(fewshot(9, max_rounds=1, oversample=1.0)), run, backend=FakeBackend()
    )
    _, requests, manifest, counts = snapshot(run)
    assert {r[1] for r in requests} == {0, 1}
    assert manifest["budgets"][-1]["first_round"] == 1
    assert sum(counts.values()) > sum(short.label_counts.values())
    assert topped.budgets == (8, 9)


def test_smaller_budget_and_other_changes_are_refused_in_one_line(tmp_path):
    run = tmp_path / "run"
    run_generation(parse_spec(fewshot(6)), run, backend=FakeBackend())
    before = snapshot(run)
    with pytest.raises(StoreError) as info:
        run_generation(parse_spec(fewshot(4)), run, backend=FakeBackend())
    message = str(info.value)
    assert len(message.splitlines()) == 1
    assert "holds a run of 6 samples per label" in message and "never cut" in message
    # a larger budget with another change is still a different spec, and nothing is recorded
    with pytest.raises(StoreError, match=r"different spec .*differs in generation\.temperature"):
        run_generation(parse_spec(fewshot(12, temperature=0.5)), run, backend=FakeBackend())
    other_seed = fewshot(12) | {"seed": 6}
    with pytest.raises(StoreError, match=r"different spec .*differs in seed"):
        run_generation(parse_spec(other_seed), run, backend=FakeBackend())
    assert snapshot(run) == before
    # after a top-up, the original budget is the smaller one
    run_generation(parse_spec(fewshot(8)), run, backend=FakeBackend())
    with pytest.raises(StoreError, match="holds a run of 8 samples per label"):
        run_generation(parse_spec(fewshot(6)), run, backend=FakeBackend())


def test_a_recipe_that_cannot_top_up_refuses_it(tmp_path, monkeypatch):
    run = tmp_path / "run"
    run_generation(parse_spec(fewshot(4)), run, backend=FakeBackend())
    monkeypatch.setattr(FewShot, "supports_top_up", False)
    with pytest.raises(StoreError, match="recipe 'fewshot' cannot top up a run"):
        run_generation(parse_spec(fewshot(6)), run, backend=FakeBackend())
    assert run_generation(parse_spec(fewshot(4)), run, backend=FakeBackend()).complete


def test_a_run_from_before_hash_version_2_tops_up(tmp_path):
    run = tmp_path / "run"
    spec = parse_spec(fewshot(4))
    run_generation(spec, run, backend=FakeBackend())
    make_legacy(run, spec)
    summary = run_generation(parse_spec(fewshot(7)), run, backend=FakeBackend())
    assert summary.complete and summary.budgets == (4, 7)
    with pytest.raises(StoreError, match=r"different spec .*differs in generation\.temperature"):
        run_generation(parse_spec(fewshot(9, temperature=0.3)), run, backend=FakeBackend())
    backend = FakeBackend()  # the recorded top-up resumes as a plain rerun
    assert run_generation(parse_spec(fewshot(7)), run, backend=backend).complete
    assert backend.calls == []


def test_progen_tops_up_over_its_feedback_rounds_again(tmp_path):
    run = tmp_path / "run"
    assert run_generation(parse_spec(progen(6)), run, backend=FakeBackend()).complete
    _, before, _, _ = snapshot(run)
    first_new = max(r[1] for r in before) + 1

    spec = parse_spec(progen(12))  # feedback_rounds 3: targets 8, 10, 12 after the top-up
    recipe = recipe_for(spec)
    assert isinstance(recipe, ProGen)
    with RunStore(run) as store:
        from synloom.generate.plan import round_state

        stage = recipe.stages()[-1]
        stats = store.label_stats(stage.name, stage.labels)
        state = round_state(spec, store, stage, first_new, 10**6, top_up_round=first_new)
        assert state.top_up_base == {"positive": 6, "negative": 6}
        counts = recipe.round_counts(state)
    from synloom.recipes.base import requests_needed

    # the first top-up round aims at 6 + 6/3 = 8, not at the whole budget of 12
    assert counts == {
        label: requests_needed(2, acc, done, spec.generation.oversample)
        for label, (acc, done) in stats.items()
    }

    assert run_generation(spec, run, backend=FakeBackend()).complete
    _, after, _, counts = snapshot(run)
    assert counts == {"negative": 12, "positive": 12}
    assert after[: len(before)] == before
    new_rounds = sorted({r[1] for r in after if r[1] >= first_new})
    assert len(new_rounds) >= 2  # the difference spread over feedback rounds
    with RunStore(run) as store:
        notes = [store.round_annotations("sample", rnd) for rnd in new_rounds]
    assert all(note["source"] == "influence" for note in notes)
