"""Resume decisions: accepted when only paths or transport changed, refused when the data would
change (model, decoding, contexts file content), and runs made before hash version 2 still resume."""

from __future__ import annotations

import json
import shutil

import pytest

from synloom.errors import StoreError
from synloom.generate import run_generation
from synloom.generate.manifest import legacy_spec_hash
from synloom.spec import LocalBackendConfig, OpenAIBackendConfig, load_spec
from synloom.spec.backend import VllmBackendConfig
from synloom.spec.fingerprint import TRANSPORT_FIELDS
from synloom.spec.io import spec_to_dict
from synloom.store import RunStore
from tests.fakes import FakeBackend

SPEC = """\
name: manifest-test
labels: [{{name: positive}}, {{name: negative}}]
recipe:
  type: zerogen
  contexts_file: contexts.txt
  prompt: 'About {{context}}, a {{verbalizer}} review: "'
  min_words: 2
generation: {{samples_per_label: 12, batch_size: 4, stop: ['"'], temperature: {temperature}}}
backend: {{type: openai, base_url: '{base_url}', model: {model}, timeout_s: {timeout}}}
seed: 11
"""
CONTEXTS = "the harbour\nan old train\nthe last summer\nmy neighbour\n"


def write_spec(
    folder,
    *,
    temperature=1.0,
    base_url="http://127.0.0.1:8080/v1",
    model="m1",
    timeout=60,
    contexts=CONTEXTS,
):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "contexts.txt").write_text(contexts)
    path = folder / "spec.yaml"
    path.write_text(
        SPEC.format(temperature=temperature, base_url=base_url, model=model, timeout=timeout)
    )
    return path


def accepted(run_dir):
    with RunStore(run_dir) as store:
        return [(s.id, s.label, s.text) for s in store.accepted()]


def start_and_crash(spec, run_dir):
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_generation(spec, run_dir, backend=FakeBackend(crash_after=2))


@pytest.fixture
def reference(tmp_path):
    spec = load_spec(write_spec(tmp_path / "ref"))
    run_generation(spec, tmp_path / "ref-run", backend=FakeBackend())
    return accepted(tmp_path / "ref-run")


def test_resume_after_moving_the_spec_folder(tmp_path, reference):
    start_and_crash(load_spec(write_spec(tmp_path / "a")), tmp_path / "run")
    shutil.move(tmp_path / "a", tmp_path / "b")
    run_generation(load_spec(tmp_path / "b" / "spec.yaml"), tmp_path / "run", backend=FakeBackend())
    assert accepted(tmp_path / "run") == reference


@pytest.mark.parametrize(
    "change",
    [{"base_url": "http://127.0.0.1:9090/v1"}, {"timeout": 5}],
    ids=["port", "timeout"],
)
def test_resume_after_changing_only_transport(tmp_path, reference, change):
    start_and_crash(load_spec(write_spec(tmp_path / "a")), tmp_path / "run")
    spec = load_spec(write_spec(tmp_path / "a", **change))
    run_generation(spec, tmp_path / "run", backend=FakeBackend())
    assert accepted(tmp_path / "run") == reference


def test_edited_contexts_file_is_refused(tmp_path):
    path = write_spec(tmp_path / "a")
    start_and_crash(load_spec(path), tmp_path / "run")
    (tmp_path / "a" / "contexts.txt").write_text(CONTEXTS + "a new context\n")
    with pytest.raises(StoreError) as info:
        run_generation(load_spec(path), tmp_path / "run", backend=FakeBackend())
    message = str(info.value)
    assert message.startswith("contexts_file changed since this run started: ")
    assert str(tmp_path / "a" / "contexts.txt") in message
    assert len(message.splitlines()) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [({"model": "m2"}, "backend.model"), ({"temperature": 0.7}, "generation.temperature")],
)
def test_changes_that_decide_the_data_are_refused(tmp_path, change, field):
    start_and_crash(load_spec(write_spec(tmp_path / "a")), tmp_path / "run")
    spec = load_spec(write_spec(tmp_path / "a", **change))
    with pytest.raises(StoreError, match=f"holds a run of a different spec .*differs in {field}"):
        run_generation(spec, tmp_path / "run", backend=FakeBackend())


def test_manifest_records_fingerprint_and_contexts_hash(tmp_path):
    import hashlib

    spec = load_spec(write_spec(tmp_path / "a"))
    start_and_crash(spec, tmp_path / "run")
    with RunStore(tmp_path / "run") as store:
        manifest = store.manifest()
    digest = hashlib.sha256(CONTEXTS.encode()).hexdigest()
    assert manifest["hash_version"] == 2
    assert manifest["contexts_sha256"] == digest
    fingerprint = manifest["data_fingerprint"]
    assert fingerprint["recipe"]["contexts_file"] == {"sha256": digest}
    assert fingerprint["backend"]["model"] == "m1" and "base_url" not in fingerprint["backend"]
    assert str(tmp_path) not in json.dumps(fingerprint)


def make_legacy(run_dir, spec, drop=("max_requests_factor",)):
    """Rewrite the manifest as a version without hash_version wrote it (whole-spec hash, and
    without generation fields added since)."""
    stored = spec_to_dict(spec)
    for key in drop:
        stored["generation"].pop(key, None)
    stored["generation"].pop("top_k")  # pretend top_k is a field added after that run
    with RunStore(run_dir, writable=True) as store:
        with store.transaction():
            store.db.execute(
                "DELETE FROM manifest WHERE key IN "
                "('hash_version', 'data_fingerprint', 'contexts_sha256')"
            )
        store.write_manifest({"spec": stored, "spec_hash": legacy_spec_hash(stored)})


def test_run_from_before_hash_version_2_still_resumes(tmp_path, reference):
    spec = load_spec(write_spec(tmp_path / "a"))
    start_and_crash(spec, tmp_path / "run")
    make_legacy(tmp_path / "run", spec)
    run_generation(load_spec(tmp_path / "a" / "spec.yaml"), tmp_path / "run", backend=FakeBackend())
    assert accepted(tmp_path / "run") == reference


def test_run_from_before_hash_version_2_refuses_another_spec(tmp_path):
    spec = load_spec(write_spec(tmp_path / "a"))
    start_and_crash(spec, tmp_path / "run")
    make_legacy(tmp_path / "run", spec)
    other = load_spec(write_spec(tmp_path / "a", temperature=0.5))
    with pytest.raises(StoreError, match=r"differs in generation\.temperature"):
        run_generation(other, tmp_path / "run", backend=FakeBackend())


@pytest.mark.parametrize("config", [LocalBackendConfig, OpenAIBackendConfig, VllmBackendConfig])
def test_every_backend_field_is_classified(config):
    """A new backend field must be added to TRANSPORT_FIELDS or here, on purpose."""
    decides_data = {
        "type",
        "model",
        "dtype",
        "endpoint",
        "revision",
        "trust_remote_code",
        "adapter",
    }
    for name in config.model_fields:
        assert (f"backend.{name}" in TRANSPORT_FIELDS) != (name in decides_data), name


def test_stored_spec_reads_back_after_its_folder_moved(tmp_path):
    from synloom.errors import SpecError
    from synloom.spec import parse_spec

    start_and_crash(load_spec(write_spec(tmp_path / "a")), tmp_path / "run")
    shutil.move(tmp_path / "a", tmp_path / "b")
    with RunStore(tmp_path / "run") as store:
        stored = store.manifest()["spec"]
    with pytest.raises(SpecError, match="file not found"):
        parse_spec(stored)
    assert parse_spec(stored, check_files=False).backend.model == "m1"
