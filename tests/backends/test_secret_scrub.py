"""The API key is scrubbed from a server's error body before the body is cut for the error
message, so a key straddling the cut never reaches the run store (issue 9, item 8a)."""

from __future__ import annotations

import json

import pytest

from synloom.backends.openai_wire import scrub
from synloom.generate import run_generation
from synloom.spec import parse_spec
from synloom.testing.fake_openai import FakeConfig, FakeOpenAIServer

SECRET = "sk-live-5c0ff33d1e2a4b8c9d7e6f5a4b3c2d1e"
KEY_ENV = "SYNLOOM_SCRUB_TEST_KEY"
CUT = 300  # the error message keeps this many characters of the body


def pad_for_key_at(offset: int) -> int:
    """`error_pad` that puts the key at `offset` of the fake server's 5xx body."""
    body = json.dumps({"error": {"message": "injected server error Bearer KEY"}})
    return offset - body.index("KEY")


def test_key_straddling_the_cut_is_never_stored(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, SECRET)
    start = CUT - 12  # 12 characters of the key before the cut, the rest after it
    cfg = FakeConfig(
        error_rate=1.0,
        required_api_key=SECRET,
        echo_auth_in_errors=True,
        error_pad=pad_for_key_at(start),
    )
    run_dir = tmp_path / "run"
    with FakeOpenAIServer(cfg) as server:
        spec = parse_spec(
            {
                "labels": [{"name": "positive"}, {"name": "negative"}],
                "recipe": {"type": "zerogen", "prompt": 'A {verbalizer} review: "'},
                "generation": {"samples_per_label": 4, "batch_size": 4},
                "backend": {
                    "type": "openai",
                    "base_url": server.base_url,
                    "model": "fake-model",
                    "api_key_env": KEY_ENV,
                    "max_retries": 0,
                },
            }
        )
        summary = run_generation(spec, run_dir)
    assert server.counters["5xx"] > 0 and summary.counts["failed"] > 0
    stored = b"".join(p.read_bytes() for p in run_dir.rglob("*") if p.is_file())
    assert b"Bearer ***" in stored  # the error bodies were stored, scrubbed
    for part in (SECRET, SECRET[:8], SECRET[4:12]):
        assert part.encode() not in stored, f"{part!r} of the key leaked into the run store"


def test_scrub_removes_whole_and_cut_keys():
    text = f"a {SECRET} b {SECRET[:20]}"
    assert scrub(text, SECRET) == "a *** b ***"
    assert scrub(f"ends with {SECRET[:9]}", SECRET) == "ends with ***"
    assert scrub("sk-live is a prefix only", SECRET) == "sk-live is a prefix only"
    assert scrub("nothing", None) == "nothing"


@pytest.mark.parametrize("start", [CUT - 30, CUT - 1, CUT])
def test_error_message_never_holds_part_of_the_key(start, monkeypatch):
    from synloom.backends.openai_compat import OpenAIBackend

    monkeypatch.setenv(KEY_ENV, SECRET)
    backend = OpenAIBackend("http://127.0.0.1:9/v1", api_key_env=KEY_ENV, check_server=False)
    try:
        body = ("x" * start + SECRET + "y" * 50).encode()
        snippet = backend._snippet(body, CUT)
    finally:
        backend.close()
    assert len(snippet) <= CUT and SECRET[:6] not in snippet
