"""Structured records in an export: one typed column per record field (`synloom.spec.records`),
read from the run manifest's spec, beside the `text` column that holds the record's JSON.
integer -> int64, number -> float64, boolean -> bool, string and enum -> string. An instruction
run (`task.kind: instruction`, Self-Instruct) holds the record `{instruction, input, output}`:
three string columns (`INSTRUCTION_FIELDS`)."""

from __future__ import annotations

from typing import Any

from synloom.spec.records import RecordField, fields_from_json_schema
from synloom.spec.seed_tasks import INSTRUCTION_FIELDS, is_instruction_spec

__all__ = ["INSTRUCTION_FIELDS", "KINDS", "is_instruction_spec", "record_fields"]

KINDS = {"integer": "int64", "number": "float64", "boolean": "bool"}


def record_fields(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """(field name, column kind) of the run's record fields, in declared order; [] for free text
    (or a manifest whose spec holds neither `fields` nor `json_schema`); an instruction run's
    three string fields."""
    spec = manifest.get("spec")
    if is_instruction_spec(spec):
        return [(name, "string") for name in INSTRUCTION_FIELDS]
    recipe = spec.get("recipe") if isinstance(spec, dict) else None
    if not isinstance(recipe, dict):
        return []
    if recipe.get("json_schema") is not None:
        fields = fields_from_json_schema(recipe["json_schema"])
    elif recipe.get("fields") is not None:
        fields = [RecordField.model_validate(f) for f in recipe["fields"]]
    else:
        return []
    return [(f.name, KINDS.get(f.type, "string")) for f in fields]
