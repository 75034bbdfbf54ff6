"""Scoring and curation on Ray Data (`--executor ray`: src/synloom/quality/ray_data.py,
src/synloom/curate/ray_scoring.py) on one local Ray cluster of 2 CPUs for the module: the
embeddings, the stored scores and a curation's decisions equal the local path's on a run of real
SST-2 sentences (written through the store API); the CLI reaches an existing cluster through
RAY_ADDRESS; a bad `--executor` and a missing `ray` are one line and exit 2."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from synloom.curate.pipeline import SizeTarget
from synloom.curate.runner import curate_run
from synloom.curate.settings import CurationRequest
from synloom.quality.run_scores import score_run
from synloom.store import open_run
from synloom.testing.records_run import write_records_run
from synloom.train.data import LabeledData
from tests.evaluate.conftest import SST2_SPEC
from tests.helpers import run_cli

ray = pytest.importorskip("ray")  # the `ray` extra

# the tests that start the module's cluster take 20-50 s each on 2 CPUs (actors load MiniLM)
HEAVY = pytest.mark.heavy
POOL = 240
SEEDS_PER_LABEL = 12


@pytest.fixture(scope="module")
def cluster():
    from synloom.testing.ray_scenario import ray_cluster

    with ray_cluster("one_node") as address:  # ray.shutdown on exit
        yield address


@pytest.fixture(scope="module")
def sentences(datasets_dir) -> LabeledData:
    data = LabeledData.from_jsonl(datasets_dir / "sst2/train_sentences.jsonl")
    return data.subset(range(POOL + 200))


@pytest.fixture()
def run_dir(tmp_path, sentences):
    return write_records_run(tmp_path / "run", SST2_SPEC, sentences.subset(range(POOL)))


@pytest.fixture()
def seed_file(tmp_path, sentences):
    """Real seed examples of both labels, disjoint from the pool."""
    rows, counts = [], {"negative": 0, "positive": 0}
    for text, label in zip(sentences.texts[POOL:], sentences.labels[POOL:], strict=True):
        if counts[label] < SEEDS_PER_LABEL:
            counts[label] += 1
            rows.append({"text": text, "label": label})
    path = tmp_path / "seeds.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def numbers(value, prefix=""):
    """The numeric leaves of a nested result, by path."""
    if isinstance(value, dict):
        return {
            k: v for key, sub in value.items() for k, v in numbers(sub, f"{prefix}/{key}").items()
        }
    if isinstance(value, list):
        return {
            k: v for i, sub in enumerate(value) for k, v in numbers(sub, f"{prefix}/{i}").items()
        }
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {prefix: float(value)}
    return {}


@HEAVY
def test_ray_embeddings_equal_the_local_ones_in_input_order(cluster, sentences):
    from synloom.embeddings import embed_texts
    from synloom.quality.ray_data import RayEmbedder, ray_session

    texts = list(sentences.texts[:150])
    with ray_session():  # joins the module's cluster and leaves it running
        got = RayEmbedder(workers=2, batch_size=32)(texts)
    assert ray.is_initialized()
    want = embed_texts(texts)
    assert got.shape == want.shape == (150, 384)
    np.testing.assert_allclose(got, want, atol=1e-5)
    # each row is its own text's: the nearest local row of every Ray row is the same index
    assert (np.argmax(got @ want.T, axis=1) == np.arange(150)).all()


@HEAVY
def test_scores_on_ray_equal_the_local_scores(cluster, run_dir):
    local = score_run(run_dir, max_model_samples=0)
    on_ray = score_run(run_dir, max_model_samples=0, executor="ray", ray_workers=2)
    assert on_ray["settings"]["executor"] == "ray" and on_ray["settings"]["ray_workers"] == 2
    assert set(on_ray["metrics"]) == set(local["metrics"]) and "vendi_embedding" in local["metrics"]
    want, got = numbers(local["metrics"]), numbers(on_ray["metrics"])
    assert set(got) == set(want) and len(want) > 20
    for key, value in want.items():
        assert math.isclose(got[key], value, rel_tol=1e-4, abs_tol=1e-5), key
    np.testing.assert_allclose(
        np.asarray(on_ray["plot_data"]["embedding_map"]["synthetic"]["x"], dtype=float),
        np.asarray(local["plot_data"]["embedding_map"]["synthetic"]["x"], dtype=float),
        atol=1e-3,
    )


@HEAVY
def test_a_curation_on_ray_keeps_and_drops_what_the_local_one_does(cluster, run_dir, seed_file):
    def curate(name, executor):
        request = CurationRequest(("consistency", "random"), SizeTarget(keep=0.5), name=name)
        return curate_run(
            run_dir, request, seed_data_path=seed_file, chunk_size=50, executor=executor
        )

    curate("local", "local")
    curate("ray", "ray")
    a, b = open_run(run_dir, curation="local"), open_run(run_dir, curation="ray")
    assert a.curation.decisions == b.curation.decisions
    assert 0 < len(a.samples) < POOL and [s.id for s in a.samples] == [s.id for s in b.samples]
    from synloom.store import RunStore

    with RunStore(run_dir) as store:
        for method in ("consistency", "random"):
            want, got = store.method_scores("local", method), store.method_scores("ray", method)
            assert set(got) == set(want)  # random scores the survivors of consistency
            ids = sorted(want)
            np.testing.assert_allclose(
                [got[i][0] for i in ids], [want[i][0] for i in ids], atol=1e-5
            )
        assert len(store.method_scores("ray", "consistency")) == POOL
        detail = store.method_scores("ray", "consistency")[ids[0]][1]
        assert set(detail) == {"lr_prob", "knn_prob", "lr_margin", "knn_margin"}
    dropped = sum(a.curation.summary["steps"][0]["dropped"].values())
    assert dropped > 0  # the filter did drop: the decisions compared are not all "kept"


@HEAVY
def test_the_cli_scores_on_an_existing_cluster_through_ray_address(cluster, run_dir):
    proc = run_cli(
        "score", run_dir, "--executor", "ray", "--ray-workers", "2", "--max-model-samples", "0",
        "--json", env={"RAY_ADDRESS": cluster},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout)["settings"]["executor"] == "ray"
    assert getattr(open_run(run_dir).scores.settings, "executor", None) == "ray"


@pytest.mark.parametrize("command", ["score", "curate"])
def test_a_bad_executor_is_one_line_and_exit_2(run_dir, command):
    extra = ["--method", "random", "--keep", "0.5"] if command == "curate" else []
    proc = run_cli(command, run_dir, *extra, "--executor", "spark")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: unknown executor 'spark'; choose from local, ray"
    ]


@pytest.mark.parametrize("command", ["score", "curate"])
def test_missing_ray_is_one_line_naming_the_extra(run_dir, command):
    extra = ", '--method', 'random', '--keep', '0.5'" if command == "curate" else ""
    code = (
        "import sys; sys.modules['ray'] = None\n"
        "from synloom.cli.app import run\n"
        f"sys.exit(run([{command!r}, {str(run_dir)!r}{extra}, '--executor', 'ray']))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "error: ray is not installed; it comes with the 'ray' extra: pip install 'synloom[ray]'"
    ]
