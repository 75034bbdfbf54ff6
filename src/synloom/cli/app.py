"""`synloom` CLI entry point. Each command lives in its own module and registers on `app`."""

from __future__ import annotations

import sys

import typer

from synloom.errors import SynloomError

app = typer.Typer(
    name="synloom",
    help="Generate task-specific training data with frozen LLMs, measure it, and prove it on real data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register() -> None:
    # Imported for their @app.command side effects.
    from synloom.cli import (  # noqa: F401
        evaluate,
        export,
        generate,
        inspect,
        quickstart,
        report,
        score,
    )


def main() -> None:
    _register()
    try:
        app(standalone_mode=False)
    except SynloomError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted; rerun the same command to resume", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # click usage errors and aborts
        import click

        if isinstance(exc, click.exceptions.ClickException):
            print(f"error: {exc.format_message()}", file=sys.stderr)
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            sys.exit(1)
        raise
