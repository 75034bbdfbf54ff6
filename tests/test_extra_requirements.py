"""The extras declare what the code needs: the `datasets` floor has the API the exports use, and a
missing package of the Python API or `synloom push` is the one-line MissingExtraError naming an
extra that (per pyproject.toml) really installs it."""

from __future__ import annotations

import sys

import pytest
import tomllib
from packaging.requirements import Requirement
from packaging.version import Version

from synloom.extras import MissingExtraError
from tests.conftest import ROOT
from tests.store.export_runs import make_export_run

# `datasets.List` (the exports' list features, store/export_writers.py) first shipped in
# datasets 4.0.0; 3.x and older only have `Sequence`.
FIRST_WITH_LIST = Version("4.0.0")


def _optional() -> dict[str, list[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    return project["optional-dependencies"]


def _requirements(extra: str) -> dict[str, Requirement]:
    """The distributions an extra installs (by canonical name), following `synloom[...]`."""
    found: dict[str, Requirement] = {}
    for line in _optional()[extra]:
        requirement = Requirement(line)
        if requirement.name == "synloom":
            for other in requirement.extras:
                found |= _requirements(other)
        else:
            found[requirement.name.lower().replace("_", "-")] = requirement
    return found


def _named_extra(error: MissingExtraError) -> str:
    message = str(error)
    assert "\n" not in message and message.endswith("]'"), message
    return message.rpartition("synloom[")[2][:-2]


def test_the_datasets_floor_has_datasets_list():
    import datasets

    allowed = _requirements("train")["datasets"].specifier
    assert datasets.__version__ in allowed  # the installed release (has List) is allowed
    assert hasattr(datasets, "List")
    floors = [Version(s.version) for s in allowed if s.operator in (">=", ">", "==", "~=")]
    assert floors and max(floors) >= FIRST_WITH_LIST, (
        f"datasets{allowed} allows releases without List"
    )
    assert "3.6.0" not in allowed  # the last 3.x


def test_push_without_huggingface_hub_names_an_extra_that_installs_it(monkeypatch):
    from synloom.report import hub

    monkeypatch.setitem(sys.modules, "huggingface_hub", None)  # import fails as if not installed
    with pytest.raises(MissingExtraError) as info:
        hub._hub()
    extra = _named_extra(info.value)
    assert str(info.value).startswith("huggingface_hub is not installed")
    assert "huggingface-hub" in _requirements(extra), (extra, _optional()[extra])


@pytest.fixture(scope="module")
def run(tmp_path_factory, datasets_dir):
    from synloom.store import open_run

    return open_run(make_export_run(tmp_path_factory.mktemp("api") / "run", datasets_dir, 4))


def test_to_pandas_without_pandas_is_a_missing_extra_error(run, monkeypatch):
    assert list(run.to_pandas()["label"].cat.categories) == ["positive", "negative"]
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(MissingExtraError) as info:
        run.to_pandas()
    assert str(info.value).startswith("pandas is not installed")
    assert "pandas" in _requirements(_named_extra(info.value))
