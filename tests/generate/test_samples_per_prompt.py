"""`generation.samples_per_prompt`: n samples decoded from one rendered prompt.

Planning groups a label's requests by n (one prompt, demos and context per group); the engine
sends each prompt once with n; every sample keeps its own request row, output row, seed and
rejection reason. Unset (or 1) changes nothing: not the plan, not the fingerprint."""

from __future__ import annotations

import copy

import pytest

from synloom.backends.base import GenerationParams
from synloom.backends.openai_compat import OpenAIBackend
from synloom.generate import run_generation
from synloom.generate.plan import PROMPT_GROUP, plan_round, round_state
from synloom.recipes import recipe_for
from synloom.spec import parse_spec
from synloom.spec.fingerprint import data_fingerprint, fingerprint_hash
from synloom.store import RunStore
from synloom.testing.fake_openai import FakeConfig, FakeOpenAIServer
from tests.fakes import FakeBackend

POS = [
    "a gorgeous , witty , seductive movie .",
    "the performances are an absolute joy .",
    "a warm , funny , engaging film .",
    "one of the most exciting action films in years .",
]
NEG = [
    "the movie is a disaster from start to finish .",
    "a dull , pretentious mess .",
    "it 's boring , predictable and far too long .",
    "the acting is wooden and the plot makes no sense .",
]
SPEC = {
    "name": "spp",
    "task": {"kind": "text_classification", "description": "movie review sentiment"},
    "labels": [
        {"name": "positive", "verbalizers": ["positive"]},
        {"name": "negative", "verbalizers": ["negative"]},
    ],
    "seed_examples": [{"label": "positive", "text": t} for t in POS]
    + [{"label": "negative", "text": t} for t in NEG],
    "recipe": {
        "type": "fewshot",
        "k": 2,
        "example_template": 'The movie review in {verbalizer} sentiment is: "{text}"\n',
        "prompt": 'The movie review in {verbalizer} sentiment is: "',
        "min_words": 3,
    },
    "generation": {"samples_per_label": 10, "batch_size": 8, "max_new_tokens": 16},
    "backend": {"type": "local", "device": "cpu"},
    "seed": 11,
}


def spec_with(**generation):
    data = copy.deepcopy(SPEC)
    data["generation"] |= generation
    return parse_spec(data)


def first_round(spec):
    recipe = recipe_for(spec)
    stage = recipe.stages()[-1]
    return plan_round(recipe, round_state(spec, FakeStore(), stage, 0, 10**6))


class FakeStore:
    """What planning round 0 reads of a store: nothing yet."""

    def label_stats(self, stage, labels):
        return {label: (0, 0) for label in labels}


def test_unset_or_one_changes_neither_plan_nor_fingerprint():
    unset, one, four = spec_with(), spec_with(samples_per_prompt=1), spec_with(samples_per_prompt=4)
    assert one.generation.samples_per_prompt is None and four.generation.per_prompt == 4
    assert fingerprint_hash(data_fingerprint(one)) == fingerprint_hash(data_fingerprint(unset))
    assert fingerprint_hash(data_fingerprint(four)) != fingerprint_hash(data_fingerprint(unset))
    plain = first_round(unset)
    assert plain == first_round(one)
    assert all(PROMPT_GROUP not in r.meta for r in plain)


