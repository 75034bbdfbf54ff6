"""Answering and scoring instructions for `instruction_tune.py`: the one prompt format (Alpaca's
fields, Taori et al., 2023), greedy batched answers, and mean ROUGE-L F (Lin, 2004) as
rouge-score computes it, the metric Self-Instruct (Wang et al., ACL 2023) reports for SuperNI.

The prompt is `PROMPT` (`PROMPT_NO_INPUT` when the input is empty); the answer follows "Output:"
after one space. An answer ends at EOS, a blank line or a new "Instruction:" (`STOPS`, past the answer's leading
white space), which is cut: the base model, never trained to stop, writes on into a next task.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROMPT = "Instruction: {instruction}\nInput: {input}\nOutput:"
PROMPT_NO_INPUT = "Instruction: {instruction}\nOutput:"
STOPS = ("\n\n", "\nInstruction:")


def default_eval_path() -> Path:
    """$SYNLOOM_SHARED/datasets/self_instruct/user_oriented_instructions.jsonl (else ../shared)."""
    shared = Path(os.environ.get("SYNLOOM_SHARED", ROOT.parent / "shared"))
    return shared / "datasets" / "self_instruct" / "user_oriented_instructions.jsonl"


def load_eval(path: str | Path | None = None, limit: int | None = None) -> list[dict]:
    """The user-oriented tasks (the first `limit`), each as its first instance's pair."""
    rows = []
    for line in Path(path or default_eval_path()).read_text("utf-8").splitlines():
        if line.strip():
            task = json.loads(line)
            first = task["instances"][0]
            rows.append(
                {
                    "id": task["id"],
                    "instruction": task["instruction"],
                    "input": first["input"],
                    "output": first["output"],
                }
            )
    return rows[:limit] if limit else rows


def prompt_text(row: dict) -> str:
    instruction, inp = row["instruction"].strip(), row.get("input", "").strip()
    if inp:
        return PROMPT.format(instruction=instruction, input=inp)
    return PROMPT_NO_INPUT.format(instruction=instruction)


def cut(text: str) -> str:
    """`text` without leading white space, up to its first stop string, stripped (a blank line
    before the answer does not end it)."""
    text = text.lstrip()
    for stop in STOPS:
        text = text.split(stop, 1)[0]
    return text.strip()


def stop_criteria(tokenizer, width: int):
    """Stops each row once its answer (after the `width` prompt tokens) holds a stop string past
    its leading white space; transformers' `stop_strings` would also stop at a leading one."""
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    class StopAtCut(StoppingCriteria):
        def __call__(self, input_ids, scores, **kwargs):
            texts = tokenizer.batch_decode(input_ids[:, width:], skip_special_tokens=True)
            done = [any(s in t.lstrip() for s in STOPS) for t in texts]
            return torch.tensor(done, dtype=torch.bool, device=input_ids.device)

    return StoppingCriteriaList([StopAtCut()])


def answer(model, tokenizer, rows: list[dict], max_new_tokens: int = 128, batch_size: int = 16):
    """Greedy answers to `rows` (in their order), batched by prompt length with left padding."""
    import torch

    encoded = [tokenizer(prompt_text(r), add_special_tokens=False)["input_ids"] for r in rows]
    order = sorted(range(len(rows)), key=lambda i: len(encoded[i]))
    pad, answers = tokenizer.pad_token_id, [""] * len(rows)
    device = next(model.parameters()).device
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        width = max(len(encoded[i]) for i in idx)
        ids = torch.tensor([[pad] * (width - len(encoded[i])) + encoded[i] for i in idx])
        mask = torch.tensor([[0] * (width - len(encoded[i])) + [1] * len(encoded[i]) for i in idx])
        with torch.no_grad():
            out = model.generate(
                input_ids=ids.to(device),
                attention_mask=mask.to(device),
                max_new_tokens=max_new_tokens,
                do_sample=False,
                temperature=None,
                top_p=None,
                top_k=None,
                pad_token_id=pad,
                eos_token_id=tokenizer.eos_token_id,
                stopping_criteria=stop_criteria(tokenizer, width),
            )
        for i, seq in zip(idx, out[:, width:]):
            answers[i] = cut(tokenizer.decode(seq, skip_special_tokens=True))
    return answers


def rouge_scores(predictions: list[str], references: list[str]) -> list[float]:
    """ROUGE-L F of each prediction against its reference (rouge-score, no stemming)."""
    from rouge_score import rouge_scorer

    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} references")
    scorer = rouge_scorer.RougeScorer(["rougeL"])
    return [scorer.score(r, p)["rougeL"].fmeasure for p, r in zip(predictions, references)]


def rouge_l(predictions: list[str], references: list[str]) -> float:
    """Mean ROUGE-L F of `predictions` against `references`."""
    if not predictions:
        raise ValueError("no predictions to score")
    return statistics.fmean(rouge_scores(predictions, references))


def cached_answers(
    model,
    tokenizer,
    rows: list[dict],
    path: Path,
    key: str,
    *,
    max_new_tokens: int,
    batch_size: int,
    say: Callable[[str], None] | None = None,
) -> tuple[list[str], float]:
    """`answer` for `rows`, one batch at a time appended to `path` (after a {"key"} line; a file
    of another key is replaced), so a rerun resumes: (answers, answering seconds of all runs)."""
    done: dict[int, str] = {}
    seconds = 0.0
    lines = path.read_text("utf-8").splitlines() if path.is_file() else []
    if lines and json.loads(lines[0]).get("key") == key:
        for line in lines[1:]:
            try:
                part = json.loads(line)
            except json.JSONDecodeError:  # a line cut short by an interrupted run
                continue
            done.update(zip(part["i"], part["answers"]))
            seconds += part["s"]
    else:
        path.write_text(json.dumps({"key": key}) + "\n", "utf-8")
    lengths = [len(tokenizer(prompt_text(r), add_special_tokens=False)["input_ids"]) for r in rows]
    todo = sorted((i for i in range(len(rows)) if i not in done), key=lengths.__getitem__)
    for start in range(0, len(todo), batch_size):
        idx = todo[start : start + batch_size]
        t0 = time.perf_counter()
        texts = answer(model, tokenizer, [rows[i] for i in idx], max_new_tokens, batch_size)
        spent = time.perf_counter() - t0
        seconds += spent
        done.update(zip(idx, texts))
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"i": idx, "answers": texts, "s": round(spent, 2)}) + "\n")
        if say:
            say(f"{path.name}: {len(done)}/{len(rows)} answered ({spent:.1f} s)")
    return [done[i] for i in range(len(rows))], seconds
