"""YAML <-> TaskSpec, with one-line error messages that name the problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from synloom.errors import SpecError
from synloom.spec.task import TaskSpec


def format_validation_error(exc: ValidationError, source: str = "spec") -> str:
    """Collapse pydantic's multi-line report into one line: `where: what; where: what`."""
    parts = []
    for err in exc.errors():
        loc = ".".join(
            str(p) for p in err["loc"] if p not in ("zerogen", "fewshot", "local", "openai")
        )
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        parts.append(f"{loc}: {msg}" if loc else msg)
    return f"{source}: " + "; ".join(parts)


def parse_spec(data: Any, source: str = "spec", base_dir: Path | None = None) -> TaskSpec:
    """Validate a mapping (from YAML or code) into a TaskSpec; relative files resolve against base_dir."""
    if not isinstance(data, dict):
        raise SpecError(
            f"{source}: the spec must be a mapping of fields, got {type(data).__name__}"
        )
    try:
        spec = TaskSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(format_validation_error(exc, source)) from None
    contexts_file = spec.recipe.contexts_file
    if contexts_file is not None:
        path = Path(contexts_file)
        if not path.is_absolute() and base_dir is not None:
            path = (base_dir / path).resolve()
        if not path.is_file():
            raise SpecError(f"{source}: recipe.contexts_file: file not found: {path}")
        spec = spec.model_copy(
            update={"recipe": spec.recipe.model_copy(update={"contexts_file": str(path)})}
        )
    return spec


def load_spec(path: str | Path) -> TaskSpec:
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"spec file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError(f"{path}: YAML syntax error{where}: {problem}") from None
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path}: not UTF-8 text ({exc.reason})") from None
    return parse_spec(data, source=str(path), base_dir=path.parent)


def spec_to_dict(spec: TaskSpec) -> dict[str, Any]:
    return spec.model_dump(mode="json")


def dump_spec(spec: TaskSpec) -> str:
    """YAML text that `load_spec` reads back into an equal spec."""
    return yaml.safe_dump(spec_to_dict(spec), sort_keys=False, allow_unicode=True, width=100)
