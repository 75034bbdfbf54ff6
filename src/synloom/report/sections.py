"""The report's sections, each a function of `ReportData` returning a `Section` of HTML.

Every section is always present; when its data is missing it says so and names the command
that produces it. Sample text is untrusted model output: everything goes through `escape`.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from synloom.quality.plot_data import length_counts
from synloom.quality.summary import format_number, summarize
from synloom.report.attribute_section import TITLE as ATTRIBUTE_TITLE
from synloom.report.attribute_section import attribute_section
from synloom.report.curation_section import TITLE as CURATION_TITLE
from synloom.report.curation_section import curation_section
from synloom.report.data import ReportData
from synloom.report.evaluation_section import TITLE as EVALUATION_TITLE
from synloom.report.evaluation_section import evaluation_section
from synloom.report.explorer_section import TITLE as EXPLORER_TITLE
from synloom.report.explorer_section import explorer_section
from synloom.report.fragments import (
    Section,
    clip,
    figure,
    format_time,
    html_table,
    int_keys,
    leak_summary,
    mean_of_counts,
    missing_note,
    reference_lengths,
    sample_block,
)
from synloom.report.overview_section import SURPLUS, overview_section
from synloom.report.overview_section import TITLE as OVERVIEW_TITLE
from synloom.report.svg import (
    SOURCE_COLORS,
    Point,
    bar_chart,
    histogram,
    label_color,
    legend,
    scatter,
)

MAX_LEAKS_SHOWN = 25


# Each section's heading by its id, in page order: the one place the titles are written.
TITLES: dict[str, str] = {
    "overview": OVERVIEW_TITLE,
    "samples": EXPLORER_TITLE,
    "metrics": "Quality metrics",
    "labels": "Label balance",
    "lengths": "Length distribution",
    "embedding": "Embedding map",
    "attributes": ATTRIBUTE_TITLE,
    "rejections": "Rejections",
    "leakage": "Leaked samples",
    "curation": CURATION_TITLE,
    "evaluation": EVALUATION_TITLE,
}


def metrics_section(data: ReportData) -> Section:
    title = TITLES["metrics"]
    if data.scores is None:
        return Section(
            "metrics",
            title,
            missing_note(
                "No quality scores are stored for this run yet.",
                f"synloom score {data.run_dir} --reference REAL.jsonl",
            ),
        )
    s = data.scores.settings
    rows = []
    for row in summarize(data.scores.metrics, data.scores.skipped):
        cls = ' class="skipped"' if row.skipped else ""
        rows.append(
            f"<tr{cls}><td>{escape(row.family)}</td><td>{escape(row.name)}</td>"
            f'<td class="num">{escape(format_number(row.value))}</td>'
            f'<td class="mark">{escape(row.mark)}</td>'
            f"<td>{escape(row.note if row.skipped else row.details)}</td></tr>"
        )
    head = "".join(
        f"<th>{h}</th>" for h in ("family", "metric", "value", "better", "details / why skipped")
    )
    table = f'<table class="metrics"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    note = (
        f"{format_number(data.scores.n_samples)} samples scored on {format_time(s.scored_at)}"
        f" in {s.duration_s:.1f} s; reference: {s.reference or 'none'}"
        f" ({format_number(s.n_reference)} rows); seed examples:"
        f" {format_number(s.n_seed_texts)}; LM for perplexity/relabel: {s.scorer or 'none'}"
        f" (at most {format_number(s.max_model_samples)} samples)."
    )
    marks = "↑ better: higher is better; ↓ better: lower is better."
    return Section("metrics", title, f'<p class="note">{escape(note)} {escape(marks)}</p>{table}')


def labels_section(data: ReportData) -> Section:
    title = TITLES["labels"]
    if not data.labels:
        return Section("labels", title, missing_note("The run has no labels."))
    series: dict[str, list[float]] = {}
    shown: dict[str, list[str]] = {}
    total = sum(data.label_counts.values()) or 1
    series["synthetic"] = [100 * data.label_counts[lab] / total for lab in data.labels]
    shown["synthetic"] = [
        f"{data.label_counts[lab]} ({p:.0f}%)"
        for lab, p in zip(data.labels, series["synthetic"], strict=True)
    ]
    ref = reference_lengths(data.scores)
    if ref:
        ref_counts = {lab: sum(c.values()) for lab, c in ref.items()}
        ref_total = sum(ref_counts.values()) or 1
        series["reference"] = [100 * ref_counts.get(lab, 0) / ref_total for lab in data.labels]
        shown["reference"] = [
            f"{ref_counts.get(lab, 0)} ({p:.0f}%)"
            for lab, p in zip(data.labels, series["reference"], strict=True)
        ]
    svg = bar_chart(
        data.labels,
        series,
        SOURCE_COLORS,
        "accepted samples per label",
        y_label="share of samples (%)",
        value_labels=shown,
    )
    caption = f"{sum(data.label_counts.values())} accepted samples" + (
        "; the reference bars come from the data given to synloom score" if ref else ""
    )
    keys = [(k, SOURCE_COLORS[k]) for k in series]
    return Section("labels", title, figure(svg, caption, legend(keys)))


def lengths_section(data: ReportData) -> Section:
    title = TITLES["lengths"]
    if not data.texts:
        return Section("lengths", title, missing_note("The run has no accepted samples."))
    synthetic = int_keys(length_counts(data.texts, data.sample_labels))
    reference = reference_lengths(data.scores)
    panels = []
    for label in ["all labels", *data.labels]:
        series: dict[str, dict[int, int]] = {}
        for name, counts in (("synthetic", synthetic), ("reference", reference)):
            if not counts:
                continue
            picked = counts.values() if label == "all labels" else [counts.get(label, {})]
            merged: dict[int, int] = {}
            for c in picked:
                for k, v in c.items():
                    merged[k] = merged.get(k, 0) + v
            if merged:
                series[name] = merged
        if not series:
            continue
        means = "; ".join(
            f"{name}: n={sum(c.values())}, mean {mean_of_counts(c):.1f} words"
            for name, c in series.items()
        )
        svg = histogram(series, SOURCE_COLORS, f"words per sample, {label}", x_label="words")
        panels.append(f'<div class="panel"><h3>{escape(label)}</h3>{figure(svg, means)}</div>')
    keys = [("synthetic", SOURCE_COLORS["synthetic"])]
    if reference:
        keys.append(("reference", SOURCE_COLORS["reference"]))
    note = (
        ""
        if reference
        else missing_note(
            "No reference data was scored, so only the synthetic lengths are shown.",
            f"synloom score {data.run_dir} --reference REAL.jsonl",
        )
    )
    return Section(
        "lengths", title, f'{note}{legend(keys)}<div class="panels">{"".join(panels)}</div>'
    )


def embedding_section(data: ReportData) -> Section:
    title = TITLES["embedding"]
    emap = data.scores.plot_data.embedding_map if data.scores else None
    if not emap:
        return Section(
            "embedding",
            title,
            missing_note(
                "No embedding map is stored for this run.",
                f"synloom score {data.run_dir} --reference REAL.jsonl",
            ),
        )
    sides = [s for s in ("reference", "synthetic") if s in emap]
    labels = list(data.labels)
    for side in sides:
        labels += [lab for lab in dict.fromkeys(emap[side]["label"]) if lab not in labels]
    colors = {lab: label_color(i) for i, lab in enumerate(labels)}
    by_source, by_label = [], []
    for side in sides:  # reference first, so synthetic points are drawn on top
        cols = emap[side]
        shape = "square" if side == "reference" else "circle"
        for x, y, lab, text in zip(cols["x"], cols["y"], cols["label"], cols["text"], strict=True):
            tip = f"{side} · {lab}: {text}"
            by_source.append(Point(x, y, SOURCE_COLORS[side], shape, tip))
            by_label.append(Point(x, y, colors.get(lab, "#999"), shape, tip))
    var = [*emap.get("explained_variance", []), 0, 0]
    x_label, y_label = f"PC1 ({var[0]:.0%} of variance)", f"PC2 ({var[1]:.0%})"
    counts = ", ".join(
        f"{side}: {len(emap[side]['x'])} of {emap[side]['n_total']} plotted" for side in sides
    )
    source_keys = [(s, SOURCE_COLORS[s]) for s in sides]
    label_keys = [(lab, colors[lab]) for lab in labels]
    shapes_note = "circles: synthetic; squares: reference" if "reference" in sides else ""
    left = figure(
        scatter(by_source, "embedding map by source", x_label, y_label),
        "coloured by source",
        legend(source_keys, ["circle" if s == "synthetic" else "square" for s in sides]),
    )
    right = figure(
        scatter(by_label, "embedding map by label", x_label, y_label),
        "coloured by label" + (f" ({shapes_note})" if shapes_note else ""),
        legend(label_keys),
    )
    intro = (
        "PCA to two dimensions of the MiniLM sentence embeddings computed by synloom score "
        f"({counts}). Hover a point to read its text."
    )
    note = (
        ""
        if "reference" in sides
        else missing_note(
            "No reference data was scored: only synthetic points are shown.",
            f"synloom score {data.run_dir} --reference REAL.jsonl",
        )
    )
    return Section(
        "embedding",
        title,
        f'<p class="note">{escape(intro)}</p>{note}<div class="panels">{left}{right}</div>',
    )


def rejections_section(data: ReportData) -> Section:
    title = TITLES["rejections"]
    parts = []
    surplus = data.rejection_reasons.get(SURPLUS, 0)
    if surplus:
        parts.append(
            f'<p class="note surplus">{format_number(surplus)} valid outputs came after their'
            f" label's budget was full (<code>{SURPLUS}</code>): the surplus of oversampling,"
            " not failures. They stay in the store and are not counted as rejections below.</p>"
        )
    reasons = [r for r in data.rejection_reasons if r != SURPLUS]
    if not reasons:
        parts.append('<p class="note">No sample was rejected.</p>')
    else:
        counts = [float(data.rejection_reasons[r]) for r in reasons]
        svg = bar_chart(
            reasons,
            {"rejected": counts},
            {"rejected": "#e15759"},
            "rejections per reason",
            y_label="rejected outputs",
        )
        parts.append(figure(svg))
        rows = []
        for reason in reasons:
            examples = "".join(
                sample_block(ex.get("raw_text") or ex.get("completion"))
                + (
                    f'<div class="detail">{clip(ex["detail"], 200)}</div>'
                    if ex.get("detail")
                    else ""
                )
                for ex in data.rejected_examples.get(reason, [])
            )
            rows.append([escape(reason), format_number(data.rejection_reasons[reason]), examples])
        parts.append(
            html_table(["reason", "count", "raw examples (model output)"], rows, "rejects")
        )
    if data.failed:
        rows = [[escape(f["id"]), clip(f.get("error"), 200)] for f in data.failed[:5]]
        parts.append(
            f"<h3>Failed requests ({len(data.failed)})</h3>"
            + html_table(["request", "error"], rows)
        )
    return Section("rejections", title, "".join(parts))


def leakage_section(data: ReportData) -> Section:
    title = TITLES["leakage"]
    if data.scores is None:
        return Section(
            "leakage",
            title,
            missing_note(
                "Leakage is measured by synloom score.",
                f"synloom score {data.run_dir} --reference REAL.jsonl",
            ),
        )
    parts = []
    for key, what in (("leakage_seed", "seed examples"), ("leakage_reference", "reference data")):
        parts.append(f"<h3>Against the {escape(what)}</h3>")
        result = data.scores.metrics.get(key)
        if result is None:
            why = data.scores.skipped.get(key, "not computed")
            parts.append(f'<p class="missing">{escape(f"Not measured: {why}.")}</p>')
            continue
        leaks = result.get("leaks", [])
        parts.append(f'<p class="note">{escape(leak_summary(result))}</p>')
        if not leaks:
            continue
        rows = [
            [
                format_number(leak.get("index")),
                escape(str(leak.get("kind"))),
                escape(format_number(leak.get("score"))),
                f'<span class="sample">{clip(leak.get("text"))}</span>',
                f'<span class="sample">{clip(leak.get("reference_text"))}</span>',
            ]
            for leak in leaks[:MAX_LEAKS_SHOWN]
        ]
        parts.append(html_table(["sample #", "kind", "score", "sample", f"matched {what}"], rows))
        if len(leaks) > MAX_LEAKS_SHOWN:
            parts.append(f'<p class="note">… and {len(leaks) - MAX_LEAKS_SHOWN} more.</p>')
    return Section("leakage", title, "".join(parts))


SECTIONS: tuple[Callable[[ReportData], Section], ...] = (
    overview_section,
    explorer_section,
    metrics_section,
    labels_section,
    lengths_section,
    embedding_section,
    attribute_section,
    rejections_section,
    leakage_section,
    curation_section,
    evaluation_section,
)
SECTION_TITLES: tuple[str, ...] = tuple(TITLES.values())


def build_sections(data: ReportData) -> list[Section]:
    return [make(data) for make in SECTIONS]
