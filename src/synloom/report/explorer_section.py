"""The report's sample explorer: a table of the accepted samples (the kept and dropped ones of a
curation) with their label, length and per-sample scores (`synloom score`'s perplexity, relabel
margin and LM label of the samples its LM scored; each curation method's score), filtered by
label and words and sorted by any number column by the page's one inline script (`explorer.js`).
Rows without a score show "—" and sort last either way.

Rows are HTML in the page, so they show without the script, and every text is escaped. At most
`MAX_ROWS` rows are embedded, taken round-robin over the labels in plan order so every label is
represented; the section says how many the run has and how to get them all.
"""

from __future__ import annotations

import math
from html import escape
from importlib import resources
from typing import TYPE_CHECKING

from synloom.quality.summary import format_number
from synloom.quality.tokens import word_count
from synloom.report.fragments import Section, missing_note
from synloom.report.run_details import SCORE_SOURCE

if TYPE_CHECKING:
    from synloom.report.data import ReportData
    from synloom.report.run_details import ScoreColumn
    from synloom.store.curations import Decision
    from synloom.store.records import Sample

TITLE = "Sample explorer"
MAX_ROWS = 2000
MAX_TEXT_CHARS = 2000
SCRIPT_FILE = "explorer.js"


def explorer_script() -> str:
    return resources.files("synloom.report").joinpath(SCRIPT_FILE).read_text("utf-8")


def pick_rows(labels: list[str], cap: int = MAX_ROWS) -> list[int]:
    """Indices of at most `cap` samples, round-robin over the labels (each in plan order),
    returned in plan order."""
    if len(labels) <= cap:
        return list(range(len(labels)))
    queues: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        queues.setdefault(label, []).append(i)
    picked: list[int] = []
    depth = 0
    while len(picked) < cap:
        for queue in queues.values():
            if depth < len(queue) and len(picked) < cap:
                picked.append(queue[depth])
        depth += 1
    return sorted(picked)


def _number(value: float | None) -> str:
    """A data-* attribute value the script reads with Number(); "" for a missing score."""
    if value is None or math.isnan(value):
        return ""
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return f"{value:.9g}"


def _text_cell(sample: Sample) -> str:
    generated = sample.text_b if sample.text_b is not None else sample.text
    clipped = generated if len(generated) <= MAX_TEXT_CHARS else generated[:MAX_TEXT_CHARS] + "…"
    given = f'<div class="given">{escape(sample.text)}</div>' if sample.text_b is not None else ""
    return f'<td class="sample">{given}{escape(clipped)}</td>'


def _decision_cell(d: Decision | None) -> str:
    if d is None:
        return '<td class="decision">—</td>'
    head = "kept" if d.kept else "dropped"
    if d.kept and d.weight != 1.0:
        head += f" (weight {d.weight:.3g})"
    why = "" if d.kept or not d.reason else f'<div class="why">{escape(d.reason)}</div>'
    return f'<td class="decision {head.split()[0]}">{escape(head)}{why}</td>'


def _header(columns: tuple[ScoreColumn, ...], curated: bool, lm_labels: bool) -> str:
    def button(key: str, title: str, tip: str) -> str:
        return (
            f'<th class="num"><button type="button" data-key="{key}" title="{escape(tip)}">'
            f"{escape(title)}</button></th>"
        )

    cells = [button("i", "#", "plan order"), "<th>id</th>", "<th>label</th>"]
    if curated:
        cells.append("<th>decision</th>")
    cells.append("<th>text</th>")
    cells.append(button("words", "words", "whitespace-separated words of the generated text"))
    for k, col in enumerate(columns):
        tip = f"{col.description}; {col.better} is better; stored by {col.source}"
        cells.append(button(f"s{k}", col.title, tip.lstrip("; ")))
    if lm_labels:
        tip = "the label the scoring LM gives the text (its best verbalizer; synloom score)"
        cells.append(f'<th title="{escape(tip)}">LM label</th>')
    return "<tr>" + "".join(cells) + "</tr>"


