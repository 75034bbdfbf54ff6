"""One writer per run directory (issue 9, item 2): a second writer fails at once with "in use by
pid N" and writes nothing; two `synloom generate` into one `--out` never mix or flip requests;
`kill -9` releases the lock; finished requests are never sent again."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time

import pytest

from synloom.errors import StoreError
from synloom.store import LOCK_FILE, PlannedRequest, RunStore
from synloom.testing.fake_openai import FakeConfig, FakeOpenAIServer
from tests.store.runs import error_lines, generate, generate_cmd, snapshot, write_spec

IN_USE = re.compile(r"^error: .* is in use by pid (\d+) \(another synloom command\); wait for it")


@pytest.fixture(scope="module")
def servers():
    """A slow server (runs long enough to overlap) and a fast one for the reference runs; the
    fake texts depend only on (prompt, seed), so both give the same data."""
    with (
        FakeOpenAIServer(FakeConfig(latency_s=0.3)) as slow,
        FakeOpenAIServer(FakeConfig()) as fast,
    ):
        yield slow.base_url, fast.base_url


def _request(i: int) -> PlannedRequest:
    return PlannedRequest(
        id=f"r{i}", stage="sample", round=0, idx=i, batch=0, label="positive", prompt="p",
        context=None, seed=i, params={"stop": []},
    )  # fmt: skip


def _out(text: str) -> dict:
    return {"raw_text": text, "completion": text, "finish_reason": "stop", "n_tokens": 3}


def test_a_second_writer_is_refused_at_once_and_writes_nothing(tmp_path):
    run = tmp_path / "run"
    with RunStore(run, create=True) as first:
        first.write_manifest({"spec": {"name": "x"}, "spec_hash": "abc"})
        first.add_round("sample", 0, [_request(0)])
        before = {p: (run / p).read_bytes() for p in ("run.sqlite", "run.sqlite-wal")}
        names = sorted(os.listdir(run))
        for kwargs in ({"create": True}, {"writable": True}):
            with pytest.raises(StoreError, match=rf"is in use by pid {os.getpid()} \(another"):
                RunStore(run, **kwargs)
        assert {p: (run / p).read_bytes() for p in before} == before
        assert sorted(os.listdir(run)) == names
        assert (run / LOCK_FILE).read_text().strip() == str(os.getpid())
    with RunStore(run, writable=True) as second:  # released by close()
        assert second.manifest()["spec_hash"] == "abc"


def test_finished_requests_are_never_sent_again_or_overwritten(tmp_path):
    with RunStore(tmp_path / "run", create=True) as store:
        store.add_round("sample", 0, [_request(i) for i in range(3)])
        with store.transaction():
            store.record_output("r0", _out("kept") | {"status": "candidate", "text": "kept"})
            store.record_failure("r1", "boom")
        store.mark_sent(["r0", "r1", "r2"])
        status = dict(store.db.execute("SELECT id, status FROM requests"))
        assert status == {"r0": "done", "r1": "failed", "r2": "sent"}
        with (
            pytest.raises(StoreError, match="r0 is unknown or already finished"),
            store.transaction(),
        ):
            store.record_output("r0", _out("other") | {"status": "rejected"})
        store.record_failure("r0", "late failure")
        rows = store.db.execute("SELECT r.status, o.raw_text FROM requests r JOIN outputs o"
                                " ON o.request_id = r.id").fetchall()  # fmt: skip
        assert rows == [("done", "kept")]


@pytest.mark.parametrize("specs", [(1, 1), (1, 2)], ids=["same-spec", "different-specs"])
def test_two_generates_into_one_out_one_proceeds_the_other_exits_2(tmp_path, servers, specs):
    slow, fast = servers
    paths = {n: write_spec(tmp_path, n) for n in set(specs)}
    out = tmp_path / "run"
    procs = [
        subprocess.Popen(
            generate_cmd(paths[n], out, slow),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        for n in specs
    ]
    results = [(p.wait(timeout=600), p.stderr.read()) for p in procs]
    for p in procs:
        p.stderr.close()
    assert sorted(rc for rc, _ in results) == [0, 2], results
    winner = next(i for i, (rc, _) in enumerate(results) if rc == 0)
    loser_err = error_lines(results[1 - winner][1])
    assert len(loser_err) == 1 and IN_USE.match(loser_err[0]), loser_err
    assert int(IN_USE.match(loser_err[0]).group(1)) == procs[winner].pid

    with RunStore(out) as store:
        assert store.manifest()["spec"]["name"] == f"store-test-{specs[winner]}"
    accepted, counts = snapshot(out)
    assert counts["unfinished"] == 0 and counts["candidate"] == 0
    assert counts["accepted"] + counts["rejected"] + counts["failed"] == counts["planned"]
    solo = generate(paths[specs[winner]], tmp_path / "solo", fast)
    assert solo.returncode == 0, solo.stderr
    assert (accepted, counts) == snapshot(tmp_path / "solo")


def _finished(run) -> int:
    try:
        with RunStore(run) as store:
            counts = store.counts()
        return counts["done"] + counts["failed"]
    except StoreError:  # not created yet
        return 0


def test_kill_9_releases_the_lock_and_readers_see_the_live_and_the_killed_run(tmp_path, servers):
    slow, fast = servers
    spec, run = write_spec(tmp_path, per_label=40), tmp_path / "run"  # runs ~10 s at 0.3 s
    proc = subprocess.Popen(
        generate_cmd(spec, run, slow),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while _finished(run) < 8 and time.monotonic() < deadline:
            assert proc.poll() is None, "generate finished before the checks"
            time.sleep(0.05)
        live_files = set(os.listdir(run))
        inspect = subprocess.run(
            [*generate_cmd(spec, run, slow)[:3], "inspect", str(run)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        second = generate(spec, run, slow)
        assert proc.poll() is None, "generate finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    assert inspect.returncode == 0, inspect.stderr
    assert set(os.listdir(run)) == live_files  # the reader created nothing
    assert second.returncode == 2
    assert error_lines(second.stderr) == [
        f"error: {run} is in use by pid {proc.pid} (another synloom command); wait for it to"
        " finish or use another --out"
    ]
    _, at_kill = snapshot(run)  # the killed writer's log is read, not ignored
    assert at_kill["done"] + at_kill["failed"] >= 8

    resumed = generate(spec, run, fast)  # no cleanup needed after kill -9
    assert resumed.returncode == 0, resumed.stderr
    solo = generate(spec, tmp_path / "solo", fast)
    assert solo.returncode == 0, solo.stderr
    assert snapshot(run) == snapshot(tmp_path / "solo")
