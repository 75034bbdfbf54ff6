"""Structured records: the spec's `fields` / `json_schema`, the prompt that asks for them, the
parser that validates them (reason `schema` with the raw text), the request params and wire
payloads that constrain them, and a run through the engine (a scripted backend, orchestration
only; the real model is in test_records_real.py)."""

from __future__ import annotations

import json

import pytest

from synloom.backends.base import Completion, GenerationParams
from synloom.backends.openai_wire import generation_payload
from synloom.errors import SpecError
from synloom.generate import run_generation
from synloom.recipes.records import SCHEMA_REASON, parse_record, record_model
from synloom.spec import parse_spec
from synloom.spec.fingerprint import data_fingerprint, fingerprint_hash
from synloom.spec.records import record_schema
from synloom.store import RunStore
from synloom.store.export import export_data
from tests.helpers import run_cli

FIELDS = [
    {"name": "rating", "type": "integer", "minimum": 1, "maximum": 5, "description": "stars"},
    {"name": "title", "type": "string", "max_length": 40},
    {"name": "verdict", "type": "enum", "values": ["buy", "skip"]},
]
SCHEMA = {
    "type": "object",
    "properties": {
        "rating": {"type": "integer", "minimum": 1, "maximum": 5, "description": "stars"},
        "title": {"type": "string", "maxLength": 40},
        "verdict": {"type": "string", "enum": ["buy", "skip"]},
    },
    "required": ["rating", "title", "verdict"],
}


def make_spec(**recipe):
    return parse_spec(
        {
            "name": "records",
            "labels": [{"name": "positive"}, {"name": "negative"}],
            "recipe": {"prompt": "Write a {verbalizer} product review.", **recipe},
            "generation": {"samples_per_label": 3, "batch_size": 4, "max_rounds": 2},
            "seed": 5,
        }
    )


def test_fields_and_json_schema_give_one_record_schema():
    by_fields = make_spec(fields=FIELDS).recipe.record_fields
    by_schema = make_spec(json_schema=SCHEMA).recipe.record_fields
    assert record_schema(by_fields) == record_schema(by_schema)
    assert record_schema(by_fields)["additionalProperties"] is False


def test_unset_records_leave_the_fingerprint_and_set_ones_change_it():
    plain = make_spec()
    fp = data_fingerprint(plain)
    assert "fields" not in fp["recipe"] and "json_schema" not in fp["recipe"]
    with_fields = data_fingerprint(make_spec(fields=FIELDS))
    assert with_fields["recipe"]["fields"][0]["name"] == "rating"
    assert fingerprint_hash(with_fields) != fingerprint_hash(fp)
    # a free-text spec's sample stage stores exactly the params it always did
    from synloom.spec.recipe import load_recipe

    params = load_recipe("zerogen")(plain).stages()[-1].params
    assert set(params.to_json()) == {"max_new_tokens", "temperature", "top_p", "top_k", "stop"}


@pytest.mark.parametrize(
    ("recipe", "message"),
    [
        ({"fields": [{"name": "a", "type": "list"}]}, "recipe.fields.0.type"),
        ({"fields": FIELDS, "json_schema": SCHEMA}, "give fields or json_schema"),
        ({"fields": [{"name": "a", "type": "enum"}]}, "an enum needs them"),
        ({"fields": [{"name": "a b", "type": "string"}]}, "must be an identifier"),
        ({"fields": [FIELDS[0], FIELDS[0]]}, "duplicate field name(s): rating"),
        ({"fields": [{"name": "a", "type": "string", "minimum": 1}]}, "minimum/maximum go with"),
        (
            {"json_schema": {"type": "object", "properties": {"a": {"type": "array"}}}},
            "type 'array' is not supported",
        ),
        ({"json_schema": {"type": "array"}}, "must be an object schema"),
    ],
)
def test_bad_record_declarations_are_one_line_spec_errors(recipe, message):
    with pytest.raises(SpecError) as err:
        make_spec(**recipe)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_the_cli_refuses_a_bad_field_type_in_one_line(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "labels: [{name: a}, {name: b}]\nrecipe:\n  prompt: 'Write {verbalizer}.'\n"
        "  fields: [{name: x, type: date}]\n"
    )
    result = run_cli("generate", spec, "--out", tmp_path / "run")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "fields.0.type" in lines[0]


MODEL = record_model(make_spec(fields=FIELDS).recipe.record_fields)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (' {"rating": 5, "title": "Great", "verdict": "buy"}\nmore', '{"rating":5,"title":'),
        ('```json\n{"verdict": "skip", "title": "t", "rating": 1}\n```', '{"rating":1,"title":'),
    ],
)
def test_a_valid_record_becomes_its_canonical_json(text, expected):
    parsed = parse_record(text, MODEL)
    assert parsed.ok and parsed.text.startswith(expected)  # declared order, compact
    assert json.loads(parsed.text)["verdict"] in ("buy", "skip")


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("Sure! Here is a review", "no JSON object"),
        ('{"rating": 5, "title"', "invalid JSON"),
        ('{"rating": 6, "title": "x", "verdict": "buy"}', "rating: Input should be less than"),
        ('{"rating": "5", "title": "x", "verdict": "buy"}', "rating: Input should be a valid int"),
        ('{"rating": 5, "title": "x", "verdict": "maybe"}', "verdict: Input should be 'buy'"),
        ('{"rating": 5, "title": "x", "verdict": "buy", "id": 1}', "id: Extra inputs"),
        ('{"rating": 5, "verdict": "buy"}', "title: Field required"),
        ("", "no JSON object: (empty)"),
    ],
)
def test_an_invalid_record_is_a_schema_rejection(text, detail):
    parsed = parse_record(text, MODEL)
    assert parsed.reason == SCHEMA_REASON and detail in parsed.detail, parsed


