"""Structured records with real generators: the embedded SmolLM2-135M decoding under the record's
JSON schema (xgrammar) against the same prompts decoded freely, and a real llama-server's
structured output on /v1/completions."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from synloom.generate import run_generation
from synloom.recipes.records import SCHEMA_REASON, parse_record, record_model
from synloom.spec import parse_spec
from synloom.store import RunStore
from tests.conftest import embedded_llama_server

pytestmark = pytest.mark.slow

FIELDS = [
    {"name": "rating", "type": "integer", "minimum": 1, "maximum": 5, "description": "stars"},
    {"name": "title", "type": "string", "max_length": 40, "description": "a short title"},
    {"name": "recommend", "type": "boolean"},
]


def records_spec(backend: dict) -> object:
    return parse_spec(
        {
            "name": "records-real",
            "labels": [{"name": "positive"}, {"name": "negative"}],
            "recipe": {
                "prompt": "Write a {verbalizer} review of a product you bought online.",
                "fields": FIELDS,
            },
            # 12 requests in one round: every one must come back a valid record
            "generation": {
                "samples_per_label": 6,
                "batch_size": 12,
                "max_new_tokens": 48,
                "oversample": 1.0,
                "max_rounds": 1,
            },
            "backend": backend,
            "seed": 1,
        }
    )


@pytest.mark.heavy  # heavy lane: keeps the default run under 20 min on a float32 CPU
def test_constrained_decoding_yields_only_valid_records_and_free_decoding_does_not(tmp_path):
    from synloom.backends.local import LocalBackend
    from synloom.spec.recipe import load_recipe

    spec = records_spec({"type": "local", "model": "embedded", "device": "cpu"})
    backend = LocalBackend.from_config(spec.backend)
    try:
        summary = run_generation(spec, tmp_path / "run", backend=backend)
        with RunStore(tmp_path / "run") as store:
            requests = store.requests("sample", 0)
            accepted = store.accepted()
        # measured: 12 of 12 valid records (seed 1)
        assert len(requests) == 12 and len(accepted) == 12, summary.stop_reason
        model = record_model(spec.recipe.record_fields)
        for sample in accepted:
            record = json.loads(sample.text)
            assert 1 <= record["rating"] <= 5 and isinstance(record["recommend"], bool)
            assert parse_record(sample.text, model).text == sample.text
        # the same prompts decoded freely: measured 0 of 12 valid (fenced or multi-line JSON
        # with invented fields, string ratings, cut off at 48 tokens)
        recipe = load_recipe("zerogen")(spec)
        stage = recipe.stages()[-1]
        free = replace(stage.params, json_schema=None)
        outs = backend.generate([r.prompt for r in requests], free, [requests[0].seed])
        parsed = [recipe.parse(stage, r, c.text, c.finish_reason) for r, c in zip(requests, outs)]
        valid = sum(p.ok for p in parsed)
        assert valid <= 6, valid  # far below the constrained 12 of 12
        assert all(p.reason == SCHEMA_REASON for p in parsed if not p.ok)
        print(f"free decoding: {valid}/12 valid records")
    finally:
        backend.close()


@pytest.mark.heavy  # heavy lane: keeps the default run under 20 min on a float32 CPU
def test_llama_server_structured_output_on_completions(tmp_path):
    with embedded_llama_server(parallel=4) as server:
        spec = records_spec(
            {
                "type": "openai",
                "base_url": server.base_url,
                "model": "smollm2",
                "endpoint": "completions",
            }
        )
        summary = run_generation(spec, tmp_path / "run")
    with RunStore(tmp_path / "run") as store:
        accepted = store.accepted()
        rejected = store.rejected("sample")
    # measured: 12 of 12 valid records (json_schema honoured by llama-server's grammar)
    assert len(accepted) == 12 and not rejected, (summary.stop_reason, rejected[:2])
