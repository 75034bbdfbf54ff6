"""ProGen (recipes/progen.py, feedback.py, influence.py): the influence math against leave-one-out
retraining, its power to find flipped labels in real SST-2 sentences, planning (budget split over
feedback rounds, feedback ratio, seeds in round 0), the annotations stored with each plan and
resume, spec errors, and a run of the real embedded model."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from synloom.errors import SpecError
from synloom.generate import run_generation
from synloom.generate.plan import plan_round, round_state
from synloom.recipes import recipe_for
from synloom.recipes.feedback import validation_split
from synloom.recipes.influence import fit_head, rce_influence, rce_loss
from synloom.spec import parse_spec
from synloom.spec.fingerprint import data_fingerprint
from synloom.store import RunStore, Sample, open_run
from tests.conftest import read_jsonl
from tests.fakes import FakeBackend
from tests.helpers import run_cli

LABELS = [{"name": "positive"}, {"name": "negative", "verbalizers": ["bad"]}]
SEEDS = [
    {"label": "positive", "text": "loved it"},
    {"label": "positive", "text": "great fun"},
    {"label": "negative", "text": "hated it"},
]


def progen(per_label: int = 12, **recipe) -> dict:
    return {
        "labels": LABELS,
        "recipe": {
            "type": "progen",
            "k": 3,
            "pool_size": 4,
            "feedback_rounds": 3,
            "prompt": "[{verbalizer}] ",
            "example_template": "[{verbalizer}] {text}\n",
            "min_words": 2,
        }
        | recipe,
        "generation": {"samples_per_label": per_label, "batch_size": 4, "stop": ['"']},
        "seed": 1,
    }


def blobs(n_classes: int, n: int, seed: int, flip: float = 0.0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(n_classes, 5))
    y = np.arange(n) % n_classes
    X = centers[y] + rng.normal(scale=1.2, size=(n, 5))
    flipped = rng.random(n) < flip
    return X, np.where(flipped, (y + 1) % n_classes, y)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_influence_predicts_leave_one_out_retraining(n_classes):
    # Measured: Spearman 0.996 (binary head), 0.994 (softmax head).
    X, y = blobs(n_classes, 60, seed=0, flip=0.15)
    X_val, y_val = blobs(n_classes, 30, seed=0)
    X_val += np.random.default_rng(1).normal(scale=0.3, size=X_val.shape)
    result = rce_influence(X, y, X_val, y_val, n_classes, C=1.0)
    base = rce_loss(fit_head(X, y, n_classes, 1.0), X_val, y_val)
    loo = np.array(
        [
            rce_loss(fit_head(np.delete(X, i, 0), np.delete(y, i), n_classes, 1.0), X_val, y_val)
            - base
            for i in range(len(y))
        ]
    )
    assert spearmanr(-result.scores, loo).statistic > 0.95
    # the sign: removing the most helpful sample (lowest influence) raises the loss, removing the
    # least helpful lowers it
    assert loo[np.argmin(result.scores)] > 0 > loo[np.argmax(result.scores)]
    assert result.val_loss == pytest.approx(base)


@pytest.mark.slow
def test_flipped_sst2_labels_are_less_helpful(datasets_dir):
    # 1,000 real SST-2 training sentences, 20% of the labels flipped in the training and the
    # validation split alike (a noisy synthetic validation set, as ProGen has). Measured over
    # the 4 flips: AUROC 0.648, 0.686, 0.703, 0.710 (mean 0.687); flipped share of the least
    # helpful tenth 0.525, 0.562, 0.675, 0.600 (mean 0.59, against 0.2 overall).
    from synloom.embeddings import embed_texts

    rows = read_jsonl(datasets_dir / "sst2" / "train.jsonl", limit=1000)
    X = embed_texts([r["text"] for r in rows])
    y = np.array([r["label"] == "positive" for r in rows], dtype=int)
    aurocs, worst_shares = [], []
    for seed in range(4):
        flipped = np.zeros(len(y), bool)
        flipped[np.random.default_rng(seed).choice(len(y), len(y) // 5, replace=False)] = True
        noisy = np.where(flipped, 1 - y, y)
        result = rce_influence(X[:800], noisy[:800], X[800:], noisy[800:], 2)
        aurocs.append(roc_auc_score(flipped[:800], result.scores))
        worst_shares.append(flipped[:800][np.argsort(result.scores)[-80:]].mean())
        assert result.scores[flipped[:800]].mean() > result.scores[~flipped[:800]].mean()
    assert np.mean(aurocs) > 0.63 and min(aurocs) > 0.6
    assert np.mean(worst_shares) > 0.45


def test_the_validation_split_is_per_label_by_id_hash():
    samples = [Sample(f"s0-{i:06d}", "ab"[i % 2], f"t{i}", None, {}) for i in range(20)]
    train, val = validation_split(samples, ["a", "b"], 0.2, seed=3)
    assert sorted(s.label for s in val) == ["a", "a", "b", "b"]
    assert {s.id for s in train} | {s.id for s in val} == {s.id for s in samples}
    assert [s.id for s in train] == sorted(s.id for s in train)  # plan order kept
    # a sample's side depends on its id and the seed, not on the order samples come in
    again = validation_split(samples[::-1], ["a", "b"], 0.2, seed=3)
    assert {s.id for s in again[1]} == {s.id for s in val}
    assert {s.id for s in validation_split(samples, ["a", "b"], 0.2, seed=4)[1]} != {
        s.id for s in val
    }
    assert validation_split(samples[:3], ["a", "b"], 0.2, seed=3) is None  # one "b" only


def test_round_zero_plans_a_share_of_the_budget_with_seed_examples(tmp_path):
    spec = parse_spec(progen(200, feedback_rounds=4, feedback_ratio=0.5) | {"seed_examples": SEEDS})
    requests = plan_first(spec, tmp_path)
    per_label = {lab: sum(r.label == lab for r in requests) for lab in ("positive", "negative")}
    assert per_label == {"positive": 60, "negative": 60}  # 200 / 4 x oversample 1.2
    with_examples = [r for r in requests if "example_ids" in r.meta]
    assert 0.4 < len(with_examples) / len(requests) < 0.6
    for r in with_examples:  # the label's own seeds (2 positive, 1 negative) before the prompt
        seeds = {f"seed:{i}": s for i, s in enumerate(SEEDS) if s["label"] == r.label}
        assert set(r.meta["example_ids"]) == set(seeds)
        for sid in r.meta["example_ids"]:
            assert f"{seeds[sid]['text']}\n" in r.prompt
    without = parse_spec(progen(200, feedback_rounds=4))
    assert not any("example_ids" in r.meta for r in plan_first(without, tmp_path / "z"))


def plan_first(spec, tmp_path):
    recipe = recipe_for(spec)
    with RunStore(tmp_path / "plan", create=True) as store:
        return plan_round(recipe, round_state(spec, store, recipe.stages()[-1], 0, 10**6))


def dump(run_dir) -> tuple[list, dict]:
    with RunStore(run_dir) as store:
        requests, notes, rnd = [], {}, 0
        while (round_requests := store.requests("sample", rnd)) or rnd == 0:
            requests += round_requests
            notes[rnd] = store.round_annotations("sample", rnd)
            rnd += 1
        return requests, notes


def test_feedback_rounds_draw_from_the_most_helpful_samples_and_resume_exactly(tmp_path):
    spec = parse_spec(progen(12))
    assert run_generation(spec, tmp_path / "run", backend=FakeBackend()).complete
    requests, notes = dump(tmp_path / "run")
    with RunStore(tmp_path / "run") as store:
        accepted = {s.id: s for s in store.accepted()}
        assert store.label_counts() == {"negative": 12, "positive": 12}
    assert len(notes) >= 3
    assert notes[0]["source"] == "seeds/accepted" and notes[0]["pool"] == {
        "positive": [],
        "negative": [],
    }
    assert not any("example_ids" in r.meta for r in requests if r.round == 0)
    drew = 0
    for rnd in range(1, len(notes)):
        note = notes[rnd]
        assert note["source"] == "influence"
        earlier = {i for i in accepted if int(i[1:].split("-")[0]) < rnd}  # s<round>-<idx>
        # every earlier accepted sample is scored or held out, and only those
        assert set(note["influence"]) | set(note["validation"]) == earlier
        assert not set(note["influence"]) & set(note["validation"])
        for label, pool in note["pool"].items():
            scores = [note["influence"][i] for i in pool]
            assert scores == sorted(scores) and all(accepted[i].label == label for i in pool)
            rest = [v for i, v in note["influence"].items() if accepted[i].label == label]
            assert scores == sorted(rest)[: len(pool)]  # the lowest influence: most helpful
        for r in requests:
            if r.round == rnd and "example_ids" in r.meta:
                drew += 1
                assert set(r.meta["example_ids"]) <= set(note["pool"][r.label])
                for i in r.meta["example_ids"]:
                    assert accepted[i].text in r.prompt
    assert drew >= 3
    # a later planner reads them back; quality scores do not see them
    with RunStore(tmp_path / "run") as store:
        state = round_state(spec, store, recipe_for(spec).stages()[-1], 2, 10)
        assert state.annotations(1) == notes[1]
        with pytest.raises(ValueError, match="not an earlier round"):
            state.annotations(2)
    assert open_run(tmp_path / "run").scores is None

    # a rerun of the finished run plans nothing; a run killed in round 1 resumes to the same run
    backend = FakeBackend()
    assert run_generation(spec, tmp_path / "run", backend=backend).complete
    assert backend.calls == [] and dump(tmp_path / "run") == (requests, notes)
    crashed = tmp_path / "crashed"
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_generation(spec, crashed, backend=FakeBackend(crash_after=4))
    assert run_generation(spec, crashed, backend=FakeBackend()).complete
    assert json.dumps(dump(crashed), default=repr) == json.dumps((requests, notes), default=repr)


def test_the_random_pool_ablation_draws_from_earlier_samples_without_a_task_model(tmp_path):
    spec = parse_spec(progen(12, random_pool=True))
    assert run_generation(spec, tmp_path / "run", backend=FakeBackend()).complete
    requests, notes = dump(tmp_path / "run")
    with RunStore(tmp_path / "run") as store:
        accepted = {s.id: s for s in store.accepted()}
    assert len(notes) >= 3 and notes[0]["source"] == "seeds/accepted"
    for rnd in range(1, len(notes)):
        note = notes[rnd]
        assert note["source"] == "random" and "influence" not in note
        earlier = {i for i in accepted if int(i[1:].split("-")[0]) < rnd}
        for label, pool in note["pool"].items():
            train = {i for i in earlier - set(note["validation"]) if accepted[i].label == label}
            assert len(pool) == min(4, len(train)) > 0 and set(pool) <= train
            assert all(accepted[i].label == label for i in pool)
    # the same spec plans the same pools; the default spec's fingerprint lacks the field
    again = tmp_path / "again"
    assert run_generation(spec, again, backend=FakeBackend()).complete
    assert dump(again) == (requests, notes)
    assert "random_pool" not in data_fingerprint(parse_spec(progen(12)))["recipe"]
    assert data_fingerprint(spec)["recipe"]["random_pool"] is True


@pytest.mark.parametrize(
    ("recipe", "message"),
    [
        ({"k": 8, "pool_size": 4}, r"recipe\.pool_size \(4\) is smaller than recipe\.k \(8\)"),
        ({"feedback_rounds": 9}, r"feedback_rounds \(9\) is more than generation\.max_rounds"),
        ({"example_template": "{verbalizer}"}, r"example_template must use \{text\}"),
        ({"example_template": '"{context}": {text}'}, r"unknown placeholder\(s\) \{context\}"),
        ({"validation_share": 0.9}, r"recipe\.validation_share: .*0\.5"),
        ({"feedback_ratio": 2}, r"recipe\.feedback_ratio: "),
    ],
)
def test_spec_errors_are_one_line(recipe, message):
    with pytest.raises(SpecError, match=message) as info:
        parse_spec(progen(**recipe))
    assert "\n" not in str(info.value)


def test_seeds_and_a_context_template_are_refused_in_one_line(tmp_path):
    spec = progen(contexts=["a heist"], example_template='"{context}": {text}\n')
    parse_spec(spec)  # contexts allow {context} in the examples ...
    with pytest.raises(SpecError, match=r"uses \{context\}, which seed_examples do not have"):
        parse_spec(spec | {"seed_examples": SEEDS})  # ... which seeds do not have
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(progen(k=8, pool_size=4)))
    result = run_cli("generate", path, "--out", tmp_path / "run", timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "recipe.pool_size" in result.stderr
    assert not (tmp_path / "run").exists()


@pytest.mark.heavy  # heavy lane: keeps the default run under 20 min on a float32 CPU
@pytest.mark.slow
def test_a_real_model_run_feeds_back_its_own_samples(tmp_path):
    spec = parse_spec(
        {
            "name": "progen-real",
            "labels": [
                {"name": "positive", "verbalizers": ["positive"]},
                {"name": "negative", "verbalizers": ["negative"]},
            ],
            "recipe": {
                "type": "progen",
                "k": 2,
                "pool_size": 4,
                "feedback_ratio": 1.0,
                "feedback_rounds": 2,
                "prompt": 'The movie review in {verbalizer} sentiment is: "',
                "example_template": 'The movie review in {verbalizer} sentiment is: "{text}"\n',
                "min_words": 3,
            },
            "generation": {"samples_per_label": 6, "batch_size": 8, "max_new_tokens": 20},
            "backend": {"type": "local", "model": "embedded", "device": "cpu"},
            "seed": 3,
        }
    )
    assert run_generation(spec, tmp_path / "run").complete
    requests, notes = dump(tmp_path / "run")
    with RunStore(tmp_path / "run") as store:
        accepted = {s.id: s for s in store.accepted()}
    assert notes[1]["source"] == "influence" and notes[1]["influence"]
    later = [r for r in requests if r.round >= 1]
    assert later and all(r.meta.get("example_ids") for r in later)
    for r in later:
        for i in r.meta["example_ids"]:
            assert accepted[i].label == r.label and accepted[i].text in r.prompt
            assert i in notes[r.round]["pool"][r.label] and i in notes[r.round]["influence"]
    assert run_generation(spec, tmp_path / "run").complete
    assert dump(tmp_path / "run") == (requests, notes)  # the rerun planned nothing new
