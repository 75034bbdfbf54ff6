"""The report's curation section: what a curation kept and dropped, per label and method, how
each method's scores fall for kept and dropped samples, and the dropped samples themselves with
their scores and reasons, so a reader sees *what* was removed."""

from __future__ import annotations

import math
from html import escape
from typing import TYPE_CHECKING, Any

from synloom.quality.summary import format_number
from synloom.report.fragments import Section, clip, figure, html_table, missing_note
from synloom.report.svg import bar_chart, legend

if TYPE_CHECKING:
    from synloom.report.data import ReportData
    from synloom.store.curation_view import CurationView

TITLE = "Curation"
BINS = 12
MAX_DROPPED_SHOWN = 40
KEPT_DROPPED_COLORS = {"kept": "#59a14f", "dropped": "#e15759"}


def curation_section(data: ReportData) -> Section:
    view = data.curation
    if view is None:
        names = data.curation_names
        if not names:
            note = missing_note(
                "No curation of this run yet.",
                f"synloom curate {data.run_dir} --method margin --keep 0.5",
            )
        else:
            note = (
                '<p class="note">This report shows every accepted sample. Curations of this run: '
                + ", ".join(f"<code>{escape(n)}</code>" for n in names)
                + "; <code>synloom report RUN --curation NAME</code> shows one.</p>"
            )
        return Section("curation", TITLE, note)
    parts = [_settings(view), _counts_table(view)]
    parts += [_score_chart(view, method) for method in _methods(view)]
    parts.append(_dropped_table(view, data.pool_texts or {}))
    parts.insert(0, f"<p>Curation <code>{escape(view.name)}</code> of this run.</p>")
    return Section("curation", TITLE, "".join(p for p in parts if p))


def _settings(view: CurationView) -> str:
    s = view.settings
    methods = _methods(view)
    kinds = list(s.get("kinds") or ["?"] * len(methods))
    steps = ", then ".join(
        f"<code>{escape(str(m))}</code> ({escape(str(k))})"
        for m, k in zip(methods, kinds, strict=False)
    )
    size = next(
        (st.get("rule") for st in _steps(view) if st.get("kind") == "size"),
        "no size target",
    )
    seed_data = (s.get("seed_data") or {}).get("source", "none")
    return (
        f"<p>Methods in order: {steps}; {escape(size)}. Seed {s.get('seed')}; real seed examples:"
        f" {escape(str(seed_data))}. Samples are never changed: the decisions sit beside them.</p>"
    )


def _counts_table(view: CurationView) -> str:
    summary = view.summary or {}
    steps = _steps(view)
    head = ["label", "pool"] + [f"dropped by {st.get('method', '?')}" for st in steps] + ["kept"]
    weighted = summary.get("weighted")
    if weighted:
        head.append("mean weight")
    rows = []
    for label, pool in summary.get("pool", {}).items():
        row = [escape(label), format_number(pool)]
        row += [format_number((st.get("dropped") or {}).get(label, 0)) for st in steps]
        row.append(format_number((summary.get("kept") or {}).get(label, 0)))
        if weighted:
            row.append(f"{summary.get('mean_weight', {}).get(label, 0.0):.3f}")
        rows.append(row)
    return html_table(head, rows)


def _score_chart(view: CurationView, method: str) -> str:
    scores = view.scores.get(method, {})
    values = [(v, view.decisions[sid].kept) for sid, v in scores.items() if not math.isnan(v)]
    if not values:
        return f'<p class="note">{escape(method)}: no scores.</p>'
    low = min(v for v, _ in values)
    high = max(v for v, _ in values)
    width = (high - low) / BINS or 1.0
    counts = {"kept": [0.0] * BINS, "dropped": [0.0] * BINS}
    for value, kept in values:
        b = min(int((value - low) / width), BINS - 1)
        counts["kept" if kept else "dropped"][b] += 1
    categories = [f"{low + i * width:.3g}" for i in range(BINS)]
    unscored = len(scores) - len(values)
    caption = f"{method}: scores of the {len(scores)} samples it saw, by final decision"
    caption += (
        f" (bins start at the value shown; {unscored} could not be scored)" if unscored else ""
    )
    svg = bar_chart(categories, counts, KEPT_DROPPED_COLORS, f"{method} scores", "samples")
    return figure(svg, caption, legend(list(KEPT_DROPPED_COLORS.items())))


def _dropped_table(view: CurationView, pool: dict[str, tuple[str, str]]) -> str:
    methods = _methods(view)
    dropped = [sid for sid, d in view.decisions.items() if not d.kept]
    if not dropped:
        return '<p class="note">Nothing was dropped.</p>'
    shown = dropped[:MAX_DROPPED_SHOWN]
    rows: list[list[str]] = []
    for sid in shown:
        label, text = pool.get(sid, ("?", ""))
        row = [escape(label), clip(text, 240), escape(view.decisions[sid].reason or "")]
        row += [_score(view.scores.get(m, {}).get(sid)) for m in methods]
        rows.append(row)
    more = len(dropped) - len(shown)
    note = f'<p class="note">{len(dropped)} dropped; the first {len(shown)} in plan order.</p>'
    head = ["label", "text", "why dropped"] + [f"{m} score" for m in methods]
    return f"<h3>Dropped samples</h3>{note if more else ''}" + html_table(head, rows)


def _methods(view: CurationView) -> list[str]:
    return [m for m in view.settings.get("methods") or [] if isinstance(m, str)]


def _steps(view: CurationView) -> list[dict[str, Any]]:
    steps = (view.summary or {}).get("steps") or []
    return [st for st in steps if isinstance(st, dict)]


def _score(value: Any) -> str:
    if value is None:
        return "—"
    return "n/a" if math.isnan(value) else f"{value:.4g}"
