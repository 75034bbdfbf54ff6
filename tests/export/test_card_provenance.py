"""What a dataset card records beyond the spec: the revision the generator actually loaded
(stored in the run manifest when the backend is first used), the labels and one prompt exactly
as sent, file names and hashes instead of local paths, and a note when the quality scores or the
evaluation were computed on another number of samples than the dataset now has.

The runs are made by the real engine; `SentenceBackend` answers with real SST-2 sentences
(orchestration only), here reporting what it "loaded" the way `LocalBackend` does."""

from __future__ import annotations

import hashlib
import json

import yaml

from synloom.generate import run_generation
from synloom.generate.manifest import spec_hash
from synloom.report.card import export_with_card, read_card
from synloom.spec import load_spec, parse_spec
from synloom.spec.fingerprint import data_fingerprint
from synloom.spec.io import spec_to_dict
from synloom.store import RunStore
from tests.report.runs import SentenceBackend, read_rows, sentence_pools, write_reference
from tests.store.export_runs import export_spec, make_export_run

HUB_MODEL = "org/tiny-lm"


class LoadedBackend(SentenceBackend):
    """Reports what it loaded through the attributes `LocalBackend` sets."""

    def __init__(self, pools, revision=None, dtype="bfloat16", device="cuda:0"):
        super().__init__(pools)
        self.model_name, self.revision, self.dtype, self.device = HUB_MODEL, revision, dtype, device


def _spec(pools, per_label=6, **backend):
    data = spec_to_dict(export_spec(pools, per_label))
    data["backend"] = {"type": "local", "model": HUB_MODEL} | backend
    data["labels"] = [
        {"name": "positive", "description": "likes the film", "verbalizers": ["glowing", "warm"]},
        {"name": "negative", "description": "dislikes it", "verbalizers": ["scathing"]},
    ]
    return parse_spec(data)


def _hashing_embed(texts):
    """A real, model-free embedder (hashed word counts) for the embedding metrics."""
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(n_features=64, alternate_sign=False).transform(texts).toarray()


def _evaluate_and_score(run, test, reference_rows):
    from synloom.evaluate.table import evaluate_run
    from synloom.quality.run_scores import score_run
    from synloom.quality.stored import save_scores

    evaluate_run(run, test, tam="tfidf", prompting=False)
    result = score_run(
        run, reference_rows, reference_source=str(test), max_model_samples=0, embed=_hashing_embed
    )
    with RunStore(run, writable=True) as store:
        save_scores(store, result)


def test_the_card_shows_the_revision_the_generator_loaded(tmp_path, datasets_dir):
    pools = sentence_pools(datasets_dir)
    spec = _spec(pools)
    run = tmp_path / "run"
    run_generation(spec, run, backend=LoadedBackend(pools, revision="c0ffee12"))
    with RunStore(run) as store:
        manifest = store.manifest()
    loaded = manifest["loaded_backends"]
    assert [{k: v for k, v in e.items() if k != "at"} for e in loaded] == [
        {
            "backend": "sentences",
            "model": HUB_MODEL,
            "revision": "c0ffee12",
            "dtype": "bfloat16",
            "device": "cuda:0",
        }
    ]
    # provenance only: the hash and the fingerprint are those of the spec, as before
    assert manifest["spec_hash"] == spec_hash(spec)
    assert manifest["data_fingerprint"] == data_fingerprint(spec)

    meta, body = read_card(export_with_card(run, "jsonl").card_path)
    gen = meta["synloom"]["generator"]
    assert (gen["revision"], gen["revision_from"]) == ("c0ffee12", "loaded")
    assert "| revision | c0ffee12 (the commit the model was loaded from) |" in body
    assert "| dtype loaded | bfloat16 |" in body and "| device loaded | cuda:0 |" in body

    # a resume that loads another commit of the unpinned model: both recorded, the card says so
    run_generation(_spec(pools, per_label=9), run, backend=LoadedBackend(pools, revision="d00d"))
    with RunStore(run) as store:
        revisions = [e["revision"] for e in store.manifest()["loaded_backends"]]
    assert revisions == ["c0ffee12", "d00d"]
    meta, body = read_card(export_with_card(run, "jsonl").card_path)
    assert meta["synloom"]["generator"]["revisions"] == ["c0ffee12", "d00d"]
    assert "several (the run was resumed on another commit): c0ffee12, d00d" in body


def test_without_a_recorded_commit_the_card_falls_back_to_the_spec_pin(tmp_path, datasets_dir):
    pools = sentence_pools(datasets_dir)
    pinned = tmp_path / "pinned"
    run_generation(_spec(pools, revision="v1.0"), pinned, backend=LoadedBackend(pools))
    meta, body = read_card(export_with_card(pinned, "jsonl").card_path)
    assert meta["synloom"]["generator"]["revision_from"] == "spec"
    assert "| revision | v1.0 (pinned in the spec; the commit loaded was not recorded) |" in body

    made = make_export_run(tmp_path / "plain", datasets_dir)  # neither recorded nor pinned
    meta, body = read_card(export_with_card(made, "jsonl").card_path)
    assert meta["synloom"]["generator"]["revision"] is None
    assert "| revision | not recorded |" in body


