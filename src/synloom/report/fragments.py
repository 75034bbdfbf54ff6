"""Small HTML building blocks of the report; every text goes through `escape`."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

from synloom.quality.summary import format_number

EXAMPLE_CHARS = 400


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    html: str
    script: str = ""  # an inline script the section needs; the page's CSP allows it by hash


def missing_note(message: str, command: str | None = None) -> str:
    cmd = f" Run <code>{escape(command)}</code>, then rebuild this report." if command else ""
    return f'<p class="missing">{escape(message)}{cmd}</p>'


def format_time(timestamp: float | None) -> str:
    if not timestamp:
        return "—"
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(timestamp))


def clip(text: str | None, limit: int = EXAMPLE_CHARS) -> str:
    text = text or ""
    return escape(text if len(text) <= limit else text[: limit - 1] + "…")


def html_table(head: list[str], rows: list[list[str]], cls: str = "") -> str:
    """`rows` cells are HTML already escaped by the caller."""
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    klass = f' class="{cls}"' if cls else ""
    return f"<table{klass}><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def figure(svg: str, caption: str = "", legend_html: str = "") -> str:
    cap = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    return f"<figure>{svg}{legend_html}{cap}</figure>"


def sample_block(text: str | None) -> str:
    if not (text or "").strip():
        return '<pre class="sample empty">(empty output)</pre>'
    return f'<pre class="sample">{clip(text)}</pre>'


def mean_pm(mean: float | None, std: float | None, n: int) -> str:
    if mean is None:
        return "—"
    return f"{mean:.4f}" if n <= 1 or not std else f"{mean:.4f} ± {std:.4f}"


def confusion_table(setting: str, confusion: Mapping[str, Mapping[str, int]], labels) -> str:
    names = labels or sorted(confusion)
    head = "".join(f"<th>{escape(n)}</th>" for n in names)
    body = []
    for gold in names:
        preds = confusion.get(gold, {})
        total = sum(preds.values()) or 1
        cells = []
        for pred in names:
            n = preds.get(pred, 0)
            alpha = 0.08 + 0.8 * n / total if n else 0.0
            style = f"background:rgba(78,121,167,{alpha:.2f})"
            style += ";color:#fff" if alpha > 0.5 else ""
            cells.append(f'<td class="num" style="{style}">{format_number(n)}</td>')
        body.append(f"<tr><th>{escape(gold)}</th>{''.join(cells)}</tr>")
    return (
        f'<table class="confusion"><caption>{escape(setting)}</caption>'
        f"<thead><tr><th>gold \\ predicted</th>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def row_confusion(details: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """{gold: {predicted: n}} of a row: the prompting report, or the task-model reports summed."""
    reports = []
    if isinstance(details.get("report"), Mapping):
        reports.append(details["report"])
    if isinstance(details.get("reports"), Mapping):
        reports.extend(r for r in details["reports"].values() if isinstance(r, Mapping))
    total: dict[str, dict[str, int]] = {}
    for report in reports:
        for gold, preds in (report.get("confusion") or {}).items():
            for pred, n in preds.items():
                total.setdefault(gold, {})[pred] = total.get(gold, {}).get(pred, 0) + int(n)
    return total


def leak_summary(result: Mapping[str, Any]) -> str:
    rate = result.get("leak_rate")
    return (
        f"exact copies: {format_number(result.get('n_exact', 0))}; "
        f"sharing a word {result.get('ngram', 8)}-gram: {format_number(result.get('n_ngram', 0))}; "
        f"embedding neighbours (cosine ≥ {result.get('cosine_threshold', 0.9)}): "
        f"{format_number(result.get('n_embedding', 0))}; of "
        f"{format_number(result.get('n_samples', 0))} samples (leak rate "
        f"{'—' if rate is None else f'{rate:.2%}'})."
    )


def mean_of_counts(counts: Mapping[int, int]) -> float:
    n = sum(counts.values())
    return sum(k * v for k, v in counts.items()) / n if n else 0.0


def int_keys(counts: Mapping[str, Mapping[str, int]]) -> dict[str, dict[int, int]]:
    return {label: {int(k): int(v) for k, v in c.items()} for label, c in counts.items()}


def reference_lengths(scores: Any) -> dict[str, dict[int, int]]:
    """The reference data's length counts per label stored by `synloom score` ({} if none)."""
    lengths = scores.plot_data.lengths if scores else None
    return int_keys(lengths.reference or {}) if lengths else {}
