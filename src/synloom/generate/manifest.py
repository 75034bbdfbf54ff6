"""The run manifest: spec, data fingerprint, contexts hash, versions, seed and budget history; a
run dir never silently mixes two specs, nor two versions of one contexts file.

A rerun whose spec differs only by a larger `generation.samples_per_label` tops the run up: the
manifest takes the new budget (spec, fingerprint and hash) and appends a `BudgetStep` naming the
first sample round planned under it; the rounds already stored are kept as they are, and new
rounds generate the difference. A smaller budget is refused (a run is never cut).

When the backend is first used, `RecordedBackendHandle` appends what it actually loaded (model,
the hub commit when known, dtype, device) to `loaded_backends`, once per distinct load: an
unpinned hub model's revision is then known, and a resume that loaded another one shows. It is
provenance only: neither the spec hash nor the data fingerprint reads it."""

from __future__ import annotations

import hashlib
import json
import platform
import time
from importlib import metadata
from typing import Any

from synloom.backends.registry import BackendHandle
from synloom.errors import StoreError
from synloom.recipes import SAMPLE_STAGE, recipe_for
from synloom.spec import TaskSpec
from synloom.spec.fingerprint import (
    data_fingerprint,
    differing_fields,
    fingerprint_hash,
    prune_to,
    split_budget,
    with_budget,
)
from synloom.spec.io import spec_to_dict
from synloom.spec.oneline import one_line
from synloom.store import RunStore
from synloom.store.artifacts import BudgetStep, Manifest, validated

HASH_VERSION = (
    2  # 1 (no `hash_version` key): sha256 of the whole spec, paths and transport included
)
MAX_FIELDS_SHOWN = 6
LOADED_KEY = "loaded_backends"
# optional backend attributes recorded: manifest key -> attribute (a backend may have none)
BACKEND_FACTS = {
    "revision": "revision",
    "dtype": "dtype",
    "device": "device",
    "adapter": "adapter_facts",
}


def spec_hash(spec: TaskSpec) -> str:
    """The hash of the fields that decide the data (see `synloom.spec.fingerprint`)."""
    return fingerprint_hash(data_fingerprint(spec))


def legacy_spec_hash(spec_dict: dict[str, Any]) -> str:
    """Hash version 1, as manifests written before `hash_version` existed hold it."""
    return hashlib.sha256(json.dumps(spec_dict, sort_keys=True).encode()).hexdigest()[:16]


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def check_or_write_manifest(store: RunStore, spec: TaskSpec) -> None:
    """Write the manifest of a new run; for an existing one, raise StoreError unless `spec` would
    generate the same data (same fingerprint, same contexts file content)."""
    fingerprint = data_fingerprint(spec)
    contexts = fingerprint["recipe"].get("contexts_file")  # a recipe may have no such field
    contexts_digest = contexts["sha256"] if isinstance(contexts, dict) else None
    existing = store.manifest()
    if existing:
        if existing.get("hash_version") == HASH_VERSION:
            _check_v2(store, spec, existing, fingerprint, contexts_digest)
        else:
            _check_legacy(store, spec, existing)
        _check_budget(store, spec, existing)
        return
    now = time.time()
    manifest = Manifest(
        spec=spec_to_dict(spec),
        spec_hash=fingerprint_hash(fingerprint),
        hash_version=HASH_VERSION,
        data_fingerprint=fingerprint,
        contexts_sha256=contexts_digest,
        seed=spec.seed,
        created_at=now,
        versions={
            p: _version(p) for p in ("synloom", "torch", "transformers", "datasets", "pydantic")
        }
        | {"python": platform.python_version()},
        budgets=[
            BudgetStep(
                samples_per_label=spec.generation.samples_per_label,
                at=now,
                spec_hash=fingerprint_hash(fingerprint),
            )
        ],
    )
    store.write_manifest(manifest.values())


def _check_v2(store, spec, existing, fingerprint, contexts_digest) -> None:
    old_contexts = existing.get("contexts_sha256")
    if old_contexts and contexts_digest and old_contexts != contexts_digest:
        raise StoreError(
            one_line(
                f"contexts_file changed since this run started: "
                f"{getattr(spec.recipe, 'contexts_file', None)} "
                f"(sha256 {old_contexts[:12]} then, {contexts_digest[:12]} now); restore it "
                "or use a new --out directory"
            )
        )
    stored = existing.get("data_fingerprint")
    if not isinstance(stored, dict):
        raise StoreError(one_line(f"{store.run_dir}: the run manifest has no data fingerprint"))
    (current, _), (old, _) = split_budget(prune_to(fingerprint, stored)), split_budget(stored)
    if fingerprint_hash(current) != fingerprint_hash(old):
        _refuse(store, existing.get("spec_hash"), differing_fields(old, current))


def _check_legacy(store, spec, existing) -> None:
    """A run made before hash version 2: compare the old whole-spec hash (without fields added
    since, which the stored spec lacks)."""
    stored = existing.get("spec")
    current = spec_to_dict(spec)
    if isinstance(stored, dict):
        current = prune_to(current, stored)
        _, budget = split_budget(stored)
        if budget is not None:  # the budget is compared on its own (`_check_budget`)
            current = with_budget(current, budget)
    if legacy_spec_hash(current) != existing.get("spec_hash"):
        fields = differing_fields(stored, current) if isinstance(stored, dict) else []
        _refuse(store, existing.get("spec_hash"), fields)


