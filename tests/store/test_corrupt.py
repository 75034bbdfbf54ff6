"""A `run.sqlite` that is not a synloom store, or is broken, gives one line `error: ...` and exit 2
on every command, and is left exactly as it was (issue 9, items 3 and 7)."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from synloom.cli.app import run as run_cli_in_process
from synloom.errors import StoreError
from synloom.store import RunStore
from synloom.store.export import export_run
from synloom.testing.scenarios import openai_generate_args
from tests.store.runs import error_lines, files_of

PAGE = 4096


def _foreign(path: Path, real: bytes) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    db.execute("INSERT INTO notes (body) VALUES ('mine, not synloom''s')")
    db.commit()
    db.close()


def _zero_page(path: Path, real: bytes, page: int = 4) -> None:
    data = bytearray(real)
    data[(page - 1) * PAGE : page * PAGE] = bytes(PAGE)
    path.write_bytes(bytes(data))


def _newer_schema(path: Path, real: bytes) -> None:
    path.write_bytes(real)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE manifest SET value = '99' WHERE key = 'schema_version'")
    db.close()


def _bad_json(path: Path, real: bytes) -> None:
    path.write_bytes(real)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE requests SET meta = '{not json' WHERE stage = 'sample'")
    db.close()


KINDS = {
    "foreign-sqlite": (_foreign, "is not a synloom run store (an SQLite database without"),
    "empty": (lambda p, r: p.write_bytes(b""), "is empty, not a synloom run"),
    "garbage": (lambda p, r: p.write_bytes(os.urandom(9000)), "(not an SQLite database)"),
    "truncated": (lambda p, r: p.write_bytes(r[: len(r) // 2]), "is corrupt (sqlite"),
    "header-only": (lambda p, r: p.write_bytes(r[:100]), "is corrupt (sqlite"),
    "zeroed-page": (_zero_page, "is corrupt (sqlite"),
    "newer-schema": (_newer_schema, "was written by a newer synloom (schema 99"),
    "bad-json": (_bad_json, "is corrupt (a stored value is not valid JSON"),
}
COMMANDS = ["inspect", "export", "report", "evaluate", "score", "generate"]


def _argv(command: str, run: Path, tmp: Path, spec: Path, url: str) -> list[str]:
    outside = tmp / "outputs"
    outside.mkdir(exist_ok=True)
    test_file = tmp / "test.jsonl"
    test_file.write_text(
        '{"text": "a fine film", "label": "positive"}\n{"text": "dull", "label": "negative"}\n'
    )
    return {
        "inspect": ["inspect", str(run)],
        "export": ["export", str(run), "--out", str(outside / "s.jsonl")],
        "report": ["report", str(run), "--out", str(outside / "r.html")],
        "evaluate": ["evaluate", str(run), "--test", str(test_file), "--no-prompting"],
        "score": ["score", str(run), "--max-model-samples", "0"],
        "generate": openai_generate_args(spec, run, url),
    }[command]


# generate on a finished run reads no stored JSON, so a bad JSON value has nothing to refuse there
CASES = [(k, c) for k in KINDS for c in COMMANDS if (k, c) != ("bad-json", "generate")]


@pytest.mark.parametrize(("kind", "command"), CASES, ids=[f"{k}-{c}" for k, c in CASES])
def test_every_command_refuses_a_bad_store_in_one_line_and_changes_nothing(
    kind, command, real_run, fake_url, tmp_path, capfd
):
    make, expected = KINDS[kind]
    run = tmp_path / "run"
    run.mkdir()
    make(run / "run.sqlite", (real_run[0] / "run.sqlite").read_bytes())
    before = files_of(run)
    capfd.readouterr()

    status = run_cli_in_process(_argv(command, run, tmp_path, real_run[1], fake_url))

    err = capfd.readouterr().err
    assert status == 2, err
    assert "Traceback" not in err
    lines = error_lines(err)
    assert len(lines) == 1 and lines[0].startswith(f"error: {run / 'run.sqlite'} "), lines
    assert expected in lines[0]
    assert files_of(run) == before  # byte-identical, and no -wal, -shm or lock file


def test_corruption_found_by_a_query_is_one_line_too(real_run, tmp_path, capfd, monkeypatch):
    """Past the size where opening runs quick_check, a bad page fails the query that reads it."""
    import synloom.store.connect as connect

    monkeypatch.setattr(connect, "QUICK_CHECK_MAX_BYTES", 0)
    run = tmp_path / "run"
    run.mkdir()
    real = (real_run[0] / "run.sqlite").read_bytes()
    _zero_page(run / "run.sqlite", real, page=len(real) // PAGE)  # a leaf of outputs
    before = files_of(run)
    with (
        pytest.raises(StoreError, match=r"is corrupt \(sqlite: database disk image is malformed"),
        RunStore(run) as store,
    ):
        store.accepted()
    assert files_of(run) == before


def test_run_directory_problems_are_store_errors(tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(StoreError, match=r"is not a synloom run \(not a directory\)"):
        RunStore(a_file, create=True)
    with pytest.raises(StoreError, match=r"is not a synloom run \(not a directory\)"):
        RunStore(a_file)
    with pytest.raises(StoreError, match=r"cannot create run directory .*: Not a directory"):
        RunStore(a_file / "under", create=True)
    with pytest.raises(StoreError, match=r"is not a synloom run \(no run\.sqlite\)"):
        RunStore(tmp_path / "missing", writable=True)
    assert not (tmp_path / "missing").exists()
    (tmp_path / "dir" / "run.sqlite").mkdir(parents=True)
    with pytest.raises(StoreError, match=r"is not a synloom run store \(not a regular file\)"):
        RunStore(tmp_path / "dir", create=True)
    assert os.listdir(tmp_path / "dir") == ["run.sqlite"]


def test_export_never_writes_over_the_store(real_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(real_run[0], run)
    before = files_of(run)
    os.link(run / "run.sqlite", tmp_path / "hard-link")
    for target in (run / "run.sqlite", run / ".synloom.lock", tmp_path / "hard-link"):
        with pytest.raises(StoreError, match="is a file of the run store"):
            export_run(run, "jsonl", target)
    assert files_of(run) == before


def test_a_store_killed_while_being_created_is_not_left_half_made(real_run, tmp_path):
    """A new store is built aside and renamed into place: a leftover of a killed creation is
    ignored and replaced, and never taken for the run's store."""
    run = tmp_path / "run"
    run.mkdir()
    (run / ".run.sqlite.creating").write_bytes(b"")  # what a kill during creation leaves
    with RunStore(run, create=True) as store:
        assert store.manifest() == {} and store.counts()["planned"] == 0
    assert sorted(os.listdir(run)) == [".synloom.lock", "run.sqlite"]
