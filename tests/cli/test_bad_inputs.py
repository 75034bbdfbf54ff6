"""Bad invocations through the real CLI process: each ends with exactly one stderr line
`error: ...`, exit status 2, no traceback, and nothing written (the test's whole tmp tree,
which holds a copy of a real run, is byte-for-byte unchanged)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from synloom.store import LOCK_FILE, RunStore
from synloom.testing.fake_openai import FakeConfig, FakeOpenAIServer
from tests.cli.conftest import LABELS, generate_argv, tree_snapshot, write_spec
from tests.helpers import run_cli

POS, NEG = LABELS
LONG = "a" * 300  # longer than NAME_MAX
GOOD_ROWS = [{"text": "a fine film", "label": POS}, {"text": "a dull film", "label": NEG}]


def _jsonl(rows) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


# Input files every case can point at (created in the test's tmp_path).
FILES: dict[str, bytes] = {
    "good.jsonl": _jsonl(GOOD_ROWS),
    "latin1.jsonl": f'{{"text": "caf\xe9", "label": "{POS}"}}\n'.encode("latin-1"),
    "garbage.jsonl": b"this is not json\n",
    "no_label.jsonl": _jsonl([{"text": "a fine film"}]),
    "missing_text.jsonl": _jsonl([GOOD_ROWS[0], {"label": NEG}]),
    "heavy.jsonl": _jsonl([{**GOOD_ROWS[0], "weight": "heavy"}, {**GOOD_ROWS[1], "weight": 1}]),
    "null_weight.jsonl": _jsonl([{**GOOD_ROWS[0], "weight": None}]),
    "array_row.jsonl": b"[1, 2]\n",
    "null_text.jsonl": _jsonl([{"text": None, "label": POS}]),
    "afile": b"just a file\n",
}

# evaluation.json contents that `synloom evaluate` never writes.
EVALUATIONS = {
    "garbage": b"{not json",
    "truncated": b'{"rows": [{"setting": "prompting", "accur',
    "not_utf8": b'{"rows": [], "test_source": "\xff\xfe"}',
    "no_rows": b'{"labels": []}',
    "row_not_object": b'{"rows": [1]}',
    "accuracy_text": b'{"rows": [{"setting": "x", "accuracy": "high"}]}',
    "created_far_future": b'{"rows": [], "created_at": 1e300}',
    "confusion_text": b'{"rows": [{"details": {"report": {"confusion": {"a": {"b": "x"}}}}}]}',
    "zeroed": b"\x00" * 4096,
}


def _evaluate(t: Path, run: Path, *extra: str) -> list[str]:
    return ["evaluate", str(run), "--no-prompting", *extra]


# name -> argv built from (tmp_path, run dir); SPEC is a valid spec, OUT a new path.
CASES = {
    # item 1: the usage layer
    "typo_command": lambda t, r: ["inspct", str(r)],
    "no_command": lambda t, r: [],
    "unknown_root_option": lambda t, r: ["--bogus"],
    "generate_no_out": lambda t, r: ["generate", str(t / "spec.yaml")],
    "generate_no_spec": lambda t, r: ["generate"],
    "generate_unknown_option": lambda t, r: ["generate", str(t / "spec.yaml"), "--colour"],
    "samples_per_label_abc": lambda t, r: [
        "generate", str(t / "spec.yaml"), "--out", str(t / "out"), "--samples-per-label", "abc",
    ],
    "seed_float": lambda t, r: [
        "generate", str(t / "spec.yaml"), "--out", str(t / "out"), "--seed", "1.5",
    ],
    "option_missing_value": lambda t, r: ["export", str(r), "--format"],
    "evaluate_no_test": lambda t, r: ["evaluate", str(r)],
    "extra_argument": lambda t, r: ["inspect", str(r), "again"],
    "show_abc": lambda t, r: ["inspect", str(r), "--show", "abc"],
    # item 7: numbers parsed from the command line
    "samples_per_label_zero": lambda t, r: [
        "generate", str(t / "spec.yaml"), "--out", str(t / "out"), "--samples-per-label", "0",
    ],
    "samples_per_label_negative": lambda t, r: [
        "generate", str(t / "spec.yaml"), "--out", str(t / "out"), "--samples-per-label", "-5",
    ],
    "batch_size_zero": lambda t, r: [
        "generate", str(t / "spec.yaml"), "--out", str(t / "out"), "--batch-size", "0",
    ],
    "show_negative": lambda t, r: ["inspect", str(r), "--show", "-1"],
    "max_model_samples_negative": lambda t, r: ["score", str(r), "--max-model-samples", "-1"],
    "quickstart_test_size_negative": lambda t, r: [
        "quickstart", "--out", str(t / "out"), "--test-size", "-1",
    ],
    "quickstart_samples_zero": lambda t, r: [
        "quickstart", "--out", str(t / "out"), "--samples-per-label", "0",
    ],
    "quickstart_unknown_tam": lambda t, r: ["quickstart", "--out", str(t / "out"), "--tam", "x"],
    "seeds_abc": lambda t, r: _evaluate(t, r, "--test", str(t / "good.jsonl"), "--seeds", "abc"),
    "seeds_negative": lambda t, r: _evaluate(t, r, "--test", str(t / "good.jsonl"), "--seeds", "-1"),
    "seeds_empty": lambda t, r: _evaluate(t, r, "--test", str(t / "good.jsonl"), "--seeds", ","),
    "evaluate_unknown_tam": lambda t, r: _evaluate(t, r, "--test", str(t / "good.jsonl"), "--tam", "x"),
    "strategy_without_finetune": lambda t, r: _evaluate(
        t, r, "--test", str(t / "good.jsonl"), "--strategies", "rce"
    ),
    # item 7: where generate writes
    "generate_out_is_file": lambda t, r: ["generate", str(t / "spec.yaml"), "--out", str(t / "afile")],
    "generate_out_under_file": lambda t, r: [
        "generate", str(t / "spec.yaml"), "--out", str(t / "afile" / "run"),
    ],
    "generate_out_read_only_dir": lambda t, r: [
        "generate", str(t / "spec.yaml"), "--out", "/proc/self/synloom-run",
    ],
    # items 3 and 7: where export and report write
    "export_to_store": lambda t, r: ["export", str(r), "--out", str(r / "run.sqlite")],
    "export_to_store_wal": lambda t, r: ["export", str(r), "--out", str(r / "run.sqlite-wal")],
    "export_to_lock": lambda t, r: ["export", str(r), "--out", str(r / LOCK_FILE)],
    "report_to_lock": lambda t, r: ["report", str(r), "--out", str(r / LOCK_FILE)],
    "export_to_store_symlink": lambda t, r: ["export", str(r), "--out", str(t / "store-link")],
    "export_to_store_hardlink": lambda t, r: ["export", str(r), "--out", str(t / "store-hard")],
    "export_to_other_runs_store": lambda t, r: ["export", str(r), "--out", str(t / "run.sqlite")],
    "export_parquet_to_store": lambda t, r: [
        "export", str(r), "-f", "parquet", "--out", str(r / "run.sqlite"),
    ],
    "export_to_existing_dir": lambda t, r: ["export", str(r), "--out", str(t / "a_dir")],
    "export_to_run_dir": lambda t, r: ["export", str(r), "--out", str(r)],
    "export_missing_parent": lambda t, r: ["export", str(r), "--out", str(t / "nope" / "x.jsonl")],
    "export_parent_is_file": lambda t, r: ["export", str(r), "--out", str(t / "afile" / "x.jsonl")],
    "export_hf_to_file": lambda t, r: ["export", str(r), "-f", "hf", "--out", str(t / "afile")],
    "export_hf_to_full_dir": lambda t, r: ["export", str(r), "-f", "hf", "--out", str(t / "a_dir")],
    "export_unknown_format": lambda t, r: ["export", str(r), "-f", "xml", "--out", str(t / "x")],
    "report_to_store": lambda t, r: ["report", str(r), "--out", str(r / "run.sqlite")],
    "report_to_store_symlink": lambda t, r: ["report", str(r), "--out", str(t / "store-link")],
    "report_to_evaluation": lambda t, r: ["report", str(r), "--out", str(r / "evaluation.json")],
    "report_to_run_dir": lambda t, r: ["report", str(r), "--out", str(r)],
    "report_under_file": lambda t, r: ["report", str(r), "--out", str(t / "afile" / "r.html")],
    # paths the file system refuses
    "export_to_symlink_loop": lambda t, r: ["export", str(r), "--out", str(t / "loop")],
    "report_name_too_long": lambda t, r: ["report", str(r), "--out", str(t / LONG / "r.html")],
    "generate_out_name_too_long": lambda t, r: [
        "generate", str(t / "spec.yaml"), "--out", str(t / LONG),
    ],
    "inspect_name_too_long": lambda t, r: ["inspect", str(t / LONG)],
    "inspect_undecodable_name": lambda t, r: ["inspect", str(t / os.fsdecode(b"no\xffrun"))],
    # item 7: test and gold files
    **{
        f"test_{name}": (lambda t, r, name=name: _evaluate(t, r, "--test", str(t / f"{name}.jsonl")))
        for name in (
            "latin1", "garbage", "no_label", "missing_text", "heavy", "null_weight",
            "array_row", "null_text",
        )
    },
    **{
        f"gold_{name}": (
            lambda t, r, name=name: _evaluate(
                t, r, "--test", str(t / "good.jsonl"), "--gold-train", str(t / f"{name}.jsonl")
            )
        )
        for name in ("latin1", "garbage", "heavy", "missing_text")
    },
    "test_missing_file": lambda t, r: _evaluate(t, r, "--test", str(t / "nope.jsonl")),
    # item 7: a tampered evaluation.json (written by the case setup) in `report`
    **{
        f"evaluation_{name}": (lambda t, r: ["report", str(r), "--out", str(t / "report.html")])
        for name in EVALUATIONS
    },
}  # fmt: skip


def _setup(case: str, tmp: Path, run: Path) -> None:
    write_spec(tmp / "spec.yaml")
    for name, content in FILES.items():
        (tmp / name).write_bytes(content)
    (tmp / "a_dir").mkdir()
    (tmp / "a_dir" / "keep.txt").write_text("keep")
    (tmp / "store-link").symlink_to(run / "run.sqlite")
    (tmp / "loop").symlink_to("loop")
    os.link(run / "run.sqlite", tmp / "store-hard")
    (tmp / "run.sqlite").write_bytes((run / "run.sqlite").read_bytes())  # another run's store
    if case.startswith("evaluation_"):
        (run / "evaluation.json").write_bytes(EVALUATIONS[case.removeprefix("evaluation_")])


def assert_one_error_line(result: subprocess.CompletedProcess, status: int = 2) -> str:
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert result.returncode == status, (result.returncode, result.stderr)
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_invocation_one_line_exit_2_nothing_written(case, run_copy, tmp_path):
    _setup(case, tmp_path, run_copy)
    before = tree_snapshot(tmp_path)
    result = run_cli(*CASES[case](tmp_path, run_copy), timeout=120)
    assert_one_error_line(result)
    assert tree_snapshot(tmp_path) == before


def test_bare_synloom_prints_help_and_one_error_line():
    result = run_cli()
    assert_one_error_line(result)
    assert "Usage: synloom" in result.stdout and "generate" in result.stdout


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag):
    from synloom.cli.app import _version

    result = run_cli(flag)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"synloom {_version()}" and result.stderr == ""


@pytest.mark.parametrize("argv", [["-h"], ["--help"], ["generate", "-h"], ["export", "-h"]])
def test_help_flags(argv):
    result = run_cli(*argv)
    assert result.returncode == 0, result.stderr
    assert "Usage: synloom" in result.stdout and result.stderr == ""


def _finished(run_dir: Path) -> int:
    try:
        with sqlite3.connect(run_dir / "run.sqlite", timeout=1) as db:
            return db.execute(
                "SELECT COUNT(*) FROM requests WHERE status IN ('done', 'failed')"
            ).fetchone()[0]
    except sqlite3.OperationalError:
        return 0


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_ends_with_130_and_the_rerun_completes(signum, tmp_path):
    spec = write_spec(tmp_path / "spec.yaml", per_label=16)
    out = tmp_path / "run"
    with FakeOpenAIServer(FakeConfig(latency_s=0.1)) as server:
        argv = generate_argv(spec, out, server.base_url)
        proc = subprocess.Popen(
            [sys.executable, "-m", "synloom", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        try:
            while _finished(out) < 2 and proc.poll() is None:
                time.sleep(0.05)
            assert proc.poll() is None, "generation ended before the signal"
            proc.send_signal(signum)
            _, stderr = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == 130, stderr
        assert "Traceback" not in stderr
        lines = [ln for ln in stderr.splitlines() if ln.strip()]
        assert lines == ["interrupted; rerun the same command to resume"], stderr
        with RunStore(out) as store:
            assert store.counts()["unfinished"] > 0  # stopped mid-run
        rerun = run_cli(*argv, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    with RunStore(out) as store:
        counts = store.counts()
        assert counts["unfinished"] == 0 and counts["accepted"] == 32
