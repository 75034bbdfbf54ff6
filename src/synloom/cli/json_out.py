"""`--json` of `synloom inspect` and `synloom score`: one JSON document on stdout, nothing else.

The keys are part of the CLI contract (README, "Machine-readable output"); progress, notices and
errors stay on stderr. Texts are emitted as they are stored (JSON escapes control characters).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

JSON_HELP = "print one JSON document on stdout instead of tables (progress stays on stderr)"


def emit(data: dict[str, Any]) -> None:
    """Write `data` as one JSON document (and a newline) to stdout."""
    text = json.dumps(_finite(data), ensure_ascii=False, indent=2, allow_nan=False)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _finite(value: Any) -> Any:
    """NaN and infinities (not JSON) as null."""
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def inspect_data(store: Any, run_dir: Path, show: int) -> dict[str, Any]:
    """What `synloom inspect` shows, as data: the run, its counts, samples, curations and
    evaluations."""
    from synloom.store.artifacts import Manifest

    manifest = store.manifest()
    try:
        budgets = Manifest.model_validate(manifest).budget_history()
    except ValueError:
        budgets = []
    context = store.counts("context")
    samples: list[dict[str, Any]] = []
    shown: dict[str, int] = {}
    for s in store.accepted():
        if shown.get(s.label, 0) < show:
            shown[s.label] = shown.get(s.label, 0) + 1
            samples.append(s.to_record())
    return {
        "run_dir": str(run_dir),
        "spec_name": (manifest.get("spec") or {}).get("name"),
        "spec_hash": manifest.get("spec_hash"),
        "seed": manifest.get("seed"),
        "budgets": [
            {"samples_per_label": b.samples_per_label, "first_round": b.first_round}
            for b in budgets
        ],
        "counts": store.counts(),
        "label_counts": store.label_counts(),
        "rejection_reasons": store.rejection_reasons(),
        "context_counts": context if context["planned"] else None,
        "samples": samples,
        "curations": _curations(store),
        "evaluations": _evaluations(run_dir),
        "failed": [{"id": f["id"], "error": f["error"]} for f in store.failed()[:5]],
    }


def _curations(store: Any) -> list[dict[str, Any]]:
    out = []
    for name in store.curation_names():
        record = store.curation(name)
        summary = record.summary or {}
        out.append(
            {
                "name": name,
                "methods": list(record.settings.get("methods", [])),
                "status": record.status,
                "kept": sum(summary.get("kept", {}).values()) if summary else None,
                "pool": sum(summary.get("pool", {}).values()) if summary else None,
            }
        )
    return out


def _evaluations(run_dir: Path) -> list[dict[str, Any]]:
    from synloom.store.artifacts import list_evaluations

    out = []
    for stored in list_evaluations(run_dir):
        ev = stored.evaluation
        row: dict[str, Any] = {
            "name": stored.name,
            "created_at": stored.created_at,
            "latest": stored.latest,
            "problem": stored.problem,
        }
        if ev is not None:
            row |= {
                "curation": ev.curation,
                "test_source": ev.test_source,
                "rows": [
                    {
                        "setting": r.setting,
                        "model": r.model,
                        "accuracy": r.accuracy,
                        "macro_f1": r.macro_f1,
                        "n_train": r.n_train,
                        "n_test": r.n_test,
                    }
                    for r in ev.rows
                ],
            }
        out.append(row)
    return out


def score_data(
    run_dir: Path, result: dict[str, Any], curation: str | None, n_rows: int
) -> dict[str, Any]:
    """What `synloom score` stored, without the plot data and the per-sample values (the report
    reads both from the store; `per_sample` gives each column's number of scored samples): every
    metric's full result, a headline row per metric, skips and settings."""
    from synloom.quality.summary import summarize
    from synloom.store import STORE_FILE

    return {
        "run_dir": str(run_dir),
        "curation": curation,
        "n_samples": result["n_samples"],
        "summary": [
            {
                "name": row.name,
                "metric": row.metric,
                "family": row.family,
                "value": row.value,
                "better": row.better,
                "details": row.details,
                "skipped": row.skipped,
                "note": row.note,
            }
            for row in summarize(result["metrics"], result["skipped"])
        ],
        "metrics": result["metrics"],
        "skipped": result["skipped"],
        "timings_s": result["timings_s"],
        "settings": result["settings"],
        "per_sample": {c: len(v) for c, v in (result.get("per_sample") or {}).items()},
        "saved": {"path": str(Path(run_dir) / STORE_FILE), "metric_rows": n_rows},
    }
