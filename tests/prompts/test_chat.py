"""Chat requests: a recipe's prompt as system + user messages, and the cleaning of real replies.

tests/data/chat_replies.jsonl holds 84 real replies of the embedded SmolLM2-135M-Instruct (its own
chat template, llama-server's /v1/chat/completions) to synloom's chat messages for SST-2- and
TREC-like specs (scripts/record_chat_replies.py); the `expected` cleaned output of each was
reviewed by hand."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from synloom.backends.base import GenerationParams, cut_at_stop
from synloom.backends.openai_wire import generation_payload
from synloom.errors import SpecError
from synloom.generate import run_generation
from synloom.prompts.chat import (
    DEFAULT_SYSTEM,
    REPLY_INSTRUCTION,
    chat_messages,
    chat_prompt,
    chat_request_text,
    decode_chat,
    priming_tail_removed,
)
from synloom.prompts.chat_clean import clean_chat_reply, parse_chat_reply
from synloom.prompts.parse import parse_completion
from synloom.spec import parse_spec
from synloom.spec.fingerprint import data_fingerprint
from synloom.store import RunStore
from tests.fakes import FakeBackend

REPLIES = Path(__file__).parents[1] / "data" / "chat_replies.jsonl"
# what a sample must not open with: a preamble, assistant talk, or a label / echoed prompt
PREAMBLE = re.compile(
    r"^(?:sure|certainly|of course|okay|absolutely|here(?:'s| is| are)|below is|"
    r"i(?:'m| am) (?:glad|happy|ready)|i'd be happy|what an? \w+ (?:request|question)|"
    r"(?:the |a )?(?:movie )?(?:review|question|text|sentence|answer)\b[^:\"]{0,60}:)",
    re.IGNORECASE,
)


def replies() -> list[dict]:
    return [json.loads(line) for line in REPLIES.read_text(encoding="utf-8").splitlines()]


def sent_text(row: dict) -> str:
    return "\n".join(m["content"] for m in row["messages"])


@pytest.mark.parametrize("row", replies(), ids=lambda r: r["id"])
def test_cleaning_a_recorded_reply_gives_the_reviewed_output(row):
    got = clean_chat_reply(row["reply"], row["finish_reason"], sent_text(row))
    assert ({"text": got.text} if got.ok else {"reason": got.reason}) == row["expected"]


def test_recorded_replies_cover_the_tasks_and_the_failure_kinds():
    rows = replies()
    assert len(rows) >= 60
    assert {r["task"].split("-")[0] for r in rows} == {"sst2", "trec"}
    assert all(decode_chat(chat_prompt("x")) and r["messages"][-1]["role"] == "user" for r in rows)
    reasons = {r["expected"].get("reason") for r in rows}
    assert {"chat_chatter", "echo", "chat_refusal", None} <= reasons


def test_cleaning_accepts_no_preamble_where_the_completion_parser_accepted_many():
    """Before: the completion parser on the same replies as a bare chat turn gets them (stopped
    at the spec's `"` / newline). Measured: before 78/84 accepted, 36 of them opening with a
    preamble, label or echo of the prompt; after 61/84 accepted, none."""
    old_ok = old_preamble = new_ok = new_preamble = 0
    for row in replies():
        cut, stopped = cut_at_stop(row["reply"], ['"', "\n"])
        finish = "stop" if stopped or row["finish_reason"] == "stop" else "length"
        old = parse_completion(cut, finish, min_words=3)
        new = parse_chat_reply(
            row["reply"], row["finish_reason"], prompt=sent_text(row), min_words=3
        )
        old_ok += old.ok
        old_preamble += old.ok and bool(PREAMBLE.search(old.text or ""))
        new_ok += new.ok
        new_preamble += new.ok and bool(PREAMBLE.search(new.text or ""))
    assert old_preamble >= 25  # measured 36
    assert new_preamble == 0
    assert new_ok >= 55  # measured 61 of 84


def test_the_user_message_drops_the_priming_tail_and_asks_for_the_text_only():
    assert priming_tail_removed('The movie review in positive sentiment is: "') == (
        "The movie review in positive sentiment is:"
    )
    assert priming_tail_removed("Write a review.") == "Write a review."
    system, user = chat_messages('A question asking for a place: "')
    assert system == {"role": "system", "content": DEFAULT_SYSTEM}
    assert user["content"] == f"A question asking for a place:\n\n{REPLY_INSTRUCTION}"
    assert chat_messages("Write a review.", system="") == [
        {"role": "user", "content": f"Write a review.\n\n{REPLY_INSTRUCTION}"}
    ]
    assert chat_messages("x", system="Be terse.")[0]["content"] == "Be terse."


def test_encoded_messages_round_trip_and_other_prompts_are_not_chat():
    prompt = chat_prompt('The review is: "', "sys")
    assert decode_chat(prompt) == chat_messages('The review is: "', "sys")
    assert chat_request_text(prompt) == f"sys\nThe review is:\n\n{REPLY_INSTRUCTION}"
    for other in ['The review is: "', '{"messages": []}', '{"messages": [{"role": "x"}]}', "{"]:
        assert decode_chat(other) is None
        assert chat_request_text(other) is None


def test_the_wire_sends_decoded_messages_and_a_plain_prompt_as_one_user_turn():
    params = GenerationParams(max_new_tokens=8)
    body = generation_payload("chat", "m", chat_prompt("Write a review.", "sys"), params, 1)
    assert body["messages"] == chat_messages("Write a review.", "sys")
    plain = generation_payload("chat", "m", 'Review: "', params, 1)
    assert plain["messages"] == [{"role": "user", "content": 'Review: "'}]
    assert generation_payload("completions", "m", 'Review: "', params, 1)["prompt"] == 'Review: "'


def chat_spec(**recipe) -> dict:
    return {
        "labels": [{"name": "positive"}, {"name": "negative"}],
        "recipe": {"type": "zerogen", "prompt": 'The {verbalizer} review is: "'} | recipe,
        "generation": {"samples_per_label": 3, "max_rounds": 2},
        "backend": {"type": "openai", "endpoint": "chat"},
        "seed": 5,
    }


def test_recipe_system_needs_a_chat_endpoint_and_stays_out_of_the_fingerprint_when_unset():
    spec = chat_spec(system="Be terse.")
    spec["backend"]["endpoint"] = "completions"
    with pytest.raises(SpecError, match=r"recipe\.system: a system message is sent to chat"):
        parse_spec(spec)
    assert "system" not in data_fingerprint(parse_spec(chat_spec()))["recipe"]
    assert data_fingerprint(parse_spec(chat_spec(system="")))["recipe"]["system"] == ""


def test_a_chat_run_stores_the_messages_sent_and_cleans_the_replies(tmp_path):
    """Orchestration only (a fake backend): requests carry the messages and no stop strings;
    replies go through the chat cleaner."""
    spec = parse_spec(chat_spec(system="Be terse."))
    run_generation(spec, tmp_path / "run", backend=FakeBackend())
    with RunStore(tmp_path / "run") as store:
        requests = store.requests("sample", 0)
        rejected = store.rejected()
    assert requests and all(r.params["stop"] == [] for r in requests)
    first = decode_chat(requests[0].prompt)
    assert first[0] == {"role": "system", "content": "Be terse."}
    assert first[1]["content"].startswith("The positive review is:\n\n")
    assert all(r["raw_text"] and r["reason"] for r in rejected)
