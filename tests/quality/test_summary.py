from __future__ import annotations

from synloom.quality.summary import HEADLINES, format_number, summarize


def test_rows_carry_headline_direction_and_skips():
    metrics = {
        "distinct_n": {"distinct_1": 0.5, "distinct_2": 0.9, "mean": 0.7},
        "embed": {"n": 3, "dim": 384},
        "aps": {"intra": 0.3, "inter": 0.2, "overall": 0.25},
        "frechet_distance": 1.5,
        "leakage_seed": {"leak_rate": 0.1, "n_exact": 1, "n_samples": 10, "leaks": []},
    }
    rows = summarize(metrics, {"mauve": "needs reference (real) data"})
    by_name = {r.name: r for r in rows}
    assert "embed" not in {r.metric for r in rows}
    d = by_name["distinct_n (mean of n=1..4)"]
    assert d.value == 0.7 and d.mark == "↑ better" and "distinct_1=0.5" in d.details
    assert by_name["aps_intra"].value == 0.3 and by_name["aps_inter"].value == 0.2
    assert by_name["frechet_distance"].mark == "↓ better"
    leak = by_name["leakage vs seed examples"]
    assert leak.value == 0.1 and leak.family == "privacy" and "n_samples" not in leak.details
    mauve = by_name["mauve"]
    assert mauve.skipped and mauve.note == "skipped: needs reference (real) data"
    assert mauve.mark == "↑ better"


def test_every_headline_names_a_registered_metric():
    from synloom.quality.registry import get_metric

    for rows in HEADLINES.values():
        for _, info_name, _ in rows:
            get_metric(info_name)


def test_format_number():
    assert format_number(None) == "—"
    assert format_number(1132) == "1,132"
    assert format_number(0) == "0"
    assert format_number(0.123456) == "0.1235"