def test_the_card_shows_the_labels_and_one_prompt_exactly_as_sent(tmp_path, datasets_dir):
    pools = sentence_pools(datasets_dir)
    run = tmp_path / "run"
    run_generation(_spec(pools), run, backend=LoadedBackend(pools))
    meta, body = read_card(export_with_card(run, "jsonl").card_path)
    block = meta["synloom"]
    assert block["label_prompts"] == [
        {"name": "positive", "description": "likes the film", "verbalizers": ["glowing", "warm"]},
        {"name": "negative", "description": "dislikes it", "verbalizers": ["scathing"]},
    ]
    assert '| `positive` | likes the film | `["glowing", "warm"]` |' in body
    with RunStore(run) as store:
        accepted = {s.id: s.text for s in store.accepted()}
        sent = store.db.execute(
            "SELECT id, prompt FROM requests WHERE stage = 'sample' ORDER BY round, idx"
        ).fetchall()
    request, prompt = next((i, p) for i, p in sent if i in accepted)
    example = block["example_prompt"]
    assert (example["request"], example["prompt"]) == (request, prompt)
    assert example["completion"] == accepted[request]
    assert f"```text\n{prompt}\n```" in body  # verbatim, few-shot example and all
    assert pools["positive"][0] in prompt or pools["negative"][0] in prompt


def test_no_local_path_reaches_the_card(tmp_path, datasets_dir):
    pools = sentence_pools(datasets_dir)
    seeds = tmp_path / "data" / "seeds.jsonl"
    seeds.parent.mkdir()
    seeds.write_text(
        "".join(json.dumps({"text": pools[n][0], "label": n}) + "\n" for n in pools), "utf-8"
    )
    (tmp_path / "data" / "contexts.txt").write_text("a comedy\na horror film\n", "utf-8")
    data = spec_to_dict(export_spec(pools, 6))
    del data["seed_examples"]
    data["seed_examples_file"] = "data/seeds.jsonl"
    data["recipe"] |= {
        "contexts_file": "data/contexts.txt",
        "prompt": 'On {context}, {verbalizer}: "',
    }
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(data), "utf-8")
    run = tmp_path / "run"
    run_generation(load_spec(tmp_path / "spec.yaml"), run, backend=SentenceBackend(pools))
    test = write_reference(tmp_path / "data" / "test.jsonl", datasets_dir, n=40)
    _evaluate_and_score(run, test, read_rows(test))
    with RunStore(run) as store:  # the manifest holds the absolute paths; the card must not
        assert str(seeds) in json.dumps(store.manifest()["spec"])

    text = export_with_card(run, "parquet", split=0.25).card_path.read_text("utf-8")
    for leak in {str(tmp_path), str(tmp_path.resolve())}:
        assert leak not in text
    block = read_card(run / "samples.parquet.README.md")[0]["synloom"]
    digest = hashlib.sha256(seeds.read_bytes()).hexdigest()[:16]
    assert block["seed_data"]["seed_examples_file"]["name"] == "seeds.jsonl"
    assert block["seed_data"]["seed_examples_file"]["sha256"] == digest
    assert block["seed_data"]["contexts_file"] == block["recipe"]["contexts_file"] == "contexts.txt"
    assert block["evaluation"]["test_source"] == "test.jsonl"
    assert block["quality"]["reference"] == "test.jsonl"


def test_scores_computed_on_other_samples_are_marked_stale(tmp_path, datasets_dir):
    pools = sentence_pools(datasets_dir)
    run = make_export_run(tmp_path / "run", datasets_dir)
    test = write_reference(tmp_path / "test.jsonl", datasets_dir, n=40)
    _evaluate_and_score(run, test, read_rows(test))
    meta, body = read_card(export_with_card(run, "jsonl").card_path)
    block = meta["synloom"]
    assert block["quality"]["n_samples"] == 24 and "samples_now" not in block["quality"]
    assert "samples_now" not in block["evaluation"] and "Stale" not in body

    run_generation(export_spec(pools, 16), run, backend=SentenceBackend(pools))  # top-up
    meta, body = read_card(export_with_card(run, "jsonl").card_path)
    block = meta["synloom"]
    assert block["counts"]["exported"] == 32
    assert block["quality"]["samples_now"] == block["evaluation"]["samples_now"] == 32
    stale = "**Stale:** computed on 24 samples, but the run now holds 32"
    quality, evaluation = body.split("## Quality")[1].split("## Evaluation on real data")
    assert stale in quality and "`synloom score RUN_DIR ...`" in quality
    assert stale in evaluation and "`synloom evaluate RUN_DIR ...`" in evaluation
