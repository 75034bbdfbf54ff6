"""Recipe plugins: the paths the recipes' tests did not reach before (the context stage,
`example_ratio`, `label_prompts`), the registry and its entry-point group, and the engine's
checks on what a recipe plans. Orchestration through the deterministic fake backend."""

from __future__ import annotations

import sys
from dataclasses import replace

import pytest

from synloom.errors import SpecError, SynloomError
from synloom.generate import run_generation
from synloom.generate.plan import plan_round, round_state
from synloom.recipes import CONTEXT_STAGE, recipe_for
from synloom.spec import dump_spec, parse_spec, recipe_names
from synloom.spec.io import load_spec
from synloom.spec.recipe import _entry_points
from synloom.store import RunStore
from tests.fakes import FakeBackend

LABELS = [{"name": "positive"}, {"name": "negative", "verbalizers": ["bad"]}]
SEEDS = [
    {"label": "positive", "text": "loved it"},
    {"label": "positive", "text": "great fun"},
    {"label": "positive", "text": "a joy"},
    {"label": "negative", "text": "hated it"},
    {"label": "negative", "text": "a dull mess"},
    {"label": "negative", "text": "too long"},
]


def plan_first_round(spec, tmp_path, stage: int = -1):
    recipe = recipe_for(spec)
    with RunStore(tmp_path / "plan", create=True) as store:
        return plan_round(recipe, round_state(spec, store, recipe.stages()[stage], 0, 10**6))


def fewshot(ratio: float, per_label: int = 100) -> dict:
    return {
        "labels": LABELS,
        "seed_examples": SEEDS,
        "recipe": {
            "type": "fewshot",
            "k": 2,
            "example_ratio": ratio,
            "example_template": "[{verbalizer}] {text}\n",
            "prompt": "[{verbalizer}] ",
        },
        "generation": {"samples_per_label": per_label},
    }


def test_the_context_stage_feeds_the_sample_stage(tmp_path):
    spec = parse_spec(
        {
            "labels": LABELS,
            "recipe": {
                "context_stage": {"prompt": "Movie: ", "count": 3, "max_new_tokens": 7},
                "prompt": 'About "{context}", {verbalizer}: "',
                "min_words": 2,
            },
            "generation": {"samples_per_label": 6, "batch_size": 4, "stop": ['"']},
        }
    )
    summary = run_generation(spec, tmp_path / "run", backend=FakeBackend(vocab=5))
    assert summary.complete
    with RunStore(tmp_path / "run") as store:
        contexts = {c.text for c in store.accepted(CONTEXT_STAGE)}
        context_requests = store.requests(CONTEXT_STAGE, 0)
        samples = store.accepted()
    assert len(contexts) == 3
    assert {
        (r.prompt, r.label, r.context, r.params["max_new_tokens"]) for r in context_requests
    } == {("Movie: ", None, None, 7)}
    assert len(samples) == 12
    for s in samples:  # each sample was asked about one of the generated contexts
        assert s.context in contexts and s.meta["context"] == s.context
        assert s.text_b is None
    assert len({s.context for s in samples}) >= 2


def test_a_context_stage_that_accepts_nothing_stops_the_run_before_any_sample(tmp_path):
    spec = parse_spec(
        {
            "labels": LABELS,
            "recipe": {
                "context_stage": {"count": 8, "min_words": 10, "max_words": 12},
                "prompt": "{context} {verbalizer}: ",
            },
            "generation": {"samples_per_label": 4},
        }
    )
    summary = run_generation(spec, tmp_path / "run", backend=FakeBackend())  # at most 8 words
    assert summary.stop_reason.startswith("context stage: round 0 accepted nothing")
    assert summary.counts["planned"] == 0 and not summary.complete


@pytest.mark.parametrize("ratio", [0.0, 0.3, 1.0])
def test_example_ratio_is_the_share_of_requests_with_examples(tmp_path, ratio):
    requests = plan_first_round(parse_spec(fewshot(ratio)), tmp_path)
    assert len(requests) == 240  # 100 per label at the assumed rate 1/1.2
    with_examples = [r for r in requests if "examples" in r.meta]
    share = len(with_examples) / len(requests)
    # binomial: 240 draws at p = 0.3 have a standard deviation of 0.03; allow 3.5 of them
    assert abs(share - ratio) <= 0.105, share
    pools = {
        lab: {s["text"] for s in SEEDS if s["label"] == lab} for lab in ("positive", "negative")
    }
    verb = {"positive": "positive", "negative": "bad"}
    for r in requests:
        examples = r.meta.get("examples", [])
        shots = "".join(f"[{verb[r.label]}] {text}\n" for text in examples)
        assert r.prompt == f"{shots}[{verb[r.label]}] "
        if examples:  # k distinct examples, all of the request's own label
            assert len(set(examples)) == 2 and set(examples) <= pools[r.label]


