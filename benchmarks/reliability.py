"""Reliability of `synloom generate` under kill -9, concurrent writers and injected faults.

    python benchmarks/reliability.py [--trials 30] [--model-trials 3] [--writer-trials 6]
                                     [--fault-samples 150] [--seed 0] [--out DIR]

Every trial drives the real CLI in subprocesses (`python -m synloom generate ...`):

- kill -9 (fake server): a reference run, then `--trials` runs each SIGKILLed 1–3 times at random
  moments and rerun until they exit; "identical" means the resumed run's accepted set (ids, labels,
  texts) and its status counts equal the reference's; "lost" counts planned requests that did not
  end accepted, rejected (with a reason) or failed (with an error), plus reference samples missing
  after the resume.
- kill -9 (embedded model): the same with the real embedded generator (few-shot, small budget).
- concurrent writers: two `generate` processes started together into one `--out` (half the trials
  with the same spec, half with two different specs). "one writer" means at most one of them
  generated, the other exited 2 with one `error:` line and no traceback; the finished run is then
  completed by rerunning the winner's command and must equal that spec's reference.
- fault injection: one run through a fake server answering 5xx, timeouts, malformed and truncated
  bodies and 429 bursts; every planned request must end accepted, rejected with a reason, or failed
  with an error.

The fake server is for orchestration and fault injection only (see tests/); the embedded-model
trials show the same on the real generator.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from synloom.testing.fake_openai import FakeConfig, FakeOpenAIServer
from synloom.testing.scenarios import FAULTS, fewshot_sentiment_spec, openai_generate_args

FAKE_SPEC = """\
name: reliability-http-{variant}
labels:
  - {{name: positive, verbalizers: [positive]}}
  - {{name: negative, verbalizers: [negative]}}
recipe:
  type: zerogen
  prompt: 'The movie review in {{verbalizer}} sentiment is: "'
  min_words: 3
  max_words: 16
generation: {{samples_per_label: {n}, batch_size: 8, max_new_tokens: 40}}
backend: {{type: openai, max_concurrency: 4, initial_concurrency: 2, timeout_s: 2, max_retries: 2}}
seed: {seed}
"""

MODEL_SPEC = fewshot_sentiment_spec(
    "reliability-model", per_label=8, extra="backend: {dtype: float32, device: cpu}\n"
)


@dataclass(frozen=True)
class Snapshot:
    accepted: tuple[tuple[str, str, str], ...]
    counts: tuple[tuple[str, int], ...]
    planned: int
    unaccounted: int  # planned requests not ended accepted / rejected+reason / failed+error


def snapshot(run_dir: Path) -> Snapshot:
    """Read a run read-only with plain SQL, independent of synloom's own reader."""
    uri = f"file:{run_dir / 'run.sqlite'}?mode=ro"
    with sqlite3.connect(uri, uri=True, timeout=30) as db:
        accepted = tuple(
            db.execute(
                "SELECT id, label, text FROM accepted WHERE stage = 'sample' ORDER BY id"
            ).fetchall()
        )
        counts = tuple(
            db.execute(
                "SELECT COALESCE(o.status, r.status), COUNT(*) FROM requests r"
                " LEFT JOIN outputs o ON o.request_id = r.id GROUP BY 1 ORDER BY 1"
            ).fetchall()
        )
        planned = db.execute("SELECT COUNT(*) FROM requests").fetchone()[0]
        ended = db.execute(
            "SELECT COUNT(*) FROM requests r LEFT JOIN outputs o ON o.request_id = r.id"
            " WHERE o.status = 'accepted'"
            " OR (o.status = 'rejected' AND o.reason IS NOT NULL)"
            " OR (r.status = 'failed' AND r.error IS NOT NULL)"
        ).fetchone()[0]
    return Snapshot(accepted, counts, planned, planned - ended)


def finished_requests(run_dir: Path) -> int:
    path = run_dir / "run.sqlite"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as db:
            return db.execute(
                "SELECT COUNT(*) FROM requests WHERE status IN ('done', 'failed')"
            ).fetchone()[0]
    except sqlite3.Error:
        return 0


def cli(args: list[str], timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "synloom", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def popen(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "synloom", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )


def lost(reference: Snapshot, got: Snapshot) -> int:
    missing = len(set(reference.accepted) - set(got.accepted))
    return got.unaccounted + missing


def kill_trial(args: list[str], run_dir: Path, total: int, rng: random.Random) -> int:
    """Kill `generate` 1–3 times at random points of its progress, then rerun to the end.
    Returns how many kills landed while the run was still going."""
    landed = 0
    for _ in range(rng.randint(1, 3)):
        target = rng.randint(0, max(1, total - 1))
        proc = popen(args)
        try:
            deadline = time.monotonic() + 600
            while (
                proc.poll() is None
                and finished_requests(run_dir) < target
                and time.monotonic() < deadline
            ):
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.3))
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                landed += 1
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    done = cli(args)
    if done.returncode != 0:
        raise SystemExit(f"resume failed ({done.returncode}): {done.stderr.strip()}")
    return landed


