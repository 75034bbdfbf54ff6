"""Runs that cannot meet their budget stop instead of running away (issue 9, item 4): a round that
accepts nothing, the request cap, a bounded round size for any budget, and a non-zero exit."""

from __future__ import annotations

import pytest

from synloom.backends.base import Completion
from synloom.errors import IncompleteRunError
from synloom.generate import plan, run_generation
from synloom.recipes import recipe_for
from synloom.recipes.base import cap_counts, interleave
from synloom.spec import parse_spec
from synloom.store import RunStore
from tests.fakes import FakeBackend


def make_spec(recipe: dict | None = None, **gen):
    return parse_spec(
        {
            "labels": [{"name": "positive"}, {"name": "negative"}],
            "recipe": {"type": "zerogen", "prompt": 'Review {verbalizer}: "', "min_words": 2}
            | (recipe or {}),
            "generation": {"samples_per_label": 30, "batch_size": 8, "stop": ['"']} | gen,
            "seed": 5,
        }
    )


class SparseBackend:
    """Every `every`-th request (by seed) yields a long unique text, the others a one-word text
    that `min_words: 2` rejects: an acceptance rate of about 1/every."""

    name = "sparse"

    def __init__(self, every: int):
        self.every = every
        self.sent = 0

    def generate(self, prompts, params, seeds):
        self.sent += len(prompts)
        out = []
        for seed in seeds:
            text = f"a fine film number {seed}" if seed % self.every == 0 else "meh"
            out.append(Completion(text, "stop", text + '"', 5))
        return out

    def score(self, prompts, continuations):
        raise NotImplementedError

    def close(self):
        pass


def rounds(run_dir) -> list[tuple[int, int]]:
    with RunStore(run_dir) as store:
        return store.db.execute(
            "SELECT round, planned FROM rounds WHERE stage = 'sample' ORDER BY round"
        ).fetchall()


def test_all_rejected_stops_after_the_first_round(tmp_path):
    # Every fake output has at most 8 words: min_words 50 rejects all of them.
    spec = make_spec({"min_words": 50})
    backend = FakeBackend()
    summary = run_generation(spec, tmp_path / "run", backend=backend)
    assert len(rounds(tmp_path / "run")) == 1, "a round that accepted nothing must stop the stage"
    c = summary.counts
    assert c["accepted"] == 0 and c["rejected"] == c["planned"] == 72  # 30 x 2 x oversample 1.2
    assert sum(len(b) for b in backend.calls) == c["planned"]
    assert not summary.complete and summary.shortfall == {"positive": 30, "negative": 30}
    assert "round 0 accepted nothing" in summary.stop_reason
    assert "too_short 72" in summary.stop_reason
    with pytest.raises(IncompleteRunError) as info:
        summary.raise_if_incomplete()
    message = str(info.value)
    assert info.value.exit_code == 3 and "\n" not in message
    assert "positive 0/30" in message and "negative 0/30" in message


def test_request_cap_bounds_every_round_together(tmp_path):
    spec = make_spec(max_requests_factor=2)
    backend = SparseBackend(every=10)
    summary = run_generation(spec, tmp_path / "run", backend=backend)
    cap = plan.request_cap(spec, recipe_for(spec).stages()[-1])
    assert cap == 2 * 30 * 2
    assert sum(n for _, n in rounds(tmp_path / "run")) == backend.sent == cap
    assert not summary.complete
    assert summary.stop_reason.startswith("request cap reached: 120 requests")
    c = summary.counts
    assert c["accepted"] + c["rejected"] + c["failed"] + c["unfinished"] == c["planned"] == cap


def test_a_met_budget_is_complete_and_unchanged(tmp_path):
    summary = run_generation(make_spec(), tmp_path / "run", backend=FakeBackend(fail_every=10))
    assert summary.complete and summary.stop_reason is None and summary.shortfall == {}
    summary.raise_if_incomplete()


def test_rounds_cut_by_the_round_maximum_do_not_use_up_max_rounds(tmp_path, monkeypatch):
    # A budget needing 72 requests with at most 20 per round and max_rounds 1: four rounds cut
    # at the maximum and a fifth that completes the budget.
    monkeypatch.setattr("synloom.generate.stage_run.MAX_ROUND_REQUESTS", 20)
    spec = make_spec(max_rounds=1)
    summary = run_generation(spec, tmp_path / "run", backend=SparseBackend(every=1))
    assert summary.complete, summary.stop_reason
    sizes = [n for _, n in rounds(tmp_path / "run")]
    assert max(sizes) <= 20 and len(sizes) >= 3


def test_a_huge_budget_plans_one_bounded_round(tmp_path, monkeypatch):
    # 10 million per label would be 24 million requests planned in memory at once.
    monkeypatch.setattr("synloom.generate.stage_run.MAX_ROUND_REQUESTS", 200)
    spec = make_spec({"min_words": 50}, samples_per_label=10_000_000)
    summary = run_generation(spec, tmp_path / "run", backend=FakeBackend())
    assert rounds(tmp_path / "run") == [(0, 200)]
    assert summary.counts["planned"] == 200 and not summary.complete


def test_capped_counts_plan_a_prefix_of_the_full_round(tmp_path):
    # uneven counts: the capped counts are those of a prefix of the interleaved order
    labels = ["positive", "negative"]
    order = interleave({"positive": 7, "negative": 4}, labels)
    for limit in (0, 1, 5, 8, 9, 10, 11, 50):
        prefix = [label for label, _ in order[:limit]]
        capped = cap_counts({"positive": 7, "negative": 4}, labels, limit)
        assert capped == {lab: prefix.count(lab) for lab in labels}
    # 6 samples per label at the assumed rate 1/oversample: ceil(6 x 1.2) = 8 requests per label
    spec = make_spec(samples_per_label=6, oversample=1.2)
    recipe = recipe_for(spec)
    stage = recipe.stages()[-1]
    counts = {"positive": 8, "negative": 8}
    with RunStore(tmp_path / "run", create=True) as store:
        full = plan.plan_round(recipe, plan.round_state(spec, store, stage, 0, 10**6))
        assert len(full) == sum(counts.values())
        for limit in (1, 5, 8, 9, 10, 11, 50):
            capped = cap_counts(counts, stage.labels, limit)
            assert sum(capped.values()) == min(limit, 16)
            part = plan.plan_round(recipe, plan.round_state(spec, store, stage, 0, limit))
            assert [(r.id, r.label, r.seed) for r in part] == [
                (r.id, r.label, r.seed) for r in full[: min(limit, 16)]
            ]
            assert {lab: sum(r.label == lab for r in part) for lab in counts} == capped


def test_a_round_that_only_failed_stops_this_command_and_a_rerun_tries_again(tmp_path):
    # fail_every=1: every request fails (a server down for the whole round).
    down = FakeBackend(fail_every=1)
    summary = run_generation(make_spec(), tmp_path / "run", backend=down)
    assert len(rounds(tmp_path / "run")) == 1
    assert summary.counts["failed"] == summary.counts["planned"] == 72
    assert "every request of round 0 failed" in summary.stop_reason and summary.resumable
    with pytest.raises(IncompleteRunError, match="rerun the same command to resume"):
        summary.raise_if_incomplete()

    # The server is back: the rerun plans new rounds instead of stopping on the old failures.
    again = run_generation(make_spec(), tmp_path / "run", backend=FakeBackend())
    assert again.complete and again.stop_reason is None
    assert again.label_counts == {"negative": 30, "positive": 30}
    assert len(rounds(tmp_path / "run")) >= 2
