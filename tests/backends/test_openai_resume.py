"""`synloom generate --backend openai` killed with SIGKILL mid-run: the rerun sends exactly the
requests that had not finished and ends with the accepted set of an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from synloom.testing.fake_openai import FakeConfig, FakeOpenAIServer
from synloom.testing.scenarios import openai_generate_args
from tests.helpers import run_cli
from tests.store.runs import requests_finished, snapshot

SPEC = """\
name: http-kill-test
labels:
  - {name: positive, verbalizers: [positive]}
  - {name: negative, verbalizers: [negative]}
recipe:
  type: zerogen
  prompt: 'The movie review in {verbalizer} sentiment is: "'
  min_words: 3
  max_words: 16
generation: {samples_per_label: 80, batch_size: 8, max_new_tokens: 40}
backend: {type: openai, max_concurrency: 4, initial_concurrency: 2}
seed: 3
"""


def generate_args(spec, out, url):
    return openai_generate_args(spec, out, url)


def test_sigkill_then_resume_resends_only_unfinished(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    with FakeOpenAIServer(FakeConfig(latency_s=0.05)) as server:
        full = run_cli(*generate_args(spec, tmp_path / "full", server.base_url))
        assert full.returncode == 0, full.stderr
        expected, counts = snapshot(tmp_path / "full")
        assert counts["accepted"] == 160 and counts["unfinished"] == 0

        killed = tmp_path / "killed"
        cmd = [
            sys.executable,
            "-m",
            "synloom",
            *map(str, generate_args(spec, killed, server.base_url)),
        ]
        proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL
        )
        try:
            deadline = time.monotonic() + 300
            while requests_finished(killed) < 40 and time.monotonic() < deadline:
                assert proc.poll() is None, "generate finished before it could be killed"
                time.sleep(0.05)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        finished_at_kill = requests_finished(killed)
        _, partial = snapshot(killed)
        assert finished_at_kill < partial["planned"] or partial["planned"] < counts["planned"]

        before = server.counters["requests"]
        resumed = run_cli(*generate_args(spec, killed, server.base_url))
        assert resumed.returncode == 0, resumed.stderr
        sent_on_resume = server.counters["requests"] - before

    got, got_counts = snapshot(killed)
    assert got == expected
    assert got_counts == counts
    # No faults, so every request that had not finished is sent exactly once, and no other.
    assert sent_on_resume == got_counts["planned"] - finished_at_kill
