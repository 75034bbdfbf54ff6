"""The run manifest: spec, versions and seed; a run dir never silently mixes two specs."""

from __future__ import annotations

import hashlib
import json
import platform
import time
from importlib import metadata

from synloom.errors import StoreError
from synloom.spec import TaskSpec
from synloom.spec.io import spec_to_dict
from synloom.store import RunStore


def spec_hash(spec: TaskSpec) -> str:
    data = json.dumps(spec_to_dict(spec), sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def check_or_write_manifest(store: RunStore, spec: TaskSpec) -> None:
    digest = spec_hash(spec)
    existing = store.manifest()
    if existing:
        if existing.get("spec_hash") != digest:
            raise StoreError(
                f"{store.run_dir} holds a run of a different spec (hash {existing.get('spec_hash')},"
                f" this spec {digest}); use a new --out directory"
            )
        return
    store.write_manifest(
        {
            "spec": spec_to_dict(spec),
            "spec_hash": digest,
            "seed": spec.seed,
            "created_at": time.time(),
            "versions": {
                p: _version(p) for p in ("synloom", "torch", "transformers", "datasets", "pydantic")
            }
            | {"python": platform.python_version()},
        }
    )
