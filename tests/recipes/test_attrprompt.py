"""AttrPrompt (Yu et al., NeurIPS 2023): parsing the generator's lists and answers, the spec's
checks, every stage through the engine with a scripted backend (values per class, the filter's
decisions, the sampled values in each sample's meta, resume after a crash), the per-attribute
diversity metric on hand-made samples and its report section, and one run of the real embedded
model."""

from __future__ import annotations

import json
import random
import re
from types import SimpleNamespace

import numpy as np
import pytest

from synloom.backends.base import Completion, cut_at_stop
from synloom.errors import SpecError, SynloomError
from synloom.generate import run_generation
from synloom.recipes.attribute_lists import parse_answer, parse_items, parse_list
from synloom.recipes.attribute_values import DIMENSION_STAGE, FILTER_STAGE, VALUE_STAGE
from synloom.spec import parse_spec
from synloom.store import RunStore

LABELS = [
    {"name": "positive", "verbalizers": ["positive"]},
    {"name": "negative", "verbalizers": ["negative"]},
]
PROMPT = 'Write a {verbalizer} review of a {genre} movie about {subtopic}, {length}: "'
# What the scripted generator lists, per (dimension, verbalizer); "" fails the first time.
LISTS = {
    ("genre", "positive"): " comedy\n2. **Musical**\n3. musical\n4. thriller\n5. drama",
    ("genre", "negative"): " horror\n2. thriller\n3. slasher film\n4. war",
    ("subtopic", "positive"): " the soundtrack, the lead's charm, a long list of things that no"
    " one asked for in a list, the score",
    ("subtopic", "negative"): "",
}
RETRY = {("subtopic", "negative"): " the plot holes\n- the pacing\n- the ending"}
FITS_OTHER = {"the score", "the pacing"}  # the scripted generator answers yes for these


class ScriptedBackend:
    """Answers by prompt kind: value lists from LISTS (a retry gets RETRY), yes for the values
    in FITS_OTHER, and a review naming the request's seed. Orchestration tests only."""

    name = "scripted"
    model_name = "scripted"

    def __init__(self, crash_after=None, fits_other=FITS_OTHER, history: list | None = None):
        self.crash_after = crash_after
        self.fits_other = fits_other
        self.batches = 0
        self.prompts: list[str] = [] if history is None else history  # what was asked before

    def generate(self, prompts, params, seeds):
        if self.crash_after is not None and self.batches >= self.crash_after:
            raise RuntimeError("simulated crash")
        self.batches += 1
        out = []
        for prompt, seed in zip(prompts, seeds, strict=True):
            self.prompts.append(prompt)
            out.append(self.answer(prompt, seed, params))
        return out

    def answer(self, prompt, seed, params):
        if prompt.startswith("List 3 attribute dimensions"):
            raw = " genre\n2. pace\n3. a very long dimension name here\n4. mood\n5. tone\n\n"
        elif m := re.match(r"List \d+ diverse (\w+) related to (\w+)", prompt):
            key = m.groups()
            tries = sum(p == prompt for p in self.prompts)
            default = " {0}-{1} a\n2. {0}-{1} b".format(*key)  # lists of equal text are duplicates
            raw = RETRY[key] if tries > 1 and key in RETRY else LISTS.get(key, default)
        elif m := re.search(r'about the \w+ "([^"]+)"', prompt):
            raw = " Yes" if m.group(1) in self.fits_other else " No."
        else:
            raw = f"{random.Random(seed).randrange(10**6)} words about it" + '" and on'
        text, stopped = cut_at_stop(raw, params.stop)
        finished = stopped or len(raw.split()) < params.max_new_tokens
        return Completion(text, "stop" if finished else "length", raw, len(raw.split()))

    def score(self, prompts, continuations):
        raise NotImplementedError

    def close(self):
        pass


def spec_of(**recipe) -> dict:
    return {
        "task": {"description": "movie review"},
        "labels": LABELS,
        "recipe": {
            "type": "attrprompt",
            "prompt": PROMPT,
            "dimensions": [
                {"name": "genre"},
                {"name": "subtopic"},
                {"name": "length", "values": ["short", "long"]},
            ],
            "values_per_dimension": 3,
            "min_words": 2,
        }
        | recipe,
        "generation": {"samples_per_label": 6, "batch_size": 4},
        "seed": 5,
    }


