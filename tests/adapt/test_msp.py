"""MSP (a mixture of soft prompts per attribute value) trained for real: the embedded SmolLM2-135M
on 8 real SST-2 training sentences per label, each carrying a real attribute, its length (short:
at most 12 words), but for every fourth seed (which then trains the instruction and label prompts
only). Held-out real test sentences get a lower loss under their label's prompt than from the base
model; batched, left-padded generation gives each prompt its condition's own greedy continuation;
a run generates through the adapter with each request's drawn length. Seeds with attribute values
that the spec does not declare are one-line errors. Floors measured (values in comments)."""

from __future__ import annotations

import random

import pytest
import yaml

from synloom.adapt.batches import encode, mean_loss
from synloom.adapt.examples import TrainExample, label_prompt
from synloom.adapt.run import adapt
from synloom.adapt.settings import AdaptSettings
from synloom.spec import parse_spec
from tests.adapt.test_errors import one_line_error, spec_dict
from tests.adapt.test_real_adapters import PROMPT, greedy_teacher_forced, short
from tests.conftest import read_jsonl
from tests.helpers import run_cli


def length(text: str) -> str:
    return "short" if len(text.split()) <= 12 else "long"


@pytest.fixture(scope="module")
def data(datasets_dir):
    rng = random.Random(0)
    train = read_jsonl(datasets_dir / "sst2" / "train_sentences.jsonl")
    test = read_jsonl(datasets_dir / "sst2" / "test.jsonl")
    rows = short(train, "positive", 8, rng) + short(train, "negative", 8, rng)
    held = short(test, "positive", 16, rng) + short(test, "negative", 16, rng)
    seeds = [
        {"text": r["text"], "label": r["label"]}
        | ({} if i % 4 == 3 else {"attributes": {"length": length(r["text"])}})
        for i, r in enumerate(rows)
    ]
    spec = parse_spec(
        {
            "name": "msp-real",
            "task": {"description": "movie review sentiment"},
            "labels": [
                {"name": "positive", "verbalizers": ["positive"]},
                {"name": "negative", "verbalizers": ["negative"]},
            ],
            "attributes": {"length": ["short", "long"]},
            "recipe": {"type": "zerogen", "prompt": PROMPT, "min_words": 3},
            "seed_examples": seeds,
            "generation": {"samples_per_label": 2, "batch_size": 8, "max_new_tokens": 12},
            "backend": {"type": "local", "device": "cpu"},
            "seed": 5,
        }
    )
    return spec, [(r["text"], r["label"]) for r in held]


@pytest.fixture(scope="module")
def trained(data, tmp_path_factory):
    """The MSP adapter (the default mixture, mean; 6 epochs: 12 steps)."""
    spec, _ = data
    out = tmp_path_factory.mktemp("msp") / "adapter"
    result = adapt(spec, out, AdaptSettings(method="msp", epochs=6, seed=0))
    assert result.meta["train"]["loss_after"] < result.meta["train"]["loss_before"]
    return str(out)


@pytest.fixture(scope="module")
def backend(trained):
    from synloom.backends.local import LocalBackend

    backend = LocalBackend(adapter=trained, device="cpu", dtype="float32")
    yield backend
    backend.close()


def heldout_loss_by_condition(spec, held, backend, adapted: bool) -> float:
    """Mean loss per token of each held-out (text, label) after its label's prompt, under the
    soft prompt of its label and length (`adapted`), else from the base model."""
    tok = backend.tokenizer
    items = [
        TrainExample(label_prompt(spec, y), text + spec.generation.stop[0], y) for text, y in held
    ]
    rows = encode(tok, items, max_target_tokens=10**6)
    attributes = [(("length", length(text)),) for text, _ in held]
    total = count = 0.0
    for part, idx in backend.adapter.groups([y for _, y in held], len(held), attributes):
        mine = [rows[i] for i in idx]
        with backend.adapter.active(part if adapted else None):
            loss = mean_loss(backend.adapter.adapted, mine, tok.pad_token_id, backend.device)
        n = sum(len(r.target) for r in mine)
        total, count = total + loss * n, count + n
    return total / count


# held-out loss per token under each sentence's label and length: base model 4.99, MSP (mean
# mixture) after 6 epochs 4.71; the concat mixture 4.82 (measured 2026-12-01)
@pytest.mark.slow
@pytest.mark.heavy  # trains an MSP adapter for real: with the adapter tests, in the heavy lane
def test_msp_lowers_the_loss_of_heldout_real_examples(data, backend):
    spec, held = data
    base = heldout_loss_by_condition(spec, held, backend, adapted=False)
    loss = heldout_loss_by_condition(spec, held, backend, adapted=True)
    print(f"held-out loss: base {base:.4f}, msp {loss:.4f}")
    assert loss < base - 0.15, (loss, base)


