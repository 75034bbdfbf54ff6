"""`synloom push`: upload a run's dataset and its card to the Hugging Face Hub.

The dataset is exported as Parquet (`ClassLabel` label, typed columns; optionally split) into a
temporary folder in the Hub's layout, `README.md` (the dataset card, whose `configs` point at the
files) and `data/samples*.parquet`, then `huggingface_hub.HfApi().create_repo(...,
repo_type="dataset", exist_ok=True)` and `upload_folder(...)` send it (earlier `data/` files of
the repo are deleted in the same commit, so the repo holds exactly this export). The token is
what `huggingface_hub` finds (`HF_TOKEN`, or `hf auth login`); none, or any failure of the Hub
calls (network, permissions, offline mode), is a one-line `SynloomError`.

`--private` on a repository that already exists and is public: `create_repo(exist_ok=True)`
leaves an existing repository as it is, so before uploading anything the repository's visibility
is read (`repo_info(...).private`) and, as the user asked for a private dataset, the repository
is made private (`update_repo_settings(private=True)`), with a notice; if that is refused,
nothing is uploaded. Without `--private` an existing repository's visibility is never changed.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from synloom.errors import SynloomError
from synloom.report.card import write_card
from synloom.spec.oneline import one_line
from synloom.store.export import CARD_FILE, ExportResult, export_data

# https://huggingface.co/docs/hub/repositories: [namespace/]name, letters, digits, - _ . ;
# at most 96 characters; no "--" or ".." and no leading/trailing "-" or ".".
REPO_ID = re.compile(r"^(?:[A-Za-z0-9][\w.-]*/)?[A-Za-z0-9][\w.-]*$")
MAX_REPO_ID = 96
DATA_DIR = "data"


def check_repo_id(repo_id: str) -> str:
    name = repo_id.rpartition("/")[2]
    if (
        not REPO_ID.match(repo_id)
        or len(repo_id) > MAX_REPO_ID
        or "--" in repo_id
        or ".." in repo_id
        or name.endswith((".", "-"))
    ):
        raise SynloomError(
            f"{repo_id!r} is not a Hub repository id (NAMESPACE/NAME: letters, digits, '-', '_', '.')"
        )
    return repo_id


def _hub() -> Any:
    """`huggingface_hub` (the `train` extra), else its one-line MissingExtraError."""
    from synloom.extras import missing_extra

    try:
        import huggingface_hub
    except ImportError as exc:
        raise (missing_extra(exc, "train") or exc) from None
    return huggingface_hub


def stage_folder(
    run_dir: str | Path,
    folder: Path,
    *,
    curation: str | None = None,
    split: float | None = None,
    split_seed: int = 0,
    repo_id: str | None = None,
) -> ExportResult:
    """Export `run_dir` into `folder` in the Hub's layout; returns the `ExportResult` (its card
    is `folder/README.md`, whose loading snippet reads `repo_id` when given)."""
    (folder / DATA_DIR).mkdir(parents=True, exist_ok=True)
    result = export_data(
        run_dir,
        "parquet",
        folder / DATA_DIR / "samples.parquet",
        curation=curation,
        split=split,
        split_seed=split_seed,
    )
    result = dataclasses.replace(result, card_path=folder / CARD_FILE)
    write_card(result, hub_repo=repo_id)
    return result


def make_private(api: Any, repo_id: str, notify: Callable[[str], None]) -> None:
    """`--private`: make an existing public repository private before anything is uploaded."""
    info = api.repo_info(repo_id, repo_type="dataset")
    if getattr(info, "private", None) is False:
        api.update_repo_settings(repo_id, private=True, repo_type="dataset")
        notify(f"{repo_id} already existed as a public dataset; made it private (--private)")


def push_run(
    run_dir: str | Path,
    repo_id: str,
    *,
    private: bool = False,
    curation: str | None = None,
    split: float | None = None,
    split_seed: int = 0,
    notify: Callable[[str], None] = lambda message: None,
) -> tuple[str, ExportResult]:
    """Upload the export of `run_dir` and its card to the dataset repo `repo_id`; returns (the
    repo's URL, the `ExportResult` uploaded). `notify` gets one-line notices (a public repository
    made private)."""
    check_repo_id(repo_id)
    hub = _hub()
    token = hub.get_token()
    if not token:
        raise SynloomError(
            "no Hugging Face token: set HF_TOKEN or run `hf auth login`, then push again"
        )
    with tempfile.TemporaryDirectory(prefix="synloom-push-") as tmp:
        result = stage_folder(
            run_dir,
            Path(tmp),
            curation=curation,
            split=split,
            split_seed=split_seed,
            repo_id=repo_id,
        )
        what = f"curation {curation} of {Path(run_dir).name}" if curation else Path(run_dir).name
        try:
            api = hub.HfApi(token=token)
            url = api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
            if private:
                make_private(api, repo_id, notify)
            api.upload_folder(
                folder_path=tmp,
                repo_id=repo_id,
                repo_type="dataset",
                commit_message=f"synloom push: {what}",
                delete_patterns=[f"{DATA_DIR}/*"],
            )
        except (
            Exception
        ) as exc:  # the Hub's failures (HTTP, network, offline) are the user's to fix
            first = next(iter(str(exc).strip().splitlines()), "")
            raise SynloomError(
                one_line(f"cannot push to {repo_id}: {type(exc).__name__}: {first}")
            ) from None
    return str(url), result
