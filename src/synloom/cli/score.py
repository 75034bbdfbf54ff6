"""`synloom score RUN_DIR [--reference REAL.jsonl] [--max-model-samples N] [--curation NAME]
[--executor local|ray] [--ray-workers N] [--json]`: progress bars on stderr (`synloom.cli.progress.StepBars`), the table or JSON on stdout."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from synloom.cli.json_out import JSON_HELP
from synloom.cli.render import console, say
from synloom.cli.safe_text import text
from synloom.quality.run_scores import DEFAULT_MAX_MODEL_SAMPLES


def score(
    run_dir: Annotated[Path, typer.Argument(help="run directory")],
    reference: Annotated[
        Path | None, typer.Option(help="real labeled data (JSONL text,label) to compare with")
    ] = None,
    max_model_samples: Annotated[
        int, typer.Option(min=0, help="samples scored by the LM for perplexity/relabel (0 = skip)")
    ] = DEFAULT_MAX_MODEL_SAMPLES,
    curation: Annotated[
        str | None,
        typer.Option(help="score the samples this curation keeps (stored beside the run's scores)"),
    ] = None,
    executor: Annotated[
        str,
        typer.Option(
            help="where the embeddings are computed: local (this process) or ray (Ray Data"
            " workers; the 'ray' extra); the scores are the same"
        ),
    ] = "local",
    ray_workers: Annotated[int, typer.Option(help="Ray Data workers (--executor ray)")] = 2,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Score the run's accepted samples with every quality metric and store the scores."""
    from synloom.cli.progress import StepBars
    from synloom.quality.ray_data import check_executor
    from synloom.quality.run_scores import score_run
    from synloom.quality.stored import save_scores
    from synloom.quality.summary import format_number, summarize
    from synloom.store import STORE_FILE, RunStore

    check_executor(executor, ray_workers)
    RunStore(run_dir).close()  # a missing or foreign directory fails here, before any model
    if executor == "ray":
        from synloom.generate.ray_executor import import_ray

        import_ray()  # a missing extra is one line before anything runs
    rows = None if reference is None else _read_reference(reference)
    with StepBars() as progress:
        result = score_run(
            run_dir,
            rows,
            reference_source=None if reference is None else str(reference),
            max_model_samples=max_model_samples,
            curation=curation,
            progress=progress,
            executor=executor,
            ray_workers=ray_workers,
        )
    with RunStore(run_dir, writable=True) as store:
        n_rows = save_scores(store, result, curation)
    if as_json:
        from synloom.cli.json_out import emit, score_data

        return emit(score_data(run_dir, result, curation, n_rows))

    settings = result["settings"]
    table = Table(
        title=text(
            f"quality of {run_dir}"
            + ("" if curation is None else f" (curation {curation})")
            + f": {result['n_samples']} samples, "
            f"reference {settings['reference'] or 'none'} ({settings['n_reference']} rows)",
            multiline=False,
        )
    )
    for column in ("metric", "value", "better", "details"):
        table.add_column(column, justify="right" if column == "value" else "left")
    for row in summarize(result["metrics"], result["skipped"]):
        style = "dim" if row.skipped else ""
        table.add_row(
            text(row.name, style=style),
            text(format_number(row.value), style=style),
            text(row.mark, style=style),
            text(row.note if row.skipped else row.details, style=style),
        )
    console.print(table)
    kept = {c: len(v) for c, v in (result.get("per_sample") or {}).items() if v}
    if kept:
        say(
            "kept per-sample values (the report's sample explorer sorts by them): ",
            ", ".join(f"{c} of {n} samples" for c, n in kept.items()),
        )
    say(
        f"saved {n_rows} metric rows to ",
        text(Path(run_dir) / STORE_FILE, multiline=False),
        f" in {settings['duration_s']:.1f} s; HTML report: synloom report ",
        text(run_dir, multiline=False),
        "" if curation is None else text(f" --curation {curation}", multiline=False),
    )


def _read_reference(path: Path) -> list[dict]:
    from synloom.errors import SynloomError
    from synloom.train.data import LabeledData

    try:
        return LabeledData.from_jsonl(path).to_records()
    except (OSError, UnicodeDecodeError) as exc:
        raise SynloomError(f"cannot read reference file {path}: {exc}") from None
    except SynloomError as exc:
        raise SynloomError(f"cannot read reference file: {exc}") from None
