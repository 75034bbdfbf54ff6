"""YAML <-> TaskSpec, with one-line error messages that name the problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import ValidationError

from synloom.errors import SpecError
from synloom.spec.adapter_dir import check_adapter_dir
from synloom.spec.backend import BackendConfig
from synloom.spec.contexts import read_contexts_file
from synloom.spec.oneline import one_line
from synloom.spec.seed_files import SeedFile, read_seed_file
from synloom.spec.seed_tasks import SeedTask, read_seed_tasks
from synloom.spec.task import TaskSpec
from synloom.spec.yaml_load import DuplicateKeyError, safe_load_unique

MAX_SPEC_BYTES = 64 * 1024 * 1024
MAX_ERRORS_SHOWN = 5
# pydantic names the member of a tagged union in an error's location (`backend.local.device`);
# the spec has no such level, so these tags are left out. Recipes are no union: a recipe's config
# is validated by its own class (spec/recipe.py), and its errors need no tag removed.
UNION_TAGS = frozenset(
    member.model_fields["type"].default for member in get_args(get_args(BackendConfig)[0])
)


def format_validation_error(exc: ValidationError, source: str = "spec") -> str:
    """Collapse pydantic's multi-line report into one line: `where: what; where: what`."""
    parts = []
    errors = exc.errors()
    for err in errors[:MAX_ERRORS_SHOWN]:
        loc = ".".join(str(p) for p in err["loc"] if p not in UNION_TAGS)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        parts.append(f"{loc}: {msg}" if loc else msg)
    if len(errors) > MAX_ERRORS_SHOWN:
        parts.append(f"and {len(errors) - MAX_ERRORS_SHOWN} more")
    return one_line(f"{source}: " + "; ".join(parts))


def parse_spec(
    data: Any,
    source: str = "spec",
    base_dir: Path | None = None,
    *,
    allow_outside_paths: bool = False,
    check_files: bool = True,
) -> TaskSpec:
    """Validate a mapping (from YAML or code) into a TaskSpec, reading the rows of
    seed_examples_file into seed_examples; relative files resolve against base_dir (else the
    working directory), and with a base_dir every file the spec names must lie inside it (after
    resolving symlinks) unless `allow_outside_paths`: a spec from elsewhere cannot make synloom
    read and send, say, /etc/passwd. `check_files=False` skips the files (a stored run's manifest, whose
    contexts were hashed when it was generated and may since have moved)."""
    if not isinstance(data, dict):
        raise SpecError(
            one_line(f"{source}: the spec must be a mapping of fields, got {type(data).__name__}")
        )
    seed_paths: list[Path] = []

    def seed_loader(
        file: SeedFile, names: list[str], attributes: dict[str, list[str]] | None = None
    ) -> list[dict]:
        where = f"{source}: seed_examples_file"
        path = _spec_file(file.path, where, base_dir, allow_outside_paths)
        seed_paths.append(path)
        return read_seed_file(path, file, names, where, attributes)

    context = {"seed_loader": seed_loader if check_files else None}
    try:
        spec = TaskSpec.model_validate(data, context=context)
    except ValidationError as exc:
        raise SpecError(format_validation_error(exc, source)) from None
    except RecursionError:
        raise SpecError(one_line(f"{source}: the spec is nested too deeply")) from None
    if spec.seed_examples_file is not None and seed_paths:
        file = spec.seed_examples_file.model_copy(update={"path": str(seed_paths[-1])})
        spec = spec.model_copy(update={"seed_examples_file": file})
    contexts_file = getattr(spec.recipe, "contexts_file", None)
    if contexts_file is not None and check_files:
        path = _spec_file(
            contexts_file, f"{source}: recipe.contexts_file", base_dir, allow_outside_paths
        )
        # not UTF-8, a bad row or column, or empty: a spec error now, not mid-run
        read_contexts_file(path, getattr(spec.recipe, "contexts_column", None))
        spec = spec.model_copy(
            update={"recipe": spec.recipe.model_copy(update={"contexts_file": str(path)})}
        )
    tasks_file = getattr(spec.recipe, "seed_tasks_file", None)
    if tasks_file is not None and check_files:
        where = f"{source}: recipe.seed_tasks_file"
        path = _spec_file(tasks_file, where, base_dir, allow_outside_paths)
        tasks = [SeedTask.model_validate(row) for row in read_seed_tasks(path, where)]
        recipe = spec.recipe.model_copy(update={"seed_tasks": tasks, "seed_tasks_file": None})
        spec = spec.model_copy(update={"recipe": recipe})
    adapter = getattr(spec.backend, "adapter", None)
    if adapter is not None and check_files:
        where = f"{source}: backend.adapter"
        try:
            path = Path(adapter).expanduser()
            if not path.is_absolute() and base_dir is not None:
                path = base_dir / path
            path = path.resolve()
        except (OSError, ValueError, RuntimeError) as exc:
            raise SpecError(one_line(f"{where}: unusable path {adapter!r} ({exc})")) from None
        # weights are loaded, never sent anywhere: an adapter may lie outside the spec's folder
        check_adapter_dir(path, where)
        spec = spec.model_copy(
            update={"backend": spec.backend.model_copy(update={"adapter": str(path)})}
        )
    return spec


