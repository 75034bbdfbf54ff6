"""Property test of the CLI argument layer: random argv built from real command and option names
and junk values either succeeds (help, version) or ends with exactly one line `error: ...` and
status 2; never a traceback, and nothing is written.

The arguments never name a valid spec or run, so no generation, scoring or training can start;
as a safety net the generator entry points raise if reached, which would show up as status 1.
"""

from __future__ import annotations

import io
import os
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synloom.cli.app import run
from tests.cli.conftest import tree_snapshot

COMMANDS = [
    "generate", "inspect", "export", "evaluate", "score", "report", "quickstart", "adapt",
    "inspct", "generat", "",
]  # fmt: skip
OPTIONS = [
    "--out", "-o", "--samples-per-label", "--batch-size", "--seed", "--backend", "--base-url",
    "--model", "--allow-outside-paths", "--show", "--format", "-f", "--test", "--gold-train",
    "--tam", "--strategies", "--seeds", "--prompting", "--no-prompting", "--calibrate",
    "--prompt", "--reference", "--max-model-samples", "--test-size", "--help", "-h",
    "--version", "-V", "--bogus", "-x", "--", "--method", "-m", "--epochs", "--unlabeled",
    "--adapter", "--endpoint", "--api-key-env", "--temperature", "--max-tokens", "--set",
]  # fmt: skip
VALUES = [
    "abc", "0", "-1", "-5", "1.5", "1e12", "99999999999999999999", "", " ", "jsonl", "parquet",
    "hf", "csv", "lora", "fewgen", "tfidf", "embed-lr", "finetune", "rce", "0,1", ",", "openai", "local",
    "embedded", "http://127.0.0.1:9/v1", "spec.yaml", "afile", "norun", "norun/x.jsonl",
    "nodir/x.html", "afile/sub", "/", ".", "[/INST]", "[bold]x", "\x1b[2J", "run.sqlite",
    "chat", "completions", "generation.seed=3", "a.b.c=1", "=", "x=[", "labels.9.name=q",
]  # fmt: skip
# Real argv strings cannot hold NUL; undecodable bytes arrive as lone surrogates.
JUNK = st.text(st.characters(blacklist_characters="\x00"), max_size=12)
TOKEN = st.one_of(st.sampled_from(OPTIONS), st.sampled_from(VALUES), JUNK)
# quickstart has no spec or run argument to make invalid: a last `--test-size -1` (the last
# value of an option wins) keeps it from starting.
QUICKSTART_GUARD = ["--test-size", "-1"]


def _argv(cmd: str, rest: list[str]) -> list[str]:
    return ([cmd] if cmd else []) + rest + (QUICKSTART_GUARD if cmd == "quickstart" else [])


ARGV = st.builds(_argv, st.sampled_from(COMMANDS), st.lists(TOKEN, max_size=8))


class HeavyWorkStarted(Exception):
    pass


def _refuse(*args, **kwargs):
    raise HeavyWorkStarted


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("fuzz")
    (root / "afile").write_text("labels: just a file\n")
    (root / "norun").mkdir()
    return root


@contextmanager
def _inside(path: Path):
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def _invoke(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("synloom.generate.run_generation", _refuse)
        mp.setattr("synloom.backends.local.LocalBackend.__init__", _refuse)
        mp.setattr("synloom.adapt.run.load_base", _refuse)
        mp.delenv("SYNLOOM_DEBUG", raising=False)
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = run(argv)
            except SystemExit as exc:  # nothing should exit behind run()'s back
                code = f"SystemExit({exc.code})"
    return code, out.getvalue(), err.getvalue()


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(argv=ARGV)
def test_random_argv_succeeds_or_one_error_line(sandbox, argv):
    before = tree_snapshot(sandbox)
    with _inside(sandbox):
        code, out, err = _invoke(argv)
    assert "Traceback" not in out + err
    assert code in (0, 2), (argv, code, err)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    if code == 2:
        assert len(lines) == 1 and lines[0].startswith("error: "), (argv, err)
    else:
        assert lines == [], (argv, err)
    assert tree_snapshot(sandbox) == before, argv