def _row(i: int, sample: Sample, columns, data: ReportData) -> str:
    generated = sample.text_b if sample.text_b is not None else sample.text
    n_words = word_count(generated)
    attrs = [f'data-i="{i}"', f'data-label="{escape(sample.label)}"', f'data-words="{n_words}"']
    cells = [
        f'<td class="num">{i + 1}</td>',
        f'<td class="id">{escape(sample.id)}</td>',
        f"<td>{escape(sample.label)}</td>",
    ]
    if data.curation is not None:
        cells.append(_decision_cell(data.curation.decisions.get(sample.id)))
    cells += [_text_cell(sample), f'<td class="num">{n_words}</td>']
    for k, col in enumerate(columns):
        value = col.values.get(sample.id)
        attrs.append(f'data-s{k}="{_number(value)}"')
        shown = "—" if value is None or math.isnan(value) else format_number(value)
        cells.append(f'<td class="num">{escape(shown)}</td>')
    if data.details.lm_labels:
        cells.append(f"<td>{escape(data.details.lm_labels.get(sample.id, '—'))}</td>")
    return f"<tr {' '.join(attrs)}>{''.join(cells)}</tr>"


def explorer_section(data: ReportData) -> Section:
    pool = data.pool
    if not pool:
        return Section("samples", TITLE, missing_note("The run has no accepted samples."))
    columns = data.details.score_columns
    shown = pick_rows([s.label for s in pool])
    counts: dict[str, int] = {}
    for i in shown:
        counts[pool[i].label] = counts.get(pool[i].label, 0) + 1
    options = f'<option value="">all labels ({format_number(len(shown))})</option>' + "".join(
        f'<option value="{escape(lab)}">{escape(lab)} ({format_number(counts[lab])})</option>'
        for lab in [*data.labels, *sorted(set(counts) - set(data.labels))]
        if lab in counts
    )
    what = "accepted samples" if data.curation is None else "accepted samples (kept and dropped)"
    if len(shown) < len(pool):
        intro = (
            f"The page embeds {format_number(len(shown))} of the run's {format_number(len(pool))}"
            f" {what} (at most {format_number(MAX_ROWS)}, round-robin over the labels in plan"
            f" order); synloom export {data.run_dir} gives them all."
        )
    else:
        intro = f"All {format_number(len(pool))} {what} of the run."
    scored = (
        "Per-sample scores: " + "; ".join(f"{c.title} from {c.source}" for c in columns) + "."
        if columns
        else "No per-sample scores are stored: synloom score keeps the perplexity and relabel"
        " margin of the samples its LM scores, synloom curate its methods' scores (e.g. --method"
        " likelihood, margin); the explorer then sorts by them."
    )
    if any(c.source == SCORE_SOURCE for c in columns):
        n = len(next(c for c in columns if c.source == SCORE_SOURCE).values)
        scored += (
            f" synloom score kept them for {format_number(n)} samples (at most"
            " --max-model-samples); the others show —."
        )
    how = "Filter by label and words (all must occur), click a column to sort (again: reverse)."
    controls = (
        '<div class="ex-controls" hidden>'
        f'<label>label <select name="label">{options}</select></label>'
        '<label>search <input type="search" name="q" placeholder="words, id or decision">'
        '</label><span class="ex-count note"></span></div>'
    )
    rows = "".join(_row(i, pool[i], columns, data) for i in shown)
    table = (
        f'<div class="ex-wrap"><table class="explorer"><thead>'
        f"{_header(columns, data.curation is not None, bool(data.details.lm_labels))}</thead>"
        f"<tbody>{rows}</tbody></table></div>"
    )
    html = (
        f'<p class="note">{escape(intro)} {escape(scored)} {escape(how)}</p>'
        f'<div id="explorer" data-rows="{len(shown)}">{controls}{table}</div>'
    )
    return Section("samples", TITLE, html, script=explorer_script())
