"""The recipes moved into `synloom.recipes` plan exactly what the code before the move planned
(commit 457e584): the same requests (ids, batches, labels, prompts, contexts, meta, decoding
settings, seeds) and the same accepted set. The expected runs in `data/` were made with that
commit (data/README.md); the specs are in `reference.py`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synloom.backends.base import BackendError, Completion
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


class ReplayBackend:
    """Answers each request with what the model answered it in the run before the move (found by
    prompt and seed), so that run is replayed exactly on any CPU and without the model."""

    name = "replay"

    def __init__(self, recorded: dict):
        by_id = {o["id"]: o for o in recorded["outputs"]}
        self.answers = {(r["prompt"], r["seed"]): by_id[r["id"]] for r in recorded["requests"]}
        self.asked = 0

    def generate(self, prompts, params, seeds):
        assert getattr(params, "n", 1) == 1
        out = []
        for prompt, seed in zip(prompts, seeds):
            # a request the run before the move never made fails here, with its prompt
            o = self.answers[(prompt, seed)]
            out.append(
                Completion(o["completion"], o["finish_reason"], o["raw_text"], o["n_tokens"])
            )
        self.asked += len(out)
        return out

    def score(self, prompts, continuations):
        raise BackendError("a replay has no log-probs")

    def close(self):
        pass


@pytest.mark.parametrize("name", sorted(REAL_SPECS))
def test_a_replayed_real_model_run_accepts_what_it_did_before_the_move(tmp_path, name):
    # The real model's answers in the run before the move, replayed: every round (later ones are
    # planned from what the answers left) and the accepted texts match that run. The model's own
    # answers differ between CPUs (bfloat16 where native, else float32), so they are recorded.
    want = expected(name)
    backend = ReplayBackend(want)
    run_generation(parse_spec(REAL_SPECS[name]), tmp_path / "run", backend=backend)
    got = dump_run(tmp_path / "run")
    assert got["requests"] == want["requests"]
    assert got["accepted"] == want["accepted"]
    assert got["outputs"] == want["outputs"]
    assert backend.asked == len(want["requests"]) and len(got["accepted"]) >= 10


@pytest.mark.heavy  # heavy lane: keeps the default run under 20 min on a float32 CPU
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(REAL_SPECS))
def test_a_real_model_run_plans_its_first_round_as_before_and_finishes(tmp_path, name):
    # The real embedded model on this CPU: what it answers depends on the CPU, so only what
    # does not is compared (the first round of the first stage; later ones are planned from the
    # model's answers), and the run must finish with accepted samples in every label.
    want = expected(name)
    spec = parse_spec(REAL_SPECS[name])
    summary = run_generation(spec, tmp_path / "run")
    got = dump_run(tmp_path / "run")
    stage = recipe_for(spec).stages()[0].name
    assert first_round(got["requests"], stage) == first_round(want["requests"], stage)
    labels = {a[2] for a in got["accepted"] if a[1] == "sample"}
    assert labels == {"positive", "negative"}, summary
