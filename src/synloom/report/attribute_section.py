"""The report's attribute section: diversity broken down by the attribute values the samples'
requests drew (AttrPrompt's dimensions, or the spec's `attributes`), from the stored
`attribute_diversity` scores: per dimension, each value's sample count, distinct-2 and APS."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from synloom.quality.summary import format_number
from synloom.report.fragments import Section, html_table, missing_note

if TYPE_CHECKING:
    from synloom.report.data import ReportData

TITLE = "Diversity by attribute"
METRIC = "attribute_diversity"
MAX_VALUES_SHOWN = 30


def attribute_section(data: ReportData) -> Section:
    scores = data.scores
    if scores is None:
        note = missing_note("No quality scores are stored yet.", f"synloom score {data.run_dir}")
        return Section("attributes", TITLE, note)
    result = scores.metrics.get(METRIC)
    if not isinstance(result, dict):
        why = scores.skipped.get(METRIC)
        text = f"Not measured: {why}." if why else "Not measured by the stored scoring."
        note = missing_note(text, None if why else f"synloom score {data.run_dir}")
        return Section("attributes", TITLE, note)
    intro = (
        f"<p>{format_number(result.get('n_attributed'))} samples carry attribute values."
        f" Mean within a value: distinct-2 {_num(result.get('distinct_2_within_value'))},"
        f" APS {_num(result.get('aps_within_value'))}; all attributed samples together:"
        f" distinct-2 {_num(result.get('distinct_2_all'))}, APS {_num(result.get('aps_all'))}."
        " Higher distinct-2 and lower APS = more diverse; distinct-2 falls as a group grows,"
        " so compare values of similar counts.</p>"
    )
    parts = [intro]
    for dim, info in (result.get("dimensions") or {}).items():
        parts.append(_dimension_table(dim, info))
    return Section("attributes", TITLE, "".join(parts))


def _dimension_table(dim: str, info: dict[str, Any]) -> str:
    values = list((info.get("values") or {}).items())
    rows = [
        [
            escape(value),
            format_number(v.get("count")),
            _num(v.get("distinct_2")),
            _num(v.get("aps")),
        ]
        for value, v in values[:MAX_VALUES_SHOWN]
    ]
    more = len(values) - MAX_VALUES_SHOWN
    head = (
        f"<h3>{escape(dim)}: {format_number(info.get('n_values'))} values; mean distinct-2"
        f" {_num(info.get('distinct_2'))}, mean APS {_num(info.get('aps'))}</h3>"
    )
    tail = f'<p class="note">{more} more values, least frequent, not shown.</p>' if more > 0 else ""
    return head + html_table(["value", "samples", "distinct-2", "APS"], rows) + tail


def _num(value: Any) -> str:
    return "—" if value is None else f"{value:.4f}"
