"""Self-Instruct (Wang et al., ACL 2023) as the instruction task's recipe: the spec's checks, the
prompts and parsers, every stage through the engine with a scripted backend (the ROUGE-L pool
filter in plan order with the nearest instruction named, output-first instances for tasks
classified as classification, retries, resume after a crash), and one small run of the real
embedded model."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from rouge_score import rouge_scorer

from synloom.backends.base import Completion, cut_at_stop
from synloom.errors import SpecError
from synloom.generate import run_generation
from synloom.prompts.self_instruct import (
    CLASSIFY_HEADER,
    INSTRUCTION_HEADER,
    instruction_prompt,
    parse_instance,
    parse_instruction,
)
from synloom.spec import parse_spec
from synloom.store import RunStore
from tests.helpers import run_cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SEED_FILE = EXAMPLES / "self_instruct_seed_tasks.jsonl"
FIRST_SEED = json.loads(SEED_FILE.read_text().splitlines()[0])["instruction"]


def spec_dict(n: int = 6, **recipe) -> dict:
    return {
        "name": "si",
        "task": {"kind": "instruction"},
        "recipe": {"type": "self_instruct", "seed_tasks_file": str(SEED_FILE)} | recipe,
        "generation": {"samples_per_label": n, "batch_size": 4, "max_rounds": 20},
    }


def load(data: dict):
    return parse_spec(data, base_dir=EXAMPLES, allow_outside_paths=True)


# -- the spec ------------------------------------------------------------------------------------


def test_the_seed_file_becomes_inline_seed_tasks():
    spec = load(spec_dict())
    assert len(spec.recipe.seed_tasks) == 175 and spec.recipe.seed_tasks_file is None
    assert sum(t.is_classification for t in spec.recipe.seed_tasks) > 0
    assert spec.label_names == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"labels": [{"name": "a"}, {"name": "b"}]}, "labels: an instruction task takes none"),
        ({"task": {"kind": "text_classification"}}, "set task.kind: instruction"),
        ({"recipe": {"type": "zerogen", "prompt": "x"}}, "needs an instruction recipe"),
        ({"recipe": {"type": "self_instruct"}}, "needs seed tasks"),
    ],
)
def test_spec_errors_say_what_is_wrong(change, message):
    data = spec_dict() | change
    if change.get("task", {}).get("kind") == "text_classification":
        data["labels"] = [{"name": "a"}, {"name": "b"}]
    with pytest.raises(SpecError, match=message):
        load(data)


def test_a_bad_seed_row_is_one_line_exit_2(tmp_path):
    bad = tmp_path / "seeds.jsonl"
    bad.write_text('{"instruction": "Say hi.", "instances": [], "is_classification": false}\n[1]\n')
    spec = tmp_path / "spec.yaml"
    recipe = {"type": "self_instruct", "seed_tasks_file": "seeds.jsonl"}
    spec.write_text(json.dumps(spec_dict() | {"recipe": recipe}))
    result = run_cli("generate", spec, "--out", tmp_path / "run")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "line 2 of" in lines[0] and lines[0].startswith("error:")


# -- prompts and parsers -------------------------------------------------------------------------


def test_the_instruction_prompt_is_the_papers_encode_prompt():
    prompt = instruction_prompt(["Sort  the list:", "Name a color."])
    assert prompt == "Come up with a series of tasks:\n1. Sort the list\n2. Name a color.\n3."


@pytest.mark.parametrize(
    ("text", "finish", "expected"),
    [
        (" Translate the sentence into French.\n", "stop", "Translate the sentence into French."),
        (" Task 9: Add two numbers.", "stop", "Add two numbers."),
        (" Write a", "length", None),
        ("   \n", "stop", None),
    ],
)
def test_an_instruction_is_the_first_line(text, finish, expected):
    assert parse_instruction(text, finish).text == expected


@pytest.mark.parametrize(
    ("text", "classification", "expected"),
    [
        (" I'm hungry.\nOutput: Eat something.", False, ("I'm hungry.", "Eat something.")),
        (" None\nOutput: 42", False, ("", "42")),
        (" rotten\nOutput: No.\n\nOutput: No again.", False, ("rotten", "No.")),
        (" Positive\nInput: I loved every minute.", True, ("I loved every minute.", "Positive")),
        (" Paris", True, ("", "Paris")),
    ],
)
def test_instances_parse_input_first_and_output_first(text, classification, expected):
    parsed = parse_instance(
        text, "stop", instruction="T", classification=classification, max_output_words=50
    )
    record = json.loads(parsed.text)
    assert (record["input"], record["output"]) == expected and record["instruction"] == "T"


@pytest.mark.parametrize(
    ("text", "finish", "reason"),
    [
        (" just an input", "stop", "no_output"),
        (" same\nOutput: same", "stop", "copied_input"),
        (" x\nOutput: " + "word " * 60, "stop", "too_long"),
        (" x\nOutput: cut", "length", "truncated"),
    ],
)
def test_bad_instances_are_rejections_with_reasons(text, finish, reason):
    parsed = parse_instance(
        text, finish, instruction="T", classification=False, max_output_words=50
    )
    assert parsed.reason == reason


# -- the engine with a scripted generator --------------------------------------------------------

NEW = [
    "Classify the sentiment of the given tweet as positive or negative.",
    "Give three tips for keeping a houseplant alive in winter.",
    "Explain how a bicycle gear system works to a ten year old.",
    "Summarize the plot of your favorite novel in two sentences.",
    "Convert the temperature from Celsius to Fahrenheit.",
    "Suggest a name for a bakery that sells only bread made with rye.",
    "List the planets of the solar system ordered by size.",
    "Decide whether the email is spam or not spam.",
    "Draw a map of your neighborhood.",  # blacklisted: draw, map
    "Hi there.",  # too short
    FIRST_SEED.replace("anything", "something"),  # a near copy of a seed task
    "Give three tips for keeping a houseplant alive during winter.",  # near copy of NEW[1]
]


class Scripted:
    """Instructions drawn by seed from NEW; classification by keywords; instances by kind."""

    name = "scripted"

    def __init__(self, crash_after: int | None = None):
        self.crash_after, self.batches = crash_after, 0
        self.prompts: list[str] = []

    def generate(self, prompts, params, seeds):
        if self.crash_after is not None and self.batches >= self.crash_after:
            raise RuntimeError("simulated crash")
        self.batches += 1
        out = []
        for prompt, seed in zip(prompts, seeds, strict=False):
            self.prompts.append(prompt)
            if prompt.startswith(INSTRUCTION_HEADER):
                raw = " " + random.Random(seed).choice(NEW) + "\n2. more"
            elif prompt.startswith(CLASSIFY_HEADER):
                task = prompt.rsplit("Task:", 1)[1]
                raw = " Yes\n" if ("Classify" in task or "Decide" in task) else " No\n"
            elif prompt.endswith("Class label:"):
                raw = " positive\nInput: What a lovely day.\n\nTask: next"
            elif random.Random(seed).random() < 0.3:
                raw = " no output line here"
            else:
                raw = f" some input {seed % 97}\nOutput: an answer\n\nTask: next"
            text, stopped = cut_at_stop(raw, params.stop)
            out.append(Completion(text, "stop" if stopped else "length", raw, 5))
        return out

    def score(self, prompts, continuations):
        raise NotImplementedError

    def close(self):
        pass


def rouge_l(a: str, b: str) -> float:
    return rouge_scorer.RougeScorer(["rougeL"]).score(a, b)["rougeL"].fmeasure


def test_every_stage_runs_and_the_pool_filter_holds(tmp_path):
    spec = load(spec_dict(6, round_size=4))
    backend = Scripted()
    run_generation(spec, tmp_path / "run", backend=backend)
    seeds = [t.instruction for t in spec.recipe.seed_tasks]
    with RunStore(tmp_path / "run") as store:
        kept = [s.text for s in store.accepted("instruction")]
        rejected = store.rejected("instruction")
        kinds = {s.meta["instruction"]: json.loads(s.text) for s in store.accepted("classify")}
        samples = [json.loads(s.text) for s in store.accepted("sample")]
        sample_rejects = store.rejected("sample")
        requests = [r for rnd in range(10) for r in store.requests("instruction", rnd)]
    assert len(kept) == 6
    # the filter, in plan order: below 0.7 against the seeds and every earlier kept instruction
    for i, text in enumerate(kept):
        assert max(rouge_l(p, text) for p in seeds + kept[:i]) < 0.7
    reasons = {r["reason"] for r in rejected}
    assert reasons <= {"rouge_similar", "blacklisted", "too_short", "duplicate", "over_budget"}
    assert "rouge_similar" in reasons and all(r["raw_text"] for r in rejected)
    near = [r for r in rejected if r["reason"] == "rouge_similar"]
    assert all(r["detail"].startswith("rouge_l=") and " with " in r["detail"] for r in near)
    copies = [
        r
        for r in rejected
        if r["raw_text"].startswith(" " + NEW[10]) and r["reason"] != "over_budget"
    ]
    assert copies and all(r["reason"] == "rouge_similar" for r in copies)
    assert all(FIRST_SEED[:40] in r["detail"] for r in copies)
    # prompts: 8 pool instructions; later rounds show generated ones
    late = [r.prompt for r in requests if r.round > 0]
    assert all(r.prompt.count("\n") == 9 for r in requests)
    assert any(any(k in p for k in kept) for p in late)
    # classification first: output-first instances for classification tasks
    assert set(kinds) == set(kept)
    for sample in samples:
        assert set(sample) == {"instruction", "input", "output"}
        if kinds[sample["instruction"]]["classification"]:
            assert sample["output"] == "positive" and sample["input"] == "What a lovely day."
    assert {r["reason"] for r in sample_rejects} <= {"no_output"}
    assert len(samples) + len(sample_rejects) >= len(kept)


def test_a_crashed_run_resumes_to_the_same_data(tmp_path):
    spec = load(spec_dict(6, round_size=4))
    run_generation(spec, tmp_path / "whole", backend=Scripted())
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_generation(spec, tmp_path / "crashed", backend=Scripted(crash_after=3))
    run_generation(spec, tmp_path / "crashed", backend=Scripted())

    def data(path):
        with RunStore(path) as store:
            return [
                [(s.id, s.text) for s in store.accepted(stage)]
                for stage in ("instruction", "classify", "sample")
            ]

    assert data(tmp_path / "crashed") == data(tmp_path / "whole")


# -- the real embedded model ---------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.heavy
def test_a_real_model_round_at_a_small_budget(tmp_path):
    """Measured here: 4 instructions kept from 5-6 requests; 2-4 instances; ~40 s."""
    data = spec_dict(4, instance_max_new_tokens=64)
    data["generation"] |= {"temperature": 0.7, "top_p": 0.95, "batch_size": 8}
    summary = run_generation(load(data), tmp_path / "run")
    seeds = [t.instruction for t in load(data).recipe.seed_tasks]
    with RunStore(tmp_path / "run") as store:
        kept = [s.text for s in store.accepted("instruction")]
        classified = store.accepted("classify")
        samples = [json.loads(s.text) for s in store.accepted("sample")]
        rejected = store.rejected()
    assert len(kept) == 4 and len(classified) == 4 and summary.stopped_stage is None
    for i, text in enumerate(kept):
        assert max(rouge_l(p, text) for p in seeds + kept[:i]) < 0.7
        assert 4 <= len(text.split()) <= 150
    assert samples, "no instance parsed from the real model"
    assert all(s["instruction"] in kept and s["output"] for s in samples)
    assert all(r["raw_text"] is not None and r["reason"] for r in rejected)
