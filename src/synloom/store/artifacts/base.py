"""The shared base of the typed run artifacts, and their one-line errors."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from synloom.errors import StoreError
from synloom.spec.oneline import one_line

M = TypeVar("M", bound=BaseModel)


class Artifact(BaseModel):
    """Read-only once loaded; keys this version does not know are kept, not refused."""

    model_config = ConfigDict(extra="allow", frozen=True)


def validated(model: type[M], data: Any, what: str) -> M:
    """`model` from `data`, or a StoreError naming `what` and the first problem."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise StoreError(one_line(f"{what} could not be read ({problem(exc)})")) from None
    except RecursionError:
        raise StoreError(one_line(f"{what} could not be read (nested too deeply)")) from None


def problem(exc: ValidationError) -> str:
    """The first error of a pydantic report, on one line: `where: what`."""
    err = exc.errors()[0]
    where = ".".join(map(str, err["loc"]))
    what = err["msg"].removeprefix("Value error, ")
    return f"{where}: {what}" if where else what
