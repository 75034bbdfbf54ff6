"""What backends declare (`Backend`, `StreamingBackend`, `TruncatingBackend`, `model_name`) and
who closes them (`open_backend`, `BackendHandle`): a built backend is closed, a given one is not,
and nothing is built until it is needed."""

from __future__ import annotations

import socket

import pytest

from synloom.backends import (
    Backend,
    BackendHandle,
    StreamingBackend,
    TruncatingBackend,
    open_backend,
)
from synloom.backends.local import LocalBackend
from synloom.backends.openai_compat import OpenAIBackend
from synloom.errors import BackendError
from synloom.spec.backend import LocalBackendConfig, OpenAIBackendConfig
from tests.fakes import FakeBackend


def closed_port_url() -> str:
    """The URL of a port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@pytest.fixture(scope="module")
def local():
    backend = LocalBackend()
    yield backend
    backend.close()


def test_the_local_backend_generates_in_batches_and_can_truncate(local):
    assert isinstance(local, Backend) and isinstance(local, TruncatingBackend)
    assert not isinstance(local, StreamingBackend)
    assert local.model_name == "embedded" and local.name == "local"


def test_the_http_backend_streams_and_cannot_truncate():
    backend = OpenAIBackend(closed_port_url(), "some-model", check_server=False)
    try:
        assert isinstance(backend, Backend) and isinstance(backend, StreamingBackend)
        assert not isinstance(backend, TruncatingBackend)
        # reports have always named HTTP generators by the backend type
        assert backend.model_name == "openai"
    finally:
        backend.close()


def test_a_batch_only_fake_is_not_streaming():
    assert not isinstance(FakeBackend(), StreamingBackend)


def test_open_backend_closes_the_backend_it_built(local):
    with open_backend(LocalBackendConfig()) as built:
        assert built is not local and built.model is not None
        assert built.model_name == "embedded"
    assert built.model is None, "open_backend must close a backend it built"


def test_open_backend_closes_what_it_built_when_the_block_fails():
    with pytest.raises(RuntimeError, match="boom"), open_backend(LocalBackendConfig()) as built:
        raise RuntimeError("boom")
    assert built.model is None


def test_open_backend_leaves_a_given_backend_open(local):
    with open_backend(OpenAIBackendConfig(base_url=closed_port_url()), given=local) as backend:
        assert backend is local  # the config is not even looked at
    assert local.model is not None
    assert len(local.truncate_texts(["a fine film"], 2)[0]) == 1


def test_a_handle_builds_nothing_until_asked():
    config = OpenAIBackendConfig(base_url=closed_port_url())
    with BackendHandle(config):
        pass  # building would have failed: nothing listens there
    with BackendHandle(config) as handle, pytest.raises(BackendError):
        handle.get()