def test_example_ratio_zero_needs_fewer_seed_examples_than_k():
    data = fewshot(0.0) | {"seed_examples": SEEDS[:1] + SEEDS[3:4]}
    assert parse_spec(data).recipe.example_ratio == 0
    with pytest.raises(SpecError, match="label 'positive' has only 1 seed_examples"):
        parse_spec(fewshot(0.5) | {"seed_examples": SEEDS[:1] + SEEDS[3:4]})


def test_label_prompts_replace_the_prompt_for_their_label_only(tmp_path):
    spec = parse_spec(
        {
            "labels": LABELS,
            "attributes": {"tone": ["calm", "loud"]},
            "recipe": {
                "prompt": "A {tone} {verbalizer} review: ",
                "label_prompts": {"negative": "A {tone} pan ({label}): "},
            },
            "generation": {"samples_per_label": 5},
        }
    )
    requests = plan_first_round(spec, tmp_path)
    assert {r.label for r in requests} == {"positive", "negative"}
    for r in requests:
        tone = r.meta["attributes"]["tone"]
        want = (
            f"A {tone} pan (negative): " if r.label == "negative" else f"A {tone} positive review: "
        )
        assert r.prompt == want
    with pytest.raises(SpecError, match=r"recipe\.label_prompts: unknown label 'neutral'"):
        parse_spec({"labels": LABELS, "recipe": {"label_prompts": {"neutral": "x {label}"}}})
    with pytest.raises(SpecError, match=r"recipe\.label_prompts\.negative: .*\{genre\}"):
        parse_spec({"labels": LABELS, "recipe": {"label_prompts": {"negative": "{genre}"}}})


def test_an_unknown_recipe_names_the_known_ones():
    with pytest.raises(SpecError) as info:
        parse_spec({"labels": LABELS, "recipe": {"type": "magic"}})
    known = "attrprompt, fewshot, progen, self_instruct, zerogen"
    assert f"recipe: unknown recipe 'magic'; known: {known}" in str(info.value)
    with pytest.raises(SpecError, match=r"recipe\.k: "):
        parse_spec(fewshot(1.0) | {"recipe": fewshot(1.0)["recipe"] | {"k": "3"}})


@pytest.fixture
def echo_plugin(tmp_path, monkeypatch):
    """An installed distribution whose entry point adds the `echo` recipe of plugin.py."""
    dist = tmp_path / "site" / "synloom_echo-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: synloom-echo\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[synloom.recipes]\necho = tests.recipes.plugin:Echo\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path / "site"), *sys.path])
    _entry_points.cache_clear()
    yield
    _entry_points.cache_clear()


def test_a_recipe_from_an_entry_point_plans_rounds_from_the_store(tmp_path, echo_plugin):
    assert "echo" in recipe_names()
    data = {"labels": LABELS, "recipe": {"type": "echo", "words": 3}, "seed": 4}
    spec = parse_spec(data | {"generation": {"samples_per_label": 4}})
    (tmp_path / "spec.yaml").write_text(dump_spec(spec))
    assert load_spec(tmp_path / "spec.yaml") == spec
    with pytest.raises(SpecError, match="recipe echo: at most 3 labels"):
        parse_spec(data | {"labels": [{"name": n} for n in "abcd"]})

    summary = run_generation(spec, tmp_path / "run", backend=FakeBackend(vocab=6))
    assert summary.complete
    with RunStore(tmp_path / "run") as store:
        first = store.requests("sample", 0)
        later = store.requests("sample", 1)
        accepted_ids = {s.id for s in store.accepted()}
    assert len(first) == 8 and {r.meta["round"] for r in first} == {0}
    assert all(r.meta["rate"] is None for r in first)
    # round 1 asks for exactly what round 0 left missing, knowing round 0's acceptance rates
    assert later and {r.meta["round"] for r in later} == {1}
    assert len(later) == 8 - len(accepted_ids & {r.id for r in first})
    assert all(0 <= r.meta["rate"] < 1 for r in later)


def test_the_engine_refuses_a_plan_beyond_the_limit_or_out_of_order(tmp_path, echo_plugin):
    from tests.recipes.plugin import Echo

    class Greedy(Echo):  # ignores the limit
        def plan_round(self, state):
            return super().plan_round(replace(state, limit=10**6))

    class Shuffled(Echo):  # plans requests out of plan order
        def plan_round(self, state):
            return super().plan_round(state)[::-1]

    spec = parse_spec({"labels": LABELS, "recipe": {"type": "echo"}})
    stage = recipe_for(spec).stages()[0]
    with RunStore(tmp_path / "run", create=True) as store:
        limited = round_state(spec, store, stage, 0, 5)
        assert len(plan_round(Echo(spec), limited)) == 5
        with pytest.raises(SynloomError, match=r"planned 200 requests .* more than the 5 allowed"):
            plan_round(Greedy(spec), limited)
        with pytest.raises(SynloomError, match="outside round 0 of stage 'sample'"):
            plan_round(Shuffled(spec), limited)
        with pytest.raises(ValueError, match="not an earlier round"):
            limited.requests(0)
