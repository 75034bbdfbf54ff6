"""Structured records as a recipe concern: a prompt recipe whose config declares `fields` or
`json_schema` (`synloom.spec.records`) asks for one JSON object per sample (the fields after the
label-conditioned prompt, `synloom.prompts.records`), has the backend follow the record's JSON
schema (`GenerationParams.json_schema`: constrained decoding locally, the server's structured
output over HTTP; Willard & Louf, "Efficient Guided Generation for Large Language Models", 2023,
is the method behind both), and parses each completion into a record validated by a pydantic
model built from the fields. The sample's text is the record's canonical JSON (declared field
order, compact); an output that is no JSON object, or one that breaks the schema, is a rejected
row with reason `schema`, the raw text and the validation error."""

from __future__ import annotations

import json
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from synloom.prompts import ParseResult
from synloom.spec.records import RecordField, schema_text

SCHEMA_REASON = "schema"
MAX_DETAIL = 300

_TYPES: dict[str, Any] = {"string": str, "integer": int, "number": float, "boolean": bool}


def record_model(fields: list[RecordField]) -> type[BaseModel]:
    """A strict pydantic model of the record: declared fields only, JSON types as they are (no
    "5" for 5, no 1 for true), enum values and bounds checked."""
    return _record_model(schema_text(fields))


@cache
def _record_model(schema: str) -> type[BaseModel]:
    props = json.loads(schema)
    required = set(props["required"])
    defs: dict[str, Any] = {}
    for i, (name, prop) in enumerate(props["properties"].items()):
        kind: Any = Literal[tuple(prop["enum"])] if "enum" in prop else _TYPES[prop["type"]]
        info = Field(
            ... if name in required else None,
            alias=name,  # stored under f<i>: a field may be named like a BaseModel attribute
            ge=prop.get("minimum"),
            le=prop.get("maximum"),
            max_length=prop.get("maxLength"),
        )
        defs[f"f{i}"] = (kind if name in required else kind | None, info)
    config = ConfigDict(extra="forbid", strict=True, populate_by_name=False)
    return create_model("Record", __config__=config, **defs)


def parse_record(text: str, model: type[BaseModel]) -> ParseResult:
    """The first JSON object of `text` (leading whitespace and a markdown code fence skipped,
    anything after the object ignored; the raw text is stored either way) validated by `model`: its canonical JSON, or a `schema`
    rejection saying what is wrong."""
    body = text.lstrip()
    if body.startswith("```"):  # a markdown code fence around the object: the object counts
        body = body.split("\n", 1)[1].lstrip() if "\n" in body else ""
    if not body.startswith("{"):
        return ParseResult(None, SCHEMA_REASON, "no JSON object: " + _short(body or "(empty)"))
    try:
        value, _ = json.JSONDecoder().raw_decode(body)
    except json.JSONDecodeError as exc:
        return ParseResult(None, SCHEMA_REASON, f"invalid JSON: {exc.msg} at char {exc.pos}")
    try:
        record = model.model_validate(value)
    except ValidationError as exc:
        return ParseResult(None, SCHEMA_REASON, _short(validation_summary(exc)))
    data = record.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return ParseResult(json.dumps(data, ensure_ascii=False, separators=(",", ":")))


def validation_summary(exc: ValidationError) -> str:
    """pydantic's errors in one line: `rating: Input should be less than or equal to 5; ...`."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ())) or "(record)"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"
