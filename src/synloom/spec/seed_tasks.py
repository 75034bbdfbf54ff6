"""Seed tasks of an instruction task (Self-Instruct's bootstrap pool): an instruction, its
instances (input, output) and whether it is a classification task. Given inline in the recipe
(`seed_tasks`) or read from a JSONL file (`seed_tasks_file`) in the format of the paper's
`seed_tasks.jsonl` (other keys, such as `id` and `name`, are ignored). The rows read from a file
become the recipe's `seed_tasks` when the spec is loaded, so the data fingerprint holds the tasks
themselves, not a path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from synloom.errors import SpecError
from synloom.spec.base import SpecModel
from synloom.spec.oneline import one_line
from synloom.spec.task import TaskKind

MAX_SEED_TASKS = 100_000
INSTRUCTION_KIND = TaskKind.INSTRUCTION.value  # as a stored manifest holds it
INSTRUCTION_FIELDS = ("instruction", "input", "output")
"""The fields of an instruction sample (its text is their JSON object, in this order)."""


def is_instruction_spec(spec: Any) -> bool:
    """Whether a stored spec (a dict, e.g. a run manifest's) declares an instruction task."""
    task = spec.get("task") if isinstance(spec, dict) else None
    return isinstance(task, dict) and task.get("kind") == INSTRUCTION_KIND


class Instance(SpecModel):
    input: str = ""
    output: str = Field(min_length=1)


class SeedTask(SpecModel):
    instruction: str = Field(min_length=1)
    instances: list[Instance] = Field(default_factory=list)
    is_classification: bool = False


def read_seed_tasks(path: str | Path, where: str = "seed_tasks_file") -> list[dict[str, Any]]:
    """The tasks of a JSONL file as dicts of SeedTask's fields; a bad row is a one-line SpecError
    naming its line."""
    rows: list[dict[str, Any]] = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(one_line(f"{where}: cannot read {path}: {exc}")) from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise ValueError(f"a row must be a JSON object, not {type(row).__name__}")
            keep = {
                k: row[k] for k in ("instruction", "instances", "is_classification") if k in row
            }
            rows.append(SeedTask.model_validate(keep).model_dump())
        except (ValueError, ValidationError) as exc:
            detail = str(exc).splitlines()
            raise SpecError(
                one_line(f"{where}: line {number} of {path}: {' '.join(detail[:3])}")
            ) from None
        if len(rows) > MAX_SEED_TASKS:
            raise SpecError(f"{where}: more than {MAX_SEED_TASKS:,} seed tasks")
    if not rows:
        raise SpecError(one_line(f"{where}: {path} holds no seed tasks"))
    return rows