def dump(run_dir):
    """Every request and output of every stage, and the stored round annotations."""
    with RunStore(run_dir) as store:
        rows = store.db.execute(
            "SELECT r.id, r.prompt, r.meta, o.status, o.reason, o.detail, o.text FROM requests r"
            " LEFT JOIN outputs o ON o.request_id = r.id ORDER BY r.id"
        ).fetchall()
        notes = {name: value for name, value in store.db.execute("SELECT name, value FROM scores")}
    return rows, notes


def store_rounds(run_dir, stage: str) -> int:
    with RunStore(run_dir) as store:
        return store.db.execute("SELECT COUNT(*) FROM rounds WHERE stage = ?", (stage,)).fetchone()[
            0
        ]


# -- parsing (fast) ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (" comedy\n2. drama\n3) horror", ["comedy", "drama", "horror"]),
        ("- comedy\n* drama\n• horror\n", ["comedy", "drama", "horror"]),
        ('comedy, "drama"; horror.', ["comedy", "drama", "horror"]),
        ("1. comedy 2. drama 3. horror", ["comedy", "drama", "horror"]),
        (" **Comedy**:\n\n2. `drama`!", ["Comedy", "drama"]),
    ],
)
def test_list_items_are_read_from_lines_bullets_and_commas(text, kept):
    assert [i.text for i in parse_items(text, n=5, max_words=3) if i.ok] == kept


def test_list_items_are_rejected_with_reasons():
    text = (
        "comedy\n2.\n3. Comedy\n4. a film far too long to be one value\n5. I apologize\n6. b\n7. c"
    )
    items = parse_items(text, n=2, max_words=4, taken=["horror"])
    assert [(i.text, i.reason) for i in items] == [
        ("comedy", None),
        ("2.", "empty"),
        ("Comedy", "duplicate"),
        ("a film far too long to be one value", "too_long"),
        ("I apologize", "refusal"),
        ("b", None),
        ("c", "extra"),
    ]
    assert items[3].detail == "9 > 4 words"
    assert [i.reason for i in parse_items("horror, drama", n=3, max_words=4, taken=["Horror"])] == [
        "duplicate",
        None,
    ]


def test_a_list_cut_by_the_token_limit_loses_its_unfinished_item():
    assert parse_list(" comedy\n2. drama\n3. hor", "length", n=5, max_words=4).text == (
        "comedy\n2. drama"
    )
    assert parse_list(" comedy\n2. drama\n3. hor", "stop", n=5, max_words=4).text == (
        "comedy\n2. drama\n3. hor"
    )
    assert parse_list("comedy, dra", "length", n=5, max_words=4).text == "comedy"
    cut = parse_list(" a very long unfinished item", "length", n=5, max_words=4)
    assert (cut.reason, cut.detail) == (
        "no_items",
        "0 kept of 0: no items; unfinished last item cut off",
    )
    few = parse_list("genre\n2. genre", "stop", n=3, max_words=4, min_items=3)
    assert (few.reason, few.detail) == ("too_few_items", "1 kept of 2: duplicate x1")


@pytest.mark.parametrize(
    ("text", "answer"),
    [(" Yes", "yes"), ("yes, it could", "yes"), (" No.", "no"), ('"no"', "no"), (" N", "no")],
)
def test_yes_no_answers(text, answer):
    assert parse_answer(text) == answer


@pytest.mark.parametrize("text", ["", " Maybe", " It depends; yes", "\n\nA: well"])
def test_answers_that_are_neither_yes_nor_no(text):
    assert parse_answer(text) is None


