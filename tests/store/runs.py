"""Small real runs for the store tests: `synloom generate` against the fake OpenAI server."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from synloom.store import RunStore
from synloom.testing.scenarios import openai_generate_args

SPEC = """\
name: store-test-{n}
labels:
  - {{name: positive, verbalizers: [positive]}}
  - {{name: negative, verbalizers: [negative]}}
recipe:
  type: zerogen
  prompt: '{prompt}'
  min_words: 3
  max_words: 16
generation: {{samples_per_label: {per_label}, batch_size: 8, max_new_tokens: 40}}
backend: {{type: openai, max_concurrency: 2, initial_concurrency: 2}}
seed: {n}
"""
PROMPTS = {1: 'The movie review in {verbalizer} sentiment is: "', 2: 'A {verbalizer} review: "'}


def write_spec(folder: Path, n: int = 1, per_label: int = 20) -> Path:
    path = folder / f"spec{n}.yaml"
    path.write_text(SPEC.format(n=n, prompt=PROMPTS[n], per_label=per_label))
    return path


def generate_cmd(spec: Path, out: Path, url: str) -> list[str]:
    return [sys.executable, "-m", "synloom", *openai_generate_args(spec, out, url)]


def generate(spec: Path, out: Path, url: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        generate_cmd(spec, out, url),
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
        env=os.environ.copy(),
    )


def snapshot(run_dir: Path) -> tuple[list[tuple[str, str, str]], dict]:
    """(accepted (id, label, text) in order, counts), read through the read-only store."""
    with RunStore(run_dir) as store:
        return [(s.id, s.label, s.text) for s in store.accepted()], store.counts()


def requests_finished(run_dir: Path) -> int:
    """Requests with an outcome (done or failed), read from outside the writer as a monitor would;
    0 before the store exists or while it is locked."""
    path = run_dir / "run.sqlite"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path, timeout=1) as db:
            return db.execute(
                "SELECT COUNT(*) FROM requests WHERE status IN ('done', 'failed')"
            ).fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes: a command that changes nothing leaves it equal."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]
