"""Typed run artifacts: the manifest, the stored quality scores and `evaluation.json`.

Versioned pydantic models shared by the code that writes each artifact and the code that reads it
(`open_run`, the report). Unknown keys are kept (`extra="allow"`) and every field added after the
first version has a default, so what an older or newer synloom wrote still loads. Content that
does not fit (edited by hand, truncated, garbage) is a one-line StoreError, never a traceback.
One module each: `manifest`, `scores`, `evaluation` (`evaluations`: several kept side by side);
`base` holds what they share.
"""

from __future__ import annotations

from synloom.store.artifacts.base import Artifact, problem, validated
from synloom.store.artifacts.evaluation import (
    EVALUATION_FILE,
    EVALUATION_VERSION,
    Evaluation,
    EvaluationRow,
    evaluation_file,
    read_evaluation,
    write_evaluation,
)
from synloom.store.artifacts.evaluations import (
    EVALUATIONS_DIR,
    StoredEvaluation,
    check_evaluation_name,
    list_evaluations,
    save_evaluation,
)
from synloom.store.artifacts.manifest import BudgetStep, Manifest, SpecOutline
from synloom.store.artifacts.scores import (
    PER_SAMPLE,
    PLOT_DATA,
    SCORES_SCHEMA,
    SCORES_VERSION,
    SETTINGS,
    SKIPPED,
    TIMINGS,
    LengthPlot,
    PlotData,
    ScoreSettings,
    StoredScores,
)

__all__ = [
    "EVALUATIONS_DIR",
    "EVALUATION_FILE",
    "EVALUATION_VERSION",
    "PER_SAMPLE",
    "PLOT_DATA",
    "SCORES_SCHEMA",
    "SCORES_VERSION",
    "SETTINGS",
    "SKIPPED",
    "TIMINGS",
    "Artifact",
    "BudgetStep",
    "Evaluation",
    "EvaluationRow",
    "LengthPlot",
    "Manifest",
    "PlotData",
    "ScoreSettings",
    "SpecOutline",
    "StoredEvaluation",
    "StoredScores",
    "check_evaluation_name",
    "evaluation_file",
    "list_evaluations",
    "problem",
    "read_evaluation",
    "save_evaluation",
    "validated",
    "write_evaluation",
]
