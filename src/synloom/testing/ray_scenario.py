"""The Ray executor's scenario, shared by tests/generate/test_ray_executor.py and
`benchmarks/scale.py` (one copy, so the benchmark measures what the tests check): a zerogen
sentiment spec for the fake OpenAI server, and a Ray cluster of one local node (2 CPUs) or of two
simulated nodes (1 CPU each, `ray.cluster_utils.Cluster`). Needs the `ray` extra."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import yaml

RAY_ZEROGEN_SPEC = """\
name: ray-test
labels:
  - {name: positive, verbalizers: [positive]}
  - {name: negative, verbalizers: [negative]}
recipe:
  type: zerogen
  prompt: 'The movie review in {verbalizer} sentiment is: "'
  min_words: 3
  max_words: 16
generation: {samples_per_label: 24, batch_size: 4, max_new_tokens: 40}
backend: {type: openai, model: fake-model, max_concurrency: 4}
seed: 3
"""
CLUSTERS = ("one_node", "two_nodes")


def ray_spec_data(url: str, **generation: Any) -> dict[str, Any]:
    """The scenario's spec as a mapping, served from `url`, with `generation` fields changed."""
    data = yaml.safe_load(RAY_ZEROGEN_SPEC)
    data["backend"]["base_url"] = url
    data["generation"].update(generation)
    return data


@contextmanager
def ray_cluster(kind: str) -> Iterator[str]:
    """Connect this process to a fresh cluster of `kind` (CLUSTERS); yields its address and shuts
    it down after."""
    import ray

    if kind == "one_node":
        context = ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        try:
            yield context.address_info["gcs_address"]
        finally:
            ray.shutdown()
        return
    from ray.cluster_utils import Cluster

    nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    try:
        nodes.add_node(num_cpus=1)
        nodes.wait_for_nodes()
        ray.init(address=nodes.address, log_to_driver=False)
        try:
            yield nodes.address
        finally:
            ray.shutdown()
    finally:
        nodes.shutdown()
