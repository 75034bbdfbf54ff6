from __future__ import annotations

import itertools
import math

import pytest

from synloom.report.svg import Point, bar_chart, histogram, nice_ticks, scatter
from tests.report.html_check import parse_page


@pytest.mark.parametrize(
    ("low", "high"), [(0, 51), (0, 50), (0, 0.163), (-0.43, 0.41), (3, 47), (0, 0), (5, 5)]
)
def test_ticks_cover_the_range_with_round_steps(low, high):
    ticks = nice_ticks(low, high)
    assert ticks[0] <= low and ticks[-1] >= high
    steps = {round(b - a, 9) for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1
    step = steps.pop()
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert round(mantissa, 6) in (1, 2, 5)


def test_charts_escape_every_text():
    evil = "<script>x</script>"
    svg = bar_chart([evil, "b"], {"s": [1.0, 2.0]}, {"s": "#000"}, title=evil)
    svg += histogram({"s": {1: 2, 3: 1}}, {"s": "#000"}, title=evil, x_label=evil)
    svg += scatter([Point(0, 0, "#000", tip=evil), Point(1, 1, "#000", "square")], evil)
    page = parse_page(svg)
    assert "script" not in page.tags
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert page.tags["rect"] >= 4 and page.tags["circle"] == 1


def test_histogram_shares_of_each_series_sum_to_one():
    svg = histogram({"a": {2: 1, 4: 3}, "b": {2: 2}}, {"a": "#111", "b": "#222"}, title="t")
    shares = [t for t in parse_page(svg).text if "words" not in t and "%" in t]
    a = [float(t.rsplit(": ", 1)[1].rstrip("%")) for t in shares if t.startswith("a,")]
    b = [float(t.rsplit(": ", 1)[1].rstrip("%")) for t in shares if t.startswith("b,")]
    assert sum(a) == pytest.approx(100) and sum(b) == pytest.approx(100)
