"""The report of a curated run shows what was kept and dropped, per label and method, with the
dropped samples' texts, reasons and scores; an uncurated report lists the run's curations."""

from __future__ import annotations

from html.parser import HTMLParser

from synloom.curate.pipeline import SizeTarget
from synloom.curate.runner import curate_run
from synloom.curate.settings import CurationRequest
from synloom.report import build_report
from synloom.store import open_run
from synloom.testing.records_run import write_records_run
from synloom.train.data import LabeledData
from tests.evaluate.conftest import SST2_SPEC


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def page_text(path) -> str:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return " ".join(parser.parts)


def test_curated_report_shows_the_dropped_samples_and_why(tmp_path, datasets_dir):
    pool = LabeledData.from_jsonl(datasets_dir / "sst2/train_sentences.jsonl").subset(range(40))
    run_dir = write_records_run(tmp_path / "run", SST2_SPEC, pool)
    curate_run(run_dir, CurationRequest(("random",), SizeTarget(per_label=5), name="r5"))
    run = open_run(run_dir, curation="r5")
    dropped = [s for s in run.pool if not run.curation.decisions[s.id].kept]

    text = page_text(build_report(run_dir, curation="r5"))
    assert (run_dir / "report-r5.html").is_file()
    assert "dropped by random" in text and "dropped by size" in text
    assert "random scores" in text
    assert dropped[0].text in text
    assert run.curation.decisions[dropped[0].id].reason in text

    plain = page_text(build_report(run_dir))
    assert "Curations of this run:" in plain and "r5" in plain
