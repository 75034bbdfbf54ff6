"""Runs for the report tests (see `tests.report.runs`)."""

from __future__ import annotations

import pytest

from tests.report.runs import make_run, write_reference


@pytest.fixture()
def fake_run(tmp_path, datasets_dir):
    return make_run(tmp_path / "run", datasets_dir)


@pytest.fixture(scope="session")
def reference_file(tmp_path_factory, datasets_dir):
    return write_reference(tmp_path_factory.mktemp("reference") / "sst2_val200.jsonl", datasets_dir)
