"""The CLI contract in-process: the typer/click pairing `main` relies on, interrupts raised
inside a command, and internal errors (one line, status 1, traceback only on request)."""

from __future__ import annotations

from importlib import metadata

import pytest
import tomllib
import typer
from packaging.requirements import Requirement
from packaging.version import Version

import synloom.spec
from synloom.cli.app import app, run
from synloom.cli.exits import abort_types, click_flavour, usage_error_types
from tests.conftest import ROOT


def _typer_requirement() -> Requirement:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    deps = [Requirement(d) for d in pyproject["project"]["dependencies"]]
    return next(d for d in deps if d.name == "typer")


def test_installed_typer_is_inside_the_pinned_range():
    specifier = _typer_requirement().specifier
    assert any(s.operator == "<" for s in specifier), f"typer is not pinned above: {specifier}"
    assert Version(metadata.version("typer")) in specifier


def test_main_catches_the_click_flavour_typer_raises():
    """A usage error raised by typer itself is an instance of the classes `main` catches: a
    typer that moves click again fails here, not in front of users."""
    command = typer.main.get_command(app)
    with pytest.raises(Exception) as caught:
        command.main(["inspct"], prog_name="synloom", standalone_mode=False)
    assert isinstance(caught.value, usage_error_types(click_flavour()))
    assert caught.value.exit_code == 2


def test_abort_is_the_class_typer_uses():
    aborts = abort_types(click_flavour())
    assert aborts and all(issubclass(a, BaseException) for a in aborts)
    assert typer.Abort in aborts


def _one_error_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    return lines[0]


def test_keyboard_interrupt_inside_a_command_exits_130(monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(synloom.spec, "load_spec", interrupted)
    assert run(["generate", "spec.yaml", "--out", "run"]) == 130
    err = capsys.readouterr().err
    assert _one_error_line(err) == "interrupted; rerun the same command to resume"


def test_internal_error_is_one_line_with_status_1(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(synloom.spec, "load_spec", broken)
    monkeypatch.delenv("SYNLOOM_DEBUG", raising=False)
    assert run(["generate", "spec.yaml", "--out", "run"]) == 1
    line = _one_error_line(capsys.readouterr().err)
    assert line == (
        "error: internal error: RuntimeError: boom; second line "
        "(set SYNLOOM_DEBUG=1 for the traceback)"
    )
    monkeypatch.setenv("SYNLOOM_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        run(["generate", "spec.yaml", "--out", "run"])


def test_error_message_with_control_characters_stays_one_line(monkeypatch, capsys):
    from synloom.errors import SpecError

    def bad(*args, **kwargs):
        raise SpecError("bad \x1b[2Jname\r\nline two")

    monkeypatch.setattr(synloom.spec, "load_spec", bad)
    assert run(["generate", "spec.yaml", "--out", "run"]) == 2
    assert _one_error_line(capsys.readouterr().err) == "error: bad \\x1b[2Jname; line two"


def _abort(cause: BaseException | None) -> BaseException:
    try:
        if cause is None:
            raise typer.Abort()
        try:
            raise cause
        except type(cause) as exc:
            raise typer.Abort() from exc
    except typer.Abort as abort:
        return abort


def test_abort_from_a_keyboard_interrupt_is_interrupted(capsys):
    """Older click turns a KeyboardInterrupt into Abort: still 130, not 1 or 0."""
    from synloom.cli.exits import exit_status_for

    assert exit_status_for(_abort(KeyboardInterrupt()), interrupted=False) == 130
    assert capsys.readouterr().err == "interrupted; rerun the same command to resume\n"
    assert exit_status_for(_abort(EOFError()), interrupted=False) == 1
    assert capsys.readouterr().err == "error: aborted\n"
