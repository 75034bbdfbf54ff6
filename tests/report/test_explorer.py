"""The sample explorer on runs of real SST-2 sentences: its rows in the DOM Chromium rendered,
the script's filtering and sorting (driven by the URL fragment), the CSP that lets only that
script run, the row cap, and the per-sample score columns of a real curation."""

from __future__ import annotations

import base64
import hashlib
import math
import re
from html import unescape

import pytest

from synloom.report import build_report
from synloom.report.explorer_section import MAX_ROWS
from synloom.store import RunStore
from synloom.testing.records_run import write_records_run
from synloom.train.data import LabeledData
from tests.evaluate.conftest import SST2_SPEC
from tests.report.chromium import dump_dom, explorer_rows, needs_chromium

N_ROWS = 120


def _pool(datasets_dir, n: int) -> LabeledData:
    return LabeledData.from_jsonl(datasets_dir / "sst2/train_sentences.jsonl").subset(range(n))


@pytest.fixture()
def sst2_report(tmp_path, datasets_dir):
    run_dir = write_records_run(tmp_path / "run", SST2_SPEC, _pool(datasets_dir, N_ROWS))
    with RunStore(run_dir) as store:
        samples = store.accepted()
    return build_report(run_dir), samples


def _csp(html: str) -> dict[str, list[str]]:
    meta = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', html)
    assert meta is not None
    directives = [d.split() for d in unescape(meta.group(1)).split(";") if d.strip()]
    return {d[0]: d[1:] for d in directives}


def _body_tag(dom: str) -> str:
    return re.search(r"<body[^>]*>", dom).group(0)


@needs_chromium
def test_every_sample_is_a_row_of_the_rendered_explorer(sst2_report):
    page, samples = sst2_report
    dom = explorer_rows(dump_dom(page))
    assert dom.root.get("data-ready") == "1"  # the script ran under the page's CSP
    assert dom.controls_hidden is False  # and showed the controls it drives
    assert dom.count == f"{N_ROWS} of {N_ROWS} rows shown"
    assert [r["attrs"]["data-i"] for r in dom.rows] == [str(i) for i in range(N_ROWS)]
    for row, sample in zip(dom.rows, samples, strict=True):
        _, sid, label, text, words = row["cells"]
        assert (sid, label, text) == (sample.id, sample.label, sample.text)
        assert int(words) == len(sample.text.split())
        assert not row["hidden"]


@needs_chromium
@pytest.mark.parametrize(
    "fragment, label, words, key",
    [
        ("#samples?label=negative&q=film&sort=-words", "negative", ["film"], "-words"),
        ("#samples?q=The%20movie&sort=words", None, ["the", "movie"], "words"),
        ("#samples?label=positive", "positive", [], None),
    ],
)
def test_the_script_filters_and_sorts_as_the_fragment_says(
    sst2_report, fragment, label, words, key
):
    page, samples = sst2_report
    expected = [
        (i, s)
        for i, s in enumerate(samples)
        if (label is None or s.label == label) and all(w in s.text.lower() for w in words)
    ]
    if key is not None:
        sign = -1 if key.startswith("-") else 1
        expected.sort(key=lambda p: (sign * len(p[1].text.split()), p[0]))
    assert 3 <= len(expected) < N_ROWS  # the view keeps some rows and hides others

    dom = explorer_rows(dump_dom(page, fragment))
    shown = [r["cells"][1] for r in dom.rows if not r["hidden"]]
    assert shown == [s.id for _, s in expected]
    assert len(dom.rows) == N_ROWS  # hidden, not removed
    assert dom.count == f"{len(expected)} of {N_ROWS} rows shown"


