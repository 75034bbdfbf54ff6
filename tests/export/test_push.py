"""`synloom push RUN_DIR REPO_ID`: everything up to the Hub's upload call, with `HfApi` replaced
by a recorder (no Hub is reachable here); the real `huggingface_hub` for the failures (no token,
offline): one line, exit 2."""

from __future__ import annotations

import os
import re
import shutil
from typing import ClassVar

import huggingface_hub
import pytest

from synloom.cli.app import run as cli
from synloom.report.card import read_card
from synloom.store import RunStore
from tests.helpers import run_cli
from tests.store.export_runs import LABELS, make_export_run
from tests.store.runs import error_lines


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, datasets_dir):
    return make_export_run(tmp_path_factory.mktemp("push") / "run", datasets_dir)


class RecordingApi:
    """Stands in for `huggingface_hub.HfApi`: records the calls and keeps a copy of the folder
    that would be uploaded."""

    calls: ClassVar[list[tuple[str, tuple, dict]]] = []
    keep = None
    private = True  # the visibility `repo_info` reports
    refuse_settings = False

    def __init__(self, token=None):
        RecordingApi.calls.append(("init", (), {"token": token}))

    def create_repo(self, repo_id, **kwargs):
        RecordingApi.calls.append(("create_repo", (repo_id,), kwargs))
        return huggingface_hub.RepoUrl(f"https://huggingface.co/datasets/{repo_id}")

    def repo_info(self, repo_id, **kwargs):
        RecordingApi.calls.append(("repo_info", (repo_id,), kwargs))
        return huggingface_hub.DatasetInfo(id=repo_id, private=RecordingApi.private)

    def update_repo_settings(self, repo_id, **kwargs):
        RecordingApi.calls.append(("update_repo_settings", (repo_id,), kwargs))
        if RecordingApi.refuse_settings:
            raise PermissionError("403 Forbidden: you are not an admin of this repository")

    def upload_folder(self, **kwargs):
        RecordingApi.calls.append(("upload_folder", (), kwargs))
        shutil.copytree(kwargs["folder_path"], RecordingApi.keep)


def test_push_uploads_the_parquet_export_and_its_card(run_dir, tmp_path, monkeypatch, capsys):
    _record(monkeypatch, tmp_path)
    status = cli(["push", str(run_dir), "me/sst2-synthetic", "--private", "--split", "0.25"])
    assert status == 0, capsys.readouterr().err
    assert "pushed https://huggingface.co/datasets/me/sst2-synthetic" in capsys.readouterr().out
    names = [c[0] for c in RecordingApi.calls]
    assert names == ["init", "create_repo", "repo_info", "upload_folder"]  # private already
    assert RecordingApi.calls[0][2] == {"token": "hf_test_token"}
    assert RecordingApi.calls[1][1:] == (
        ("me/sst2-synthetic",),
        {"repo_type": "dataset", "private": True, "exist_ok": True},
    )
    upload = RecordingApi.calls[3][2]
    assert upload["repo_id"] == "me/sst2-synthetic" and upload["repo_type"] == "dataset"
    assert not os.path.exists(upload["folder_path"])  # the staging folder is cleaned up
    kept = RecordingApi.keep
    assert sorted(p.relative_to(kept).as_posix() for p in kept.rglob("*") if p.is_file()) == [
        "README.md",
        "data/samples-train.parquet",
        "data/samples-validation.parquet",
    ]
    # what the Hub would serve: the folder loads with its card's configs, label a ClassLabel
    from datasets import load_dataset

    ds = load_dataset(str(kept))
    assert ds["train"].features["label"].names == LABELS
    assert (ds["train"].num_rows, ds["validation"].num_rows) == (18, 6)
    with RunStore(run_dir) as store:
        ids = sorted(s.id for s in store.accepted())
        manifest = store.manifest()
    assert sorted([*ds["train"]["id"], *ds["validation"]["id"]]) == ids
    meta, body = read_card(kept / "README.md")
    assert meta["synloom"]["spec_hash"] == manifest["spec_hash"]
    # the card's loading snippet reads the repository; run it on the folder the Hub would serve
    code = re.search(r"## Loading\n\n```python\n(.*?)\n```", body, re.S).group(1)
    assert 'ds = load_dataset("me/sst2-synthetic")' in code
    scope: dict = {}
    exec(code.replace('"me/sst2-synthetic"', repr(str(kept))), scope)
    assert (scope["train"].num_rows, scope["validation"].num_rows) == (18, 6)
    assert meta["configs"][0]["data_files"][0] == {
        "split": "train",
        "path": "data/samples-train.parquet",
    }


