"""End-to-end generation through the OpenAI-compatible backend against the fake server with
injected faults: every planned request ends accepted, rejected (with a reason) or failed (with an
error), and the API key never reaches the run store, the logs or error messages."""

from __future__ import annotations

import logging

import pytest

from synloom.backends.openai_compat import OpenAIBackend
from synloom.errors import BackendError
from synloom.generate import run_generation
from synloom.spec import parse_spec
from synloom.store import RunStore
from synloom.testing.fake_openai import FakeConfig, FakeOpenAIServer
from synloom.testing.scenarios import fault_config

SECRET = "sk-test-9f8e7d6c5b4a-never-store-me"
KEY_ENV = "SYNLOOM_FAKE_KEY"

FAULTS = fault_config(required_api_key=SECRET, echo_auth_in_errors=True)


def make_spec(base_url: str, **backend) -> object:
    return parse_spec(
        {
            "labels": [{"name": "positive"}, {"name": "negative"}],
            "recipe": {
                "type": "zerogen",
                "prompt": 'The movie review in {verbalizer} sentiment is: "',
                "min_words": 3,
                "max_words": 16,
            },
            "generation": {"samples_per_label": 60, "batch_size": 16, "max_new_tokens": 40},
            "backend": {
                "type": "openai",
                "base_url": base_url,
                "model": "fake-model",
                "api_key_env": KEY_ENV,
                "timeout_s": 0.5,
                "max_retries": 1,
                "initial_concurrency": 4,
                "max_concurrency": 32,
            }
            | backend,
            "seed": 11,
        }
    )


def test_faulty_server_every_request_accounted_for_and_key_never_stored(
    tmp_path, monkeypatch, caplog
):
    monkeypatch.setenv(KEY_ENV, SECRET)
    caplog.set_level(logging.DEBUG)
    run_dir = tmp_path / "run"
    with FakeOpenAIServer(FAULTS) as server:
        summary = run_generation(make_spec(server.base_url), run_dir)
    counters = server.counters
    for fault in ("5xx", "timeout", "malformed", "truncated", "429_burst"):
        assert counters[fault] > 0, f"the fake server injected no {fault}: {counters}"

    c = summary.counts
    assert c["unfinished"] == 0 and c["candidate"] == 0
    assert c["accepted"] + c["rejected"] + c["failed"] == c["planned"]
    assert c["failed"] > 0, "with one retry some requests must exhaust their retries"
    assert c["rejected"] > 0 and c["accepted"] > 0
    with RunStore(run_dir) as store:
        statuses = dict(store.db.execute("SELECT status, COUNT(*) FROM requests GROUP BY status"))
        assert set(statuses) <= {"done", "failed"}
        n_out = store.db.execute("SELECT COUNT(*) FROM outputs").fetchone()[0]
        assert n_out == statuses.get("done", 0)  # one output row per done request, none per failure
        assert all(r["reason"] for r in store.rejected())
        failed = store.failed()
        assert len(failed) == c["failed"]
        assert all(f["error"] for f in failed)
    assert counters["ok"] >= c["accepted"] + c["rejected"]  # a late 200 may have been retried

    # The key reached the server (it answered 200s) but nothing we wrote or logged.
    assert f"Bearer {SECRET}" in server.seen_auth
    for path in run_dir.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), f"API key leaked into {path}"
    assert SECRET not in caplog.text
    http_errors = [f["error"] for f in failed if "HTTP 5" in f["error"]]
    assert all("Bearer ***" in e for e in http_errors), (
        "the server echoed the key; it must be scrubbed"
    )


def test_wrong_key_fails_fast_without_echoing_it(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "sk-wrong-key-1234567890")
    with FakeOpenAIServer(FAULTS) as server, pytest.raises(BackendError) as info:
        run_generation(make_spec(server.base_url), tmp_path / "run")
    message = str(info.value)
    assert "rejected the API key" in message and f"${KEY_ENV}" in message
    assert "sk-wrong-key-1234567890" not in message


def test_backend_repr_redacts_key(monkeypatch):
    monkeypatch.setenv(KEY_ENV, SECRET)
    with FakeOpenAIServer(FakeConfig(required_api_key=SECRET)) as server:
        backend = OpenAIBackend(server.base_url, api_key_env=KEY_ENV)
        try:
            assert SECRET not in repr(backend) and "<redacted>" in repr(backend)
            # the key lives in exactly one private attribute: not in the model name, the URL,
            # the pool or anything else a log line or error message might print
            holders = [name for name, value in vars(backend).items() if SECRET in repr(value)]
            assert holders == ["_key"]
        finally:
            backend.close()


def test_unreachable_server_is_a_clear_error():
    with FakeOpenAIServer() as server:
        url = server.base_url
    with pytest.raises(BackendError, match="cannot reach"):
        OpenAIBackend(url)


def test_server_gone_mid_run_stops_and_leaves_requests_unfinished(tmp_path, monkeypatch):
    # A dead server is not a per-request failure: nothing may be recorded as failed, so that
    # rerunning the command once the server is back sends every request.
    monkeypatch.setenv(KEY_ENV, SECRET)
    with FakeOpenAIServer(FakeConfig(required_api_key=SECRET)) as server:
        spec = make_spec(server.base_url)
        backend = OpenAIBackend.from_config(spec.backend)
    try:
        with pytest.raises(BackendError, match=r"cannot connect.*rerun to resume"):
            run_generation(spec, tmp_path / "run", backend=backend)
    finally:
        backend.close()
    with RunStore(tmp_path / "run") as store:
        c = store.counts()
    assert c["failed"] == 0 and c["done"] == 0
    assert c["unfinished"] == c["planned"] > 0
