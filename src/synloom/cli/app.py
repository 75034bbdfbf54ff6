"""`synloom` CLI entry point. Each command is a plain function in its own module; `app` registers
them all here, in one place (`COMMANDS`), so no command module imports the app.

`main` keeps the CLI contract (see `synloom.cli.exits`): every usage or input error is one line
`error: ...` on stderr with status 2, Ctrl-C and SIGTERM end with status 130, and nothing a user
types prints a traceback (`SYNLOOM_DEBUG=1` shows the traceback of an internal error).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from typer.core import TyperGroup

from synloom.cli import (
    adapt,
    curate,
    evaluate,
    export,
    generate,
    inspect,
    output,
    push,
    quickstart,
    report,
    score,
)

# In the order `synloom --help` lists them.
COMMANDS = (
    adapt.adapt,
    curate.curate,
    evaluate.evaluate,
    export.export,
    generate.generate,
    inspect.inspect,
    push.push,
    quickstart.quickstart,
    report.report,
    score.score,
)

# The optional extra (`synloom.extras`) each command's work needs beyond the base install; a
# missing package is reported as one line naming it. inspect and report need none.
COMMAND_EXTRAS = {
    "adapt": "adapt",  # peft on the local generator
    "curate": "quality",  # MiniLM, scikit-learn, torch (and the local generator for LM methods)
    "evaluate": "train",
    "export": "train",  # parquet and hf (HF datasets); jsonl needs nothing
    "generate": "local",  # the local generator; an OpenAI-compatible server needs nothing
    "push": "train",  # HF datasets (Parquet) and huggingface_hub
    "quickstart": "all",
    "score": "quality",
}


class _Group(TyperGroup):
    """Every command also takes the global output options `--quiet/-q` and `--verbose/-v`
    (`synloom.cli.output`), after its name as well as before it."""

    def get_command(self, ctx, cmd_name):  # type: ignore[no-untyped-def]
        from synloom.cli.output import output_options

        command = super().get_command(ctx, cmd_name)
        if command is not None and not any(p.name == "quiet" for p in command.params):
            command.params.extend(output_options())
        return command


app = typer.Typer(
    name="synloom",
    cls=_Group,
    help="Generate task-specific training data with frozen LLMs, measure it, and prove it on real data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("synloom")
    except metadata.PackageNotFoundError:
        from synloom import __version__

        return __version__


def _print_version(value: bool) -> None:
    if value:
        print(f"synloom {_version()}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", is_eager=True, callback=_print_version, help="print the version"
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help=output.QUIET_HELP)] = False,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help=output.VERBOSE_HELP)
    ] = 0,
) -> None:
    """Generate task-specific training data with frozen LLMs, measure it, and prove it on real data."""
    output.set_quiet(quiet)
    output.set_verbose(verbose)


def _summary(command) -> str | None:
    """The first paragraph of a command's docstring on one line: the command list shows it, and
    rich would otherwise keep the docstring's own line breaks there."""
    doc = (command.__doc__ or "").strip().split("\n\n")[0]
    return " ".join(doc.split()) or None


for _command in COMMANDS:
    app.command(short_help=_summary(_command))(_command)


def _command(args: list[str]) -> str | None:
    """The command named in `args` (the first word that is not an option), if any."""
    return next((a for a in args if not a.startswith("-")), None)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI on `argv` (default `sys.argv[1:]`); returns the exit status."""
    from synloom.cli.exits import (
        INTERRUPTED,
        exit_status_for,
        interrupts_as_keyboard_interrupt,
        report_interrupted,
    )

    args = sys.argv[1:] if argv is None else list(argv)
    with output.session(), interrupts_as_keyboard_interrupt() as interrupts:
        try:
            result = app(args=args, prog_name="synloom", standalone_mode=False)
        except KeyboardInterrupt:
            return report_interrupted()
        except Exception as exc:  # every outcome is reported in one line
            return exit_status_for(exc, interrupts.seen, COMMAND_EXTRAS.get(_command(args)))
    # typer returns 130 for a KeyboardInterrupt it caught itself (and click's Exit codes).
    if interrupts.seen or result == INTERRUPTED:
        return report_interrupted()
    return result if isinstance(result, int) else 0


def main() -> None:
    sys.exit(run())
