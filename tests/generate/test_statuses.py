"""Statuses are `StrEnum`s whose values are the strings stores have always held, outputs are typed
`Output`s, and the engine builds its backend only when something is left to send."""

from __future__ import annotations

import socket

import pytest

from synloom.generate import run_generation
from synloom.generate.finalize import FinalizeReason
from synloom.spec import parse_spec
from synloom.store import Output, OutputStatus, RequestStatus, RunStore
from tests.fakes import FakeBackend


def make_spec(**backend):
    return parse_spec(
        {
            "labels": [{"name": "positive"}, {"name": "negative"}],
            "recipe": {"type": "zerogen", "prompt": 'Review {verbalizer}: "', "min_words": 2},
            "generation": {"samples_per_label": 30, "batch_size": 8, "stop": ['"']},
            "seed": 5,
        }
        | ({"backend": backend} if backend else {})
    )


def stored(run_dir, sql: str) -> set[tuple]:
    with RunStore(run_dir) as store:
        return set(store.db.execute(sql).fetchall())


def test_the_enum_values_are_the_stored_strings():
    assert [s.value for s in RequestStatus] == ["planned", "sent", "done", "failed"]
    assert [s.value for s in OutputStatus] == ["candidate", "accepted", "rejected"]
    assert [r.value for r in FinalizeReason] == ["duplicate", "over_budget", "near_duplicate"]


def test_every_status_in_a_store_is_an_enum_value_stored_as_text(tmp_path):
    run = tmp_path / "run"
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_generation(make_spec(), run, backend=FakeBackend(fail_every=4, vocab=3, crash_after=2))
    requests = stored(run, "SELECT DISTINCT status, typeof(status) FROM requests")
    # a killed run holds every request status: finished, failed, in flight, not yet sent
    assert requests == {(s.value, "text") for s in RequestStatus}
    run_generation(make_spec(), run, backend=FakeBackend(fail_every=4, vocab=3))
    assert stored(run, "SELECT DISTINCT status FROM requests") == {
        (RequestStatus.DONE,),
        (RequestStatus.FAILED,),
    }
    outputs = stored(run, "SELECT DISTINCT status, typeof(status) FROM outputs")
    assert outputs == {(OutputStatus.ACCEPTED, "text"), (OutputStatus.REJECTED, "text")}
    reasons = {r for (r,) in stored(run, "SELECT reason FROM rejected")}
    assert FinalizeReason.DUPLICATE in reasons and "too_short" in reasons
    with RunStore(run) as store:
        c = store.counts()
        assert c["accepted"] == len(store.accepted()) == 60
        assert c["failed"] == len(store.failed()) > 0


def test_a_stored_output_reads_back_field_for_field(tmp_path):
    from synloom.store import PlannedRequest

    out = Output("raw \x00 text", "raw", "length", 7, OutputStatus.REJECTED, reason="unterminated")
    with RunStore(tmp_path / "run", create=True) as store:
        req = PlannedRequest("r0", "sample", 0, 0, 0, "positive", "p", None, 1, {"stop": []})
        store.add_round("sample", 0, [req])
        with store.transaction():
            store.record_output("r0", out)
        row = store.db.execute(
            "SELECT raw_text, completion, finish_reason, n_tokens, status, text, text_b, reason,"
            " detail FROM outputs"
        ).fetchone()
    want = ("raw \x00 text", "raw", "length", 7, "rejected", None, None, "unterminated", None)
    assert row == want
    with pytest.raises(ValueError):
        Output("x", "x", "stop", 1, "kept")  # not a status


def test_a_complete_run_is_resumed_without_building_its_backend(tmp_path):
    with socket.socket() as sock:  # a port nothing listens on: building the backend would fail
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    spec = make_spec(type="openai", base_url=url)
    first = run_generation(spec, tmp_path / "run", backend=FakeBackend())
    again = run_generation(spec, tmp_path / "run")
    assert first.complete and again.counts == first.counts
