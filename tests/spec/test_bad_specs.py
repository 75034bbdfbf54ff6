"""Impossible or absurd settings (beyond the bounds test_spec.py already covers), floats where counts belong, reserved attribute names and
duplicate YAML keys: each is a SpecError with one line that names the field."""

from __future__ import annotations

import math

import pytest

from synloom.errors import SpecError
from synloom.spec import load_spec, parse_spec
from synloom.spec.templates import RESERVED_FIELDS

BASE = {"labels": [{"name": "pos"}, {"name": "neg"}]}
FEWSHOT = {
    "seed_examples": [
        {"text": "good", "label": "pos"},
        {"text": "fine", "label": "pos"},
        {"text": "bad", "label": "neg"},
    ],
}


def one_line_error(data) -> str:
    with pytest.raises(SpecError) as info:
        parse_spec(data)
    message = str(info.value)
    assert len(message.splitlines()) == 1, message
    return message


@pytest.mark.parametrize(
    ("patch", "needle"),
    [
        ({"recipe": {"min_words": 10, "max_words": 2}}, "min_words (10) is larger than max_words"),
        (
            {"recipe": {"context_stage": {"min_words": 5, "max_words": 3}}},
            "min_words (5) is larger",
        ),
        ({"generation": {"temperature": math.inf}}, "generation.temperature"),
        ({"generation": {"temperature": math.nan}}, "must be a finite number, not nan"),
        ({"generation": {"temperature": 1e9}}, "generation.temperature"),
        ({"generation": {"oversample": math.inf}}, "generation.oversample"),
        ({"generation": {"samples_per_label": 10**12}}, "generation.samples_per_label"),
        ({"generation": {"samples_per_label": 1.0e12}}, "must be a whole number"),
        ({"generation": {"samples_per_label": 20.0}}, "must be a whole number"),
        ({"generation": {"samples_per_label": True}}, "must be a whole number, not true"),
        ({"generation": {"samples_per_label": "100"}}, "must be a whole number, not a string"),
        ({"generation": {"temperature": True}}, "must be a number, not true"),
        ({"generation": {"temperature": "hot"}}, "must be a number, not a string"),
        ({"generation": {"batch_size": 10**9}}, "generation.batch_size"),
        ({"generation": {"max_rounds": 10**9}}, "generation.max_rounds"),
        ({"generation": {"stop": ["x"] * 100}}, "generation.stop"),
        (
            {
                "labels": [{"name": f"l{i}"} for i in range(20)],
                "generation": {"samples_per_label": 10**7},
            },
            "samples, more than",
        ),
        ({"seed": 2**70}, "seed"),
        ({"seed": 1.5}, "seed: must be a whole number"),
        ({"recipe": {"prompt": ""}}, "prompt must not be empty"),
        (
            {"recipe": {"contexts": ["a", "  "], "prompt": "{context} {label}"}},
            "contexts[1] is blank",
        ),
        ({"recipe": {"min_words": 0}}, "recipe.min_words"),
        ({"recipe": {"context_stage": {"count": 0}}}, "context_stage.count"),
        ({"labels": [{"name": " pos"}, {"name": "neg"}]}, "must not start or end with spaces"),
        ({"labels": [{"name": "p\nos"}, {"name": "neg"}]}, "control characters"),
        ({"labels": [{"name": "pos", "verbalizers": [""]}, {"name": "neg"}]}, "verbalizers"),
        ({"backend": {"type": "local", "model": ""}}, "backend.model"),
        ({"backend": {"type": "openai", "timeout_s": math.inf}}, "backend.timeout_s"),
        ({"backend": {"type": "openai", "max_retries": 10**6}}, "backend.max_retries"),
        ({"backend": {"type": "openai", "base_url": "ftp://x/v1"}}, "backend.base_url"),
        ({"backend": {"type": "openai", "base_url": "http://:80/v1"}}, "backend.base_url"),
        ({"backend": {"type": "openai", "base_url": "http://h:port/v1"}}, "not a valid URL"),
        ({"backend": {"type": "openai", "api_key_env": "PATH HOME"}}, "backend.api_key_env"),
        ({"backend": {"type": "openai", "api_key_env": "openai_key"}}, "backend.api_key_env"),
        ({"backend": {"type": "openai", "api_key_env": ""}}, "backend.api_key_env"),
        (FEWSHOT | {"recipe": {"type": "fewshot", "k": 2}}, "label 'neg' has only 1 seed_examples"),
        (
            FEWSHOT | {"recipe": {"type": "fewshot", "k": 1, "example_template": "{label}\n"}},
            "example_template must use {text}",
        ),
    ],
)
def test_impossible_settings_are_one_line_spec_errors(patch, needle):
    assert needle in one_line_error(BASE | patch)


