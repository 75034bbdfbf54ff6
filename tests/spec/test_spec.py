from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from synloom.errors import SpecError
from synloom.spec import dump_spec, load_spec, parse_spec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("name", ["sst2", "sst2_fewshot", "sst2_progen", "trec", "rte"])
def test_examples_round_trip_through_yaml(name, tmp_path):
    spec = load_spec(EXAMPLES / f"{name}.yaml")
    out = tmp_path / "again.yaml"
    out.write_text(dump_spec(spec))
    # the dumped contexts_file is absolute, outside tmp_path: reading it back needs the opt-in
    assert load_spec(out, allow_outside_paths=True) == spec


def test_pair_example_keeps_newline_and_contexts_file_resolved():
    spec = load_spec(EXAMPLES / "rte.yaml")
    assert "\nBased on" in spec.recipe.prompt
    assert Path(spec.recipe.contexts_file).is_absolute()


BASE = {"labels": [{"name": "pos"}, {"name": "neg"}]}


@pytest.mark.parametrize(
    ("patch", "needle"),
    [
        ({"labels": []}, "at least 2 labels"),
        ({"seed_examples": [{"text": "x", "label": "meh"}]}, "unknown label 'meh'"),
        ({"generation": {"samples_per_label": -3}}, "generation.samples_per_label"),
        ({"recipe": {"type": "magic"}}, "magic"),
        ({"colour": "red"}, "colour: unknown field"),
        ({"recipe": {"type": "zerogen", "prompt": "review {ctx}"}}, "{ctx}"),
        ({"recipe": {"type": "fewshot"}}, "needs seed_examples for every label"),
        ({"task": {"kind": "text_pair_classification"}}, "pair task needs"),
        ({"task": {"kind": "extractive_qa"}}, "no recipe supports it yet"),
        ({"labels": [{"name": "a"}, {"name": "a"}]}, "duplicate label"),
    ],
)
def test_bad_specs_name_the_problem(patch, needle):
    with pytest.raises(SpecError) as info:
        parse_spec(BASE | patch)
    message = str(info.value)
    assert needle in message
    assert "\n" not in message


def test_yaml_syntax_error_reports_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("labels:\n  - name: pos\n  - name: [neg\n")
    with pytest.raises(SpecError, match="YAML syntax error at line"):
        load_spec(path)


def test_defaults_are_zerogen_faithful():
    spec = parse_spec(BASE)
    assert spec.recipe.type == "zerogen"
    assert (spec.generation.top_p, spec.generation.top_k, spec.generation.temperature) == (
        0.9,
        0,
        1.0,
    )
    assert yaml.safe_load(dump_spec(spec))["backend"]["model"] == "embedded"
