"""Shared pydantic base and number types: unknown fields are errors, values are immutable, and a
number field takes only a number of its kind (no `true`, no `"3"`, no `1e12` where a count belongs,
no `.inf`/`.nan`)."""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import AllowInfNan, BaseModel, BeforeValidator, ConfigDict


class SpecModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _whole_number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"must be a whole number, not {_shown(value)}")
    return value


def _real_number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"must be a number, not {_shown(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"must be a finite number, not {_shown(value)}")
    return value


def _shown(value: Any) -> str:
    if isinstance(value, bool | float):
        return repr(value).lower()
    if isinstance(value, str):
        return "a string"
    return type(value).__name__


Int = Annotated[int, BeforeValidator(_whole_number)]
"""An int field: YAML floats (`1.0e+12`), booleans and strings are refused."""

Real = Annotated[float, BeforeValidator(_real_number), AllowInfNan(False)]
"""A float field: a finite int or float; booleans, strings, `.inf` and `.nan` are refused."""
