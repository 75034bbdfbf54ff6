"""What a curation was asked to do, checked before any model is loaded, and its stored form.

The stored settings decide whether a rerun resumes (equal settings) or is refused (other
settings under the same name): the methods in order, each method's options resolved to their
full values, the size target, the seed, the real seed data's content hash and the pool of
samples curated (count and a hash of their ids).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from synloom.curate.pipeline import SizeTarget
from synloom.curate.registry import load_method
from synloom.errors import SynloomError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from synloom.curate.base import CurationMethod, MethodOptions

SETTINGS_VERSION = 1
_SET = re.compile(r"^([a-z_][a-z0-9_-]*)\.([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)


@dataclass(frozen=True)
class CurationRequest:
    """One `synloom curate` call: methods in order, options per method, the size target."""

    methods: tuple[str, ...]
    size: SizeTarget = field(default_factory=SizeTarget)
    same_size_as: str | None = None
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    seed: int | None = None  # None: the run's seed
    name: str | None = None

    def __post_init__(self) -> None:
        if not self.methods:
            raise SynloomError("give at least one --method")
        repeated = sorted({m for m in self.methods if self.methods.count(m) > 1})
        if repeated:
            raise SynloomError(f"--method {repeated[0]} is given twice; give each method once")
        for method in self.methods:
            load_method(method)  # unknown names fail here
        unused = sorted(set(self.options) - set(self.methods))
        if unused:
            raise SynloomError(
                f"--set {unused[0]}.…: {unused[0]} is not one of the methods ({', '.join(self.methods)})"
            )

    def loaded(self) -> list[tuple[CurationMethod, MethodOptions]]:
        """Each method with its options validated (one line per bad option)."""
        out = []
        for name in self.methods:
            method = load_method(name)
            raw = self.options.get(name, {})
            try:
                options = method.options.model_validate(raw)
            except ValidationError as exc:
                err = exc.errors()[0]
                where = ".".join(str(p) for p in err.get("loc", ())) or "options"
                raise SynloomError(f"--set {name}.{where}: {err['msg']}") from None
            out.append((method, options))
        rankers = [m.info.name for m, _ in out if m.info.kind == "rank"]
        if rankers and not self.size.given and self.same_size_as is None:
            raise SynloomError(
                f"{rankers[0]} ranks samples without dropping any: give --keep FRACTION,"
                " --per-label N or --same-size-as CURATION"
            )
        return out

    def default_name(self) -> str:
        name = "+".join(self.methods)
        if self.size.keep is not None:
            name += f"-keep{self.size.keep:g}"
        elif self.size.per_label is not None:
            name += f"-top{self.size.per_label}"
        elif self.same_size_as is not None:
            name += f"-as-{self.same_size_as}"
        return name[:64]


def parse_sets(values: Sequence[str]) -> dict[str, dict[str, str]]:
    """`--set METHOD.KEY=VALUE` (repeatable) -> {method: {key: value}} (values as typed)."""
    out: dict[str, dict[str, str]] = {}
    for value in values:
        match = _SET.match(value)
        if match is None:
            raise SynloomError(
                f"--set takes METHOD.KEY=VALUE (e.g. margin.threshold=0.5), got {value!r}"
            )
        method, key, raw = match.groups()
        if key in out.setdefault(method, {}):
            raise SynloomError(f"--set {method}.{key} is given twice")
        out[method][key] = raw
    return out


def stored_settings(
    request: CurationRequest,
    loaded: list[tuple[CurationMethod, MethodOptions]],
    *,
    seed: int,
    pool_ids: Sequence[str],
    seed_data: dict[str, Any] | None,
    weighted: bool,
) -> dict[str, Any]:
    """The JSON kept with the curation; equal settings = the same curation."""
    return {
        "version": SETTINGS_VERSION,
        "methods": list(request.methods),
        "kinds": [m.info.kind for m, _ in loaded],
        "options": {m.info.name: o.model_dump(mode="json") for m, o in loaded},
        "keep": request.size.keep,
        "per_label": request.size.per_label,
        "same_size_as": request.same_size_as,
        "seed": seed,
        "seed_data": seed_data,
        "pool": {"n": len(pool_ids), "sha256": ids_hash(pool_ids)},
        "weighted": weighted,
    }


def ids_hash(ids: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(ids).encode("utf-8")).hexdigest()
