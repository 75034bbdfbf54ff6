"""`synloom score RUN_DIR [--reference REAL.jsonl] [--max-model-samples N]`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from synloom.cli.app import app
from synloom.cli.render import console
from synloom.quality.run_scores import DEFAULT_MAX_MODEL_SAMPLES


@app.command()
def score(
    run_dir: Annotated[Path, typer.Argument(help="run directory")],
    reference: Annotated[
        Path | None, typer.Option(help="real labeled data (JSONL text,label) to compare with")
    ] = None,
    max_model_samples: Annotated[
        int, typer.Option(help="samples scored by the LM for perplexity/relabel (0 = skip)")
    ] = DEFAULT_MAX_MODEL_SAMPLES,
) -> None:
    """Score the run's accepted samples with every quality metric and store the scores."""
    from synloom.quality.run_scores import score_run
    from synloom.quality.stored import save_scores
    from synloom.quality.summary import format_number, summarize
    from synloom.store import STORE_FILE, RunStore

    RunStore(run_dir).close()  # a missing or foreign directory fails here, before any model
    rows = None if reference is None else _read_reference(reference)
    result = score_run(
        run_dir,
        rows,
        reference_source=None if reference is None else str(reference),
        max_model_samples=max_model_samples,
    )
    with RunStore(run_dir) as store:
        n_rows = save_scores(store, result)

    settings = result["settings"]
    table = Table(
        title=f"quality of {run_dir}: {result['n_samples']} samples, "
        f"reference {settings['reference'] or 'none'} ({settings['n_reference']} rows)"
    )
    for column in ("metric", "value", "better", "details"):
        table.add_column(column, justify="right" if column == "value" else "left")
    for row in summarize(result["metrics"], result["skipped"]):
        style = "dim" if row.skipped else ""
        table.add_row(
            Text(row.name, style=style),
            Text(format_number(row.value), style=style),
            Text(row.mark, style=style),
            Text(row.note if row.skipped else row.details, style=style),
        )
    console.print(table)
    console.print(
        f"saved {n_rows} metric rows to {Path(run_dir) / STORE_FILE} in "
        f"{settings['duration_s']:.1f} s; HTML report: synloom report {run_dir}",
        markup=False,
        highlight=False,
    )


def _read_reference(path: Path) -> list[dict]:
    from synloom.errors import SynloomError
    from synloom.train.data import LabeledData

    try:
        return LabeledData.from_jsonl(path).to_records()
    except (OSError, UnicodeDecodeError) as exc:
        raise SynloomError(f"cannot read reference file {path}: {exc}") from None
