"""`synloom export RUN_DIR [--format jsonl|csv|parquet|hf|alpaca|messages] [--out PATH]
[--curation NAME] [--split FRACTION --split-seed N] [--rejected] [--system TEXT]`: the data files
and their dataset card. `alpaca` and `messages` (chat turns, as TRL's SFTTrainer reads them) are
for instruction runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

# shared with `synloom push`
CurationOption = Annotated[
    str | None, typer.Option(help="the samples this curation keeps (with their weights)")
]
SplitOption = Annotated[
    float | None,
    typer.Option(
        help="also split: this share of each label (of all samples when unlabeled) goes to"
        " validation (e.g. 0.1)",
        show_default=False,
    ),
]
SplitSeedOption = Annotated[int, typer.Option(help="seed of the split")]


def export(
    run_dir: Annotated[Path, typer.Argument(help="run directory")],
    format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="jsonl, csv, parquet, hf; for instruction runs also alpaca or messages",
        ),
    ] = "jsonl",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="target path")] = None,
    curation: CurationOption = None,
    split: SplitOption = None,
    split_seed: SplitSeedOption = 0,
    rejected: Annotated[
        bool,
        typer.Option(
            "--rejected", help="export the rejected outputs and failed requests (raw text, reason)"
        ),
    ] = False,
    system: Annotated[
        str | None,
        typer.Option(help="--format messages: a system turn first in every conversation"),
    ] = None,
) -> None:
    """Write the accepted samples of a run (or the ones a curation keeps) with a dataset card."""
    from synloom.cli.paths import check_output
    from synloom.cli.render import say
    from synloom.cli.safe_text import text
    from synloom.errors import SynloomError
    from synloom.report.card import export_with_card
    from synloom.store.curations import check_curation_name
    from synloom.store.export import (
        check_format,
        check_instruction_options,
        default_name,
        output_paths,
    )
    from synloom.store.export_split import check_fraction

    check_format(format)
    check_instruction_options(format, rejected, system)
    if curation is not None:
        check_curation_name(curation)
    if split is not None:
        check_fraction(split)
    target = out if out is not None else run_dir / default_name(format, curation, rejected=rejected)
    if out is not None or run_dir.is_dir():  # else the store reports what run_dir is
        check_output(target, run_dir, "the export", directory=format == "hf")
        files, card = output_paths(target, format, split)
        if format != "hf":
            for path in [*files.values(), card]:
                check_output(path, run_dir, "the export")
    try:
        result = export_with_card(
            run_dir,
            format,
            target,
            curation=curation,
            split=split,
            split_seed=split_seed,
            rejected=rejected,
            system=system,
        )
    except OSError as exc:
        raise SynloomError(f"cannot write {target}: {exc.strerror or exc}") from None
    for name, path in result.files.items():
        label = f"{name}: " if len(result.files) > 1 else ""
        say(label, text(path, multiline=False), f" ({result.split_sizes[name]} rows)")
    say("card: ", text(result.card_path, multiline=False))
