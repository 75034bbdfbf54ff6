"""Device choice: names are checked, a GPU that is not there is a clear error, auto follows the env."""

from __future__ import annotations

import pytest
import torch

from synloom.devices import resolve_device
from synloom.errors import SynloomError
from synloom.spec.backend import LocalBackendConfig


def test_auto_picks_cuda_only_when_torch_sees_it(monkeypatch):
    monkeypatch.delenv("SYNLOOM_DEVICE", raising=False)
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu") == "cpu"


def test_env_variable_overrides_auto(monkeypatch):
    monkeypatch.setenv("SYNLOOM_DEVICE", "cpu")
    assert resolve_device() == "cpu"
    monkeypatch.setenv("SYNLOOM_DEVICE", "tpu")
    with pytest.raises(SynloomError, match="unknown device 'tpu'"):
        resolve_device()


@pytest.mark.parametrize("name", ["gpu", "cuda:x", "CPU", ""])
def test_bad_names_are_refused(name):
    with pytest.raises(SynloomError, match="unknown device"):
        resolve_device(name)


@pytest.mark.ci_may_skip  # CI machines of either kind may have a GPU
@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_asking_for_a_missing_gpu_names_the_problem():
    with pytest.raises(SynloomError, match="torch sees no CUDA GPU"):
        resolve_device("cuda:0")


def test_spec_validates_the_device_field():
    assert LocalBackendConfig(device="cuda:1").device == "cuda:1"
    with pytest.raises(ValueError, match="device"):
        LocalBackendConfig(device="gpu0")