def _spec_file(name: str, where: str, base_dir: Path | None, allow_outside_paths: bool) -> Path:
    """The file (or saved-dataset folder) `name` resolved against base_dir and checked; `where`
    names the field in errors."""
    try:
        path = Path(name)
        if not path.is_absolute() and base_dir is not None:
            path = (base_dir / path).resolve()
        if base_dir is not None and not allow_outside_paths:
            folder = base_dir.resolve()
            if not path.resolve().is_relative_to(folder):
                raise SpecError(
                    one_line(
                        f"{where}: {path} is outside the spec's folder {folder}; "
                        "pass --allow-outside-paths to allow it"
                    )
                )
        if not (path.is_file() or path.is_dir()):
            raise SpecError(one_line(f"{where}: file not found: {path}"))
    except (OSError, ValueError, RuntimeError) as exc:  # NUL bytes, symlink loops, bad names
        raise SpecError(one_line(f"{where}: unusable path {name!r} ({exc})")) from None
    return path


def load_spec(path: str | Path, *, allow_outside_paths: bool = False) -> TaskSpec:
    """Read a YAML spec; duplicate keys, bad values and files outside its folder are SpecErrors."""
    path = Path(path)
    try:
        if not path.is_file():
            raise SpecError(one_line(f"spec file not found: {path}"))
        if path.stat().st_size > MAX_SPEC_BYTES:
            raise SpecError(one_line(f"{path}: larger than {MAX_SPEC_BYTES >> 20} MiB"))
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(
            one_line(f"{path}: not UTF-8 text (byte offset {exc.start}: {exc.reason})")
        ) from None
    except (OSError, ValueError) as exc:
        raise SpecError(one_line(f"{path}: cannot read ({exc})")) from None
    data = _load_yaml(text, path)
    return parse_spec(
        data, source=str(path), base_dir=path.parent, allow_outside_paths=allow_outside_paths
    )


def _load_yaml(text: str, path: Path) -> Any:
    try:
        return safe_load_unique(text)
    except DuplicateKeyError as exc:
        mark = exc.problem_mark
        raise SpecError(
            one_line(
                f"{path}: duplicate key {exc.key!r} at line {mark.line + 1}, column "
                f"{mark.column + 1} (first at line {exc.first_line}); remove one of them"
            )
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or (str(exc).splitlines() or ["invalid"])[0]
        raise SpecError(one_line(f"{path}: YAML syntax error{where}: {problem}")) from None
    except (ValueError, RecursionError) as exc:  # e.g. an int of more than 4300 digits
        raise SpecError(one_line(f"{path}: unreadable YAML value ({exc})")) from None


def spec_to_dict(spec: TaskSpec) -> dict[str, Any]:
    return spec.model_dump(mode="json")


def dump_spec(spec: TaskSpec) -> str:
    """YAML text that `load_spec` reads back into an equal spec."""
    return yaml.safe_dump(spec_to_dict(spec), sort_keys=False, allow_unicode=True, width=100)
