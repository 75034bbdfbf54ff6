"""What the report reads from the store besides `open_run`: one rendered prompt of the run (from
its `requests` table, with the decoding parameters it was sent with) and the per-sample scores
its scoring and its curations stored (the sample explorer's sortable score columns).

`synloom score` keeps the perplexity, relabel margin and LM label of the samples its LM scored
(`StoredScores.per_sample`; at most `--max-model-samples`, the other rows have none): one column
each for the two numbers, the label as a text column.

`synloom curate` stores a score per sample and method (`curation_scores`); the explorer shows one
column per method: the reported curation's scores, else those of the curation that scored the
most samples with it (the latest of equals; a later step of a composed curation scores only what
the earlier steps kept). The `random` control method's noise gets no column. The
`likelihood` method's score is a mean token log-prob under the sample's own label prompt, shown
as the perplexity exp(-score) that it is; `margin` is the relabel margin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synloom.store.artifacts import StoredScores

SAMPLE_STAGE = "sample"
NO_COLUMN = frozenset({"random"})  # a control whose score is noise by design
SCORE_SOURCE = "synloom score"
SCORE_LABEL = "relabel_label"  # the per-sample column of `synloom score` shown as text
# per-sample column of `synloom score` -> (column title, which way is better, what it measures)
SCORE_COLUMNS: dict[str, tuple[str, str, str]] = {
    "perplexity": (
        "perplexity",
        "lower",
        "exp(mean token negative log-likelihood) of the text after a newline under the scoring LM",
    ),
    "relabel_margin": (
        "relabel margin",
        "higher",
        "log-prob of its label's verbalizer minus the best other label's after 'Text: ...\n"
        "Label:' under the scoring LM (< 0: the LM gives another label)",
    ),
}

# method -> (column title, which way is better) for the columns shown under another name
KNOWN_COLUMNS: dict[str, tuple[str, str]] = {
    "likelihood": ("perplexity", "lower"),
    "margin": ("relabel margin", "higher"),
}


@dataclass(frozen=True)
class PromptExample:
    """One request of the run as sent: its label, the prompt text and the decoding params."""

    request_id: str
    label: str | None
    prompt: str
    context: str | None
    params: dict[str, Any]
    completion: str | None  # the accepted text it produced, if any


@dataclass(frozen=True)
class ScoreColumn:
    """A per-sample score the explorer can sort by: sample id -> value (NaN: not scored)."""

    method: str  # a curation method, or a per-sample column of `synloom score`
    title: str
    better: str  # "higher" or "lower"
    source: str  # who stored it: "synloom score" or "curation NAME"
    description: str
    values: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class RunDetails:
    prompt: PromptExample | None = None
    score_columns: tuple[ScoreColumn, ...] = ()
    lm_labels: dict[str, str] = field(default_factory=dict)  # sample id -> the scoring LM's label


def read_run_details(
    run_dir: str | Path,
    accepted: dict[str, str],
    curation: str | None = None,
    scores: StoredScores | None = None,
) -> RunDetails:
    """`accepted`: accepted sample id -> its generated text (the prompt shown is the first
    request that produced one, else the first request of the run); `scores`: the scoring the
    report shows, whose per-sample values become columns beside the curations'."""
    from synloom.store import RunStore

    with RunStore(run_dir) as store:
        requests = store.requests(SAMPLE_STAGE, 0)
        stored = {name: store.curation_scores(name) for name in store.curation_names()}
    pick = next((r for r in requests if r.id in accepted), requests[0] if requests else None)
    prompt = None
    if pick is not None:
        prompt = PromptExample(
            pick.id, pick.label, pick.prompt, pick.context, pick.params, accepted.get(pick.id)
        )
    columns = _scored_columns(scores) + _score_columns(stored, curation)
    lm_labels = {
        sid: str(v) for sid, v in (scores.sample_values(SCORE_LABEL) if scores else {}).items()
    }
    return RunDetails(prompt, _named_apart(columns), lm_labels)


def _scored_columns(scores: StoredScores | None) -> tuple[ScoreColumn, ...]:
    """The numeric per-sample columns of `synloom score` (None values are NaN: not defined)."""
    if scores is None:
        return ()
    scorer = scores.settings.scorer
    columns = []
    for key, (title, better, description) in SCORE_COLUMNS.items():
        values = scores.sample_values(key)
        if not values:
            continue
        numbers = {sid: _float(v) for sid, v in values.items()}
        what = description + (f" ({scorer})" if scorer else "")
        columns.append(ScoreColumn(key, title, better, SCORE_SOURCE, what, numbers))
    return tuple(columns)


def _float(value: object) -> float:
    return float(value) if isinstance(value, (int, float)) else math.nan


def _named_apart(columns: tuple[ScoreColumn, ...]) -> tuple[ScoreColumn, ...]:
    """Columns of the same title side by side (`synloom score`'s first), a title both sources
    give named after its source: "perplexity (score)", "perplexity (curation NAME)"."""
    order = [title for title, _ in KNOWN_COLUMNS.values()]
    ranked = sorted(columns, key=lambda c: order.index(c.title) if c.title in order else len(order))
    titles = [c.title for c in ranked]
    out = []
    for col in ranked:
        if titles.count(col.title) > 1:
            tag = "score" if col.source == SCORE_SOURCE else col.source
            col = replace(col, title=f"{col.title} ({tag})")
        out.append(col)
    return tuple(out)


def _score_columns(
    stored: dict[str, dict[str, dict[str, tuple[float, Any]]]], reported: str | None
) -> tuple[ScoreColumn, ...]:
    best: dict[str, tuple[tuple[bool, int, int], str, dict[str, float]]] = {}
    for order, (name, methods) in enumerate(stored.items()):
        for method, rows in methods.items():
            if not rows or method in NO_COLUMN:
                continue
            rank = (name == reported, len(rows), order)
            if method not in best or rank > best[method][0]:
                best[method] = (rank, name, {sid: score for sid, (score, _) in rows.items()})
    latest = {method: (name, values) for method, (_, name, values) in best.items()}
    known = [m for m in KNOWN_COLUMNS if m in latest]
    columns = []
    for method in known + sorted(set(latest) - set(known)):
        name, values = latest[method]
        title, better = KNOWN_COLUMNS.get(method, (method, "higher"))
        description = _describe(method)
        if method == "likelihood":
            values = {sid: _perplexity(v) for sid, v in values.items()}
            description = "exp(-likelihood): the sample's perplexity under its label's prompt"
        columns.append(ScoreColumn(method, title, better, f"curation {name}", description, values))
    return tuple(columns)


def _perplexity(log_prob: float) -> float:
    if not math.isfinite(log_prob):
        return math.nan
    return math.exp(-log_prob) if -log_prob < 700 else math.inf


def _describe(method: str) -> str:
    """What the method's score measures (its `MethodInfo`), or "" for an unknown method."""
    from synloom.errors import SynloomError

    try:
        from synloom.curate.registry import load_method

        return load_method(method).info.measures
    except (SynloomError, ImportError):  # an unknown or unloadable method keeps its column
        return ""
