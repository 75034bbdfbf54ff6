"""What a CLI invocation shows besides its results: progress bars, logs, third-party noise.

Three switches, global options accepted before or after the command (`synloom -q score RUN` and
`synloom score RUN -q` are the same; see `synloom.cli.app.OUTPUT_OPTIONS`):
- `--quiet/-q`: no progress bars and no step announcements; only results (stdout) and errors
  and notices (stderr);
- `--verbose/-v`: synloom's own `logging` (retries, backend decisions) on stderr at INFO, with
  third-party warnings; `-vv`: DEBUG, and third-party INFO logs (transformers, datasets, hub);
- neither: progress bars on stderr when it is a terminal, no third-party bars or log noise.
`SYNLOOM_PROGRESS=1` draws the bars on a stderr that is not a terminal (a CI log, a test), `=0`
never draws them; `--quiet` wins over both. Results stay on stdout, progress and logs never go
there, so `synloom score RUN --json | jq` and friends read clean data.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated

import typer

PROGRESS_ENV = "SYNLOOM_PROGRESS"
ON, OFF = ("1", "true", "yes", "on", "always"), ("0", "false", "no", "off", "never")
# third-party loggers kept at ERROR unless --verbose (their warnings are advice to developers)
THIRD_PARTY_LOGGERS = (
    "transformers",
    "sentence_transformers",
    "datasets",
    "huggingface_hub",
    "filelock",
    "urllib3",
    "accelerate",
    "peft",
    "torch",
)


@dataclass
class OutputMode:
    quiet: bool = False
    verbose: int = 0


MODE = OutputMode()
_ENV = ("HF_HUB_DISABLE_PROGRESS_BARS", "TQDM_DISABLE", "TOKENIZERS_PARALLELISM")
_ENV += ("TRANSFORMERS_VERBOSITY", "DATASETS_VERBOSITY")


@contextmanager
def session() -> Iterator[OutputMode]:
    """One CLI invocation: default mode, third-party noise off; afterwards the logger levels and
    environment variables it changed are as before (tests run the CLI in their own process)."""
    names = ("synloom", *THIRD_PARTY_LOGGERS)
    levels = {name: logging.getLogger(name).level for name in names}
    env = {name: os.environ.get(name) for name in _ENV}
    MODE.quiet, MODE.verbose = False, 0
    configure_logging()
    try:
        yield MODE
    finally:
        MODE.quiet, MODE.verbose = False, 0
        logging.getLogger("synloom").removeHandler(_HANDLER)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        for name, value in env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def set_quiet(value: bool) -> None:
    if value:
        MODE.quiet = True
        configure_logging()


def set_verbose(count: int) -> None:
    if count:
        MODE.verbose = max(MODE.verbose, count)
        configure_logging()


def progress_forced() -> bool | None:
    """True/False when `SYNLOOM_PROGRESS` forces the bars on/off; None: only on a terminal."""
    value = os.environ.get(PROGRESS_ENV, "").strip().lower()
    if value in ON:
        return True
    if value in OFF:
        return False
    return None


def progress_console():
    """The stderr console progress bars draw on, and whether they should draw at all."""
    from rich.console import Console

    forced = None if MODE.quiet else progress_forced()
    # forced onto a pipe: as wide as $COLUMNS, else 120 (rich would take 80 and cut columns)
    width = None if not forced or sys.stderr.isatty() else _columns()
    console = Console(stderr=True, force_terminal=True if forced else None, width=width)
    enabled = not MODE.quiet and (forced if forced is not None else console.is_terminal)
    return console, enabled


def _columns() -> int:
    try:
        return max(int(os.environ.get("COLUMNS", "")), 40)
    except ValueError:
        return 120


def announce() -> bool:
    """Whether to print step announcements (`1/3 generating ...`): not under --quiet."""
    return not MODE.quiet


class _Stderr(logging.Handler):
    """Writes to the current `sys.stderr` (a live progress display swaps it to keep the bars
    below the lines)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            print(self.format(record), file=sys.stderr, flush=True)
        except Exception:  # pragma: no cover - logging must never break a command
            self.handleError(record)


_HANDLER = _Stderr()
_HANDLER.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))


def configure_logging() -> None:
    """synloom's logger and the third-party ones at the levels the mode asks for."""
    own = {0: logging.WARNING, 1: logging.INFO}.get(MODE.verbose, logging.DEBUG)
    if MODE.quiet and not MODE.verbose:
        own = logging.ERROR
    others = {0: logging.ERROR, 1: logging.WARNING}.get(MODE.verbose, logging.INFO)
    _HANDLER.setLevel(own)
    mine = logging.getLogger("synloom")
    mine.setLevel(own)
    if _HANDLER not in mine.handlers:
        mine.addHandler(_HANDLER)
    for name in THIRD_PARTY_LOGGERS:
        logging.getLogger(name).setLevel(others)
    silence_third_party(others)


def silence_third_party(level: int = logging.ERROR) -> None:
    """No tqdm bars from transformers, datasets, huggingface_hub or sentence-transformers, and
    their own verbosity at `level`: through the environment for modules imported later (heavy
    imports are lazy), and through their switches for those already imported. A variable the
    user set stays as it is."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TQDM_DISABLE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    verbosity = logging.getLevelName(level).lower()
    os.environ["TRANSFORMERS_VERBOSITY"] = verbosity
    os.environ["DATASETS_VERBOSITY"] = verbosity
    if "transformers" in sys.modules:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity(level)
        hf_logging.disable_progress_bar()
    if "datasets" in sys.modules:
        import datasets

        datasets.disable_progress_bars()
        datasets.logging.set_verbosity(level)
    if "huggingface_hub" in sys.modules:
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()


QUIET_HELP = "no progress bars or step announcements: only results and errors"
VERBOSE_HELP = (
    "show synloom's logs (retries, backend decisions) on stderr; -vv: debug and library logs"
)


def _on_quiet(ctx: object, param: object, value: bool) -> None:
    set_quiet(bool(value))


def _on_verbose(ctx: object, param: object, value: int) -> None:
    set_verbose(int(value or 0))


def output_options() -> list:
    """`--quiet/-q` and `--verbose/-v` as the click parameters typer builds, for a command that
    does not declare them itself (`synloom.cli.app` adds them to every command)."""

    def options(
        quiet: Annotated[
            bool,
            typer.Option("--quiet", "-q", help=QUIET_HELP, callback=_on_quiet, expose_value=False),
        ] = False,
        verbose: Annotated[
            int,
            typer.Option(
                "--verbose",
                "-v",
                count=True,
                help=VERBOSE_HELP,
                callback=_on_verbose,
                expose_value=False,
            ),
        ] = 0,
    ) -> None:
        """Only its parameters are used."""

    holder = typer.Typer(add_completion=False)
    holder.command()(options)
    return list(typer.main.get_command(holder).params)