def kill_trials(name: str, base_args, spec: Path, trials: int, work: Path, rng) -> dict:
    ref_dir = work / f"{name}-reference"
    ref = cli(["generate", str(spec), "--out", str(ref_dir), *base_args])
    if ref.returncode != 0:
        raise SystemExit(f"reference run failed: {ref.stderr.strip()}")
    reference = snapshot(ref_dir)
    identical = lost_total = landed = 0
    for i in range(trials):
        run_dir = work / f"{name}-trial{i}"
        args = ["generate", str(spec), "--out", str(run_dir), *base_args]
        landed += kill_trial(args, run_dir, reference.planned, rng)
        got = snapshot(run_dir)
        identical += got.accepted == reference.accepted and got.counts == reference.counts
        lost_total += lost(reference, got)
    return {"tried": trials, "kills": landed, "identical": identical, "lost": lost_total}


def writer_trials(base_args, specs: list[Path], trials: int, work: Path) -> dict:
    refs = {}
    for spec in specs:
        ref_dir = work / f"writers-reference-{spec.stem}"
        if cli(["generate", str(spec), "--out", str(ref_dir), *base_args]).returncode != 0:
            raise SystemExit(f"reference run of {spec} failed")
        refs[spec] = snapshot(ref_dir)
    one_writer = consistent = lost_total = tracebacks = 0
    for i in range(trials):
        pair = [specs[0], specs[0]] if i % 2 == 0 else specs
        run_dir = work / f"writers-trial{i}"
        procs = [popen(["generate", str(s), "--out", str(run_dir), *base_args]) for s in pair]
        results = [(p.wait(timeout=900), p.stderr.read()) for p in procs]
        tracebacks += sum("Traceback" in err for _, err in results)
        refused = [
            rc == 2 and err.strip().startswith("error:") and len(err.strip().splitlines()) == 1
            for rc, err in results
        ]
        one_writer += sum(refused) == 1 and sorted(rc for rc, _ in results)[0] == 0
        with sqlite3.connect(f"file:{run_dir / 'run.sqlite'}?mode=ro", uri=True) as db:
            name = db.execute("SELECT value FROM manifest WHERE key = 'spec'").fetchone()[0]
        winner = next(s for s in pair if f"reliability-http-{s.stem}" in name)
        if cli(["generate", str(winner), "--out", str(run_dir), *base_args]).returncode != 0:
            raise SystemExit(f"completing writer trial {i} failed")
        got = snapshot(run_dir)
        consistent += got.accepted == refs[winner].accepted and got.counts == refs[winner].counts
        lost_total += lost(refs[winner], got)
    return {
        "tried": trials,
        "one_writer": one_writer,
        "identical": consistent,
        "lost": lost_total,
        "tracebacks": tracebacks,
    }


def fault_run(spec: Path, work: Path) -> dict:
    run_dir = work / "faults"
    with FakeOpenAIServer(FAULTS) as server:
        done = cli(openai_generate_args(spec, run_dir, server.base_url))
        served = sum(server.counters.values())
    got = snapshot(run_dir)
    counts = dict(got.counts)
    return {
        "exit": done.returncode,
        "requests": got.planned,
        "accounted": got.planned - got.unaccounted,
        "http_requests": served,
        "counts": counts,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=30, help="kill -9 trials against the fake server")
    ap.add_argument("--model-trials", type=int, default=3, help="kill -9 trials, embedded model")
    ap.add_argument("--writer-trials", type=int, default=6, help="concurrent-writer trials")
    ap.add_argument("--samples", type=int, default=60, help="samples per label, fake-server runs")
    ap.add_argument("--fault-samples", type=int, default=150, help="per label, fault-injection run")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None, help="keep the runs here (default: tmp)")
    opts = ap.parse_args()
    rng = random.Random(opts.seed)
    with tempfile.TemporaryDirectory() as tmp:
        work = opts.out or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        specs = []
        for variant, seed in (("a", 3), ("b", 4)):
            path = work / f"{variant}.yaml"
            path.write_text(FAKE_SPEC.format(variant=variant, n=opts.samples, seed=seed))
            specs.append(path)
        model_spec = work / "model.yaml"
        model_spec.write_text(MODEL_SPEC)
        faults_spec = work / "faults.yaml"
        faults_spec.write_text(FAKE_SPEC.format(variant="faults", n=opts.fault_samples, seed=11))

        start = time.monotonic()
        with FakeOpenAIServer(FakeConfig(latency_s=0.02)) as server:
            http = ["--backend", "openai", "--base-url", server.base_url, "--model", "fake-model"]
            fake = kill_trials("fake", http, specs[0], opts.trials, work, rng)
            print(
                f"kill -9 (fake server):    tried {fake['tried']}, kills landed {fake['kills']},"
                f" identical {fake['identical']}, lost {fake['lost']}",
                flush=True,
            )
            writers = writer_trials(http, specs, opts.writer_trials, work)
            print(
                f"concurrent writers:       tried {writers['tried']}, one writer"
                f" {writers['one_writer']}, identical {writers['identical']},"
                f" lost {writers['lost']}, tracebacks {writers['tracebacks']}",
                flush=True,
            )
        faults = fault_run(faults_spec, work)
        print(
            f"fault injection:          {faults['requests']} requests"
            f" ({faults['http_requests']} HTTP attempts), {faults['accounted']} accounted"
            f" {faults['counts']}, lost {faults['requests'] - faults['accounted']},"
            f" exit {faults['exit']}",
            flush=True,
        )
        if opts.model_trials:
            model = kill_trials("model", [], model_spec, opts.model_trials, work, rng)
            print(
                f"kill -9 (embedded model): tried {model['tried']}, kills landed"
                f" {model['kills']}, identical {model['identical']}, lost {model['lost']}",
                flush=True,
            )
        print(f"total {time.monotonic() - start:.0f} s")


if __name__ == "__main__":
    main()
