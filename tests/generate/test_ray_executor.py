"""The Ray executor's invariants (`generation.executor: ray`, src/synloom/generate/ray_executor.py)
on a local Ray cluster of 2 CPUs: the same spec and seed give the local executor's accepted set
(fake OpenAI server, also with shared prompts); a batch whose actor is killed mid-round runs again
on another actor, recorded once; a driver killed with SIGKILL mid-run and rerun loses nothing; the
executor is not in the data fingerprint; a missing `ray` is the one-line error naming the extra."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
import yaml

from synloom.generate import run_generation
from synloom.spec import parse_spec
from synloom.spec.fingerprint import data_fingerprint
from synloom.testing.fake_openai import FakeConfig, FakeOpenAIServer
from synloom.testing.ray_scenario import RAY_ZEROGEN_SPEC, ray_cluster, ray_spec_data
from tests.helpers import run_cli
from tests.store.runs import requests_finished, snapshot

ray = pytest.importorskip("ray")  # the `ray` extra: bash scripts/install.sh --test installs it


@pytest.fixture(
    scope="module",
    params=["one_node", pytest.param("two_nodes", marks=[pytest.mark.slow, pytest.mark.heavy])],
)
def cluster(request):
    """The Ray cluster of the module's tests (its address), shut down after them: one local node
    of 2 CPUs, or a simulated cluster of two nodes of 1 CPU each (`ray.cluster_utils.Cluster`)."""
    with ray_cluster(request.param) as address:
        yield address


def nodes_of(executor) -> set[str]:
    return {node for node, _ in ray.get([a.where.remote() for a in executor.actors])}


def spec_for(url: str, **generation):
    return parse_spec(ray_spec_data(url, **generation))


def outputs_per_request(run_dir) -> set[int]:
    with sqlite3.connect(run_dir / "run.sqlite") as db:
        rows = db.execute(
            "SELECT COUNT(o.request_id) FROM requests r LEFT JOIN outputs o"
            " ON o.request_id = r.id GROUP BY r.id"
        ).fetchall()
    return {n for (n,) in rows}


@pytest.mark.parametrize("per_prompt", [None, 3])
def test_ray_gives_the_local_accepted_set(cluster, tmp_path, per_prompt):
    from synloom.generate.ray_executor import RayExecutor

    with FakeOpenAIServer(FakeConfig(latency_s=0.01)) as server:
        spec = spec_for(server.base_url, samples_per_prompt=per_prompt)
        local = run_generation(spec, tmp_path / "local")
        with RayExecutor(spec.backend, actors=2) as executor:
            on_ray = run_generation(spec, tmp_path / "ray", executor=executor)
            assert len(executor.actors) == 2 and executor.retried == 0
    expected, counts = snapshot(tmp_path / "local")
    assert local.complete and on_ray.complete
    assert counts["accepted"] == 48 and counts["unfinished"] == 0
    assert snapshot(tmp_path / "ray") == (expected, counts)


def test_executor_is_not_in_the_data_fingerprint():
    local = spec_for("http://127.0.0.1:1/v1")
    on_ray = spec_for("http://127.0.0.1:1/v1", executor="ray", ray_actors=4)
    assert on_ray.generation.executor == "ray"
    assert data_fingerprint(on_ray) == data_fingerprint(local)


def test_a_killed_actors_batches_run_again_on_another_once(cluster, tmp_path):
    from synloom.generate.ray_executor import RayExecutor

    with FakeOpenAIServer(FakeConfig(latency_s=0.01)) as server:
        spec = spec_for(server.base_url)
        run_generation(spec, tmp_path / "local")
        expected, counts = snapshot(tmp_path / "local")
    # slow enough that both actors hold batches when one is killed
    with FakeOpenAIServer(FakeConfig(latency_s=0.3)) as server:
        spec = spec_for(server.base_url)
        with RayExecutor(spec.backend, actors=2) as executor:
            errors: list[BaseException] = []

            def generate() -> None:
                try:
                    run_generation(spec, tmp_path / "ray", executor=executor)
                except BaseException as exc:  # shown by the assertion below
                    errors.append(exc)

            worker = threading.Thread(target=generate)
            worker.start()
            deadline = time.monotonic() + 60
            while requests_finished(tmp_path / "ray") < 8 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert worker.is_alive(), "the run finished before an actor could be killed"
            victim = executor.actors[0]
            ray.kill(victim, no_restart=True)
            worker.join(timeout=120)
            assert not worker.is_alive() and not errors, errors
            assert executor.retried >= 1  # the victim held batches; each ran again elsewhere
            assert all(a is not victim for a in executor.actors) and len(executor.actors) == 2
    assert snapshot(tmp_path / "ray") == (expected, counts)
    assert outputs_per_request(tmp_path / "ray") == {1}  # recorded once, none lost


def test_driver_sigkill_then_rerun_loses_nothing(cluster, tmp_path):
    spec_path = tmp_path / "spec.yaml"
    with FakeOpenAIServer(FakeConfig(latency_s=0.1)) as server:
        data = yaml.safe_load(RAY_ZEROGEN_SPEC)
        data["backend"]["base_url"] = server.base_url
        spec_path.write_text(yaml.safe_dump(data))
        run_generation(parse_spec(data), tmp_path / "local")
        expected, counts = snapshot(tmp_path / "local")

        killed = tmp_path / "killed"
        args = ["generate", str(spec_path), "--out", str(killed), "--executor", "ray"]
        env = {**os.environ, "RAY_ADDRESS": cluster}  # the driver joins the module's cluster
        proc = subprocess.Popen(
            [sys.executable, "-m", "synloom", *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        try:
            deadline = time.monotonic() + 120
            while requests_finished(killed) < 12 and time.monotonic() < deadline:
                assert proc.poll() is None, "generate finished before it could be killed"
                time.sleep(0.05)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        _, partial = snapshot(killed)
        assert partial["done"] < counts["done"], "the kill came after the run finished"

        resumed = run_cli(*args, env={"RAY_ADDRESS": cluster})
        assert resumed.returncode == 0, resumed.stderr
    assert snapshot(killed) == (expected, counts)
    assert outputs_per_request(killed) == {1}


def test_missing_ray_is_one_line_naming_the_extra(tmp_path):
    code = (
        "import sys; sys.modules['ray'] = None\n"
        "from synloom.cli.app import run\n"
        f"sys.exit(run(['generate', {str(tmp_path / 'spec.yaml')!r}, '--out', {str(tmp_path / 'r')!r},"
        " '--executor', 'ray']))\n"
    )
    data = yaml.safe_load(RAY_ZEROGEN_SPEC)
    data["backend"]["base_url"] = "http://127.0.0.1:1/v1"
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(data))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines == [
        "error: ray is not installed; it comes with the 'ray' extra: pip install 'synloom[ray]'"
    ], proc.stderr
    assert not (tmp_path / "r" / "run.sqlite").exists()  # nothing written before the check


@pytest.mark.heavy  # heavy lane: keeps the default run under 20 min on a float32 CPU
@pytest.mark.slow
def test_ray_with_the_embedded_model_gives_the_local_accepted_set(cluster, tmp_path):
    """Each actor loads the real embedded model on the CPU; one torch thread everywhere, so the
    driver's local run and the actors compute alike."""
    from synloom.generate.ray_executor import RayExecutor

    data = yaml.safe_load(RAY_ZEROGEN_SPEC)
    data["backend"] = {"type": "local", "model": "embedded", "device": "cpu", "threads": 1}
    data["generation"] |= {"samples_per_label": 3, "batch_size": 2, "max_new_tokens": 16}
    data["recipe"]["min_words"] = 2
    spec = parse_spec(data)
    run_generation(spec, tmp_path / "local")
    with RayExecutor(spec.backend, actors=2) as executor:
        run_generation(spec, tmp_path / "ray", executor=executor)
        # a local model's actor takes a CPU: on two nodes of one CPU each, one actor per node
        assert len(nodes_of(executor)) == len(ray.nodes())
    expected, counts = snapshot(tmp_path / "local")
    assert counts["accepted"] >= 1 and counts["unfinished"] == 0
    assert snapshot(tmp_path / "ray") == (expected, counts)


def test_the_ray_extra_installs_ray_and_stays_out_of_all():
    import tomllib
    from packaging.requirements import Requirement

    from synloom.extras import EXTRAS
    from tests.conftest import ROOT

    optional = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"][
        "optional-dependencies"
    ]
    (requirement,) = map(Requirement, optional["ray"])
    assert requirement.name == "ray" and ray.__version__ in requirement.specifier
    assert EXTRAS["ray"] == ("ray",) and "ray" not in EXTRAS["all"]


def test_an_unknown_executor_is_one_line(tmp_path):
    data = yaml.safe_load(RAY_ZEROGEN_SPEC)
    data["backend"]["base_url"] = "http://127.0.0.1:1/v1"
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(data))
    args = ["generate", tmp_path / "spec.yaml", "--out", tmp_path / "r", "--executor", "dask"]
    proc = run_cli(*args)
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("error: ") and "generation.executor" in line, line
