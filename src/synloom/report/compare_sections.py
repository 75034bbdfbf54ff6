"""The sections of `synloom report RUN_A RUN_B ...`: one column per run, side by side.

Runs, label balance, quality metrics (the best value of each row in bold, by the metric's
direction), evaluation rows and rejections; a row whose values differ between the runs is
highlighted, so what changed from one run to the next stands out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape
from typing import TYPE_CHECKING

from synloom.quality.summary import MARKS, format_number, summarize
from synloom.quality.tokens import word_count
from synloom.report.fragments import Section, figure, format_time, mean_pm
from synloom.report.overview_section import SURPLUS, budget, decoding, model_id, tile_counts
from synloom.report.svg import bar_chart, label_color, legend

if TYPE_CHECKING:
    from synloom.report.data import ReportData

TITLES = {
    "runs": "Runs",
    "labels": "Label balance",
    "metrics": "Quality metrics",
    "evaluation": "Evaluation on real data",
    "rejections": "Rejections",
}


def run_names(runs: Sequence[ReportData]) -> list[str]:
    """Column headings: each run directory's name, with its parent where two names clash."""
    names = [r.run_dir.name or str(r.run_dir) for r in runs]
    return [
        f"{r.run_dir.parent.name}/{n}" if names.count(n) > 1 else n
        for r, n in zip(runs, names, strict=True)
    ]


def _table(
    names: list[str], rows: list[tuple[str, list[str]]], bold: list[set[int]] | None = None
) -> str:
    """`rows`: (heading, one plain-text cell per run); a row whose cells differ is marked."""
    head = "<th></th>" + "".join(f'<th class="run">{escape(n)}</th>' for n in names)
    body = []
    for r, (heading, cells) in enumerate(rows):
        differs = len(set(cells)) > 1
        tds = "".join(
            '<td class="{}">{}</td>'.format(
                " ".join(
                    c
                    for c in ("diff" if differs else "", "best" if bold and i in bold[r] else "")
                    if c
                ),
                escape(cell),
            )
            for i, cell in enumerate(cells)
        )
        body.append(f"<tr><th>{escape(heading)}</th>{tds}</tr>")
    return f'<table class="compare"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def runs_section(runs: Sequence[ReportData]) -> Section:
    names = run_names(runs)
    counts = [tile_counts(r.counts, r.rejection_reasons) for r in runs]

    def row(heading: str, cell: Callable[[int, ReportData], str]) -> tuple[str, list[str]]:
        return heading, [cell(i, r) for i, r in enumerate(runs)]

    rows = [
        row("spec name", lambda i, r: r.name),
        row("directory", lambda i, r: str(r.run_dir)),
        row("spec hash", lambda i, r: r.manifest.spec_hash or "—"),
        row("recipe", lambda i, r: r.spec.recipe.type or "—"),
        row("generator model", lambda i, r: model_id((r.manifest.spec or {}).get("backend") or {})),
        row("decoding", lambda i, r: decoding(r)),
        row("budget", lambda i, r: budget(r.manifest.spec or {}, r.manifest)),
        row("seed", lambda i, r: "—" if r.manifest.seed is None else str(r.manifest.seed)),
        row("generated", lambda i, r: format_time(r.manifest.created_at)),
    ]
    for key in ("accepted", "surplus", "rejected", "failed", "unfinished", "planned"):
        rows.append(row(key, lambda i, r, key=key: format_number(counts[i].get(key, 0))))
    rows.append(
        row("accepted / planned", lambda i, r: _share(counts[i]["accepted"], counts[i]["planned"]))
    )
    for label in _labels(runs):
        rows.append(
            row(
                f"accepted {label}",
                lambda i, r, lab=label: format_number(r.label_counts.get(lab, 0)),
            )
        )
    rows.append(row("mean words per sample", lambda i, r: _mean_words(r.texts)))
    rows.append(row("curation", lambda i, r: r.curation.name if r.curation else "none"))
    note = "Highlighted: rows whose values differ between the runs."
    return Section("runs", TITLES["runs"], f'<p class="note">{note}</p>{_table(names, rows)}')


def labels_section(runs: Sequence[ReportData]) -> Section:
    names, labels = run_names(runs), _labels(runs)
    series, shown = {}, {}
    for name, r in zip(names, runs, strict=True):
        total = sum(r.label_counts.values()) or 1
        series[name] = [100 * r.label_counts.get(lab, 0) / total for lab in labels]
        shown[name] = [f"{p:.0f}%" for p in series[name]]  # the counts are in the Runs table
    colors = {name: label_color(i) for i, name in enumerate(names)}
    svg = bar_chart(
        labels, series, colors, "accepted samples per label", "share of samples (%)", shown
    )
    keys = [(n, colors[n]) for n in names]
    return Section("labels", TITLES["labels"], figure(svg, "one bar per run", legend(keys)))


