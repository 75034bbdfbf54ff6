"""`judge`: the answer parser, the question, the judge-server options, the OpenAI path against the
fake server (orchestration only), and the real embedded generator judging real SST-2 sentences.

Measured on the 300-sentence `flipped_pool` with SmolLM2-135M-Instruct as its own judge (2 busy
CPU cores, 66-114 s per 300 answers): with the chat template (the default) it names a label in
99.3% of answers but nearly always the first one listed, AUROC 0.508; without it 57% parse,
AUROC 0.565 on those. The 135M judge is too weak for a separation floor, so the model test
asserts what it does reliably: answers that parse, scores that follow the parsed label, and the
same answers for the same samples.
"""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from synloom.curate.data import CurationData
from synloom.curate.judge import (
    DEFAULT_TEMPLATE,
    METHOD,
    JudgeOptions,
    answer_parser,
    judge_backend,
    judge_backend_config,
    render_question,
)
from synloom.curate.registry import load_method
from synloom.spec import parse_spec
from synloom.testing.fake_openai import FakeConfig, FakeOpenAIServer
from tests.curate.conftest import auroc

PAIR_SPEC = parse_spec(
    {
        "task": {"kind": "text_pair_classification"},
        "labels": [
            {"name": "entailment", "verbalizers": ["correct"]},
            {"name": "not_entailment", "verbalizers": ["wrong"]},
        ],
        "recipe": {"type": "zerogen", "contexts": ["A ."], "prompt": '"{context}" so "'},
    }
)
# the fake server's answers begin "This film ...", "The movie ...", ...: one label each
OPENERS = ("film", "movie", "picture", "story", "drama", "comedy", "sequel", "thriller")
OPENER_SPEC = parse_spec(
    {
        "task": {"description": "what the text is about"},
        "labels": [{"name": name} for name in OPENERS],
        "recipe": {"type": "zerogen", "prompt": 'A text about a {verbalizer}: "'},
    }
)


def test_the_parser_takes_the_first_label_named_as_a_whole_word(sst2_spec):
    parse = answer_parser(sst2_spec)
    assert parse("Positive") == "positive"
    assert parse(' The label "NEGATIVE" fits, not positive') == "negative"
    assert parse("positively negative") == "negative"  # "positively" is not the word
    assert parse("neutral") is None and parse("") is None
    pair = answer_parser(PAIR_SPEC)
    assert pair("not entailment") == "not_entailment"
    assert pair("Not-Entailment.") == "not_entailment"
    assert pair("entailment") == "entailment"
    assert pair("this is wrong") == "not_entailment"  # a verbalizer names its label


def test_the_question_lists_the_labels_and_the_text(sst2_spec):
    question = render_question(DEFAULT_TEMPLATE, sst2_spec, "a fine film .")
    assert "- positive: the review praises the movie" in question
    assert "- negative: the review criticises the movie" in question
    assert 'Text: "a fine film ."' in question and "movie review sentiment" in question
    pair = render_question("{labels}|{text}", PAIR_SPEC, "B .", "A .")
    assert (
        pair
        == '- entailment: correct\n- not_entailment: wrong|First text: "A ."\nSecond text: "B ."'
    )


def test_options_are_checked_and_name_the_judge_server():
    assert load_method("judge") is METHOD and METHOD.info.kind == "filter"
    assert METHOD.threshold(JudgeOptions()) == 0.5
    for bad in (
        {"template": "no text here"},
        {"template": "{text} {label}"},
        {"model": "big"},
        {"base_url": "ftp://x"},
        {"base_url": "http://x:8000/v1", "api_key_env": "lower"},
    ):
        with pytest.raises(ValidationError):
            JudgeOptions(**bad)
    assert judge_backend_config(JudgeOptions()) is None and judge_backend(JudgeOptions()) is None
    config = judge_backend_config(
        JudgeOptions(base_url="http://x:8000/v1", model="m", api_key_env="JUDGE_KEY")
    )
    assert (config.base_url, config.model, config.api_key_env) == (
        "http://x:8000/v1",
        "m",
        "JUDGE_KEY",
    )
    assert config.endpoint == "chat"
    assert judge_backend_config(JudgeOptions(base_url="http://x/v1", chat=False)).endpoint == (
        "completions"
    )


