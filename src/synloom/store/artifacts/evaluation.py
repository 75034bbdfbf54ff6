"""`evaluation.json`: the three-way table `synloom evaluate` stores in the run directory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator

from synloom.errors import StoreError
from synloom.spec.base import Int, Real
from synloom.spec.oneline import one_line
from synloom.store.artifacts.base import Artifact, problem

EVALUATION_VERSION = 1
EVALUATION_FILE = "evaluation.json"


def evaluation_file(curation: str | None = None) -> str:
    """The evaluation's file name in the run directory: `evaluation.json`, or
    `evaluation-NAME.json` for the evaluation of curation NAME's kept samples."""
    return EVALUATION_FILE if curation is None else f"evaluation-{curation}.json"


class EvaluationRow(Artifact):
    """One setting of the three-way table: mean scores over seeds, plus each seed's report."""

    setting: str | None = None
    model: str | None = None
    accuracy: Real | None = None
    macro_f1: Real | None = None
    accuracy_std: Real | None = None
    macro_f1_std: Real | None = None
    n_train: Int | None = None
    n_test: Int | None = None
    seeds: list[Int] = Field(default_factory=list)
    seconds: Real = 0.0
    details: dict[str, Any] = Field(default_factory=dict)

    @field_validator("seeds", mode="before")
    @classmethod
    def _no_seeds(cls, value: Any) -> Any:
        return [] if value is None else value

    @field_validator("details")
    @classmethod
    def _check_confusion(cls, details: dict[str, Any]) -> dict[str, Any]:
        """Every confusion matrix in the row's reports holds counts (the report sums them)."""
        reports = [details["report"]] if isinstance(details.get("report"), dict) else []
        if isinstance(details.get("reports"), dict):
            reports += [r for r in details["reports"].values() if isinstance(r, dict)]
        for report in reports:
            confusion = report.get("confusion") or {}
            if not isinstance(confusion, dict) or not all(
                isinstance(preds, dict) and all(_is_count(n) for n in preds.values())
                for preds in confusion.values()
            ):
                raise ValueError("a confusion matrix is not counts")
        return details


def _is_count(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


class Evaluation(Artifact):
    """`evaluation.json`: the three-way table `synloom evaluate` stores in the run directory."""

    schema_version: Int = EVALUATION_VERSION
    rows: list[EvaluationRow]
    labels: list[str] = Field(default_factory=list)
    test_source: str | None = None
    gold_source: str | None = None
    created_at: Real | None = None
    curation: str | None = None  # the curation whose kept samples trained tam-synthetic
    name: str | None = None  # its name in `evaluations/` (see `evaluations.py`)

    @field_validator("created_at")
    @classmethod
    def _check_time(cls, value: float | None) -> float | None:
        if value is not None and not 0 <= value < 1e11:
            raise ValueError(f"{value!r} is not a time")
        return value

    def row(self, setting: str) -> EvaluationRow:
        for row in self.rows:
            if row.setting == setting:
                return row
        raise KeyError(setting)


def read_evaluation(path: str | Path) -> Evaluation | None:
    """`evaluation.json` at `path`, None when there is none. A file that is not what
    `synloom evaluate` wrote is a one-line StoreError that says how to get a good one."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text("utf-8"))
        return Evaluation.model_validate(data)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        why = f"{type(exc).__name__}: {exc}"
    except ValidationError as exc:
        why = problem(exc)
    raise StoreError(
        one_line(
            f"{path} is not a valid evaluation ({why}); rerun synloom evaluate, or move the file away"
        )
    )


def write_evaluation(path: str | Path, evaluation: Evaluation) -> Path:
    path = Path(path)
    text = json.dumps(evaluation.model_dump(), indent=2, sort_keys=True)
    path.write_text(text + "\n", "utf-8")
    return path
