"""The recipes moved into `synloom.recipes` plan exactly what the code before the move planned
(commit 457e584): the same requests (ids, batches, labels, prompts, contexts, meta, decoding
settings, seeds) and the same accepted set. The expected runs in `data/` were made with that
commit (data/README.md); the specs are in `reference.py`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synloom.generate import run_generation
from synloom.generate.plan import plan_round, round_state
from synloom.recipes import recipe_for
from synloom.spec import parse_spec
from synloom.store import RunStore
from tests.fakes import FakeBackend
from tests.recipes.reference import FAKE_SPECS, FAKE_VOCAB, REAL_SPECS, dump_run

DATA = Path(__file__).parent / "data"


def expected(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def first_round(requests: list[dict], stage: str) -> list[dict]:
    return [r for r in requests if r["stage"] == stage and r["round"] == 0]


@pytest.mark.parametrize("name", sorted(FAKE_SPECS))
def test_a_whole_run_plans_and_accepts_what_it_did_before_the_move(tmp_path, name):
    want = expected(name)
    run_generation(
        parse_spec(FAKE_SPECS[name]), tmp_path / "run", backend=FakeBackend(vocab=FAKE_VOCAB[name])
    )
    got = dump_run(tmp_path / "run")
    assert len({(r["stage"], r["round"]) for r in want["requests"]}) >= 2  # several rounds
    assert got["requests"] == want["requests"]
    assert got["accepted"] == want["accepted"]


@pytest.mark.parametrize("name", sorted(REAL_SPECS))
def test_the_first_round_of_a_real_model_run_is_planned_as_before(tmp_path, name):
    # Round 0 of the first stage depends on the spec alone: no model needed to compare it.
    spec = parse_spec(REAL_SPECS[name])
    recipe = recipe_for(spec)
    stage = recipe.stages()[0]
    with RunStore(tmp_path / "run", create=True) as store:
        planned = plan_round(recipe, round_state(spec, store, stage, 0, 10**6))
    want = first_round(expected(name)["requests"], stage.name)
    got = [
        {
            "id": r.id,
            "stage": r.stage,
            "round": r.round,
            "idx": r.idx,
            "batch": r.batch,
            "label": r.label,
            "prompt": r.prompt,
            "context": r.context,
            "meta": r.meta,
            "params": r.params,
            "seed": r.seed,
        }
        for r in planned
    ]
    assert want and got == json.loads(json.dumps(want))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(REAL_SPECS))
def test_a_real_model_run_accepts_what_it_did_before_the_move(tmp_path, name):
    # The real embedded model on the CPU: every round (later ones are planned from what the
    # model's outputs left) and the accepted texts match the run made before the move.
    want = expected(name)
    run_generation(parse_spec(REAL_SPECS[name]), tmp_path / "run")
    got = dump_run(tmp_path / "run")
    assert got["requests"] == want["requests"]
    assert got["accepted"] == want["accepted"]
    assert len(got["accepted"]) >= 10
