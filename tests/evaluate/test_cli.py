"""`synloom evaluate` end to end: the real CLI, the real embedded model, real SST-2 rows."""

from __future__ import annotations

import json

import pytest

from synloom.evaluate.table import EVALUATION_FILE
from synloom.train.data import LabeledData
from tests.evaluate.conftest import SST2_SPEC, write_run
from tests.helpers import run_cli

ZEROGEN_PROMPT = 'The movie review in {verbalizer} sentiment for movie "{context}" is: "'


@pytest.fixture()
def zerogen_run(tmp_path, datasets_dir):
    """A run whose prompt holds {context}: the baseline cannot fill it from a test input."""
    pool = LabeledData.from_jsonl(datasets_dir / "sst2/train_sentences.jsonl")
    spec = SST2_SPEC | {
        "recipe": {"type": "zerogen", "prompt": ZEROGEN_PROMPT, "contexts": ["Heat"]}
    }
    run_dir = tmp_path / "run"
    write_run(run_dir, spec, pool.subset(range(120)))
    test = tmp_path / "test.jsonl"
    rows = LabeledData.from_jsonl(datasets_dir / "sst2/test.jsonl").subset(range(12))
    test.write_text("".join(json.dumps(r) + "\n" for r in rows.to_records()))
    return run_dir, test


def test_a_context_prompt_needs_a_baseline_prompt(zerogen_run):
    run_dir, test = zerogen_run
    proc = run_cli("evaluate", run_dir, "--test", test)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr
    assert "{context}" in proc.stderr and "--prompt" in proc.stderr


@pytest.mark.heavy  # heavy lane: keeps the default run under 20 min on a float32 CPU
@pytest.mark.slow
def test_prompt_option_gives_the_three_way_table(zerogen_run):
    run_dir, test = zerogen_run
    prompt = 'The movie review in {verbalizer} sentiment is: "'
    proc = run_cli("evaluate", run_dir, "--test", test, "--gold-train", test, "--prompt", prompt)
    assert proc.returncode == 0, proc.stderr
    stored = json.loads((run_dir / EVALUATION_FILE).read_text())
    rows = {r["setting"]: r for r in stored["rows"]}
    assert set(rows) == {"prompting", "tam-synthetic", "tam-gold"}
    assert rows["prompting"]["details"]["prompt"] == prompt
    assert rows["prompting"]["n_test"] == 12
    assert rows["tam-gold"]["accuracy"] == 1.0  # trained and tested on the same 12 rows
    assert "tam-synthetic" in proc.stdout