# -- spec checks (fast) --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recipe", "message"),
    [
        (
            {"prompt": 'A {verbalizer} {genre} review: "'},
            "recipe.prompt does not use {subtopic}, {length}",
        ),
        ({"prompt": 'A {verbalizer} {mood} review: "'}, "unknown placeholder(s) {mood}"),
        ({"dimensions": [], "prompt": '{verbalizer}: "'}, "needs dimensions or propose_dimensions"),
        ({"propose_dimensions": 2}, "recipe.prompt must use {attributes}"),
        ({"dimensions": [{"name": "context"}], "prompt": "{context}"}, "'context' must be a name"),
        ({"dimensions": [{"name": "a"}, {"name": "a"}], "prompt": "{a}"}, "'a' is declared twice"),
        ({"filter_prompt": "Is it {other}?"}, "recipe.filter_prompt must use {value}"),
        ({"value_prompt": "List {n} {colour}"}, "recipe.value_prompt: unknown placeholder"),
        ({"similar_labels": {"positive": ["neutral"]}}, "unknown label(s) neutral"),
        ({"similar_labels": {"positive": ["positive"]}}, "at least one, not itself"),
    ],
)
def test_spec_errors_say_what_is_wrong(recipe, message):
    with pytest.raises(SpecError) as err:
        parse_spec(spec_of(**recipe))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_the_prompt_may_list_every_value_with_attributes():
    spec = parse_spec(spec_of(prompt='A {verbalizer} review ({attributes}): "'))
    assert spec.recipe.dimensions[2].values == ["short", "long"]


# -- all stages with a scripted generator (fast) -------------------------------------------------


def test_values_are_written_per_class_filtered_and_drawn_into_each_sample(tmp_path):
    spec = parse_spec(spec_of())
    summary = run_generation(spec, tmp_path / "run", backend=ScriptedBackend())
    assert summary.complete, summary.stop_reason
    with RunStore(tmp_path / "run") as store:
        lists = store.accepted(VALUE_STAGE)
        values = store.accepted(FILTER_STAGE)
        rejected = store.rejected(VALUE_STAGE) + store.rejected(FILTER_STAGE)
        notes = store.round_annotations(FILTER_STAGE, 0)
        samples = store.accepted()
    # one list per (label, generated dimension); the empty one was asked again and accepted
    assert sorted((s.label, s.meta["dimension"]) for s in lists) == [
        ("negative", "genre"),
        ("negative", "subtopic"),
        ("positive", "genre"),
        ("positive", "subtopic"),
    ]
    assert [
        (r["stage"], r["reason"], r["label"]) for r in rejected if r["stage"] == VALUE_STAGE
    ] == [(VALUE_STAGE, "no_items", "negative")]
    table = {}
    for v in values:
        table.setdefault((v.label, v.meta["dimension"]), []).append(v.text)
    assert table == {
        ("positive", "genre"): ["comedy", "Musical"],  # thriller is listed for negative too
        ("negative", "genre"): ["horror", "slasher film"],
        ("positive", "subtopic"): ["the soundtrack", "the lead's charm"],
        ("negative", "subtopic"): ["the plot holes", "the ending"],
    }
    # the filter's decisions: asked and answered yes, or listed for the other class
    fits = {(r["label"], r["detail"]) for r in rejected if r["reason"] == "fits_other_class"}
    assert fits == {
        ("positive", "answered 'Yes' for negative"),
        ("negative", "answered 'Yes' for positive"),
    }
    assert store_rounds(tmp_path / "run", FILTER_STAGE) == 1  # round 1 had nothing new to ask
    items = {(n["label"], n["value"]): n for n in notes["items"]}
    assert items[("positive", "thriller")]["reason"] == "fits_other_class"
    assert items[("positive", "thriller")]["detail"] == "also listed for negative"
    assert items[("negative", "thriller")]["reason"] == "fits_other_class"
    assert items[("positive", "musical")]["reason"] == "duplicate"
    assert items[("positive", "drama")]["reason"] == "extra"  # beyond the 3 asked for
    assert items[("positive", "the score")]["decision"] == "kept"  # kept for the question ...
    assert (
        items[("positive", "a long list of things that no one asked for in a list")]["reason"]
        == "too_long"
    )
    assert {n["list"] for n in notes["items"]} == set(notes["lists"]) == {s.id for s in lists}
    # every sample carries the values its request drew, all of its own label
    assert len(samples) == 12
    seen = set()
    for s in samples:
        attrs = s.meta["attributes"]
        assert set(attrs) == {"genre", "subtopic", "length"}
        assert attrs["genre"] in table[(s.label, "genre")]
        assert attrs["subtopic"] in table[(s.label, "subtopic")]
        assert attrs["length"] in ("short", "long")
        seen.add(attrs["genre"])
    assert len(seen) >= 3


