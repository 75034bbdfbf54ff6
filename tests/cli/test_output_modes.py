"""Progress bars, `--quiet`, `--verbose` and `--json` through the real CLI process.

Progress goes to stderr and only when stderr is a terminal, so these tests force it with
`SYNLOOM_PROGRESS=1`; stdout must stay clean data either way. The runs hold real SST-2
sentences (`tests/report/runs.py`); scoring uses the real MiniLM and the embedded LM.
"""

from __future__ import annotations

import json
import re

import pytest

from synloom.progress import reporting, step, track
from synloom.quality.registry import registered
from synloom.store import RunStore
from synloom.testing.fake_openai import FakeConfig, FakeOpenAIServer
from tests.cli.conftest import generate_argv, write_spec
from tests.helpers import run_cli
from tests.report.runs import make_run, write_reference

FORCED = {"SYNLOOM_PROGRESS": "1"}
RATE = re.compile(r"\d+\.\d\d/s")
ETA = re.compile(r"ETA \d+:\d\d:\d\d")
# what third-party bars print: tqdm's `42%|####` and `it/s`, transformers' weight loading,
# sentence-transformers' `Batches`, the hub's downloads
TQDM = re.compile(r"\d+%\||it/s\]|s/it\]|Batches:|Loading weights|Fetching \d+ files")


def plain(stderr: str) -> str:
    """stderr without ANSI sequences."""
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", stderr)


class Recorder:
    """A `synloom.progress.Progress` that keeps what it was told."""

    def __init__(self) -> None:
        self.events: list[tuple] = []

    def begin(self, description, total, unit):
        self.events.append(("begin", description, total, unit))
        return len(self.events)

    def advance(self, task, n):
        self.events.append(("advance", task, n))

    def end(self, task):
        self.events.append(("end", task))


def test_steps_reach_the_installed_progress_only():
    with step("nothing installed", 3) as s:
        s.advance(3)  # no sink: nothing to see, nothing fails
    recorder = Recorder()
    with reporting(recorder):
        assert list(track(["a", "b"], "letters", unit="letters")) == ["a", "b"]
        with step("outer", 2, "models") as outer, step("inner"):
            outer.advance(2)
    with step("after", 1) as s:
        s.advance()
    assert recorder.events == [
        ("begin", "letters", 2, "letters"),
        ("advance", 1, 1),
        ("advance", 1, 1),
        ("end", 1),
        ("begin", "outer", 2, "models"),
        ("begin", "inner", None, "items"),
        ("advance", 5, 2),
        ("end", 6),
        ("end", 5),
    ]


@pytest.fixture(scope="module")
def sst2_run(tmp_path_factory, datasets_dir):
    base = tmp_path_factory.mktemp("output")
    run_dir = make_run(base / "run", datasets_dir, per_label=12)
    reference = write_reference(base / "reference.jsonl", datasets_dir, n=60)
    return run_dir, reference


def test_inspect_json_is_the_run_as_data(sst2_run):
    run_dir, _ = sst2_run
    out = run_cli("inspect", run_dir, "--json", "--show", "2", env=FORCED)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)  # nothing else on stdout
    with RunStore(run_dir) as store:
        assert data["counts"] == store.counts()
        assert data["label_counts"] == store.label_counts() == {"positive": 12, "negative": 12}
        assert data["rejection_reasons"] == store.rejection_reasons()
        assert data["spec_hash"] == store.manifest()["spec_hash"]
        accepted = {s.id: s for s in store.accepted()}
    assert data["spec_name"] == "report-test-sst2" and data["seed"] == 7
    assert data["budgets"] == [{"samples_per_label": 12, "first_round": 0}]
    assert len(data["samples"]) == 4 and {s["label"] for s in data["samples"]} == {
        "positive",
        "negative",
    }
    for sample in data["samples"]:
        assert accepted[sample["id"]].text == sample["text"]
    assert data["curations"] == [] and data["evaluations"] == [] and data["failed"] == []