def test_the_prompt_lists_the_fields_and_the_params_carry_the_schema():
    spec = make_spec(fields=FIELDS)
    from synloom.spec.recipe import load_recipe

    recipe = load_recipe("zerogen")(spec)
    stage = recipe.stages()[-1]
    assert stage.params.stop == ()  # the object ends a record, not a quote or a newline
    assert json.loads(stage.params.json_schema) == record_schema(spec.recipe.record_fields)
    restored = GenerationParams(**{**stage.params.to_json(), "stop": ()})
    assert restored == stage.params  # what a request stores gives the backend the schema back
    assert '- "rating": integer from 1 to 5; stars' in recipe.record_suffix
    assert '- "verdict": one of "buy", "skip"' in recipe.record_suffix


def test_the_wire_asks_for_structured_output_on_both_endpoints():
    params = GenerationParams(json_schema=json.dumps(SCHEMA))
    chat = generation_payload("chat", "m", "hi", params, 1)
    assert chat["response_format"]["json_schema"]["schema"] == SCHEMA
    assert "json_schema" not in chat
    completions = generation_payload("completions", "m", "hi", params, 1)
    assert completions["json_schema"] == SCHEMA  # llama-server's own field on /v1/completions
    assert completions["response_format"]["type"] == "json_schema"
    plain = generation_payload("completions", "m", "hi", GenerationParams(), 1)
    assert "response_format" not in plain and "json_schema" not in plain


class RecordBackend:
    """Answers a valid record to even seeds and broken JSON to odd ones; keeps the params."""

    name = "scripted"
    model_name = "scripted"

    def __init__(self):
        self.params: list[GenerationParams] = []
        self.prompts: list[str] = []

    def generate(self, prompts, params, seeds):
        self.params.append(params)
        self.prompts.extend(prompts)
        out = []
        for i, _ in enumerate(prompts):
            if (seeds[0] + i) % 2:
                raw = '{"rating": 4, "title": "cut off'
                out.append(Completion(raw, "length", raw_text=raw))
            else:
                raw = f'{{"rating": {1 + i % 5}, "title": "item {seeds[0] + i}", "verdict": "buy"}}'
                out.append(Completion(raw, "stop", raw_text=raw))
        return out

    def score(self, prompts, continuations):
        raise NotImplementedError

    def close(self):
        pass


def test_a_run_stores_records_and_their_schema_rejections_with_raw_text(tmp_path):
    spec = make_spec(fields=FIELDS)
    backend = RecordBackend()
    run_generation(spec, tmp_path / "run", backend=backend)
    with RunStore(tmp_path / "run") as store:
        accepted = store.accepted()
        rejected = store.rejected("sample")
        counts = store.counts("sample")
    assert backend.params and all(p.json_schema for p in backend.params)
    assert all(p.endswith("JSON object:\n") for p in backend.prompts)
    assert accepted and rejected
    for sample in accepted:
        assert parse_record(sample.text, MODEL).text == sample.text  # canonical already
    broken = [row for row in rejected if row["reason"] == SCHEMA_REASON]
    assert broken
    for row in broken:
        assert row["raw_text"] == '{"rating": 4, "title": "cut off'
        assert "invalid JSON" in row["detail"]
    # every request has its outcome: nothing dropped silently
    assert counts["accepted"] + counts["rejected"] == counts["planned"] == counts["done"]


def test_an_export_has_a_typed_column_per_field(tmp_path):
    import pyarrow.parquet as pq

    from synloom.store.export import read_table
    from synloom.store.export_table import accepted_table

    run_generation(make_spec(fields=FIELDS), tmp_path / "run", backend=RecordBackend())
    table, _ = read_table(tmp_path / "run")
    kinds = dict(table.columns)
    assert (kinds["rating"], kinds["title"], kinds["verdict"]) == ("int64", "string", "string")
    for row in table.rows:
        assert json.loads(row["text"]) == {k: row[k] for k in ("rating", "title", "verdict")}
    export_data(tmp_path / "run", "parquet", tmp_path / "out.parquet")
    data = pq.read_table(tmp_path / "out.parquet")
    assert str(data.schema.field("rating").type) == "int64"
    assert data.column("rating").to_pylist() == [r["rating"] for r in table.rows]
    # a field named like a column the export already has gets a prefix
    samples = RunStore(tmp_path / "run")
    with samples as store:
        accepted = store.accepted()
    renamed = accepted_table(accepted, ["positive", "negative"], {}, record=[("label", "string")])
    assert "record_label" in renamed.names and "label" in renamed.names


def test_the_example_spec_round_trips_and_declares_a_record(tmp_path):
    from pathlib import Path

    from synloom.spec import dump_spec, load_spec

    spec = load_spec(Path(__file__).resolve().parents[2] / "examples" / "records.yaml")
    assert [f.name for f in spec.recipe.record_fields] == ["rating", "title", "body"]
    (tmp_path / "again.yaml").write_text(dump_spec(spec))
    assert load_spec(tmp_path / "again.yaml") == spec


def test_local_constraint_without_xgrammar_names_the_records_extra(monkeypatch):
    import sys

    from synloom.backends.constrained import schema_processor
    from synloom.extras import MissingExtraError

    monkeypatch.setitem(sys.modules, "xgrammar", None)  # import xgrammar now fails
    with pytest.raises(MissingExtraError) as err:
        schema_processor(object(), 8, [0], json.dumps(SCHEMA))
    assert str(err.value).endswith("pip install 'synloom[records]'")