def test_a_crashed_run_resumes_to_the_same_data(tmp_path):
    spec = parse_spec(spec_of())
    run_generation(spec, tmp_path / "whole", backend=ScriptedBackend())
    for crash in (1, 3, 5):
        run_dir, asked = tmp_path / f"crash{crash}", []  # the generator's memory of retries
        with pytest.raises(RuntimeError, match="simulated crash"):
            run_generation(spec, run_dir, backend=ScriptedBackend(crash, history=asked))
        assert run_generation(spec, run_dir, backend=ScriptedBackend(history=asked)).complete
        whole, resumed = dump(tmp_path / "whole"), dump(run_dir)
        assert resumed == whole
    before = dump(tmp_path / "whole")
    backend = ScriptedBackend()
    assert run_generation(spec, tmp_path / "whole", backend=backend).complete
    assert dump(tmp_path / "whole") == before and backend.batches == 0


def test_proposed_dimensions_fill_attributes(tmp_path):
    spec = parse_spec(
        spec_of(
            dimensions=[{"name": "length", "values": ["short"]}],
            propose_dimensions=3,
            prompt='A {verbalizer} review ({attributes}): "',
            filter_values=False,
        )
    )
    assert run_generation(spec, tmp_path / "run", backend=ScriptedBackend()).complete
    with RunStore(tmp_path / "run") as store:
        (dims,) = store.accepted(DIMENSION_STAGE)
        lists = store.accepted(VALUE_STAGE)
        notes = store.round_annotations("sample", 0)
        requests = store.requests("sample", 0)
    assert dims.text == "genre\n2. pace\n3. a very long dimension name here\n4. mood\n5. tone"
    assert {s.meta["dimension"] for s in lists} == {"genre", "pace", "mood"}
    decided = {(n["label"], n["value"]): n.get("reason") for n in notes["items"]}
    assert decided[("positive", "thriller")] is None  # no filter: listed for both, kept
    assert decided[("negative", "thriller")] is None and decided[("positive", "drama")] == "extra"
    for r in requests:
        attrs = r.meta["attributes"]
        order = ["length", "genre", "pace", "mood"]  # given dimensions first, as drawn
        assert set(attrs) == set(order)
        listed = "; ".join(f"{k}: {attrs[k]}" for k in order)
        assert r.prompt == f'A {r.label} review ({listed}): "'
        assert attrs["genre"] in LISTS[("genre", r.label)]
        assert attrs["pace"] in (f"pace-{r.label} a", f"pace-{r.label} b")


def test_a_label_left_without_values_is_one_clear_error(tmp_path):
    spec = parse_spec(spec_of())
    backend = ScriptedBackend(fits_other={"comedy", "Musical", "drama"})
    with pytest.raises(SynloomError, match="label 'positive' has no value of dimension 'genre'"):
        run_generation(spec, tmp_path / "run", backend=backend)


# -- the per-attribute diversity metric and its report section (fast) ----------------------------


def test_attribute_diversity_on_hand_made_samples():
    from synloom.quality.metrics.attribute_diversity import attribute_diversity
    from synloom.quality.tokens import tokenize_all

    texts = ["a b a b", "a b c d", "x y z", "x y z", "lone one"]
    attrs = [{"genre": "comedy"}, {"genre": "comedy"}, {"genre": "horror"}, {"genre": "horror"}, {}]
    emb = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 0.0]])
    out = attribute_diversity(attrs, tokenize_all(texts), emb)
    genre = out["dimensions"]["genre"]["values"]
    # comedy: bigrams ab ba ab | ab bc cd -> 4 distinct of 6; horror: xy yz twice -> 2 of 4
    assert genre["comedy"] == {"count": 2, "distinct_2": pytest.approx(4 / 6), "aps": 0.0}
    assert genre["horror"] == {"count": 2, "distinct_2": 0.5, "aps": pytest.approx(1.0)}
    assert out["distinct_2_within_value"] == pytest.approx((4 / 6 + 0.5) / 2)
    assert out["n_attributed"] == 4 and out["distinct_2_all"] == pytest.approx(6 / 10)


