"""Command-line overrides applied to a loaded spec, re-validated like the YAML itself."""

from __future__ import annotations

from typing import Any

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
        if data["backend"]["type"] != "local":
            raise SpecError("--adapter runs on the local backend (serve a LoRA: docs/serving.md)")
        data["backend"]["adapter"] = adapter
    given = (samples_per_label, batch_size, seed, backend, base_url, model, adapter)
    if all(v is None for v in given):
        return spec
    return parse_spec(data, source="command line")
