"""A spec from elsewhere: files it names stay inside its folder, and a key going to another host
is announced first."""

from __future__ import annotations

import os

import pytest

from synloom.errors import SpecError
from synloom.spec import load_spec
from synloom.spec.key_notice import key_notice
from tests.helpers import run_cli

SPEC = "labels: [{{name: pos}}, {{name: neg}}]\nrecipe: {{contexts_file: '{path}', prompt: '{{context}} {{label}}'}}\n"


def write_spec(folder, contexts_path) -> os.PathLike:
    folder.mkdir(parents=True, exist_ok=True)
    spec = folder / "spec.yaml"
    spec.write_text(SPEC.format(path=contexts_path))
    return spec


@pytest.fixture
def outside(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("a private line\n")
    return path


def test_contexts_inside_the_folder_are_fine(tmp_path):
    (tmp_path / "spec" / "data").mkdir(parents=True)
    (tmp_path / "spec" / "data" / "ctx.txt").write_text("one\ntwo\n")
    spec = load_spec(write_spec(tmp_path / "spec", "data/ctx.txt"))
    assert spec.recipe.contexts_file == str(tmp_path / "spec" / "data" / "ctx.txt")


@pytest.mark.parametrize("how", ["absolute", "dotdot", "symlink", "system"])
def test_contexts_outside_the_folder_are_refused(tmp_path, outside, how):
    folder = tmp_path / "spec"
    folder.mkdir()
    name = {"absolute": str(outside), "dotdot": "../secret.txt", "system": "/etc/hostname"}.get(
        how, "link.txt"
    )
    if how == "symlink":
        (folder / "link.txt").symlink_to(outside)
    if how == "system" and not os.path.isfile(name):
        pytest.fail("/etc/hostname is expected on the test machine")
    with pytest.raises(SpecError) as info:
        load_spec(write_spec(folder, name))
    message = str(info.value)
    assert "is outside the spec's folder" in message and "--allow-outside-paths" in message
    assert len(message.splitlines()) == 1
    assert load_spec(folder / "spec.yaml", allow_outside_paths=True).recipe.contexts_file


def test_generate_refuses_outside_paths_without_writing(tmp_path, outside):
    spec = write_spec(tmp_path / "spec", str(outside))
    out = tmp_path / "run"
    result = run_cli("generate", spec, "--out", out, timeout=120)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert (
        len(lines) == 1
        and lines[0].startswith("error: ")
        and "outside the spec's folder" in lines[0]
    )
    assert not out.exists()
    # the opt-in lets the same spec through (a zero budget needs no model)
    spec.write_text(spec.read_text() + "generation: {samples_per_label: 0}\n")
    allowed = run_cli("generate", spec, "--out", out, "--allow-outside-paths", timeout=120)
    assert allowed.returncode == 0, allowed.stderr


@pytest.mark.parametrize(
    ("url", "key_set", "expected"),
    [
        ("https://api.example.com/v1", True, "notice: sending $OPENAI_API_KEY to api.example.com"),
        ("http://10.0.0.5:8000/v1", True, "notice: sending $OPENAI_API_KEY to 10.0.0.5"),
        ("http://api.example.com/v1", False, None),
        ("http://127.0.0.1:8080/v1", True, None),
        ("http://127.8.9.1:8080/v1", True, None),
        ("http://localhost:8080/v1", True, None),
        ("http://[::1]:8080/v1", True, None),
    ],
)
def test_key_notice_names_host_and_variable(url, key_set, expected):
    assert key_notice(url, "OPENAI_API_KEY", key_set) == expected


def test_openai_backend_prints_the_notice_before_sending(monkeypatch, capsys):
    from synloom.backends.openai_compat import OpenAIBackend

    monkeypatch.setenv("SYNLOOM_TEST_KEY", "sk-test-123")
    backend = OpenAIBackend(
        "https://api.example.com/v1", api_key_env="SYNLOOM_TEST_KEY", check_server=False
    )
    backend.close()
    err = capsys.readouterr().err
    assert err == "notice: sending $SYNLOOM_TEST_KEY to api.example.com\n"
    assert "sk-test-123" not in err