@needs_chromium
def test_the_csp_lets_only_the_explorer_script_run(sst2_report, tmp_path):
    page, _ = sst2_report
    html = page.read_text("utf-8")
    scripts = re.findall(r"<script>(.*?)</script>", html, re.S)
    assert len(scripts) == 1 and html.count("<script") == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    csp = _csp(html)
    assert csp["default-src"] == ["'none'"] and csp["script-src"] == [f"'sha256-{digest}'"]
    assert csp["img-src"] == ["data:"] and csp["style-src"] == ["'unsafe-inline'"]
    assert "connect-src" not in csp and "'unsafe-eval'" not in html

    injected = (
        "<script>document.body.setAttribute('data-injected', '1')</script>"
        "<img src=\"data:,\" onerror=\"document.body.setAttribute('data-onerror', '1')\">"
    )
    tampered = tmp_path / "tampered.html"
    tampered.write_text(html.replace("</main>", injected + "</main>"), "utf-8")
    dom = dump_dom(tampered)
    assert _body_tag(dom) == "<body>"  # neither injected script nor handler ran
    assert explorer_rows(dom).root.get("data-ready") == "1"

    # Controls: without the CSP the injected code runs; a changed explorer script is blocked.
    meta = re.search(r'<meta http-equiv="Content-Security-Policy"[^>]*>', html).group(0)
    open_page = tmp_path / "no-csp.html"
    open_page.write_text(tampered.read_text("utf-8").replace(meta, ""), "utf-8")
    body = _body_tag(dump_dom(open_page))
    assert 'data-injected="1"' in body and 'data-onerror="1"' in body
    changed = tmp_path / "changed.html"
    changed.write_text(html.replace('"use strict";', '"use strict"; ', 1), "utf-8")
    assert "data-ready" not in explorer_rows(dump_dom(changed)).root


def test_at_most_max_rows_are_embedded_evenly_over_labels(tmp_path, datasets_dir):
    pool = _pool(datasets_dir, MAX_ROWS + 500)
    run_dir = write_records_run(tmp_path / "run", SST2_SPEC, pool)
    html = build_report(run_dir).read_text("utf-8")
    rows = explorer_rows(html).rows
    assert len(rows) == MAX_ROWS
    per_label = {
        lab: sum(r["attrs"]["data-label"] == lab for r in rows) for lab in ("negative", "positive")
    }
    assert per_label == {"negative": MAX_ROWS // 2, "positive": MAX_ROWS // 2}
    indices = [int(r["attrs"]["data-i"]) for r in rows]
    assert indices == sorted(indices)  # plan order; the first of each label
    assert f"embeds 2,000 of the run's {MAX_ROWS + 500:,} accepted samples" in unescape(html)
    assert len(html) < 2_000_000  # 2,500 samples: measured 0.6 MB


@pytest.mark.slow  # the embedded LM scores 16 samples under both label prompts (~20 s)
@needs_chromium
def test_per_sample_scores_of_a_real_curation_sort_the_explorer(tmp_path, datasets_dir):
    from synloom.curate.pipeline import SizeTarget
    from synloom.curate.runner import curate_run
    from synloom.curate.settings import CurationRequest

    run_dir = write_records_run(tmp_path / "run", SST2_SPEC, _pool(datasets_dir, 16))
    curate_run(
        run_dir, CurationRequest(("likelihood", "margin"), SizeTarget(per_label=4), name="lm")
    )
    with RunStore(run_dir) as store:
        likelihood = {k: v for k, (v, _) in store.method_scores("lm", "likelihood").items()}
        margin = {k: v for k, (v, _) in store.method_scores("lm", "margin").items()}
    page = build_report(run_dir)
    dom = explorer_rows(dump_dom(page, "#samples?sort=-s0"))
    heads = re.findall(r'data-key="(s\d)"[^>]*>([^<]*)</button>', page.read_text("utf-8"))
    assert heads == [("s0", "perplexity"), ("s1", "relabel margin")]
    shown = [r["cells"][1] for r in dom.rows]
    assert shown == sorted(likelihood, key=lambda sid: -math.exp(-likelihood[sid]))
    for row in dom.rows:
        sid = row["cells"][1]
        assert float(row["attrs"]["data-s0"]) == pytest.approx(math.exp(-likelihood[sid]), rel=1e-8)
        assert float(row["attrs"]["data-s1"]) == pytest.approx(margin[sid], rel=1e-8, abs=1e-12)
    dom = explorer_rows(dump_dom(page, "#samples?sort=s1"))
    assert [r["cells"][1] for r in dom.rows] == sorted(margin, key=margin.get)
