from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def in_ci() -> bool:
    """CI=true (set by `.ci/run`): every skip there is a failure unless the test is marked
    `ci_may_skip` because its skip condition cannot be met on the CI machine's kind."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def _fail_skip_in_ci(report: pytest.TestReport | pytest.CollectReport, may_skip: bool) -> None:
    if not (report.skipped and in_ci()) or may_skip or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    report.outcome = "failed"
    report.longrepr = (
        f"skipped in CI ({reason}); CI=true turns every skip into a failure: install what the "
        "test needs (scripts/install.sh --test) or mark it ci_may_skip with the reason"
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    _fail_skip_in_ci(outcome.get_result(), item.get_closest_marker("ci_may_skip") is not None)


# Test modules of an optional engine that `.ci/run` installs in a venv of its own and tests there
# (file name -> import name): elsewhere, e.g. the default lane, their module-level importorskip is
# legitimate; in their lane the engine is importable, so a skip still fails.
OPTIONAL_ENGINE_MODULES = {"test_vllm.py": "vllm"}


def _engine_absent(collector: pytest.Collector) -> bool:
    package = OPTIONAL_ENGINE_MODULES.get(Path(str(getattr(collector, "path", ""))).name)
    return package is not None and importlib.util.find_spec(package) is None


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    outcome = yield  # a module-level importorskip or skip(allow_module_level=True)
    _fail_skip_in_ci(outcome.get_result(), _engine_absent(collector))


def shared_datasets_dir() -> Path:
    """The real benchmark data: $SYNLOOM_SHARED/datasets, else the nearest `shared/datasets` in
    a folder above the checkout (../shared/datasets for the usual layout)."""
    base = os.environ.get("SYNLOOM_SHARED")
    if base:
        return Path(base) / "datasets"
    for folder in ROOT.parents:
        candidate = folder / "shared" / "datasets"
        if candidate.is_dir():
            return candidate
    return ROOT.parent / "shared" / "datasets"


def read_jsonl(path: Path, limit: int | None = None) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rows.append(json.loads(line))
            if limit is not None and len(rows) >= limit:
                break
    return rows


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    path = shared_datasets_dir()
    if not path.is_dir():
        pytest.fail(f"real datasets not found at {path}; set SYNLOOM_SHARED")
    return path


def embedded_llama_server(parallel: int):
    """A real llama-server on 127.0.0.1 serving the embedded GGUF (a context manager). Outside CI a
    missing binary skips the test; in CI (`.ci/run` installs it) it fails."""
    from synloom.backends.embedded import embedded_gguf_path
    from synloom.testing.llama_server import INSTALL_HINT, LlamaServer, find_llama_server

    if find_llama_server() is None:
        message = f"llama-server is not installed; run {INSTALL_HINT}"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return LlamaServer(embedded_gguf_path(), parallel=parallel, ctx_per_slot=512)