def test_a_group_of_n_shares_prompt_and_demos_and_a_batch_holds_whole_groups():
    spec = spec_with(samples_per_prompt=4)
    plain, shared = first_round(spec_with()), first_round(spec)
    assert len(shared) == len(plain) == 24  # 10 x 1.2 per label: as many samples as before
    assert [r.idx for r in shared] == list(range(24))
    assert len({r.id for r in shared}) == 24 and len({r.seed for r in shared}) == 24
    groups: dict[str, list] = {}
    for r in shared:
        groups.setdefault(r.meta[PROMPT_GROUP], []).append(r)
    # each label's 12 requests in groups of 4, the j-th group of each label before the (j+1)-th
    assert [len(g) for g in groups.values()] == [4] * 6
    assert [g[0].label for g in groups.values()] == ["positive", "negative"] * 3
    by_label = {lab: [p for p in plain if p.label == lab] for lab in ("positive", "negative")}
    for j, (leader_id, group) in enumerate(groups.items()):
        assert group[0].id == leader_id
        assert [r.idx for r in group] == list(range(group[0].idx, group[0].idx + 4))
        assert len({(r.prompt, r.context, r.label, r.batch) for r in group}) == 1
        # the prompt the recipe drew for the label's first request of the group
        assert group[0].prompt == by_label[group[0].label][j // 2 * 4].prompt
    assert len({g[0].prompt for g in groups.values()}) > 2  # groups draw their own demos
    assert [r.batch for r in shared] == [i // 8 for i in range(24)]  # 8 // 4 = 2 groups a batch


def test_the_engine_sends_each_prompt_once_and_stores_every_sample(tmp_path):
    spec = spec_with(samples_per_prompt=4, samples_per_label=6, batch_size=8)
    fake = FakeBackend()
    summary = run_generation(spec, tmp_path / "run", backend=fake)
    assert summary.complete
    with RunStore(tmp_path / "run") as store:
        counts = store.counts()
        requests = store.requests("sample", 0)
        rejected = store.rejected("sample")
    assert (
        counts["planned"] == counts["accepted"] + counts["rejected"] and counts["unfinished"] == 0
    )
    assert all(r["reason"] for r in rejected)
    # every call got whole groups: 2 prompts of 4 samples (the last call of a round may be less)
    sent = sum(len(call) for call in fake.calls)
    assert sent * 4 >= counts["planned"] > (sent - len(fake.calls)) * 4
    assert all(len(call) <= 2 for call in fake.calls)
    assert len(requests) == 16 and len({r.meta[PROMPT_GROUP] for r in requests}) == 4


def test_the_fake_server_honours_n_and_the_backend_falls_back_when_refused():
    prompts = ['The movie review in positive sentiment is: "', 'A negative review: "']
    seeds = [3, 4, 5, 6, 7, 8]
    params = GenerationParams(max_new_tokens=12, stop=('"',), n=3)
    one = GenerationParams(max_new_tokens=12, stop=('"',))
    with FakeOpenAIServer() as server:
        backend = OpenAIBackend(server.base_url)
        try:
            got = backend.generate(prompts, params, seeds)
            singles = backend.generate([prompts[0], prompts[1]], one, [3, 6])
        finally:
            backend.close()
        assert server.counters["requests"] == 2 + 2 and server.counters["choices"] == 6
    assert len(got) == 6 and all(not c.failed for c in got)
    assert [got[0].text, got[3].text] == [c.text for c in singles]  # choice 0: the prompt's seed
    assert len({c.text for c in got[:3]}) > 1  # the n choices differ

    with FakeOpenAIServer(FakeConfig(one_choice=True)) as server:
        backend = OpenAIBackend(server.base_url)
        try:
            apart = backend.generate(prompts, params, seeds)
            each = backend.generate([p for p in prompts for _ in range(3)], one, seeds)
        finally:
            backend.close()
        assert server.counters["n_refused"] >= 1 and server.counters["choices"] == 0
    assert [c.text for c in apart] == [c.text for c in each]  # each sample with its own seed


def test_a_run_through_the_openai_backend_stores_n_samples_per_request(tmp_path):
    data = copy.deepcopy(SPEC)
    data["generation"] |= {"samples_per_prompt": 4, "samples_per_label": 6}
    with FakeOpenAIServer() as server:
        data["backend"] = {"type": "openai", "base_url": server.base_url}
        spec = parse_spec(data)
        run_generation(spec, tmp_path / "a")
        run_generation(spec, tmp_path / "b")
        sent = server.counters["requests"]
    with RunStore(tmp_path / "a") as a, RunStore(tmp_path / "b") as b:
        counts = a.counts()
        assert [(s.id, s.text) for s in a.accepted()] == [(s.id, s.text) for s in b.accepted()]
    assert (
        counts["unfinished"] == 0 and counts["accepted"] + counts["rejected"] == counts["planned"]
    )
    assert sent * 4 == 2 * counts["planned"]  # one request per prompt of 4 samples, both runs


class Crashing:
    """A real backend that raises (a killed process) on its `after`-th call."""

    def __init__(self, inner, after):
        self.inner, self.after, self.calls = inner, after, 0
        self.name, self.model_name = inner.name, inner.model_name

    def generate(self, prompts, params, seeds):
        self.calls += 1
        if self.calls > self.after:
            raise KeyboardInterrupt("killed")
        return self.inner.generate(prompts, params, seeds)

    def score(self, prompts, continuations):
        return self.inner.score(prompts, continuations)

    def close(self):
        pass


@pytest.fixture(scope="module")
def embedded():
    from synloom.backends.local import LocalBackend

    backend = LocalBackend(device="cpu", threads=2)
    yield backend
    backend.close()


def test_greedy_samples_from_the_shared_cache_equal_the_prompt_decoded_alone(embedded):
    # the cache repeated n times holds what each prompt's own prefill would: greedy decoding
    # (no sampling) from it gives each prompt's own greedy continuation n times
    prompts = ['The movie review in positive sentiment is: "', "Hi", 'A short, dull film: "']
    alone = embedded.generate(prompts, GenerationParams(max_new_tokens=10, temperature=0.0), [1])
    shared = embedded.generate(
        prompts, GenerationParams(max_new_tokens=10, temperature=0.0, n=3), list(range(9))
    )
    assert [c.raw_text for c in shared] == [c.raw_text for c in alone for _ in range(3)]
    sampled = embedded.generate(prompts[:1], GenerationParams(max_new_tokens=10, n=4), [5] * 4)
    assert len({c.raw_text for c in sampled}) > 1  # sampled rows of one prompt differ


def test_same_seed_same_samples_on_rerun_and_after_a_crash(tmp_path, embedded):
    spec = spec_with(samples_per_prompt=4, samples_per_label=4, max_new_tokens=12, max_rounds=1)
    run_generation(spec, tmp_path / "full", backend=embedded)
    run_generation(spec, tmp_path / "again", backend=embedded)
    with pytest.raises(KeyboardInterrupt):
        run_generation(spec, tmp_path / "crashed", backend=Crashing(embedded, after=1))
    with RunStore(tmp_path / "crashed") as store:
        assert store.counts()["unfinished"] > 0 and store.counts()["done"] == 8
    run_generation(spec, tmp_path / "crashed", backend=embedded)

    def outcome(name):
        with RunStore(tmp_path / name) as store:
            rows = store.db.execute(
                "SELECT request_id, raw_text, status FROM outputs ORDER BY request_id"
            ).fetchall()
            return rows, store.counts()

    full, counts = outcome("full")
    assert counts["planned"] == 10 and counts["unfinished"] == 0 and len(full) == 10
    assert outcome("again")[0] == full
    assert outcome("crashed")[0] == full