def _check_budget(store: RunStore, spec: TaskSpec, existing: dict[str, Any]) -> None:
    """Same budget: a plain resume. Larger: record the top-up. Smaller: refused."""
    history = budget_history(store, existing)
    new = spec.generation.samples_per_label
    old = history[-1].samples_per_label if history else new
    if new == old:
        return
    if new < old:
        raise StoreError(
            one_line(
                f"{store.run_dir} holds a run of {old} samples per label, more than"
                f" generation.samples_per_label {new}; a run is never cut: keep {old}, or use a"
                " new --out directory (or subsample the export)"
            )
        )
    _refuse_unless_top_up(spec)
    first_round = store.db.execute(
        "SELECT COALESCE(MAX(round) + 1, 0) FROM rounds WHERE stage = ?", (SAMPLE_STAGE,)
    ).fetchone()[0]
    spec_dict = existing.get("spec")
    values: dict[str, Any] = {}
    if isinstance(spec_dict, dict):
        values["spec"] = with_budget(spec_dict, new)
    stored = existing.get("data_fingerprint")
    if existing.get("hash_version") == HASH_VERSION and isinstance(stored, dict):
        values["data_fingerprint"] = with_budget(stored, new)
        values["spec_hash"] = fingerprint_hash(values["data_fingerprint"])
    elif "spec" in values:
        values["spec_hash"] = legacy_spec_hash(values["spec"])
    step = BudgetStep(
        samples_per_label=new,
        first_round=first_round,
        at=time.time(),
        spec_hash=values.get("spec_hash"),
    )
    # one transaction: a kill leaves either the old budget or the whole top-up recorded
    values["budgets"] = [b.model_dump() for b in history] + [step.model_dump()]
    store.write_manifest(values)


def _refuse_unless_top_up(spec: TaskSpec) -> None:
    recipe = recipe_for(spec)
    if not getattr(recipe, "supports_top_up", True):
        raise StoreError(
            f"recipe {spec.recipe.type!r} cannot top up a run: generation.samples_per_label"
            " must stay as the run started; use a new --out directory for a larger budget"
        )


def budget_history(store: RunStore, manifest: dict[str, Any] | None = None) -> list[BudgetStep]:
    """The run's budgets, oldest first (see `Manifest.budget_history`)."""
    raw = store.manifest() if manifest is None else manifest
    return validated(Manifest, raw, f"the manifest of {store.run_dir}").budget_history()


def budget_start(store: RunStore) -> int:
    """The first sample round of the run's current budget: 0, or where the last top-up began."""
    history = budget_history(store)
    return history[-1].first_round if history else 0


def _refuse(store: RunStore, old_hash: Any, fields: list[str]) -> None:
    shown = ", ".join(fields[:MAX_FIELDS_SHOWN]) + (
        ", ..." if len(fields) > MAX_FIELDS_SHOWN else ""
    )
    differs = f"; it differs in {shown}" if fields else ""
    raise StoreError(
        one_line(
            f"{store.run_dir} holds a run of a different spec (hash {old_hash}){differs}; "
            "use a new --out directory"
        )
    )


def describe_backend(backend: Any) -> dict[str, Any]:
    """What `backend` actually runs: its `describe()` when it has one, else the optional
    attributes a backend may set: `name` (the type), the model (`model` when it is a string,
    e.g. the id an OpenAI-compatible server resolved, else `model_name`), `revision` (the hub
    commit a local model was loaded from), `dtype`, `device`, `adapter` (path, method and hash of
    the adapter a local generator runs with). Unset ones are left out."""
    describe = getattr(backend, "describe", None)
    if callable(describe):
        return {k: v for k, v in dict(describe()).items() if v is not None}
    model = getattr(backend, "model", None)
    out = {
        "backend": getattr(backend, "name", None),
        "model": model if isinstance(model, str) else getattr(backend, "model_name", None),
    }
    out |= {key: getattr(backend, attr, None) for key, attr in BACKEND_FACTS.items()}
    return {k: v if isinstance(v, dict) else str(v) for k, v in out.items() if v is not None}


def record_backend(store: RunStore, backend: Any) -> None:
    """Append `describe_backend(backend)` to the manifest's `loaded_backends` unless the last
    entry says the same."""
    entry = describe_backend(backend)
    history = [e for e in store.manifest().get(LOADED_KEY) or [] if isinstance(e, dict)]
    if history and {k: v for k, v in history[-1].items() if k != "at"} == entry:
        return
    store.write_manifest({LOADED_KEY: [*history, entry | {"at": time.time()}]})


class RecordedBackendHandle(BackendHandle):
    """A `BackendHandle` that records what the backend loaded (`record_backend`) in the run's
    manifest the first time it is used."""

    def __init__(self, config: Any, given: Any, store: RunStore):
        super().__init__(config, given)
        self._store, self._recorded = store, False

    def get(self) -> Any:
        backend = super().get()
        if not self._recorded:
            self._recorded = True
            record_backend(self._store, backend)
        return backend
