"""`synloom generate` flags for chat endpoints (--endpoint, --api-key-env, --temperature,
--max-tokens, --set) and a live chat run through llama-server with the embedded model."""

from __future__ import annotations

import sqlite3

import pytest

from synloom.cli.overrides import apply_overrides
from synloom.errors import SpecError
from synloom.spec import load_spec
from tests.conftest import ROOT, embedded_llama_server
from tests.helpers import run_cli
from tests.prompts.test_chat import PREAMBLE

CHAT_SPEC = ROOT / "examples" / "sst2_chat.yaml"
FEWSHOT_SPEC = ROOT / "examples" / "sst2_fewshot.yaml"  # the local backend


def test_the_chat_example_loads_for_a_chat_endpoint():
    spec = load_spec(CHAT_SPEC)
    assert spec.backend.type == "openai" and spec.backend.endpoint == "chat"
    assert "{genre}" in spec.recipe.prompt and not spec.recipe.prompt.endswith('"')


def test_named_flags_override_the_spec():
    spec = apply_overrides(
        load_spec(CHAT_SPEC),
        endpoint="completions",
        api_key_env="MY_KEY",
        temperature=0.3,
        max_tokens=12,
    )
    assert (spec.backend.endpoint, spec.backend.api_key_env) == ("completions", "MY_KEY")
    assert (spec.generation.temperature, spec.generation.max_new_tokens) == (0.3, 12)


def test_set_reads_values_as_yaml_and_reaches_nested_fields_and_list_items():
    spec = apply_overrides(
        load_spec(CHAT_SPEC),
        sets=[
            "generation.top_p=0.5",
            "recipe.system=Be terse.",
            "generation.stop=[END]",
            "labels.1.description=the review pans the movie",
            "recipe.context_stage.count=7",
            "recipe.context_stage.prompt=Name a movie.",
            "recipe.prompt=Write a {verbalizer} review of {context}.",
            "attributes={}",
        ],
    )
    assert spec.generation.top_p == 0.5 and spec.generation.stop == ["END"]
    assert spec.recipe.system == "Be terse."
    assert spec.labels[1].description == "the review pans the movie"
    assert spec.recipe.context_stage.count == 7


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (["generation.temprature=1"], r"--set generation\.temprature: no such field \(known: "),
        (["nosuch.field=1"], r"--set nosuch: no such field"),
        (["labels.9.name=x"], r"--set labels\.9: no such item \(the list has 2\)"),
        (["seed.x=1"], r"--set seed\.x: seed is a value, not a section"),
        (["generation.top_p"], r"--set takes KEY\.PATH=VALUE"),
        (["generation.top_p=[1"], r"--set generation\.top_p: the value is not valid YAML"),
        (["generation.top_p=high"], r"^command line: generation\.top_p: "),
    ],
)
def test_a_bad_set_is_one_clear_error(sets, message):
    with pytest.raises(SpecError, match=message) as caught:
        apply_overrides(load_spec(CHAT_SPEC), sets=sets)
    assert "\n" not in str(caught.value)


def test_endpoint_flags_need_the_openai_backend():
    with pytest.raises(SpecError, match="--endpoint needs the openai backend"):
        apply_overrides(load_spec(FEWSHOT_SPEC), endpoint="chat")
    with pytest.raises(SpecError, match="--api-key-env needs the openai backend"):
        apply_overrides(load_spec(FEWSHOT_SPEC), api_key_env="KEY")


def test_the_cli_answers_a_bad_set_with_one_line_and_exit_2(tmp_path):
    result = run_cli("generate", CHAT_SPEC, "--out", tmp_path / "run", "--set", "recipe.bogus=1")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        result.stderr.strip()
    ] and result.stderr.startswith("error: --set recipe.bogus: no such field")
    assert not (tmp_path / "run").exists()


@pytest.fixture(scope="module")
def llama_server():
    with embedded_llama_server(parallel=2) as server:
        yield server


@pytest.mark.slow
def test_generate_through_a_chat_endpoint_accepts_clean_samples(llama_server, tmp_path):
    """The shipped chat example against llama-server (the embedded model's chat template) at a
    tiny budget. Measured (2-core VM, 20 requests): 16 accepted + 4 surplus of 20, none
    rejected; 41 s."""
    out = tmp_path / "run"
    result = run_cli(
        "generate", CHAT_SPEC, "--out", out, "--base-url", llama_server.base_url,
        "--samples-per-label", "4", "--max-tokens", "60", "--temperature", "0.9",
        "--set", "generation.max_rounds=2", "--set", "backend.max_concurrency=2",
    )  # fmt: skip
    assert result.returncode in (0, 3), result.stderr
    db = sqlite3.connect(out / "run.sqlite")
    rows = db.execute("SELECT r.prompt, o.status, o.reason, o.text FROM outputs o "
                      "JOIN requests r ON r.id = o.request_id").fetchall()  # fmt: skip
    db.close()
    assert rows and all(p.startswith('{"messages": [{"role": "system"') for p, *_ in rows)
    kept = [
        text for _, status, reason, text in rows if status == "accepted" or reason == "over_budget"
    ]
    assert len(kept) / len(rows) >= 0.5  # measured 20/20
    assert not [t for t in kept if PREAMBLE.search(t)]
