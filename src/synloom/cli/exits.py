"""How a CLI invocation ends: one line on stderr and an exit status, never a traceback.

typer moved click inside itself (`typer._click` since 0.2x), so the exception classes are taken
from the click that typer actually uses, with duck typing (`format_message` + `exit_code`) as a
fallback should it move again. Exit statuses: 0 success, 1 internal error, 2 usage or input
error (`SynloomError.exit_code` may raise it, e.g. 3 for an incomplete run), 130 interrupted.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
import threading
from contextlib import contextmanager
from types import ModuleType
from typing import TYPE_CHECKING

from synloom.cli.safe_text import one_line

if TYPE_CHECKING:
    from collections.abc import Iterator

USAGE_ERROR = 2
INTERNAL_ERROR = 1
INTERRUPTED = 130
INTERRUPTED_MESSAGE = "interrupted; rerun the same command to resume"
DEBUG_ENV = "SYNLOOM_DEBUG"


def click_flavour() -> ModuleType:
    """The click package typer builds its commands with: `click` or typer's bundled copy."""
    from typer.core import TyperGroup

    for base in TyperGroup.__mro__:
        module = base.__module__
        if module.endswith(".core") and module != "typer.core":
            return importlib.import_module(module.rsplit(".", 1)[0])
    import click

    return click


def usage_error_types(flavour: ModuleType) -> tuple[type[BaseException], ...]:
    """The exception classes click raises for bad usage (and any it reports itself)."""
    return (flavour.exceptions.ClickException,)


def abort_types(flavour: ModuleType) -> tuple[type[BaseException], ...]:
    """click's `Abort` (raised for a KeyboardInterrupt or EOF), wherever this typer keeps it."""
    found = []
    for module_name in (f"{flavour.__name__}.exceptions", "typer.exceptions"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        abort = getattr(module, "Abort", None)
        if isinstance(abort, type) and abort not in found:
            found.append(abort)
    return tuple(found)


def error(message: object) -> None:
    """Print `error: <message>` as exactly one line on stderr."""
    print(f"error: {one_line(message)}", file=sys.stderr, flush=True)


class _Interrupts:
    """SIGINT and SIGTERM both become a KeyboardInterrupt in the main thread, and are noted:
    click/typer turn a KeyboardInterrupt into `Abort` or a returned 130, which must still end
    as 'interrupted' with status 130."""

    def __init__(self) -> None:
        self.seen = False

    def handle(self, signum: int, frame: object) -> None:
        self.seen = True
        raise KeyboardInterrupt


@contextmanager
def interrupts_as_keyboard_interrupt() -> Iterator[_Interrupts]:
    state = _Interrupts()
    if threading.current_thread() is not threading.main_thread():
        yield state
        return
    previous = {sig: signal.signal(sig, state.handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield state
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _caused_by_interrupt(exc: BaseException) -> bool:
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        if isinstance(cur, KeyboardInterrupt):
            return True
        seen.add(id(cur))
        cur = cur.__cause__ or cur.__context__
    return False


def _looks_like_click_error(exc: BaseException) -> bool:
    return callable(getattr(exc, "format_message", None)) and isinstance(
        getattr(exc, "exit_code", None), int
    )


def exit_status_for(exc: Exception, interrupted: bool, extra: str | None = None) -> int:
    """Report `exc` (raised out of the typer app) on stderr; the exit status to end with.

    `extra` is the optional extra the command needs (`synloom.extras`), named when a package it
    installs is missing."""
    from synloom.errors import SynloomError
    from synloom.extras import missing_extra

    flavour = click_flavour()
    if isinstance(exc, SynloomError):
        error(exc)
        return exc.exit_code
    missing = missing_extra(exc, extra)
    if missing is not None:
        error(missing)
        return missing.exit_code
    if isinstance(exc, abort_types(flavour)):
        if interrupted or _caused_by_interrupt(exc):
            return report_interrupted()
        error("aborted")
        return INTERNAL_ERROR
    if isinstance(exc, usage_error_types(flavour)) or _looks_like_click_error(exc):
        if type(exc).__name__ == "NoArgsIsHelpError":
            help_text = exc.format_message()  # type: ignore[attr-defined]
            if help_text.strip():
                print(help_text)
            error("missing command; run 'synloom --help' for the list")
        else:
            error(exc.format_message())  # type: ignore[attr-defined]
        return USAGE_ERROR
    if isinstance(exc, BrokenPipeError):  # `synloom inspect RUN | head`: the reader left
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keep the exit-time flush quiet
        return INTERNAL_ERROR
    if isinstance(exc, OSError) and exc.filename is not None:
        # A path the file system refuses (name too long, loop, permission, disk full): an
        # input or environment problem the user fixes, not a bug.
        error(f"cannot use {exc.filename}: {exc.strerror or exc}")
        return USAGE_ERROR
    if os.environ.get(DEBUG_ENV, "") not in ("", "0"):
        raise exc
    error(f"internal error: {type(exc).__name__}: {exc} (set {DEBUG_ENV}=1 for the traceback)")
    return INTERNAL_ERROR


def report_interrupted() -> int:
    print(INTERRUPTED_MESSAGE, file=sys.stderr, flush=True)
    return INTERRUPTED
