"""`synloom generate` against the fake OpenAI server when the budget cannot be met (issue 9,
item 4): it stops early, sends a bounded number of requests, and exits 3 (2 for a server that is
not an OpenAI-compatible API) with one line naming the shortfall and the reason."""

from __future__ import annotations

from synloom.store import RunStore
from synloom.testing.fake_openai import FakeConfig, FakeOpenAIServer
from tests.helpers import run_cli

SPEC = """\
name: runaway
labels:
  - {{name: positive, verbalizers: [positive]}}
  - {{name: negative, verbalizers: [negative]}}
recipe:
  type: zerogen
  prompt: 'The movie review in {{verbalizer}} sentiment is: "'
  min_words: {min_words}
generation: {{samples_per_label: {budget}, batch_size: 8, max_new_tokens: 40}}
backend: {{type: openai, model: fake-model, max_concurrency: {conc}, initial_concurrency: {conc},
  max_retries: 2, timeout_s: 5}}
seed: 3
"""


def generate(tmp_path, server, *, min_words=3, budget=40, conc=4):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(min_words=min_words, budget=budget, conc=conc))
    out = tmp_path / "run"
    args = ["generate", spec, "--out", out, "--base-url", server.base_url]
    return run_cli(*args, timeout=300), out


def error_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


def test_all_outputs_rejected_exits_3_after_one_round(tmp_path):
    # The fake reviews have under 20 words: min_words 30 rejects every one of them.
    with FakeOpenAIServer(FakeConfig(latency_s=0.001)) as server:
        result, out = generate(tmp_path, server, min_words=30)
    assert result.returncode == 3, result.stderr
    (line,) = error_lines(result)
    assert "Traceback" not in result.stderr
    assert "positive 0/40" in line and "negative 0/40" in line
    assert "round 0 accepted nothing" in line and "too_short" in line
    with RunStore(out) as store:
        c = store.counts()
    assert server.counters["requests"] == c["planned"] <= 2 * 40 * 1.2 + 2
    assert c["rejected"] == c["planned"]


def test_server_answering_400_stops_after_the_first_few(tmp_path):
    conc = 4
    with FakeOpenAIServer(FakeConfig(fail_status=400)) as server:
        result, out = generate(tmp_path, server, budget=200, conc=conc)
    sent = server.counters["requests"]
    assert sent <= 2 * conc + 8, f"{sent} requests sent to a server that refuses all of them"
    assert result.returncode == 3, result.stderr
    (line,) = error_lines(result)
    assert "every request failed with: HTTP 400" in line
    assert "rerun the same command to resume" in line
    with RunStore(out) as store:
        c = store.counts()
    assert c["accepted"] + c["rejected"] + c["failed"] + c["unfinished"] == c["planned"]
    assert 8 <= c["failed"] <= sent  # requests cancelled in flight stay unfinished
    assert c["unfinished"] == c["planned"] - c["failed"] > 0


def test_base_url_of_a_web_page_is_refused_before_any_request(tmp_path):
    with FakeOpenAIServer(FakeConfig(html_pages=True)) as server:
        result, out = generate(tmp_path, server)
    assert result.returncode == 2, result.stderr
    (line,) = error_lines(result)
    assert "is not an OpenAI-compatible server" in line and "Traceback" not in result.stderr
    assert server.counters["requests"] == 0
    if (out / "run.sqlite").exists():
        with RunStore(out) as store:
            assert store.counts()["planned"] == 0


def test_requests_left_by_a_shared_failure_are_sent_by_the_rerun(tmp_path):
    from synloom.generate import run_generation
    from synloom.spec import parse_spec

    with FakeOpenAIServer(FakeConfig(fail_status=422)) as server:
        spec = parse_spec(
            {
                "labels": [{"name": "positive"}, {"name": "negative"}],
                "recipe": {"type": "zerogen", "prompt": 'A {verbalizer} review: "', "min_words": 3},
                "generation": {"samples_per_label": 30, "batch_size": 8},
                "backend": {"type": "openai", "base_url": server.base_url, "model": "fake-model"},
            }
        )
        first = run_generation(spec, tmp_path / "run")
        assert not first.complete and first.resumable
        assert first.stop_reason.startswith("every request failed with: HTTP 422")
        assert first.counts["unfinished"] > 0
        server.config.fail_status = 0  # the cause is fixed
        second = run_generation(spec, tmp_path / "run")
    assert second.complete and second.stop_reason is None
    c = second.counts
    assert c["failed"] == first.counts["failed"] and c["unfinished"] == 0
    assert c["accepted"] + c["rejected"] + c["failed"] == c["planned"]
