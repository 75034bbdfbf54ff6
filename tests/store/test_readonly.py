"""Read commands open the store read-only (issue 9, item 3): they create, lock and change nothing,
read a run in a read-only directory, and see what a killed writer left in its log."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from synloom.errors import StoreError
from synloom.store import RunStore
from tests.store.runs import error_lines, files_of, write_spec

# A writer that dies (os._exit, like kill -9) with a committed score still in its -wal file.
KILLED_WRITER = textwrap.dedent(
    """
    import os, sys
    from synloom.store import RunStore
    store = RunStore(sys.argv[1], writable=True)
    with store.transaction():
        store.put_score("probe", 42)
    os._exit(0)
    """
)
OPEN_TO_WRITE = textwrap.dedent(
    """
    import sys
    from synloom.errors import StoreError
    from synloom.store import RunStore
    try:
        RunStore(sys.argv[1], create=True)
    except StoreError as exc:
        print(f"StoreError: {exc}")
    """
)
READ_SCORE = "import sys; from synloom.store import RunStore; print(RunStore(sys.argv[1]).scores())"


def _copy(real_run, tmp_path: Path, state: str) -> Path:
    run = tmp_path / "run"
    shutil.copytree(real_run[0], run)
    if state == "killed-writer":
        subprocess.run([sys.executable, "-c", KILLED_WRITER, str(run)], check=True, timeout=300)
        assert (run / "run.sqlite-wal").stat().st_size > 0 and (run / "run.sqlite-shm").exists()
    return run


def _run_on_read_only_dir(run: Path, argv: list[str]) -> subprocess.CompletedProcess:
    """`python argv...` while `run` is read-only: chmod for a normal user; for root (whom chmod
    does not stop) a read-only bind mount of `run` in a private mount namespace."""
    cmd = [sys.executable, *argv]
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in [run, *run.iterdir()]}
        for p in modes:
            p.chmod(stat.S_IMODE(modes[p]) & ~0o222)
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        finally:
            for p, mode in modes.items():
                p.chmod(stat.S_IMODE(mode))
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("running as root without mount namespaces: no way to make a read-only dir")
    script = 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1" && shift && exec "$@"'
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", str(run), *cmd],
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_a_reader_creates_no_file_and_changes_no_byte(real_run, tmp_path):
    run = _copy(real_run, tmp_path, "clean")
    before = files_of(run)
    with RunStore(run) as store:
        store.manifest(), store.counts(), store.accepted(), store.rejected(), store.scores()
        assert files_of(run) == before  # no -wal / -shm / lock while it is open either
    assert files_of(run) == before


def test_a_store_opened_read_only_refuses_writes(real_run, tmp_path):
    run = _copy(real_run, tmp_path, "clean")
    before = files_of(run)
    with RunStore(run) as store:
        with pytest.raises(StoreError, match="is open read-only"):
            store.put_score("x", 1)
        with pytest.raises(StoreError, match="is open read-only"):
            store.transaction()
    assert files_of(run) == before


@pytest.mark.parametrize("state", ["clean", "killed-writer"])
@pytest.mark.parametrize("command", ["inspect", "export", "report", "library"])
def test_read_commands_read_a_run_in_a_read_only_directory(real_run, tmp_path, state, command):
    run = _copy(real_run, tmp_path, state)
    before = files_of(run)
    out = tmp_path / "outputs"
    out.mkdir()
    argv = {
        "inspect": ["-m", "synloom", "inspect", str(run)],
        "export": ["-m", "synloom", "export", str(run), "--out", str(out / "s.jsonl")],
        "report": ["-m", "synloom", "report", str(run), "--out", str(out / "r.html")],
        "library": ["-c", READ_SCORE, str(run)],
    }[command]
    result = _run_on_read_only_dir(run, argv)
    assert result.returncode == 0, result.stderr
    assert files_of(run) == before
    if command == "export":
        assert len((out / "s.jsonl").read_text().splitlines()) == 40
    if command == "library":  # the killed writer's committed row is read from its log
        expected = "{'probe': 42}" if state == "killed-writer" else "{}"
        assert result.stdout.strip() == expected


def test_a_writer_in_a_read_only_directory_fails_in_one_line(real_run, tmp_path, fake_url):
    run = _copy(real_run, tmp_path, "clean")
    before = files_of(run)
    spec = write_spec(tmp_path)
    argv = ["-m", "synloom", "generate", str(spec), "--out", str(run), "--backend", "openai"]
    result = _run_on_read_only_dir(run, [*argv, "--base-url", fake_url, "--model", "fake-model"])
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = error_lines(result.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(run) in lines[0], lines
    library = _run_on_read_only_dir(run, ["-c", OPEN_TO_WRITE, str(run)])
    assert library.returncode == 0, library.stderr
    assert library.stdout.startswith(f"StoreError: cannot write to {run}: "), library.stdout
    assert files_of(run) == before
