"""`synloom inspect RUN_DIR`: counts per label, rejection reasons, a few samples per label."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from synloom.cli.render import console, counts_table, say
from synloom.cli.safe_text import text


def inspect(
    run_dir: Annotated[Path, typer.Argument(help="run directory")],
    show: Annotated[int, typer.Option(min=0, help="samples shown per label")] = 3,
) -> None:
    """Summarise a run."""
    from synloom.store import RunStore

    with RunStore(run_dir) as store:
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
        console.print(counts_table("requests and outputs", counts, "what"))
        console.print(counts_table("accepted per label", store.label_counts()))
        console.print(counts_table("rejection reasons", store.rejection_reasons(), "reason"))
        ctx = store.counts("context")
        if ctx["planned"]:
            console.print(counts_table("context stage", ctx, "what"))
        samples = store.accepted()
        table = Table(title=Text(f"samples (up to {show} per label)"))
        table.add_column("label")
        table.add_column("text")
        shown: dict[str, int] = {}
        for s in samples:
            if shown.get(s.label, 0) < show:
                shown[s.label] = shown.get(s.label, 0) + 1
                shown_text = s.text if s.text_b is None else f"{s.text} ||| {s.text_b}"
                table.add_row(text(s.label, multiline=False), text(shown_text))
        console.print(table)
        _curations(store)
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
