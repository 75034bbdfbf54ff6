"""`synloom curate` killed with SIGKILL mid-method resumes on rerun and decides exactly what an
uninterrupted curation decides (real process, real embedded generator, real SST-2 sentences)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from synloom.store import open_run
from synloom.testing.records_run import write_records_run
from synloom.train.data import LabeledData
from tests.evaluate.conftest import SST2_SPEC
from tests.helpers import run_cli

CHUNK = 20


def stored_scores(run_dir, name: str) -> int:
    uri = f"file:{run_dir / 'run.sqlite'}?mode=ro"
    try:
        with sqlite3.connect(uri, uri=True, timeout=1) as db:
            return db.execute(
                "SELECT COUNT(*) FROM curation_scores WHERE curation = ?", (name,)
            ).fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.heavy  # heavy lane: keeps the default run under 20 min on a float32 CPU
@pytest.mark.slow
def test_sigkill_mid_method_then_rerun_equals_an_uninterrupted_curation(tmp_path, datasets_dir):
    pool = LabeledData.from_jsonl(datasets_dir / "sst2/train_sentences.jsonl").subset(range(60))
    run_dir = write_records_run(tmp_path / "run", SST2_SPEC, pool)
    args = ["curate", str(run_dir), "--method", "margin", "--chunk-size", str(CHUNK)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "synloom", *args, "--name", "m"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 600
        while stored_scores(run_dir, "m") < CHUNK and proc.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    stored = stored_scores(run_dir, "m")
    assert CHUNK <= stored < len(pool), "the kill must land between two chunks"

    resumed = run_cli(*args, "--name", "m")
    assert resumed.returncode == 0, resumed.stderr
    fresh = run_cli(*args, "--name", "m2")
    assert fresh.returncode == 0, fresh.stderr
    a = open_run(run_dir, curation="m").curation
    b = open_run(run_dir, curation="m2").curation
    assert a.decisions == b.decisions
    assert a.scores["margin"] == b.scores["margin"]
    assert 0 < sum(d.kept for d in a.decisions.values()) < len(pool)
