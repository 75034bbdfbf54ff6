"""Generated text, labels and paths reach the terminal as plain text: never read as rich markup,
control characters escaped visibly."""

from __future__ import annotations

import json
import sqlite3

import pytest

from synloom.cli.safe_text import one_line, plain
from tests.cli.conftest import LABELS, generate_argv, write_spec
from tests.helpers import run_cli

HOSTILE = "[/INST] [bold]loud[/bold] :smile: \x1b[2J\x1b]0;pwned\x07 ok\rX \u202egnp.exe"
SHOWN = "[/INST] [bold]loud[/bold] :smile: \\x1b[2J\\x1b]0;pwned\\x07 ok\\x0dX \\u202egnp.exe"


@pytest.mark.parametrize(
    ("raw", "multiline", "shown"),
    [
        ("plain text", True, "plain text"),
        ("[bold]x[/]", True, "[bold]x[/]"),
        ("a\x1b[31mb", True, "a\\x1b[31mb"),
        ("bell\x07 nul\x00 del\x7f csi\x9b", True, "bell\\x07 nul\\x00 del\\x7f csi\\x9b"),
        ("line\nnext\ttab", True, "line\nnext\ttab"),
        ("line\nnext\ttab", False, "line\\x0anext\\x09tab"),
        ("over\rwrite", True, "over\\x0dwrite"),
        ("rtl \u202e override \u2066", True, "rtl \\u202e override \\u2066"),
        ("bad byte \udcff", True, "bad byte \\udcff"),
        ("naïve café ✓", True, "naïve café ✓"),
    ],
)
def test_plain_escapes_control_characters(raw, multiline, shown):
    assert plain(raw, multiline=multiline) == shown


def test_one_line_joins_lines_and_escapes():
    assert one_line("first\n  second  \n\n\x1b[2Jthird\r") == "first; second; \\x1b[2Jthird"


def _plant_hostile_sample(run_dir) -> None:
    with sqlite3.connect(run_dir / "run.sqlite") as db:
        (request_id,) = db.execute(
            "SELECT request_id FROM outputs WHERE status = 'accepted' ORDER BY request_id LIMIT 1"
        ).fetchone()
        db.execute("UPDATE outputs SET text = ? WHERE request_id = ?", (HOSTILE, request_id))
    db.close()


def test_inspect_prints_markup_and_escapes_literally(run_copy):
    _plant_hostile_sample(run_copy)
    result = run_cli("inspect", run_copy, "--show", "20", env={"COLUMNS": "300"})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert SHOWN in out
    for label in LABELS:
        assert label in out
    assert str(run_copy) in out
    assert "\x1b" not in out and "\r" not in out and "\u202e" not in out and "\x07" not in out


def test_generate_summary_with_markup_labels_and_control_characters_in_out(fake_server, tmp_path):
    spec = write_spec(tmp_path / "spec.yaml")
    out = tmp_path / "out[/x]\x1b[31mred"
    result = run_cli(*generate_argv(spec, out, fake_server.base_url))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{tmp_path}/out[/x]\\x1b[31mred: 12 accepted" in result.stdout
    for label in LABELS:
        assert label in result.stdout
    assert "\x1b" not in result.stdout


def test_evaluate_prints_a_run_path_holding_markup(run_copy, tmp_path):
    test = tmp_path / "test.jsonl"
    rows = [
        {"text": "a fine film", "label": LABELS[0]},
        {"text": "a dull film", "label": LABELS[1]},
    ]
    test.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = run_cli("evaluate", run_copy, "--test", test, "--no-prompting")
    assert result.returncode == 0, result.stderr
    assert f"saved {run_copy}/evaluations/" in result.stdout
    assert f"(the latest, also {run_copy}/evaluation.json)" in result.stdout


@pytest.mark.parametrize("command", ["export", "report"])
def test_output_paths_holding_markup_are_printed_literally(command, run_copy, tmp_path):
    out = tmp_path / "a[" / ("b]\x1b[2J" + (".jsonl" if command == "export" else ".html"))
    out.parent.mkdir()
    result = run_cli(command, run_copy, "--out", out)
    assert result.returncode == 0, result.stderr
    assert f"{tmp_path}/a[/b]\\x1b[2J" in result.stdout and "\x1b" not in result.stdout
    assert out.is_file()
