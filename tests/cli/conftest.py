"""A small real run for CLI tests: `synloom generate` against the fake OpenAI server (an
orchestration stand-in), with label names that are rich markup and an output path holding `[/x]`.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from synloom.testing.fake_openai import FakeConfig, FakeOpenAIServer
from tests.helpers import run_cli

LABELS = ("[/INST]", "[bold]neg[/]")
SPEC = """\
name: cli-contract
labels:
  - {name: "[/INST]", verbalizers: [positive]}
  - {name: "[bold]neg[/]", verbalizers: [negative]}
recipe:
  type: zerogen
  prompt: 'The movie review in {verbalizer} sentiment is: "'
  min_words: 3
  max_words: 40
generation: {samples_per_label: %(per_label)d, batch_size: 4, max_new_tokens: 40}
backend: {type: openai, max_concurrency: 2, initial_concurrency: 2}
seed: 3
"""


def write_spec(path: Path, per_label: int = 6) -> Path:
    path.write_text(SPEC % {"per_label": per_label})
    return path


def generate_argv(spec: Path, out: Path, base_url: str) -> list[str]:
    return ["generate", str(spec), "--out", str(out), "--base-url", base_url, "--model", "fake"]


@pytest.fixture(scope="session")
def fake_server():
    with FakeOpenAIServer(FakeConfig()) as server:
        yield server


@pytest.fixture(scope="session")
def generated_run(tmp_path_factory, fake_server) -> Path:
    """A finished run (12 accepted samples) in a directory whose name is rich markup."""
    base = tmp_path_factory.mktemp("generated")
    spec = write_spec(base / "spec.yaml")
    out = base / "run[/x]"
    result = run_cli(*generate_argv(spec, out, fake_server.base_url))
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture
def run_copy(generated_run, tmp_path) -> Path:
    """A private copy of the generated run, inside this test's tmp_path."""
    target = tmp_path / "run[/x]"  # a directory "run[" holding "x]"
    shutil.copytree(generated_run, target)
    return target


def tree_snapshot(root: Path) -> dict[str, str]:
    """Every path under `root` with the hash of its content (links as their target)."""
    snap = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            snap[rel] = "link:" + str(path.readlink())
        elif path.is_dir():
            snap[rel] = "dir"
        else:
            snap[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return snap
