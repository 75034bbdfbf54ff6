"""The overview of a generated run (real SST-2 sentences through the real engine): surplus apart
from rejections, the generator model, the decoding settings and a prompt as sent; and the name of
the test data an evaluation was run on."""

from __future__ import annotations

import re
from html import unescape

import pytest

from synloom.evaluate.table import evaluate_run
from synloom.generate import run_generation
from synloom.quickstart_data import quickstart_paths, quickstart_test_name, stratified_subset
from synloom.report import build_report
from synloom.spec import parse_spec
from synloom.store import RunStore
from synloom.testing.records_run import write_records_run
from synloom.train.data import LabeledData
from tests.evaluate.conftest import SST2_SPEC
from tests.report.html_check import parse_page
from tests.report.runs import SentenceBackend, sentence_pools


@pytest.fixture()
def surplus_run(tmp_path, datasets_dir):
    """Oversampling 3x a budget of 8 per label: valid outputs beyond the budget are surplus."""
    pools = sentence_pools(datasets_dir)
    spec = parse_spec(
        {
            "name": "surplus-sst2",
            "task": {"kind": "text_classification", "description": "movie review sentiment"},
            "labels": [{"name": "positive"}, {"name": "negative"}],
            "recipe": {"type": "zerogen", "prompt": 'The {verbalizer} movie review: "'},
            "generation": {"samples_per_label": 8, "oversample": 3.0, "stop": ['"']},
            "seed": 3,
        }
    )
    run_dir = tmp_path / "run"
    run_generation(spec, run_dir, backend=SentenceBackend(pools))
    return run_dir


def _tiles(html: str) -> dict[str, int]:
    found = re.findall(r'<div class="num">([\d,]+)</div><div class="what">(\w+)</div>', html)
    return {what: int(n.replace(",", "")) for n, what in found}


def test_surplus_is_counted_apart_from_rejections(surplus_run):
    with RunStore(surplus_run) as store:
        counts, reasons = store.counts(), store.rejection_reasons()
    surplus = reasons["over_budget"]
    assert surplus >= 10  # measured: 18 of 48 planned requests
    html = build_report(surplus_run).read_text("utf-8")
    tiles = _tiles(html)
    assert tiles["surplus"] == surplus and tiles["rejected"] == counts["rejected"] - surplus
    assert (
        tiles["accepted"] + tiles["surplus"] + tiles["rejected"] + tiles["failed"]
        == tiles["planned"]
    )
    rejections = html.split('<section id="rejections">')[1].split("</section>")[0]
    bars = re.findall(r"<title>([^<·]+) · rejected", rejections)
    assert bars and "over_budget" not in " ".join(bars)  # no red bar for the surplus
    assert set(bars) == {r for r in reasons if r != "over_budget"}
    assert f"{surplus} valid outputs came after their label's budget was full" in unescape(
        rejections
    )
    assert f"{surplus} surplus (over budget)" in html.split("</header>")[0]


def test_overview_shows_the_model_decoding_template_and_a_sent_prompt(surplus_run):
    with RunStore(surplus_run) as store:
        first = store.accepted()[0]
        request = next(r for r in store.requests("sample", 0) if r.id == first.id)
    html = build_report(surplus_run).read_text("utf-8")
    overview = html.split('<section id="overview">')[1].split("</section>")[0]
    text = " ".join(parse_page(overview).text)
    assert "SmolLM2-135M-Instruct" in text  # the embedded generator, named
    assert 'max_new_tokens=40, temperature=1.0, top_p=0.9, top_k=0, stop=["\\""]' in text
    assert request.params["max_new_tokens"] == 40 and request.params["top_p"] == 0.9
    assert 'The {verbalizer} movie review: "' in text  # the template
    rendered = re.search(r'<pre class="prompt rendered">(.*?)</pre>', overview, re.S).group(1)
    prompt, completion = rendered.split('<span class="completion">')
    assert unescape(prompt) == request.prompt  # as stored in the requests table
    assert unescape(completion.removesuffix("</span>")) == first.text
    assert f"request {request.id}, label {request.label}" in text


def test_the_evaluation_names_its_test_data(tmp_path, datasets_dir):
    pool = LabeledData.from_jsonl(datasets_dir / "sst2/train_sentences.jsonl").subset(range(120))
    test = LabeledData.from_jsonl(datasets_dir / "sst2/validation.jsonl").subset(range(100))
    run_dir = write_records_run(tmp_path / "run", SST2_SPEC, pool)

    evaluate_run(run_dir, test, tam="tfidf", prompting=False)
    assert "test data: in-memory data (100 rows);" in unescape(
        build_report(run_dir).read_text("utf-8")
    )
    name = "SST-2 validation, first 100 sentences"
    evaluate_run(run_dir, test, tam="tfidf", prompting=False, test_source=name)
    assert f"test data: {name};" in unescape(build_report(run_dir).read_text("utf-8"))

    paths = quickstart_paths()  # what `synloom quickstart` names its test data
    assert quickstart_test_name(paths.test, len(stratified_subset(paths.test, 800))) == (
        "SST-2 test sentences shipped with synloom (sst2_test.jsonl): 800 of 1,821,"
        " label-stratified (seed 0)"
    )
    assert quickstart_test_name(paths.test, 1821).endswith(": all 1,821")
