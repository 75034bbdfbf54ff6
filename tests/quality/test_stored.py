from __future__ import annotations

from synloom.quality.stored import load_scores, save_scores
from synloom.store import RunStore


def _result(metrics, skipped):
    return {
        "n_samples": 5,
        "metrics": metrics,
        "skipped": skipped,
        "timings_s": dict.fromkeys(metrics, 0.1),
        "settings": {"seed": 0},
        "plot_data": {"lengths": {"synthetic": {"p": {"2": 5}}, "reference": None}},
    }


def test_round_trip_and_a_rescoring_hides_stale_rows(tmp_path):
    with RunStore(tmp_path / "run", create=True) as store:
        assert load_scores(store) is None
        first = _result({"distinct_n": {"mean": 0.5}, "mauve": {"mauve": 0.9}}, {})
        assert save_scores(store, first) == 2
        loaded = load_scores(store)
        assert loaded["metrics"] == first["metrics"] and loaded["n_samples"] == 5
        assert loaded["plot_data"] == first["plot_data"]
        assert loaded["settings"]["metrics"] == ["distinct_n", "mauve"]
        save_scores(store, _result({"distinct_n": {"mean": 0.4}}, {"mauve": "no reference"}))
        again = load_scores(store)
    assert again["metrics"] == {"distinct_n": {"mean": 0.4}}
    assert again["skipped"] == {"mauve": "no reference"}