def _opener_data(judge) -> CurationData:
    labels = [OPENERS[i % len(OPENERS)] for i in range(12)]
    texts = [f"sample number {i} about a {labels[(i * 5) % 12]} ." for i in range(12)]
    return CurationData.build(
        OPENER_SPEC, [f"q{i}" for i in range(12)], labels, texts, seed=3, judge=judge
    )


def test_a_judge_server_answers_through_the_chat_endpoint():
    with FakeOpenAIServer(FakeConfig(error_rate=0.2)) as server:
        options = JudgeOptions(base_url=server.base_url)
        with judge_backend(options) as handle:
            result = METHOD.score(_opener_data(handle.get), options)
            assert handle.get().endpoint == "chat"
        assert server.counters["ok"] == 12 and server.counters["5xx"] > 0  # retried, all answered
    answers, judged = result.details["answer"], result.details["judged"]
    assert answers.dtype == object and all(a.strip() for a in answers)
    assert all(j in OPENERS for j in judged)  # every answer names a label
    labels = _opener_data(None).labels
    expected = [1.0 if j == lab else 0.0 for j, lab in zip(judged, labels, strict=True)]
    np.testing.assert_array_equal(result.scores, expected)
    assert 0 < result.scores.sum() < 12
    assert result.summary["parsed"] == 12 and result.summary["server"] == server.base_url


def test_failed_judge_requests_are_nan_with_their_error():
    with FakeOpenAIServer(FakeConfig(fail_status=400)) as server:
        options = JudgeOptions(base_url=server.base_url, chat=False)
        with judge_backend(options) as handle:
            result = METHOD.score(_opener_data(handle.get).subset(range(3)), options)
    assert np.isnan(result.scores).all()
    assert all("400" in e for e in result.details["error"])
    assert result.summary["failed"] == 3 and result.summary["parsed"] == 0


@pytest.mark.heavy  # heavy lane: keeps the default run under 20 min on a float32 CPU
@pytest.mark.slow
def test_the_embedded_generator_judges_real_sentences(flipped_pool, sst2_spec):
    from synloom.backends import open_backend

    with open_backend(sst2_spec.backend) as backend:
        pool = flipped_pool.data
        data = CurationData.build(
            pool.spec, pool.ids, pool.labels, pool.texts, generator=lambda: backend
        ).subset(range(60))
        result = METHOD.score(data, JudgeOptions())
        again = METHOD.score(data.subset(range(8)), JudgeOptions())
    scores = result.scores
    parsed = ~np.isnan(scores)
    print(f"judge parse rate {parsed.mean():.3f}")
    if parsed.sum() and len(set(scores[parsed])) > 1:
        print(f"judge AUROC {auroc(scores[parsed], flipped_pool.flipped[:60][parsed]):.3f}")
    assert result.summary["chat_template"] is True
    assert parsed.mean() >= 0.85  # measured 0.99 on 120 sentences
    parse = answer_parser(data.spec)
    for score, answer, label in zip(scores, result.details["answer"], data.labels, strict=True):
        named = parse(answer)
        assert (named is None) == np.isnan(score)
        assert named is None or score == float(named == label)
    # judging a subset again gives the same verdicts; the words after the verdict may differ,
    # since a batch's layout (its other prompts, the prefix they share) moves bfloat16 logits
    np.testing.assert_array_equal(again.scores, scores[:8])
    assert [parse(a) for a in again.details["answer"]] == [
        parse(a) for a in result.details["answer"][:8]
    ]
