"""Instruction data for fine-tuning: the two JSONL shapes supervised fine-tuning reads directly.

- `alpaca`: one object per line with exactly `instruction`, `input` (may be "") and `output`,
  the format of Stanford Alpaca's data (Taori et al., 2023) and of Self-Instruct's
  (Wang et al., 2023, arXiv:2212.10560) released instances;
- `messages`: one `{"messages": [...]}` per line, the conversational format TRL's `SFTTrainer`
  reads (it applies the model's chat template): a `user` turn with the instruction, followed by
  a blank line and the input when there is one, and an `assistant` turn with the output;
  `--system TEXT` puts a `system` turn first.

They need a table with the three string columns of an instruction run (`export_records`:
`task.kind: instruction`, or a structured record with those fields); anything else is a one-line
error. Only the record goes into these files: no id, round or metadata, and a weighted
curation's weights are left out (the other formats keep them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from synloom.errors import SynloomError
from synloom.store.export_records import INSTRUCTION_FIELDS
from synloom.store.export_table import Kind, ListKind, StructKind, Table

INSTRUCTION_FORMATS = ("alpaca", "messages")
MESSAGE = StructKind((("role", "string"), ("content", "string")))
ALPACA_COLUMNS: tuple[tuple[str, Kind], ...] = tuple((f, "string") for f in INSTRUCTION_FIELDS)
MESSAGES_COLUMNS: tuple[tuple[str, Kind], ...] = (("messages", ListKind(MESSAGE)),)


def _record_columns(table: Table, fmt: str, where: str) -> dict[str, str]:
    """Field -> the table's column holding it (`record_<field>` when the name was taken by a
    metadata key), or a one-line error when the table is not instruction data."""
    kinds = dict(table.columns)
    out = {}
    for field in INSTRUCTION_FIELDS:
        name = f"record_{field}" if f"record_{field}" in kinds else field
        if kinds.get(name) != "string":
            raise SynloomError(
                f"--format {fmt} needs instruction data (string fields instruction, input,"
                f" output: task.kind instruction); {where} has none; use jsonl, csv, parquet or hf"
            )
        out[field] = name
    return out


def user_content(instruction: str, input_text: str | None) -> str:
    """The user turn: the instruction, then a blank line and the input when it is not empty."""
    return instruction + (f"\n\n{input_text}" if input_text else "")


def messages(record: Mapping[str, Any], system: str | None = None) -> list[dict[str, str]]:
    """One record as a conversation (role, content)."""
    turns = [{"role": "system", "content": system}] if system is not None else []
    turns.append({"role": "user", "content": user_content(record["instruction"], record["input"])})
    turns.append({"role": "assistant", "content": record["output"]})
    return turns


def instruction_table(
    table: Table, fmt: str, *, system: str | None = None, where: str = "the run"
) -> Table:
    """The rows of an `alpaca` or `messages` export of `table` (same row order)."""
    names = _record_columns(table, fmt, where)
    records = []
    for row in table.rows:
        record = {f: row[names[f]] for f in INSTRUCTION_FIELDS}
        record["input"] = record["input"] or ""  # a record without an input
        missing = [f for f in ("instruction", "output") if record[f] is None]
        if missing:
            raise SynloomError(f"sample {row.get('id')} has no {' or '.join(missing)}")
        records.append(record)
    if fmt == "alpaca":
        return Table(ALPACA_COLUMNS, records)
    return Table(MESSAGES_COLUMNS, [{"messages": messages(r, system)} for r in records])
