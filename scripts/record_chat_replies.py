"""Record real chat replies for tests/data/chat_replies.jsonl.

Starts llama-server with the embedded SmolLM2-135M-Instruct GGUF (its own chat template), runs
`synloom generate`'s engine with `endpoint: chat` on SST-2- and TREC-like specs (completion-style
prompts as the shipped examples have them, and instruction-style ones as examples/sst2_chat.yaml),
and writes one row per reply: the task, the messages sent, the reply, its finish reason, and the
cleaner's output as `expected` (to be reviewed by hand before the file is committed).

    python scripts/record_chat_replies.py --out tests/data/chat_replies.jsonl
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
from pathlib import Path

from synloom.backends.embedded import embedded_gguf_path
from synloom.generate import run_generation
from synloom.prompts.chat import chat_request_text, decode_chat
from synloom.prompts.chat_clean import clean_chat_reply
from synloom.spec import parse_spec
from synloom.testing.llama_server import LlamaServer

SST2 = [{"name": "positive"}, {"name": "negative"}]
SST2_SEEDS = [
    {"label": "positive", "text": "a gorgeous , witty , seductive movie ."},
    {"label": "positive", "text": "the performances are an absolute joy ."},
    {"label": "negative", "text": "a dull , pretentious mess ."},
    {"label": "negative", "text": "the plot is nothing but boilerplate clichés ."},
]
TREC = [
    {"name": "abbreviation", "description": "the meaning of an abbreviation or acronym"},
    {"name": "description", "description": "a definition, reason or description"},
    {"name": "entity", "description": "an entity such as an animal, color, food or product"},
    {"name": "human", "description": "a person or group of people", "verbalizers": ["person"]},
    {"name": "location", "description": "a place such as a city, country or mountain"},
    {"name": "number", "description": "a number, date, count, distance or amount"},
]
TREC_SEEDS = [  # examples/trec.yaml's invented seed questions
    {"label": "abbreviation", "text": "What does NASA stand for ?"},
    {"label": "abbreviation", "text": "What is the abbreviation for the United Nations ?"},
    {"label": "description", "text": "Why is the sky blue ?"},
    {"label": "description", "text": "What is photosynthesis ?"},
    {"label": "entity", "text": "What kind of animal is a dolphin ?"},
    {"label": "entity", "text": "What instrument did Louis Armstrong play ?"},
    {"label": "human", "text": "Who wrote the novel Moby Dick ?"},
    {"label": "human", "text": "Who was the first woman in space ?"},
    {"label": "location", "text": "Where is the Eiffel Tower ?"},
    {"label": "location", "text": "What country has the largest population ?"},
    {"label": "number", "text": "How many legs does a spider have ?"},
    {"label": "number", "text": "When did the Second World War end ?"},
]
TASKS = {
    "sst2-completion": (SST2, [], {"prompt": 'The movie review in {verbalizer} sentiment is: "'}),
    "sst2-fewshot": (
        SST2,
        SST2_SEEDS,
        {
            "type": "fewshot",
            "k": 2,
            "example_template": 'The movie review in {verbalizer} sentiment is: "{text}"\n',
            "prompt": 'The movie review in {verbalizer} sentiment is: "',
        },
    ),
    "sst2-instruction": (
        SST2,
        [],
        {"prompt": "Write a short {verbalizer} movie review of one or two sentences."},
    ),
    "trec-fewshot": (
        TREC,
        TREC_SEEDS,
        {
            "type": "fewshot",
            "k": 2,
            "example_template": 'A question asking for {description}: "{text}"\n',
            "prompt": 'A question asking for {description}: "',
        },
    ),
    "trec-instruction": (
        TREC,
        [],
        {"prompt": "Write one question whose answer is {description}."},
    ),
}


def record(base_url: str, per_label: dict[str, int], work: Path) -> list[dict]:
    rows = []
    for task, (labels, seeds, recipe) in TASKS.items():
        n = per_label[task]
        spec = parse_spec(
            {
                "labels": labels,
                "seed_examples": seeds,
                "recipe": {"type": "zerogen", "min_words": 3} | recipe,
                "generation": {
                    "samples_per_label": n,
                    "max_new_tokens": 60,
                    "oversample": 1.0,
                    "max_rounds": 1,
                },
                "backend": {"type": "openai", "base_url": base_url, "endpoint": "chat"},
                "seed": 13,
            }
        )
        run_generation(spec, work / task)
        db = sqlite3.connect(work / task / "run.sqlite")
        query = (
            "SELECT r.id, r.label, r.prompt, o.raw_text, o.finish_reason FROM requests r "
            "JOIN outputs o ON o.request_id = r.id ORDER BY r.round, r.idx"
        )
        for rid, label, prompt, raw, finish in db.execute(query):
            cleaned = clean_chat_reply(raw, finish, chat_request_text(prompt) or "")
            expected = {"text": cleaned.text} if cleaned.ok else {"reason": cleaned.reason}
            rows.append(
                {
                    "id": f"{task}/{rid}",
                    "task": task,
                    "label": label,
                    "messages": decode_chat(prompt),
                    "finish_reason": finish,
                    "reply": raw,
                    "expected": expected,
                }
            )
        db.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--base-url", default=None, help="a running server (else one is started)")
    args = parser.parse_args()
    per_label = {
        "sst2-completion": 8,
        "sst2-fewshot": 8,
        "sst2-instruction": 8,
        "trec-fewshot": 3,
        "trec-instruction": 3,
    }
    with tempfile.TemporaryDirectory() as tmp:
        if args.base_url:
            rows = record(args.base_url, per_label, Path(tmp))
        else:
            with LlamaServer(embedded_gguf_path(), parallel=4, ctx_per_slot=1024) as server:
                rows = record(server.base_url, per_label, Path(tmp))
    with open(args.out, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} replies -> {args.out}")


if __name__ == "__main__":
    main()