@pytest.mark.parametrize("name", sorted(RESERVED_FIELDS))
def test_reserved_attribute_names_are_refused(name):
    spec = BASE | {"attributes": {name: ["x", "y"]}, "recipe": {"prompt": "{" + name + "} {label}"}}
    message = one_line_error(spec)
    assert f"attribute name {name!r} is reserved" in message


def test_reserved_names_cover_every_field_the_renderer_fills():
    from synloom.prompts import PromptBuilder

    spec = parse_spec(BASE | FEWSHOT | {"recipe": {"type": "fewshot", "k": 1}})
    builder = PromptBuilder(spec)
    assert set(builder.label_fields("pos")) | {"context", "text", "text_b"} <= RESERVED_FIELDS


def test_an_ordinary_attribute_still_works():
    spec = parse_spec(BASE | {"attributes": {"genre": ["comedy"]}, "recipe": {"prompt": "{genre}"}})
    assert spec.attributes == {"genre": ["comedy"]}


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("generation:\n  temperature: .inf\n", "generation.temperature"),
        ("generation:\n  samples_per_label: 1.0e+12\n", "must be a whole number"),
        ("generation:\n  samples_per_label: 1e12\n", "must be a whole number, not a string"),
        ("seed: " + "9" * 5000 + "\n", "unreadable YAML value"),
        (
            "backend:\n  type: openai\nbackend:\n  type: local\n",
            "duplicate key 'backend' at line 5, column 1 (first at line 3)",
        ),
        (
            "generation: {batch_size: 4, batch_size: 8}\n",
            "duplicate key 'batch_size' at line 3, column 29 (first at line 3)",
        ),
        (
            "seed_examples:\n  - {text: a, label: pos, label: neg}\n",
            "duplicate key 'label' at line 4, column 27",
        ),
    ],
)
def test_yaml_level_mistakes_are_one_line_spec_errors(tmp_path, text, needle):
    path = tmp_path / "spec.yaml"
    path.write_text("labels: [{name: pos}, {name: neg}]\n\n" + text)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    message = str(info.value)
    assert needle in message
    assert len(message.splitlines()) == 1


def test_merge_keys_may_still_override(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(
        "labels: [{name: pos}, {name: neg}]\n"
        "generation:\n  <<: {batch_size: 4, max_new_tokens: 20}\n  batch_size: 8\n"
    )
    spec = load_spec(path)
    assert (spec.generation.batch_size, spec.generation.max_new_tokens) == (8, 20)


def test_non_utf8_contexts_file_names_file_and_offset(tmp_path):
    (tmp_path / "ctx.txt").write_bytes(b"fine line\ncaf\xe9 au lait\n")
    (tmp_path / "spec.yaml").write_text(
        "labels: [{name: pos}, {name: neg}]\n"
        "recipe: {contexts_file: ctx.txt, prompt: '{context} {label}'}\n"
    )
    with pytest.raises(SpecError) as info:
        load_spec(tmp_path / "spec.yaml")
    message = str(info.value)
    assert "ctx.txt: not UTF-8 text (byte offset 13" in message
    assert len(message.splitlines()) == 1


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b'{"text": "a"}\n[1, 2]\n', "line 2: every JSONL line needs a `text` field"),
        (b'{"text": "a"}\n{"text": "  "}\n', "line 2: `text` must be non-blank"),
        (b"[" * 100_000 + b"\n", "line 1"),
        (b"\n\n", "no contexts in file"),
    ],
)
def test_bad_jsonl_contexts_fail_at_load(tmp_path, content, needle):
    (tmp_path / "ctx.jsonl").write_bytes(content)
    (tmp_path / "spec.yaml").write_text(
        "labels: [{name: pos}, {name: neg}]\n"
        "recipe: {contexts_file: ctx.jsonl, prompt: '{context} {label}'}\n"
    )
    with pytest.raises(SpecError) as info:
        load_spec(tmp_path / "spec.yaml")
    assert needle in str(info.value)
    assert len(str(info.value).splitlines()) == 1


def test_user_text_in_messages_cannot_break_the_line():
    message = one_line_error(BASE | {"colour\nred\x1b[2J": 1, "labels": [{"name": "a\u2028"}] * 2})
    assert "\\n" in message and "\\x1b" in message


def test_base_url_override_on_a_local_backend_says_what_to_add():
    from synloom.cli.overrides import apply_overrides

    with pytest.raises(
        SpecError, match="--base-url needs the openai backend: add --backend openai"
    ):
        apply_overrides(parse_spec(BASE), base_url="http://127.0.0.1:8080/v1")
    spec = apply_overrides(parse_spec(BASE), backend="openai", base_url="http://127.0.0.1:9/v1")
    assert spec.backend.base_url == "http://127.0.0.1:9/v1"


def test_a_missing_recipe_type_means_zerogen():
    spec = parse_spec(BASE | {"recipe": {"prompt": "{verbalizer}: ", "min_words": 2}})
    assert (spec.recipe.type, spec.recipe.min_words) == ("zerogen", 2)
