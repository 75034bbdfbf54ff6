"""The report's evaluation section: the three-way table on real data (prompting baseline, task
model on synthetic data, on gold data) with its confusion matrices, from `evaluation.json`."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from synloom.quality.summary import format_number
from synloom.report.fragments import (
    Section,
    confusion_table,
    format_time,
    html_table,
    mean_pm,
    missing_note,
    row_confusion,
)

if TYPE_CHECKING:
    from synloom.report.data import ReportData

TITLE = "Evaluation on real data"


def evaluation_section(data: ReportData) -> Section:
    title = TITLE
    if data.evaluation is None:
        message = data.evaluation_problem or "No evaluation.json in the run directory."
        return Section(
            "evaluation",
            title,
            missing_note(message, f"synloom evaluate {data.run_dir} --test REAL_TEST.jsonl"),
        )
    ev = data.evaluation
    rows, matrices = [], []
    for row in ev.rows:
        seeds = row.seeds
        rows.append(
            [
                escape(str(row.setting)),
                escape(str(row.model)),
                format_number(row.n_train) if row.n_train is not None else "—",
                format_number(row.n_test),
                escape(",".join(map(str, seeds)) or "—"),
                mean_pm(row.accuracy, row.accuracy_std, len(seeds)),
                mean_pm(row.macro_f1, row.macro_f1_std, len(seeds)),
            ]
        )
        confusion = row_confusion(row.details)
        if confusion:
            matrices.append(confusion_table(str(row.setting), confusion, ev.labels))
    test = ev.test_source or "—"
    gold = ev.gold_source or "—"
    note = f"test data: {test}; gold training data: {gold}; computed {format_time(ev.created_at)}."
    table = html_table(
        ["setting", "model", "n_train", "n_test", "seeds", "accuracy", "macro-F1"], rows, "eval"
    )
    conf = (
        "<h3>Confusion matrices (rows: gold label, columns: predicted; summed over seeds)</h3>"
        f'<div class="panels">{"".join(matrices)}</div>'
        if matrices
        else ""
    )
    return Section("evaluation", title, f'<p class="note">{escape(note)}</p>{table}{conf}')