def test_output_options_go_before_or_after_the_command(sst2_run):
    run_dir, _ = sst2_run
    before = run_cli("-q", "inspect", run_dir, "--json")
    after = run_cli("inspect", run_dir, "--json", "--quiet", "-vv")
    assert before.returncode == after.returncode == 0, before.stderr + after.stderr
    assert json.loads(before.stdout) == json.loads(after.stdout)
    bad = run_cli("inspect", run_dir, "--quite")
    assert bad.returncode == 2 and bad.stderr.startswith("error: ")


def test_evaluate_and_curate_show_steps_with_rate_and_eta(sst2_run, tmp_path):
    run_dir, reference = sst2_run
    out = run_cli(
        "evaluate", run_dir, "--test", reference, "--no-prompting", "--seeds", "0,1",
        "--name", "progress", env=FORCED,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    err = plain(out.stderr)
    assert "tam-synthetic: training tfidf on 24 (seed 1)" in err
    assert "2/2 models" in err and RATE.search(err) and ETA.search(err)
    assert "ETA" not in out.stdout and "tam-synthetic" in out.stdout  # the table, on stdout

    out = run_cli("curate", run_dir, "--method", "random", "--keep", "0.5", env=FORCED)
    assert out.returncode == 0, out.stderr
    err = plain(out.stderr)
    assert "curation step 1: random" in err and "24/24 samples" in err and RATE.search(err)

    quiet = run_cli(
        "evaluate", run_dir, "--test", reference, "--no-prompting", "--quiet", env=FORCED
    )
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == "" and "tam-synthetic" in quiet.stdout


def test_verbose_shows_retries(tmp_path):
    spec = write_spec(tmp_path / "spec.yaml", per_label=4)
    config = FakeConfig(error_rate=0.4, seed=1, retry_after_s=0.01)
    with FakeOpenAIServer(config) as server:
        quiet = run_cli(*generate_argv(spec, tmp_path / "a", server.base_url))
        loud = run_cli(*generate_argv(spec, tmp_path / "b", server.base_url), "-v")
    assert quiet.returncode == loud.returncode == 0, quiet.stderr + loud.stderr
    assert "retrying" not in quiet.stderr
    assert re.search(
        r"INFO synloom\.backends\.http_pool: attempt \d+ failed, retrying", loud.stderr
    )


@pytest.mark.slow  # loads MiniLM and the embedded LM twice (~30 s each on 2 cores)
@pytest.mark.heavy  # 27 s in CI: the heavy lane keeps the default run under 20 min
def test_score_json_progress_and_no_third_party_bars(sst2_run):
    run_dir, reference = sst2_run
    args = ("score", run_dir, "--reference", reference, "--max-model-samples", "2", "--json")
    out = run_cli(*args, env=FORCED)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)  # nothing but the document on stdout, bars and all
    assert data["n_samples"] == 24 and data["curation"] is None
    assert data["metrics"]["perplexity"]["n_scored"] == 2
    assert data["settings"]["n_reference"] == 60 and "plot_data" not in data
    assert data["saved"]["metric_rows"] > 0
    headline = {row["metric"]: row for row in data["summary"] if not row["skipped"]}
    assert {"distinct_n", "mauve", "perplexity", "relabel_agreement"} <= set(headline)
    assert 0 < headline["mauve"]["value"] <= 1 and headline["perplexity"]["value"] > 1
    n_metrics = sum(metric.compute is not None for metric in registered())
    err = plain(out.stderr)
    assert "quality metrics" in err and f"{n_metrics}/{n_metrics} metrics" in err
    assert RATE.search(err) and ETA.search(err)
    assert not TQDM.search(err), err[-2000:]

    quiet = run_cli(*args[:-1], "-q", env=FORCED)  # the table, no bars, no logs
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == "" and "quality of" in quiet.stdout


def test_the_library_loads_models_without_third_party_bars():
    """Without the CLI's silencing: loading MiniLM through synloom shows no `Loading weights`
    bar (transformers 5 draws one), and leaves the switch as it found it."""
    import subprocess
    import sys

    code = (
        "from transformers.utils import logging as l\n"
        "from synloom.embeddings import embed_texts\n"
        "assert embed_texts(['a fine film', 'dull']).shape == (2, 384)\n"
        "print(l.is_progress_bar_enabled())\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "True"
    assert not TQDM.search(proc.stderr), proc.stderr
