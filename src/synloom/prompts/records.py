"""What a structured-record request adds to its label-conditioned prompt: the fields the JSON
object must hold, with their types and descriptions (`synloom.spec.records`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from synloom.spec.records import RecordField

RECORD_INTRO = "Reply with one JSON object holding these fields:"
RECORD_END = "JSON object:"


def field_line(field: RecordField) -> str:
    """One field as the generator reads it: `- "rating": integer from 1 to 5; the stars`."""
    if field.type == "enum":
        kind = "one of " + ", ".join(f'"{v}"' for v in field.values or [])
    else:
        kind = field.type
    if field.minimum is not None and field.maximum is not None:
        kind += f" from {_num(field.minimum)} to {_num(field.maximum)}"
    elif field.minimum is not None:
        kind += f" of at least {_num(field.minimum)}"
    elif field.maximum is not None:
        kind += f" of at most {_num(field.maximum)}"
    if field.max_length is not None:
        kind += f" of at most {field.max_length} characters"
    if not field.required:
        kind += " (optional)"
    return f'- "{field.name}": {kind}' + (f"; {field.description}" if field.description else "")


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def record_instructions(fields: list[RecordField]) -> str:
    """The text put after the prompt: the fields, one a line, then where the object begins."""
    lines = [RECORD_INTRO, *(field_line(f) for f in fields), RECORD_END]
    return "\n" + "\n".join(lines) + "\n"
