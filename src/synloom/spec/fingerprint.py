"""The fields of a spec that decide the data, and their hash.

A run directory is resumed only by a spec with the same fingerprint. Paths and transport do not
change what is generated (the contexts file counts by its content, not by where it lies), so moving
the spec's folder or pointing at another port of the same server still resumes; the model, decoding,
prompts, labels, seed and recipe settings do not. The sample budget is compared on its own: a
larger one tops the run up, a smaller one is refused (`split_budget`)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from synloom.spec.adapter_dir import adapter_sha256
from synloom.spec.contexts import file_sha256
from synloom.spec.task import TaskSpec

# Fields that do not decide the data: where a server is and how it is reached, how hard it is
# pushed, where a local model runs, limits on how long a run may try, and the spec's name; and
# where the seed examples came from (the seeds a seed_examples_file gave are in seed_examples,
# so a spec with the file has the fingerprint of the same seeds written inline).
TRANSPORT_FIELDS = frozenset(
    {
        "name",
        "seed_examples_file",
        "backend.base_url",
        "backend.api_key_env",
        "backend.max_concurrency",
        "backend.initial_concurrency",
        "backend.timeout_s",
        "backend.max_retries",
        "backend.max_retry_after_s",
        "backend.device",
        "backend.threads",
        "backend.device_map",
        "backend.share_prefix",  # how the local backend batches its prefill, like device/threads
        "backend.sampler",  # how it draws from the same distribution (other random draws)
        "backend.decode_rows",  # how many of a batch's rows decode at once, like share_prefix
        # the vllm backend's engine settings: memory, batching, caching, compilation
        "backend.max_model_len",
        "backend.gpu_memory_utilization",
        "backend.kv_cache_gb",
        "backend.enable_prefix_caching",
        "backend.enforce_eager",
        "backend.tensor_parallel_size",
        "backend.max_num_seqs",
        "generation.max_requests_factor",
        "generation.executor",  # where batches run (local or Ray actors), not what they make
        "generation.ray_actors",
    }
)

# Fields added after runs existed, left out while unset so that every spec that does not set
# them keeps the fingerprint (and so resumes the run directories) it had before they came.
OMITTED_WHEN_UNSET = frozenset(
    {
        "recipe.self_debias_decay",
        "recipe.contexts_column",
        "recipe.random_pool",  # ProGen's ablation; unset: False
        "recipe.system",  # the chat system message; unset: the default one
        "recipe.fields",  # structured records; unset: one free text per sample
        "recipe.json_schema",  # the same, from a JSON schema
        "backend.revision",
        "backend.trust_remote_code",  # unset: False
        "backend.adapter",  # set: the adapter's content hash, not its path
        "generation.samples_per_prompt",  # unset (or 1): one sample per prompt
    }
)


# The sample budget: a rerun with a larger one tops the run up (`synloom.generate.manifest`), so
# a resume compares the rest of the fingerprint, which must match, apart from it.
BUDGET_SECTION, BUDGET_KEY = "generation", "samples_per_label"


def split_budget(data: dict[str, Any]) -> tuple[dict[str, Any], int | None]:
    """A copy of `data` (a fingerprint or a spec dict) without the sample budget, and the
    budget (None when `data` has none)."""
    rest = json.loads(json.dumps(data))
    section = rest.get(BUDGET_SECTION)
    budget = section.pop(BUDGET_KEY, None) if isinstance(section, dict) else None
    return rest, budget


def with_budget(data: dict[str, Any], budget: int) -> dict[str, Any]:
    """A copy of `data` (a fingerprint or a spec dict) with the sample budget set to `budget`."""
    out = json.loads(json.dumps(data))
    out.setdefault(BUDGET_SECTION, {})[BUDGET_KEY] = budget
    return out


def contexts_sha256(spec: TaskSpec) -> str | None:
    """sha256 of the contexts file's bytes, or None when the recipe names no file."""
    path = getattr(spec.recipe, "contexts_file", None)
    return None if path is None else file_sha256(path)


def data_fingerprint(spec: TaskSpec) -> dict[str, Any]:
    """The spec as a JSON-able dict without transport fields and without the unset fields of
    `OMITTED_WHEN_UNSET`; contexts_file and backend.adapter are their content hashes."""
    data = spec.model_dump(mode="json")
    for dotted in TRANSPORT_FIELDS | OMITTED_WHEN_UNSET:
        *parents, leaf = dotted.split(".")
        node = data
        for key in parents:
            node = node.get(key) if isinstance(node, dict) else None
        value = node.get(leaf) if isinstance(node, dict) else None
        unset = value is None or value is False  # an unset flag, not a zero
        if isinstance(node, dict) and (dotted in TRANSPORT_FIELDS or unset):
            node.pop(leaf, None)
    digest = contexts_sha256(spec)
    if digest is not None:
        data["recipe"]["contexts_file"] = {"sha256": digest}
    adapter = getattr(spec.backend, "adapter", None)
    if adapter is not None:
        data["backend"]["adapter"] = {"sha256": adapter_sha256(adapter)}
    return data


def fingerprint_hash(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def prune_to(current: Any, stored: Any) -> Any:
    """`current` without the mapping keys `stored` lacks (fields a later synloom version added), so
    a run made by an earlier version compares equal when nothing it knew of changed."""
    if isinstance(current, dict) and isinstance(stored, dict):
        return {k: prune_to(v, stored[k]) for k, v in current.items() if k in stored}
    if isinstance(current, list) and isinstance(stored, list) and len(current) == len(stored):
        return [prune_to(c, s) for c, s in zip(current, stored, strict=True)]
    return current


def differing_fields(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Dotted paths where two JSON-able values differ (lists compare whole)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new), key=str):
            where = f"{prefix}.{key}" if prefix else str(key)
            if key not in old or key not in new:
                out.append(where)
            else:
                out.extend(differing_fields(old[key], new[key], where))
        return out
    return [] if old == new else [prefix or "(whole spec)"]
