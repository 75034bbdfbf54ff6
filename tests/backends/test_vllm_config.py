"""`backend.type: vllm` without vLLM: the spec section, its fingerprint, and the one-line error
that names the extra when vllm is not installed. (The backend itself: tests/backends/test_vllm.py,
run by `.ci/run` in the venv scripts/install_vllm.sh makes.)"""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from synloom.backends.registry import BACKENDS, load_backend
from synloom.errors import SpecError
from synloom.extras import EXTRAS, MissingExtraError
from synloom.generate.manifest import spec_hash
from synloom.spec import parse_spec
from synloom.spec.backend import VllmBackendConfig

SPEC = {
    "labels": [{"name": "positive"}, {"name": "negative"}],
    "recipe": {"type": "zerogen", "prompt": 'The movie review in {verbalizer} sentiment is: "'},
    "generation": {"samples_per_label": 2, "max_new_tokens": 8},
}


def with_backend(backend: dict) -> dict:
    return {**SPEC, "backend": backend}


def test_the_vllm_section_parses_with_its_defaults():
    spec = parse_spec(with_backend({"type": "vllm"}))
    assert isinstance(spec.backend, VllmBackendConfig)
    assert spec.backend.model == "embedded" and spec.backend.enable_prefix_caching
    assert spec.backend.enforce_eager is None and spec.backend.adapter is None
    assert "vllm" in BACKENDS and EXTRAS["vllm"] == ("vllm",) and "vllm" not in EXTRAS["all"]


@pytest.mark.parametrize(
    ("field", "value", "where"),
    [
        ("gpu_memory_utilization", 1.5, "backend.gpu_memory_utilization"),
        ("max_model_len", 4.0, "backend.max_model_len"),
        ("tensor_parallel_size", 0, "backend.tensor_parallel_size"),
        ("revision", "main", "revision applies to a Hugging Face id"),
        ("base_url", "http://127.0.0.1:8000/v1", "backend.base_url: unknown field"),
    ],
)
def test_a_bad_vllm_setting_is_one_line(field, value, where):
    with pytest.raises(SpecError) as info:
        parse_spec(with_backend({"type": "vllm", field: value}))
    message = str(info.value)
    assert "\n" not in message and where in message, message
    assert ".vllm." not in message  # the union's tag is left out of the location


def test_engine_settings_do_not_change_the_fingerprint_and_the_model_does():
    base = spec_hash(parse_spec(with_backend({"type": "vllm"})))
    engine = {
        "max_model_len": 1024,
        "gpu_memory_utilization": 0.5,
        "kv_cache_gb": 2,
        "enable_prefix_caching": False,
        "enforce_eager": True,
        "tensor_parallel_size": 2,
        "max_num_seqs": 16,
    }
    assert spec_hash(parse_spec(with_backend({"type": "vllm", **engine}))) == base
    other_model = with_backend({"type": "vllm", "model": "HuggingFaceTB/SmolLM2-360M"})
    assert spec_hash(parse_spec(other_model)) != base
    assert spec_hash(parse_spec(with_backend({"type": "vllm", "dtype": "float32"}))) != base
    # the same model in another engine is another generator: it never resumes a local run
    assert spec_hash(parse_spec(with_backend({"type": "local"}))) != base


def test_without_vllm_the_backend_is_a_one_line_error_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "vllm", None)  # `import vllm` raises ImportError
    with pytest.raises(MissingExtraError) as info:
        load_backend(VllmBackendConfig())
    message = str(info.value)
    assert "\n" not in message
    assert "synloom[vllm]" in message and "scripts/install_vllm.sh" in message


def test_the_cli_exits_2_with_one_line_without_vllm(tmp_path):
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(with_backend({"type": "vllm"})))
    # the CLI in a process where `import vllm` fails, whether or not vllm is installed
    code = "import sys; sys.modules['vllm'] = None; from synloom.cli.app import main; main()"
    args = ["generate", str(tmp_path / "spec.yaml"), "--out", str(tmp_path / "run")]
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("error: ") and "scripts/install_vllm.sh" in line, line