def metrics_section(runs: Sequence[ReportData]) -> Section:
    names = run_names(runs)
    table: dict[tuple[str, str], list[float | None]] = {}
    better: dict[tuple[str, str], str] = {}
    for i, r in enumerate(runs):
        if r.scores is None:
            continue
        for m in summarize(r.scores.metrics):
            key = (m.family, m.name)
            table.setdefault(key, [None] * len(runs))[i] = m.value
            better[key] = m.better
    unscored = [n for n, r in zip(names, runs, strict=True) if r.scores is None]
    note = (
        f"Not scored: {', '.join(unscored)} (synloom score RUN --reference REAL.jsonl)."
        if unscored
        else ""
    )
    if not table:
        return Section(
            "metrics", TITLES["metrics"], f'<p class="missing">{escape(note or "No scores.")}</p>'
        )
    rows, bold = [], []
    for (family, name), values in table.items():
        mark = MARKS.get(better[(family, name)], "")
        rows.append((f"{family} · {name} {mark}".strip(), [format_number(v) for v in values]))
        bold.append(_best(values, better[(family, name)]))
    intro = "Bold: the best run of a row by the metric's direction. " + note
    return Section(
        "metrics",
        TITLES["metrics"],
        f'<p class="note">{escape(intro)}</p>{_table(names, rows, bold)}',
    )


def evaluation_section(runs: Sequence[ReportData]) -> Section:
    names = run_names(runs)
    cells: dict[str, list[str]] = {}
    scores: dict[str, list[float | None]] = {}
    for i, r in enumerate(runs):
        for ev_row in r.evaluation.rows if r.evaluation else []:
            for metric, mean, std in (
                ("accuracy", ev_row.accuracy, ev_row.accuracy_std),
                ("macro-F1", ev_row.macro_f1, ev_row.macro_f1_std),
            ):
                key = f"{ev_row.setting} ({ev_row.model}) {metric}"
                cells.setdefault(key, ["—"] * len(runs))[i] = mean_pm(mean, std, len(ev_row.seeds))
                scores.setdefault(key, [None] * len(runs))[i] = mean
            key = f"{ev_row.setting} ({ev_row.model}) n_train"
            n_train = "—" if ev_row.n_train is None else format_number(ev_row.n_train)
            cells.setdefault(key, ["—"] * len(runs))[i] = n_train
    tests = [(r.evaluation.test_source or "—") if r.evaluation else "not evaluated" for r in runs]
    rows = [("test data", tests), *cells.items()]
    bold = [set()] + [_best(scores.get(k, []), "higher") for k in cells]
    warn = ""
    evaluated = {t for t, r in zip(tests, runs, strict=True) if r.evaluation}
    if len(evaluated) > 1:
        warn = '<p class="missing">The runs were evaluated on different test data: compare with care.</p>'
    if not cells:
        return Section(
            "evaluation",
            TITLES["evaluation"],
            '<p class="missing">No run has an evaluation (synloom evaluate RUN --test REAL_TEST.jsonl).</p>',
        )
    return Section("evaluation", TITLES["evaluation"], warn + _table(names, rows, bold))


def rejections_section(runs: Sequence[ReportData]) -> Section:
    names = run_names(runs)
    reasons = list(dict.fromkeys(k for r in runs for k in r.rejection_reasons if k != SURPLUS))
    rows = [
        (
            f"surplus ({SURPLUS}, not a failure)",
            [format_number(r.rejection_reasons.get(SURPLUS, 0)) for r in runs],
        )
    ]
    rows += [
        (reason, [format_number(r.rejection_reasons.get(reason, 0)) for r in runs])
        for reason in reasons
    ]
    rows.append(("failed requests", [format_number(len(r.failed)) for r in runs]))
    return Section("rejections", TITLES["rejections"], _table(names, rows))


COMPARE_SECTIONS = (
    runs_section,
    labels_section,
    metrics_section,
    evaluation_section,
    rejections_section,
)


def _labels(runs: Sequence[ReportData]) -> list[str]:
    return list(dict.fromkeys(lab for r in runs for lab in r.labels))


def _share(n: int, total: int) -> str:
    return "—" if not total else f"{n / total:.1%}"


def _mean_words(texts: list[str]) -> str:
    return "—" if not texts else f"{sum(map(word_count, texts)) / len(texts):.1f}"


def _best(values: Sequence[float | None], better: str) -> set[int]:
    present = [(v, i) for i, v in enumerate(values) if v is not None]
    if len(present) < 2 or better not in ("higher", "lower"):
        return set()
    top = max(v for v, _ in present) if better == "higher" else min(v for v, _ in present)
    return {i for v, i in present if v == top}
