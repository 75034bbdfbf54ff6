"""A small instruction run (Self-Instruct's shape) built directly with the `RunStore` API: the
manifest's spec says `task.kind: instruction`, no labels, `recipe.type: self_instruct`, and each
accepted sample of the `sample` stage has no label and, as text, the compact JSON object
`{"instruction", "input", "output"}` (as `recipes.records.parse_record` writes a record). The
texts are real: the first instance of Self-Instruct's human-written seed tasks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from synloom.store import PlannedRequest, RunStore

SEED_TASKS = Path("self_instruct") / "seed_tasks.jsonl"


def seed_records(datasets_dir: Path, n: int) -> list[dict[str, str]]:
    """The first `n` seed tasks as instruction/input/output records (the first instance each)."""
    records = []
    with open(datasets_dir / SEED_TASKS, encoding="utf-8") as fh:
        for line in fh:
            task = json.loads(line)
            first = task["instances"][0]
            records.append(
                {
                    "instruction": task["instruction"],
                    "input": first["input"],
                    "output": first["output"],
                }
            )
            if len(records) == n:
                break
    return records


def instruction_spec() -> dict[str, Any]:
    return {
        "name": "instruction-export-test",
        "task": {"kind": "instruction", "description": "general instructions"},
        "labels": [],
        "recipe": {"type": "self_instruct"},
        "generation": {"samples_per_label": 8, "batch_size": 4},
        "seed": 1,
    }


def compact(record: dict[str, str]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def make_instruction_run(run_dir: Path, records: list[dict[str, str]]) -> Path:
    """A run whose sample stage accepted `records` (in order), plus one rejected output."""
    with RunStore(run_dir, create=True) as store:
        store.write_manifest({"spec": instruction_spec(), "seed": 1, "spec_hash": "instr"})
        planned = [
            PlannedRequest(
                id=f"s{i}",
                stage="sample",
                round=0,
                idx=i,
                batch=0,
                label=None,
                prompt="Come up with a task:",
                context=None,
                seed=i,
                params={"stop": []},
            )
            for i in range(len(records) + 1)
        ]
        store.add_round("sample", 0, planned)
        with store.transaction():
            for i, record in enumerate(records):
                text = compact(record)
                out = {"raw_text": text, "completion": text, "finish_reason": "stop"}
                store.record_output(
                    f"s{i}", out | {"n_tokens": 9, "status": "candidate", "text": text}
                )
            bad = {"raw_text": "not json", "completion": "not json", "finish_reason": "stop"}
            store.record_output(
                f"s{len(records)}", bad | {"n_tokens": 2, "status": "candidate", "text": "x"}
            )
        with store.transaction():
            for i in range(len(records)):
                store.accept(f"s{i}")
            store.reject(f"s{len(records)}", "schema", "not a JSON object")
        store.finalize_round("sample", 0)
    return run_dir
