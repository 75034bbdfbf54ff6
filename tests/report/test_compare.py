"""`synloom report RUN_A RUN_B`: two runs of real SST-2 sentences, evaluated on real SST-2
validation sentences, side by side in one page; bad input is one error line and writes nothing."""

from __future__ import annotations

import subprocess
import sys
from html.parser import HTMLParser

import pytest

from synloom.evaluate.table import evaluate_run
from synloom.quality.run_scores import score_run
from synloom.quality.stored import save_scores
from synloom.quality.summary import summarize
from synloom.report.compare_sections import TITLES
from synloom.report.fragments import mean_pm
from synloom.store import RunStore, open_run
from synloom.testing.records_run import write_records_run
from synloom.train.data import LabeledData
from tests.evaluate.conftest import SST2_SPEC
from tests.helpers import run_cli
from tests.report.html_check import parse_page
from tests.report.runs import read_rows

TEST_NAME = "SST-2 validation, first 150 sentences"


class Tables(HTMLParser):
    """Each comparison table as {row heading: [cell text per run]}, plus its column heads."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._classes: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("class") == "compare":
            self.tables.append({"head": [], "rows": {}, "classes": {}})
        elif tag == "tr" and self.tables:
            self._row, self._classes = [], []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            self._classes.append(a.get("class") or "")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            table = self.tables[-1]
            if not table["head"]:
                table["head"] = self._row[1:]
            else:
                table["rows"][self._row[0]] = self._row[1:]
                table["classes"][self._row[0]] = self._classes[1:]
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _table(html: str, section: str) -> dict:
    """The comparison table of section `section` (its id)."""
    parser = Tables()
    parser.feed(html.split(f'<section id="{section}">')[1].split("</section>")[0])
    (table,) = parser.tables
    return table


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, datasets_dir):
    base = tmp_path_factory.mktemp("compare")
    pool = LabeledData.from_jsonl(datasets_dir / "sst2/train_sentences.jsonl")
    test = LabeledData.from_jsonl(datasets_dir / "sst2/validation.jsonl").subset(range(150))
    runs = {}
    for name, rows in (("big", range(160)), ("small", range(300, 360))):
        run_dir = write_records_run(base / name, SST2_SPEC, pool.subset(rows))
        evaluate_run(run_dir, test, tam="tfidf", prompting=False, test_source=TEST_NAME)
        runs[name] = run_dir
    return base, runs


def test_two_runs_side_by_side(two_runs):
    base, runs = two_runs
    out = base / "out" / "cmp.html"
    result = run_cli("report", runs["big"], runs["small"], "--out", out)
    assert result.returncode == 0, result.stderr
    assert str(out) in result.stdout
    html = out.read_text("utf-8")
    page = parse_page(html)
    assert page.headings == list(TITLES.values())
    assert page.tags.get("script", 0) == 0 and page.urls == []
    runs_table, evaluation = _table(html, "runs"), _table(html, "evaluation")
    assert runs_table["head"] == ["big", "small"] == evaluation["head"]
    rows = runs_table["rows"]
    for i, name in enumerate(("big", "small")):
        run = open_run(runs[name])
        assert rows["accepted"][i] == str(run.counts["accepted"])
        for label, n in run.label_counts.items():
            assert rows[f"accepted {label}"][i] == str(n)
    assert rows["accepted"] == ["160", "60"] and "diff" in runs_table["classes"]["accepted"][0]
    assert "diff" not in runs_table["classes"]["recipe"][0]  # same recipe: not highlighted
    assert rows["surplus"] == ["0", "0"]

    ev = evaluation["rows"]
    assert ev["test data"] == [TEST_NAME, TEST_NAME]
    accuracies = []
    for i, name in enumerate(("big", "small")):
        row = open_run(runs[name]).evaluation.row("tam-synthetic")
        key = f"tam-synthetic ({row.model})"
        assert ev[f"{key} accuracy"][i] == mean_pm(row.accuracy, row.accuracy_std, 1)
        assert ev[f"{key} macro-F1"][i] == mean_pm(row.macro_f1, row.macro_f1_std, 1)
        accuracies.append(row.accuracy)
    best = accuracies.index(max(accuracies))
    assert "best" in evaluation["classes"][f"{key} accuracy"][best]
    assert _table(html, "rejections")["rows"]["failed requests"] == ["0", "0"]
    assert "Not scored: big, small" in html


def test_default_output_and_bad_runs(two_runs, tmp_path):
    _, runs = two_runs
    cmd = [sys.executable, "-m", "synloom", "report"]
    ok = subprocess.run(
        [*cmd, runs["big"], runs["small"]], cwd=tmp_path, capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "synloom-compare.html").is_file()

    empty = tmp_path / "empty"
    empty.mkdir()
    for args, needle in (
        ([runs["big"], tmp_path / "norun"], "is not a synloom run"),
        ([runs["big"], runs["big"]], "is given twice"),
    ):
        bad = subprocess.run([*cmd, *map(str, args)], cwd=empty, capture_output=True, text=True)
        assert bad.returncode == 2
        assert (
            bad.stderr.count("\n") == 1
            and bad.stderr.startswith("error: ")
            and needle in bad.stderr
        )
        assert list(empty.iterdir()) == []  # nothing written


@pytest.mark.slow  # MiniLM embeds 220 samples and 100 references twice (~50 s)
def test_quality_metrics_side_by_side(two_runs, datasets_dir, tmp_path):
    _, runs = two_runs
    reference = read_rows(datasets_dir / "sst2" / "validation.jsonl")[200:300]
    stored = {}
    for name, run_dir in runs.items():
        result = score_run(run_dir, reference, max_model_samples=0)
        with RunStore(run_dir, writable=True) as store:
            save_scores(store, result)
        stored[name] = result["metrics"]
    out = tmp_path / "cmp.html"
    assert run_cli("report", runs["big"], runs["small"], "--out", out).returncode == 0
    metrics = _table(out.read_text("utf-8"), "metrics")
    rows = {n: {(r.family, r.name): r.value for r in summarize(stored[n])} for n in stored}
    key = next(k for k in rows["big"] if k[0] == "diversity" and k[1].startswith("distinct_n"))
    row = f"{key[0]} · {key[1]} ↑ better"
    values = [rows[n][key] for n in ("big", "small")]
    assert values[0] != values[1]
    assert [float(v) for v in metrics["rows"][row]] == pytest.approx(values, rel=1e-3)
    best = values.index(max(values))  # distinct-n: higher is better
    assert (
        "best" in metrics["classes"][row][best] and "best" not in metrics["classes"][row][1 - best]
    )
