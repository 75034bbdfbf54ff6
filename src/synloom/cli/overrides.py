"""Command-line overrides applied to a loaded spec, re-validated like the YAML itself: the named
flags, then each `--set key.path=value` (the value read as YAML, so `0.7`, `true`, `null` and
`[a, b]` are typed)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import yaml

from synloom.errors import SpecError
from synloom.spec import TaskSpec, parse_spec
from synloom.spec.io import spec_to_dict


def apply_overrides(
    spec: TaskSpec,
    *,
    samples_per_label: int | None = None,
    batch_size: int | None = None,
    seed: int | None = None,
    backend: str | None = None,
    base_url: str | None = None,
    model: str | None = None,
    adapter: str | None = None,
    endpoint: str | None = None,
    api_key_env: str | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    sets: Sequence[str] = (),
) -> TaskSpec:
    data: dict[str, Any] = spec_to_dict(spec)
    if samples_per_label is not None:
        data["generation"]["samples_per_label"] = samples_per_label
    if batch_size is not None:
        data["generation"]["batch_size"] = batch_size
    if seed is not None:
        data["seed"] = seed
    if backend is not None and backend != data["backend"]["type"]:
        data["backend"] = {"type": backend}
    if base_url is not None:
        if data["backend"]["type"] != "openai":
            raise SpecError("--base-url needs the openai backend: add --backend openai")
        data["backend"]["base_url"] = base_url
    if model is not None:
        data["backend"]["model"] = model
    if adapter is not None:
        if data["backend"]["type"] not in ("local", "vllm"):
            raise SpecError(
                "--adapter runs on the local or vllm backend (serve a LoRA: docs/serving.md)"
            )
        data["backend"]["adapter"] = adapter
    for flag, key, value in (
        ("--endpoint", "endpoint", endpoint),
        ("--api-key-env", "api_key_env", api_key_env),
    ):
        if value is not None:
            if data["backend"]["type"] != "openai":
                raise SpecError(f"{flag} needs the openai backend: add --backend openai")
            data["backend"][key] = value
    if temperature is not None:
        data["generation"]["temperature"] = temperature
    if max_tokens is not None:
        data["generation"]["max_new_tokens"] = max_tokens
    created: list[dict] = []  # sections --set created (an unset optional one)
    for assignment in sets:
        set_path(data, assignment, created)
    given = (samples_per_label, batch_size, seed, backend, base_url, model, adapter, endpoint)
    given += (api_key_env, temperature, max_tokens)
    if all(v is None for v in given) and not sets:
        return spec
    return parse_spec(data, source="command line")


_ASSIGNMENT = re.compile(r"^([A-Za-z_]\w*(?:\.\w+)*)=(.*)$", re.DOTALL)


def set_path(data: dict[str, Any], assignment: str, created: list[dict] | None = None) -> None:
    """Apply one `--set key.path=value` to a spec dict: every key but the last must name a
    section (a list takes an index), and the last a field the spec has; SpecError otherwise.
    An unset optional section (`recipe.context_stage`) is created, kept in `created`, and its
    fields are checked when the spec is validated."""
    created = [] if created is None else created
    match = _ASSIGNMENT.match(assignment)
    if match is None:
        raise SpecError(
            f"--set takes KEY.PATH=VALUE (e.g. generation.temperature=0.7), got {assignment!r}"
        )
    path, raw = match.groups()
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as exc:
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
        raise SpecError(f"--set {path}: the value is not valid YAML ({problem})") from None
    *parents, leaf = path.split(".")
    node: Any = data
    for i, key in enumerate(parents):
        where = ".".join(parents[: i + 1])
        if isinstance(node, dict):
            inside_new = any(node is c for c in created)
            if node.get(key, 0) is None or (inside_new and key not in node):
                node[key] = {}
                created.append(node[key])
        node = _child(node, key, where)
        if not isinstance(node, (dict, list)):
            raise SpecError(f"--set {path}: {where} is a value, not a section")
    if not any(node is c for c in created):
        _child(node, leaf, path)  # the field must exist
    if isinstance(node, list):
        node[int(leaf)] = value
    else:
        node[leaf] = value


def _child(node: Any, key: str, where: str) -> Any:
    if isinstance(node, list):
        if not key.isdigit() or int(key) >= len(node):
            raise SpecError(f"--set {where}: no such item (the list has {len(node)})")
        return node[int(key)]
    if isinstance(node, dict) and key in node:
        return node[key]
    known = ", ".join(sorted(node)) if isinstance(node, dict) else ""
    raise SpecError(f"--set {where}: no such field" + (f" (known: {known})" if known else ""))
