from __future__ import annotations

import pytest

from synloom.testing.fake_openai import FakeConfig, FakeOpenAIServer
from tests.store.runs import generate, write_spec


@pytest.fixture(scope="module")
def fake_url():
    with FakeOpenAIServer(FakeConfig()) as server:
        yield server.base_url


@pytest.fixture(scope="module")
def real_run(tmp_path_factory, fake_url):
    """A finished run (closed cleanly: no -wal) and its spec; copy it before changing it."""
    folder = tmp_path_factory.mktemp("real")
    spec = write_spec(folder)
    result = generate(spec, folder / "run", fake_url)
    assert result.returncode == 0, result.stderr
    return folder / "run", spec
