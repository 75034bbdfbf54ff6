"""A real `synloom generate` killed with SIGKILL mid-run and rerun ends with exactly the accepted
set of an uninterrupted run with the same seed (real embedded model)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from synloom.store import RunStore
from synloom.testing.scenarios import fewshot_sentiment_spec
from tests.helpers import run_cli

SPEC = fewshot_sentiment_spec()


def done_requests(run_dir) -> int:
    path = run_dir / "run.sqlite"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path, timeout=1) as db:
            return db.execute("SELECT COUNT(*) FROM requests WHERE status = 'done'").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def accepted(run_dir):
    with RunStore(run_dir) as store:
        return [(s.id, s.label, s.text) for s in store.accepted()], store.counts()


@pytest.mark.slow
def test_sigkill_then_resume_equals_uninterrupted(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    full = run_cli("generate", spec, "--out", tmp_path / "full")
    assert full.returncode == 0, full.stderr
    expected, counts = accepted(tmp_path / "full")
    assert counts["accepted"] == 20 and counts["unfinished"] == 0

    killed_dir = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "synloom", "generate", str(spec), "--out", str(killed_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 600
        while done_requests(killed_dir) < 8 and time.monotonic() < deadline:
            assert proc.poll() is None, "generate finished before it could be killed"
            time.sleep(0.2)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    _, partial_counts = accepted(killed_dir)
    assert partial_counts["done"] < counts["done"], "the kill came after the run finished"

    resumed = run_cli("generate", spec, "--out", killed_dir)
    assert resumed.returncode == 0, resumed.stderr
    got, got_counts = accepted(killed_dir)
    assert got == expected
    assert got_counts == counts
