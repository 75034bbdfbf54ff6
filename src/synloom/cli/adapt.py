"""`synloom adapt SPEC --method lora|prefix|prompt|fewgen|msp --out ADAPTER_DIR`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from synloom.cli.render import console, say
from synloom.cli.safe_text import text


def adapt(
    spec_path: Annotated[
        Path, typer.Argument(metavar="SPEC", help="task spec (YAML) with seed examples")
    ],
    method: Annotated[
        str, typer.Option("--method", "-m", help="lora, prefix, prompt, fewgen or msp")
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="adapter directory (resumes if it exists)")
    ],
    epochs: Annotated[
        int | None, typer.Option(help="passes over the examples (default 20)")
    ] = None,
    lr: Annotated[float | None, typer.Option(help="learning rate (default: the method's)")] = None,
    batch_size: Annotated[int | None, typer.Option(help="examples per step (default 8)")] = None,
    rank: Annotated[int | None, typer.Option(help="LoRA rank (default 8)")] = None,
    virtual_tokens: Annotated[
        int | None, typer.Option(help="prefix / prompt length in tokens (default 10)")
    ] = None,
    mixture: Annotated[
        str | None,
        typer.Option(help="msp: how value prompts mix, concat, mean or attention (default mean)"),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="seed of initialisation and data order")] = None,
    save_every: Annotated[
        int | None, typer.Option(help="steps between checkpoints (default: about 5% of the run)")
    ] = None,
    unlabeled: Annotated[
        Path | None,
        typer.Option(help="unlabeled in-domain texts (CSV, TSV, JSONL, Parquet, text lines)"),
    ] = None,
    unlabeled_column: Annotated[
        str | None, typer.Option(help="column (JSONL field) of --unlabeled; default `text`")
    ] = None,
    allow_outside_paths: Annotated[
        bool, typer.Option(help="let the spec name files outside its own folder")
    ] = False,
) -> None:
    """Train an adapter of the spec's local generator on its seed examples, label-conditioned;
    generate with it through `backend.adapter: ADAPTER_DIR`. Rerunning resumes."""
    from pydantic import ValidationError

    from synloom.adapt.run import adapt as run_adapt
    from synloom.adapt.settings import AdaptSettings
    from synloom.cli.progress import StepBars
    from synloom.errors import SpecError
    from synloom.spec import load_spec
    from synloom.spec.contexts import read_contexts_file
    from synloom.spec.io import format_validation_error

    given = {
        "method": method,
        "epochs": epochs,
        "learning_rate": lr,
        "batch_size": batch_size,
        "lora_rank": rank,
        "virtual_tokens": virtual_tokens,
        "msp_mixture": mixture,
        "seed": seed,
        "save_every": save_every,
    }
    try:
        settings = AdaptSettings(**{k: v for k, v in given.items() if v is not None})
    except ValidationError as exc:
        raise SpecError(format_validation_error(exc, "adapt options")) from None
    spec = load_spec(spec_path, allow_outside_paths=allow_outside_paths)
    texts = None if unlabeled is None else read_contexts_file(unlabeled, unlabeled_column)
    with StepBars() as progress:
        from synloom.progress import reporting

        with reporting(progress):
            result = run_adapt(
                spec, out, settings, unlabeled=texts, say=lambda m: say(text(m, multiline=False))
            )
    train = result.meta["train"]
    if result.already_done:
        say("already trained: ", text(str(out), multiline=False))
    console.print(
        f"{result.meta['method']}: {result.meta['examples']['seed']} seed examples"
        f" (+{result.meta['examples']['unlabeled']} unlabeled), {train['steps']} steps in "
        f"{train['seconds']:.0f} s; loss on them {train['loss_before']:.3f} -> "
        f"{train['loss_after']:.3f}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    where = text(str(out.resolve()), multiline=False)  # the spec resolves paths against its folder
    say(
        "generate with it: synloom generate SPEC --adapter ",
        where,
        " (or backend.adapter: ",
        where,
        ")",
    )
