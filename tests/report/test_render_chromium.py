"""Render a real report in headless Chromium (scripts/check_report_render.sh) and check that the
page was drawn: a non-trivial screenshot holding the chart colours, every section in the DOM."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from synloom.quality.run_scores import score_run
from synloom.quality.stored import save_scores
from synloom.report import SECTION_TITLES, build_report
from synloom.report.svg import SOURCE_COLORS
from synloom.store import RunStore
from tests.report.html_check import parse_page
from tests.report.png import colours, read_png
from tests.report.runs import read_rows

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_report_render.sh"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None, reason="chromium is not on PATH (Debian: apt-get install -y chromium)"
    ),
]


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


def test_report_renders_with_every_section_and_the_plots(fake_run, reference_file, tmp_path):
    result = score_run(fake_run, read_rows(reference_file), max_model_samples=0)
    with RunStore(fake_run, writable=True) as store:
        save_scores(store, result)
    report = build_report(fake_run)
    out = tmp_path / "render"
    proc = subprocess.run(
        ["bash", str(SCRIPT), str(fake_run), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr

    png = out / "report.png"
    assert png.stat().st_size > 50_000
    width, height, _, _ = read_png(png)
    assert (width, height) == (1280, 4000)
    seen = colours(png)
    assert len(seen) > 50  # text, charts and anti-aliasing, not a blank page
    # Opaque bars and legend swatches in the source colours: the SVG charts were drawn.
    assert _rgb(SOURCE_COLORS["synthetic"]) in seen and _rgb(SOURCE_COLORS["reference"]) in seen

    dom = parse_page((out / "report.dom.html").read_text("utf-8"))
    assert dom.headings == list(SECTION_TITLES)
    assert dom.tags.get("svg", 0) == parse_page(report.read_text("utf-8")).tags.get("svg")
    assert dom.tags.get("script", 0) == 1  # the sample explorer's, allowed by its hash
