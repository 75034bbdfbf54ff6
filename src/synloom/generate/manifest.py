"""The run manifest: spec, data fingerprint, contexts hash, versions and seed; a run dir never
silently mixes two specs, nor two versions of one contexts file."""

from __future__ import annotations

import hashlib
import json
import platform
import time
from importlib import metadata
from typing import Any

from synloom.errors import StoreError
from synloom.spec import TaskSpec
from synloom.spec.fingerprint import (
    data_fingerprint,
    differing_fields,
    fingerprint_hash,
    prune_to,
)
from synloom.spec.io import spec_to_dict
from synloom.spec.oneline import one_line
from synloom.store import RunStore
from synloom.store.artifacts import Manifest

HASH_VERSION = (
    2  # 1 (no `hash_version` key): sha256 of the whole spec, paths and transport included
)
MAX_FIELDS_SHOWN = 6


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
        return
    manifest = Manifest(
        spec=spec_to_dict(spec),
        spec_hash=fingerprint_hash(fingerprint),
        hash_version=HASH_VERSION,
        data_fingerprint=fingerprint,
        contexts_sha256=contexts_digest,
        seed=spec.seed,
        created_at=time.time(),
        versions={
            p: _version(p) for p in ("synloom", "torch", "transformers", "datasets", "pydantic")
        }
        | {"python": platform.python_version()},
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
    current = prune_to(fingerprint, stored)
    if fingerprint_hash(current) != fingerprint_hash(stored):
        _refuse(store, existing.get("spec_hash"), differing_fields(stored, current))


def _check_legacy(store, spec, existing) -> None:
    """A run made before hash version 2: compare the old whole-spec hash (without fields added
    since, which the stored spec lacks)."""
    stored = existing.get("spec")
    current = spec_to_dict(spec)
    if isinstance(stored, dict):
        current = prune_to(current, stored)
    if legacy_spec_hash(current) != existing.get("spec_hash"):
        fields = differing_fields(stored, current) if isinstance(stored, dict) else []
        _refuse(store, existing.get("spec_hash"), fields)


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