CONDITIONS = [
    ("positive", (("length", "short"),)),
    ("positive", (("length", "long"),)),
    ("negative", (("length", "short"),)),
    ("positive", ()),  # no attribute values: instruction and label prompts only
]


@pytest.mark.slow
@pytest.mark.heavy
def test_batched_generation_gives_each_condition_its_own_greedy_continuation(
    data, trained, backend, tmp_path
):
    from synloom.backends.base import GenerationParams
    from synloom.generate import run_generation
    from synloom.spec.io import spec_to_dict
    from synloom.store import RunStore

    spec, _ = data
    prompts = [PROMPT.format(verbalizer=y) for y, _ in CONDITIONS]
    prompts[-1] = "A longer prompt, so the others are padded: " + prompts[-1]
    params = GenerationParams(
        max_new_tokens=6,
        temperature=0.0,
        labels=tuple(y for y, _ in CONDITIONS),
        attributes=tuple(a for _, a in CONDITIONS),
    )
    generate = backend.generate
    try:
        adapter = backend.adapter
        groups = adapter.groups(params.labels, len(prompts), params.attributes)
        assert sorted(i for _, idx in groups for i in idx) == [0, 1, 2, 3]
        assert len(groups) == 4  # one part per condition
        got = [c.raw_text for c in backend.generate(prompts, params, [0] * len(prompts))]
        want = []
        for (part, _), prompt in zip(groups, prompts, strict=True):
            with adapter.active(part):
                want.append(greedy_teacher_forced(adapter.adapted, backend.tokenizer, prompt, 6))
        assert got == want
        with adapter.active(None):  # the base model
            base = [
                greedy_teacher_forced(adapter.adapted, backend.tokenizer, p, 6) for p in prompts
            ]
        assert got != base
        # a request of no label (a context stage) runs on the base model
        assert adapter.groups([None], 1, [()]) == [(None, [0])]

        # a run: each request's drawn length reaches the adapter
        seen: list[tuple] = []

        def spy(prompts, params, seeds):
            seen.extend(params.attributes)
            return generate(prompts, params, seeds)

        backend.generate = spy  # type: ignore[method-assign]
        with_adapter = spec_to_dict(spec)
        with_adapter["backend"] |= {"adapter": trained, "dtype": "float32"}
        run_generation(parse_spec(with_adapter), tmp_path / "run", backend=backend)
    finally:
        backend.generate = generate  # type: ignore[method-assign]
    with RunStore(tmp_path / "run") as store:
        manifest = store.manifest()
    assert manifest["loaded_backends"][-1]["adapter"]["method"] == "msp"
    assert {a for a in seen} >= {(("length", "short"),), (("length", "long"),)}


def test_a_seed_with_an_undeclared_attribute_value_is_one_line(tmp_path):
    attrs = {"length": ["short", "long"]}
    for seed_attrs, words in [
        ({"length": "medium"}, ["seed_examples[0]", "'medium'", "short, long"]),
        ({"tone": "dry"}, ["seed_examples[0]", "'tone'", "not declared"]),
    ]:
        seeds = [{"text": "a warm, funny film", "label": "positive", "attributes": seed_attrs}]
        path = tmp_path / "spec.yaml"
        path.write_text(yaml.safe_dump(spec_dict(attributes=attrs, seed_examples=seeds)), "utf-8")
        result = run_cli("adapt", path, "--method", "msp", "--out", tmp_path / "adapter")
        one_line_error(result, *words)
        assert not (tmp_path / "adapter").exists()


def test_seed_file_columns_named_like_attributes_are_read_as_attributes(tmp_path):
    (tmp_path / "seeds.csv").write_text(
        "text,label,length,other\n"
        "a warm and funny film,positive,short,x\n"
        "a long tedious mess of a film that never ends,negative,long,y\n"
        "no length given here,negative,,z\n",
        "utf-8",
    )
    data = spec_dict(attributes={"length": ["short", "long"]}, seed_examples_file="seeds.csv")
    del data["seed_examples"]
    spec = parse_spec(data, base_dir=tmp_path)
    assert [s.attributes for s in spec.seed_examples] == [
        {"length": "short"},
        {"length": "long"},
        None,
    ]
    # a seed without attributes dumps as before the field existed (the data fingerprint too)
    assert "attributes" not in spec.model_dump(mode="json")["seed_examples"][2]

    (tmp_path / "bad.csv").write_text("text,label,length\na fine film,positive,medium\n", "utf-8")
    path = tmp_path / "spec.yaml"
    data["seed_examples_file"] = "bad.csv"
    path.write_text(yaml.safe_dump(data), "utf-8")
    result = run_cli("adapt", path, "-m", "msp", "-o", tmp_path / "adapter")
    one_line_error(result, "bad.csv", "row 1", "'medium'", "short, long")