def _record(monkeypatch, tmp_path, *, private=True, refuse_settings=False):
    RecordingApi.calls, RecordingApi.keep = [], tmp_path / "uploaded"
    RecordingApi.private, RecordingApi.refuse_settings = private, refuse_settings
    monkeypatch.setattr(huggingface_hub, "HfApi", RecordingApi)
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")


def test_private_makes_an_existing_public_repo_private_before_uploading(
    run_dir, tmp_path, monkeypatch, capsys
):
    _record(monkeypatch, tmp_path, private=False)
    assert cli(["push", str(run_dir), "me/public-data", "--private"]) == 0
    out = capsys.readouterr().out
    assert [c[0] for c in RecordingApi.calls] == [
        "init",
        "create_repo",
        "repo_info",
        "update_repo_settings",
        "upload_folder",
    ]
    assert RecordingApi.calls[3][1:] == (
        ("me/public-data",),
        {"private": True, "repo_type": "dataset"},
    )
    assert (
        "notice: me/public-data already existed as a public dataset; made it private (--private)"
        in out
    )

    # without --private an existing repository keeps its visibility: it is not even read
    _record(monkeypatch, tmp_path / "again", private=False)
    assert cli(["push", str(run_dir), "me/public-data"]) == 0
    assert [c[0] for c in RecordingApi.calls] == ["init", "create_repo", "upload_folder"]
    assert "notice" not in capsys.readouterr().out


def test_private_uploads_nothing_when_the_repo_cannot_be_made_private(
    run_dir, tmp_path, monkeypatch, capsys
):
    _record(monkeypatch, tmp_path, private=False, refuse_settings=True)
    assert cli(["push", str(run_dir), "me/public-data", "--private"]) == 2
    names = [c[0] for c in RecordingApi.calls]
    assert "upload_folder" not in names and names[-1] == "update_repo_settings"
    assert error_lines(capsys.readouterr().err) == [
        "error: cannot push to me/public-data: PermissionError: 403 Forbidden: you are not an"
        " admin of this repository"
    ]


def test_push_without_a_token_is_one_line(run_dir, tmp_path):
    env = {"HF_HOME": str(tmp_path / "hf"), "HF_TOKEN": "", "HF_HUB_OFFLINE": "1"}
    result = run_cli("push", run_dir, "me/data", env=env)
    assert result.returncode == 2
    assert error_lines(result.stderr) == [
        "error: no Hugging Face token: set HF_TOKEN or run `hf auth login`, then push again"
    ]


def test_push_when_the_hub_cannot_be_reached_is_one_line(run_dir, tmp_path):
    env = {"HF_HOME": str(tmp_path / "hf"), "HF_TOKEN": "hf_test", "HF_HUB_OFFLINE": "1"}
    result = run_cli("push", run_dir, "me/data", env=env)
    assert result.returncode == 2
    lines = error_lines(result.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: cannot push to me/data: "), lines
    assert "offline" in lines[0].lower()


@pytest.mark.parametrize("repo_id", ["bad id", "a/b/c", "me/-x", "me/x..y", "me/" + "x" * 100])
def test_a_bad_repo_id_is_one_line(run_dir, repo_id):
    result = run_cli("push", run_dir, repo_id)
    assert result.returncode == 2
    lines = error_lines(result.stderr)
    assert lines == [
        f"error: {repo_id!r} is not a Hub repository id (NAMESPACE/NAME: letters,"
        " digits, '-', '_', '.')"
    ]
