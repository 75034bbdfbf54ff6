"""`synloom push RUN_DIR REPO_ID [--private] [--curation NAME] [--split F --split-seed N]`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from synloom.cli.export import CurationOption, SplitOption, SplitSeedOption


def push(
    run_dir: Annotated[Path, typer.Argument(help="run directory")],
    repo_id: Annotated[str, typer.Argument(help="Hub dataset repository, NAMESPACE/NAME")],
    private: Annotated[
        bool,
        typer.Option(
            "--private",
            help="create the repository private (an existing public one is made private)",
        ),
    ] = False,
    curation: CurationOption = None,
    split: SplitOption = None,
    split_seed: SplitSeedOption = 0,
) -> None:
    """Upload the dataset (Parquet) and its card to the Hugging Face Hub (token: HF_TOKEN or
    `hf auth login`)."""
    from synloom.cli.render import say
    from synloom.cli.safe_text import text
    from synloom.report.hub import check_repo_id, push_run
    from synloom.store.curations import check_curation_name
    from synloom.store.export_split import check_fraction

    check_repo_id(repo_id)
    if curation is not None:
        check_curation_name(curation)
    if split is not None:
        check_fraction(split)
    url, result = push_run(
        run_dir,
        repo_id,
        private=private,
        curation=curation,
        split=split,
        split_seed=split_seed,
        notify=lambda message: say("notice: ", text(message, multiline=False)),
    )
    sizes = ", ".join(f"{name} {n}" for name, n in result.split_sizes.items())
    say("pushed ", text(url, multiline=False), f" ({sizes} rows, with its card)")
