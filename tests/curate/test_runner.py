"""`curate_run`: stored, resumable after a kill mid-method, refused under a taken name with other
settings, and identical to an uninterrupted curation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from synloom.curate.base import MethodInfo, MethodOptions, MethodScores
from synloom.curate.pipeline import SizeTarget
from synloom.curate.runner import curate_run
from synloom.curate.settings import CurationRequest
from synloom.errors import StoreError, SynloomError
from synloom.store import open_run
from synloom.testing.records_run import write_records_run
from synloom.train.data import LabeledData
from tests.evaluate.conftest import SST2_SPEC


class ChunkyOptions(MethodOptions):
    threshold: float = 0.0


@dataclass
class Chunky:
    """A per-sample filter that counts its calls and can be told to die on one of them."""

    info = MethodInfo("chunky", "filter", "length parity", "none", per_sample=True)
    options = ChunkyOptions
    calls: int = 0
    die_on: int | None = None

    def threshold(self, options):
        return options.threshold

    def score(self, data, options):
        self.calls += 1
        if self.die_on == self.calls:
            raise KeyboardInterrupt
        return MethodScores(np.asarray([len(t) % 7 - 3.0 for t in data.texts]))


CHUNKY = Chunky()


@pytest.fixture()
def chunky(monkeypatch):
    from synloom.curate import registry

    monkeypatch.setitem(registry.METHODS, "chunky", f"{__name__}:CHUNKY")
    CHUNKY.calls, CHUNKY.die_on = 0, None
    return CHUNKY


@pytest.fixture()
def run_dir(tmp_path, datasets_dir):
    pool = LabeledData.from_jsonl(datasets_dir / "sst2/train_sentences.jsonl").subset(range(300))
    return write_records_run(tmp_path / "run", SST2_SPEC, pool)


def request(name, **size):
    return CurationRequest(("chunky", "random"), SizeTarget(**size), name=name)


def test_killed_curation_resumes_without_rescoring(run_dir, chunky):
    chunky.die_on = 3
    with pytest.raises(KeyboardInterrupt):
        curate_run(run_dir, request("c", keep=0.5), chunk_size=50)
    with pytest.raises(StoreError, match="unfinished"):
        open_run(run_dir, curation="c")
    chunky.calls, chunky.die_on = 0, None
    resumed = curate_run(run_dir, request("c", keep=0.5), chunk_size=50)
    assert resumed.resumed
    assert chunky.calls == 4  # chunks 3..6 of 6; the two stored ones are not scored again
    fresh = curate_run(run_dir, request("d", keep=0.5), chunk_size=50, reuse=False)
    assert chunky.calls == 4 + 6  # computed anew, not taken from "c"
    a, b = open_run(run_dir, curation="c"), open_run(run_dir, curation="d")
    assert [s.id for s in a.samples] == [s.id for s in b.samples]
    assert a.curation.decisions == b.curation.decisions
    pool = resumed.summary["pool"]
    assert (
        resumed.summary["kept"]
        == fresh.summary["kept"]
        == {k: round(n / 2) for k, n in pool.items()}
    )


def test_every_sample_has_a_decision_and_drops_say_why(run_dir, chunky):
    curate_run(run_dir, request("c", per_label=40))
    run = open_run(run_dir, curation="c")
    decisions = run.curation.decisions
    assert len(decisions) == 300 and len(run.samples) == 80
    dropped = [d for d in decisions.values() if not d.kept]
    assert all(d.reason and d.weight == 0.0 for d in dropped)
    assert any(d.reason.startswith("chunky: score") for d in dropped)
    assert any(d.reason.startswith("size: rank") for d in dropped)
    assert set(run.curation.scores) == {"chunky", "random"}


def test_done_curation_is_not_redone_and_other_settings_are_refused(run_dir, chunky):
    first = curate_run(run_dir, request("c", keep=0.5))
    calls = chunky.calls
    again = curate_run(run_dir, request("c", keep=0.5))
    assert again.resumed and chunky.calls == calls and again.summary == first.summary
    with pytest.raises(StoreError, match="other settings"):
        curate_run(run_dir, request("c", keep=0.25))
    replaced = curate_run(run_dir, request("c", keep=0.25), replace=True)
    assert sum(replaced.summary["kept"].values()) == 75


def test_same_size_as_copies_the_kept_counts(run_dir, chunky):
    curate_run(run_dir, CurationRequest(("chunky",), name="filtered"))
    kept = open_run(run_dir, curation="filtered").label_counts
    control = curate_run(
        run_dir, CurationRequest(("random",), same_size_as="filtered", name="control")
    )
    assert control.summary["kept"] == kept


def test_requests_are_checked_before_any_work(run_dir, chunky):
    with pytest.raises(SynloomError, match="unknown curation method 'nope'"):
        CurationRequest(("nope",))
    with pytest.raises(SynloomError, match="ranks samples"):
        CurationRequest(("random",)).loaded()
    with pytest.raises(SynloomError, match="given twice"):
        CurationRequest(("chunky", "chunky"))
    with pytest.raises(SynloomError, match=r"--set chunky.threshold"):
        CurationRequest(("chunky",), options={"chunky": {"threshold": "high"}}).loaded()
    with pytest.raises(SynloomError, match="not one of the methods"):
        CurationRequest(("chunky",), options={"margin": {"threshold": "1"}})


def test_seed_data_is_part_of_a_curation_only_when_a_method_uses_it(run_dir, chunky, tmp_path):
    seeds = tmp_path / "seeds.jsonl"
    seeds.write_text('{"text": "a fine film", "label": "positive"}\n')
    curate_run(run_dir, request("c", keep=0.5), seed_data_path=seeds)
    seeds.write_text('{"text": "a dull film", "label": "negative"}\n')
    again = curate_run(run_dir, request("c", keep=0.5), seed_data_path=seeds)
    assert again.resumed  # other seed data, same curation: neither method reads seeds
    assert open_run(run_dir, curation="c").curation.settings["seed_data"] is None


def test_per_sample_scores_are_taken_from_a_curation_that_scored_them_the_same_way(run_dir, chunky):
    first = curate_run(run_dir, request("c", keep=0.5))
    assert chunky.calls == 2  # 300 samples in chunks of 256
    # the same method and options in another composition: nothing is scored again
    said: list[str] = []
    alone = curate_run(run_dir, CurationRequest(("chunky",), name="alone"), say=said.append)
    assert chunky.calls == 2
    mine = open_run(run_dir, curation="alone").curation.scores["chunky"]
    assert mine == open_run(run_dir, curation="c").curation.scores["chunky"]
    assert alone.summary["steps"][0]["summary"]["scores_taken_from"] == {"c": 300}
    assert "(300 taken from other curations)" in said[-1]
    # the random control depends on the seed: another seed computes its own numbers
    curate_run(run_dir, CurationRequest(("random",), SizeTarget(keep=0.5), seed=7, name="r7"))
    seven = open_run(run_dir, curation="r7").curation.scores["random"]
    assert seven != open_run(run_dir, curation="c").curation.scores["random"]
    # other options, or reuse switched off, score anew
    other = {"chunky": {"threshold": "1"}}
    curate_run(run_dir, CurationRequest(("chunky",), options=other, name="t1"))
    assert chunky.calls == 4
    curate_run(run_dir, CurationRequest(("chunky",), name="own"), reuse=False)
    assert chunky.calls == 6
    assert "scores_taken_from" not in first.summary["steps"][0]["summary"]


def test_scores_of_a_killed_curation_are_taken_and_the_rest_computed(run_dir, chunky):
    chunky.die_on = 3
    with pytest.raises(KeyboardInterrupt):
        curate_run(run_dir, request("killed", keep=0.5), chunk_size=50)
    chunky.calls, chunky.die_on = 0, None
    other = curate_run(run_dir, CurationRequest(("chunky",), name="other"), chunk_size=50)
    assert chunky.calls == 4  # the two chunks "killed" stored are taken
    assert other.summary["steps"][0]["summary"]["scores_taken_from"] == {"killed": 100}
    plain = curate_run(
        run_dir, CurationRequest(("chunky",), name="plain"), chunk_size=50, reuse=False
    )
    assert other.summary["kept"] == plain.summary["kept"]
    a, b = open_run(run_dir, curation="other"), open_run(run_dir, curation="plain")
    assert a.curation.decisions == b.curation.decisions