def test_the_metric_is_skipped_with_a_reason_without_attributes(monkeypatch):
    import synloom.quality.registry as registry
    from synloom.quality.suite import score_dataset

    monkeypatch.setattr(
        registry, "METRICS", {"attribute_diversity": registry.METRICS["attribute_diversity"]}
    )

    def embed(texts):
        return np.array([[1.0, len(t)] for t in texts])

    texts, labels = ["a b c", "a b d", "c d e"], ["x", "y", "x"]
    plain = score_dataset(texts, labels, embed=embed)
    assert plain["skipped"] == {
        "attribute_diversity": "no sample has attribute values "
        "(meta.attributes; drawn by recipes with attributes)"
    }
    scored = score_dataset(texts, labels, embed=embed, attributes=[{"g": "1"}, {"g": "1"}, None])
    assert scored["metrics"]["attribute_diversity"]["dimensions"]["g"]["values"]["1"]["count"] == 2


def test_the_report_section_shows_each_value():
    from synloom.report.attribute_section import attribute_section

    result = {
        "n_attributed": 4,
        "distinct_2_within_value": 0.6,
        "dimensions": {
            "genre": {
                "n_values": 2,
                "distinct_2": 0.6,
                "aps": 0.5,
                "values": {"<b>comedy</b>": {"count": 3, "distinct_2": 0.7, "aps": 0.1}},
            }
        },
    }
    data = SimpleNamespace(
        run_dir="runs/x",
        scores=SimpleNamespace(metrics={"attribute_diversity": result}, skipped={}),
    )
    html = attribute_section(data).html
    assert "&lt;b&gt;comedy&lt;/b&gt;" in html and "<td>0.7000</td>" in html
    skipped = SimpleNamespace(
        metrics={}, skipped={"attribute_diversity": "no sample has attribute values"}
    )
    assert (
        "no sample has attribute values"
        in attribute_section(SimpleNamespace(run_dir="r", scores=skipped)).html
    )


# -- the real embedded model (slow) --------------------------------------------------------------


@pytest.mark.heavy  # heavy lane: keeps the default run under 20 min on a float32 CPU
@pytest.mark.slow
def test_a_real_model_run_writes_values_per_class_and_resumes(tmp_path):
    spec = parse_spec(
        {
            "name": "attrprompt-real",
            "task": {"description": "movie review"},
            "labels": LABELS,
            "recipe": {
                "type": "attrprompt",
                "prompt": 'The {verbalizer} movie review of a {genre} movie is: "',
                "dimensions": [{"name": "genre"}],
                "values_per_dimension": 3,
                "list_max_new_tokens": 32,
                "min_words": 3,
            },
            "generation": {"samples_per_label": 4, "batch_size": 8, "max_new_tokens": 20},
            "backend": {"type": "local", "model": "embedded", "device": "cpu"},
            "seed": 3,
        }
    )
    summary = run_generation(spec, tmp_path / "run")
    with RunStore(tmp_path / "run") as store:
        values = store.accepted(FILTER_STAGE)
        refused = store.rejected(FILTER_STAGE)
        asked = store.requests(FILTER_STAGE, 0)
        samples = store.accepted()
    table = {lab: {v.text for v in values if v.label == lab} for lab in ("positive", "negative")}
    assert all(table.values()), (table, summary.stop_reason)  # each class has values of its own
    # every value put to the filter has its decision: kept, or dropped with the reason
    assert len(values) + len(refused) == len(asked) >= 2
    assert {r["reason"] for r in refused} <= {"fits_other_class", "unclear_answer"}
    assert summary.complete, summary.stop_reason
    for s in samples:
        assert s.meta["attributes"]["genre"] in table[s.label]
    before = dump(tmp_path / "run")
    assert run_generation(spec, tmp_path / "run").complete
    assert dump(tmp_path / "run") == before  # the rerun planned and sent nothing
    print(json.dumps({k: sorted(v) for k, v in table.items()}), [r["reason"] for r in refused])
