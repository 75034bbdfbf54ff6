"""Structured records: a sample that is a JSON object with declared fields instead of one text.

A prompt recipe's config may declare `fields` (name, type, description, enum values, bounds) or a
`json_schema`, never both; unset, a sample is one free text as always. A `json_schema` is read
into the same fields (a flat object of string, integer, number, boolean and enum properties), so
both forms give one canonical JSON schema (`record_schema`) that the backends constrain decoding
to and that the parser (`synloom.recipes.records`) validates each record against.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from synloom.spec.base import Int, Real, SpecModel

FieldType = Literal["string", "integer", "number", "boolean", "enum"]
FIELD_TYPES: tuple[str, ...] = ("string", "integer", "number", "boolean", "enum")
MAX_FIELDS = 64


class RecordField(SpecModel):
    """One field of a record: `name` (an identifier), `type`, what it holds (`description`, shown
    to the generator), `values` for an enum, `minimum`/`maximum` for a number or integer,
    `max_length` (characters) for a string; `required` (default true) fields must be present."""

    name: str = Field(min_length=1, max_length=64)
    type: FieldType
    description: str = ""
    values: list[str] | None = Field(None, min_length=1)
    minimum: Real | None = None
    maximum: Real | None = None
    max_length: Int | None = Field(None, ge=1, le=100_000)
    required: bool = True

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not value.isidentifier():
            raise ValueError(f"field name {value!r} must be an identifier")
        return value

    @model_validator(mode="after")
    def _check(self) -> RecordField:
        where = f"field {self.name!r}"
        if (self.type == "enum") != (self.values is not None):
            raise ValueError(f"{where}: `values` go with type enum, and an enum needs them")
        if self.values is not None and len(set(self.values)) != len(self.values):
            raise ValueError(f"{where}: enum values repeat")
        numeric = self.type in ("integer", "number")
        if not numeric and (self.minimum is not None or self.maximum is not None):
            raise ValueError(f"{where}: minimum/maximum go with type integer or number")
        if None not in (self.minimum, self.maximum) and self.minimum > self.maximum:  # type: ignore[operator]
            raise ValueError(f"{where}: minimum {self.minimum} is above maximum {self.maximum}")
        if self.max_length is not None and self.type != "string":
            raise ValueError(f"{where}: max_length goes with type string")
        return self

    def property_schema(self) -> dict[str, Any]:
        """This field as a JSON schema property."""
        if self.type == "enum":
            out: dict[str, Any] = {"type": "string", "enum": list(self.values or [])}
        else:
            out = {"type": self.type}
        if self.minimum is not None:
            out["minimum"] = _whole(self.minimum) if self.type == "integer" else self.minimum
        if self.maximum is not None:
            out["maximum"] = _whole(self.maximum) if self.type == "integer" else self.maximum
        if self.max_length is not None:
            out["maxLength"] = self.max_length
        if self.description:
            out["description"] = self.description
        return out


def _whole(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def check_fields(fields: list[RecordField]) -> None:
    """At least one field, at most `MAX_FIELDS`, names distinct; ValueError otherwise."""
    if not fields:
        raise ValueError("fields: a record needs at least one field")
    if len(fields) > MAX_FIELDS:
        raise ValueError(f"fields: {len(fields)} fields, more than the {MAX_FIELDS} allowed")
    names = [f.name for f in fields]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"fields: duplicate field name(s): {', '.join(dupes)}")


def fields_from_json_schema(schema: dict[str, Any]) -> list[RecordField]:
    """The fields of a flat object schema; ValueError naming what is not supported."""
    if schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
        raise ValueError("json_schema: must be an object schema (type: object) with properties")
    known = {"type", "properties", "required", "additionalProperties", "title", "description"}
    unknown = sorted(str(k) for k in schema if k not in known and not str(k).startswith("$"))
    if unknown:
        raise ValueError(f"json_schema: unsupported keyword(s): {', '.join(unknown)}")
    required = schema.get("required", [])
    if not isinstance(required, list) or any(r not in schema["properties"] for r in required):
        raise ValueError("json_schema: required must list properties of the schema")
    fields = []
    for name, prop in schema["properties"].items():
        fields.append(_field_of(str(name), prop, name in required))
    check_fields(fields)
    return fields


def _field_of(name: str, prop: Any, required: bool) -> RecordField:
    where = f"json_schema: property {name!r}"
    if not isinstance(prop, dict):
        raise ValueError(f"{where}: must be a mapping")
    allowed = {"type", "description", "enum", "minimum", "maximum", "maxLength", "title"}
    unknown = sorted(str(k) for k in prop if k not in allowed)
    if unknown:
        raise ValueError(f"{where}: unsupported keyword(s): {', '.join(unknown)}")
    kind = prop.get("type", "string" if "enum" in prop else None)
    if "enum" in prop:
        if kind != "string" or not isinstance(prop["enum"], list):
            raise ValueError(f"{where}: an enum must be a list of strings (type: string)")
        kind = "enum"
    if kind not in FIELD_TYPES or (kind == "enum" and "enum" not in prop):
        raise ValueError(
            f"{where}: type {kind!r} is not supported (string, integer, number, boolean, "
            "or a string enum)"
        )
    try:
        return RecordField(
            name=name,
            type=kind,
            description=prop.get("description", ""),
            values=prop.get("enum"),
            minimum=prop.get("minimum"),
            maximum=prop.get("maximum"),
            max_length=prop.get("maxLength"),
            required=required,
        )
    except ValueError as exc:  # pydantic's ValidationError: one line naming the property
        raise ValueError(f"{where}: {_first_error(exc)}") from None


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        loc = ".".join(str(p) for p in first.get("loc", ()))
        return f"{loc}: {first['msg']}" if loc else first["msg"]
    return str(exc)


def record_schema(fields: list[RecordField]) -> dict[str, Any]:
    """The canonical JSON schema of a record: an object of exactly these fields, in order."""
    return {
        "type": "object",
        "properties": {f.name: f.property_schema() for f in fields},
        "required": [f.name for f in fields if f.required],
        "additionalProperties": False,
    }


def schema_text(fields: list[RecordField]) -> str:
    """`record_schema` as compact JSON text (what requests store and backends receive)."""
    return json.dumps(record_schema(fields), ensure_ascii=False, separators=(",", ":"))
