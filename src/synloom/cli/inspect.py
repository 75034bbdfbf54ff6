"""`synloom inspect RUN_DIR`: counts per label, rejection reasons, a few samples per label."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from synloom.cli.json_out import JSON_HELP
from synloom.cli.render import console, counts_table, say
from synloom.cli.safe_text import text


def inspect(
    run_dir: Annotated[Path, typer.Argument(help="run directory")],
    show: Annotated[int, typer.Option(min=0, help="samples shown per label")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Summarise a run."""
    from synloom.store import RunStore

    with RunStore(run_dir) as store:
        if as_json:
            from synloom.cli.json_out import emit, inspect_data

            return emit(inspect_data(store, run_dir, show))
        manifest = store.manifest()
        counts = store.counts()
        say(
            text(run_dir, multiline=False, style="bold"),
            text(
                f" spec {manifest.get('spec', {}).get('name')!r}"
                f" (hash {manifest.get('spec_hash')}), seed {manifest.get('seed')}",
                multiline=False,
            ),
        )
        _budgets(manifest)
        console.print(counts_table("requests and outputs", counts, "what"))
        label_counts = store.label_counts()
        if any(label is not None for label in label_counts):
            console.print(counts_table("accepted per label", label_counts))
        console.print(counts_table("rejection reasons", store.rejection_reasons(), "reason"))
        for stage in store.stage_names():
            if stage != "sample":
                console.print(counts_table(f"{stage} stage", store.counts(stage), "what"))
                reasons = store.rejection_reasons(stage)
                if reasons:
                    console.print(counts_table(f"{stage} stage rejections", reasons, "reason"))
        samples = store.accepted()
        table = Table(title=Text(f"samples (up to {show} per label)"))
        table.add_column("label")
        table.add_column("text")
        shown: dict[str, int] = {}
        for s in samples:
            if shown.get(s.label, 0) < show:
                shown[s.label] = shown.get(s.label, 0) + 1
                shown_text = s.text if s.text_b is None else f"{s.text} ||| {s.text_b}"
                table.add_row(text(s.label or "-", multiline=False), text(shown_text))
        console.print(table)
        _curations(store)
        _evaluations(run_dir)
        failed = store.failed()
        if failed:
            console.print(
                counts_table(
                    "failed requests (first 5)",
                    {f["id"]: f["error"] for f in failed[:5]},
                    "id",
                    "error",
                )
            )


def _curations(store) -> None:
    """One row per curation of the run: its methods, status and how many it kept."""
    names = store.curation_names()
    if not names:
        return
    table = Table(title=Text("curations (use with --curation NAME)"))
    for column in ("name", "methods", "status", "kept / pool"):
        table.add_column(column)
    for name in names:
        record = store.curation(name)
        summary = record.summary or {}
        kept = sum(summary.get("kept", {}).values())
        pool = sum(summary.get("pool", {}).values())
        table.add_row(
            text(name, multiline=False),
            text(" → ".join(record.settings.get("methods", [])), multiline=False),
            text(record.status, multiline=False),
            f"{kept} / {pool}" if summary else "—",
        )
    console.print(table)


def _budgets(manifest: dict) -> None:
    """The budget history of a topped-up run: `samples per label: 2 (rounds 0-2) → 4 (from 3)`."""
    from synloom.store.artifacts import Manifest

    try:
        history = Manifest.model_validate(manifest).budget_history()
    except ValueError:
        return
    if len(history) < 2:
        return
    steps = [f"{b.samples_per_label} (from round {b.first_round})" for b in history]
    say(text("samples per label, topped up: " + " → ".join(steps), multiline=False))


def _evaluations(run_dir: Path) -> None:
    """One row per evaluation kept in the run, oldest first; `latest` marks what `report` reads
    by default (per curation). An evaluation that cannot be read shows why."""
    import time

    from synloom.store.artifacts import list_evaluations

    found = list_evaluations(run_dir)
    if not found:
        return
    curated = any(s.evaluation is not None and s.evaluation.curation for s in found)
    table = Table(title=Text("evaluations (report --evaluation NAME; default: the latest)"))
    longest = max(len(stored.name) for stored in found)
    table.add_column("name", min_width=min(longest, 48), overflow="fold")
    table.add_column("finished (UTC)", no_wrap=True)
    for column in (["curation"] if curated else []) + ["test data", "synthetic acc.", "latest"]:
        table.add_column(column)
    for stored in found:
        ev = stored.evaluation
        cells = [time.strftime("%Y-%m-%d %H:%M", time.gmtime(stored.created_at))]
        if ev is None:
            cells += ["—"] * curated + ["—", text(stored.problem or "unreadable", multiline=False)]
        else:
            synthetic = next((r for r in ev.rows if r.setting == "tam-synthetic"), None)
            score = "—" if synthetic is None or synthetic.accuracy is None else synthetic.accuracy
            cells += [text(ev.curation or "—", multiline=False)] * curated + [
                text(Path(ev.test_source).name if ev.test_source else "—", multiline=False),
                score if isinstance(score, str) else f"{score:.4f}",
            ]
        table.add_row(text(stored.name, multiline=False), *cells, "yes" if stored.latest else "")
    console.print(table)
