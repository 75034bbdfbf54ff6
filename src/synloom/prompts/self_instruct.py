"""The prompts of Self-Instruct (Wang et al., "Self-Instruct: Aligning Language Models with
Self-Generated Instructions", ACL 2023, §2.2 and Tables 6-8 of its appendix) and the parsers of
their completions.

- New instructions: "Come up with a series of tasks:" and 8 numbered pool instructions, then the
  next number (the paper's `encode_prompt`); one instruction per completion, up to the line end.
- Classification identification: "Can the following task be regarded as a classification task
  with finite output labels?" with seed tasks as examples, answered Yes or No.
- Instances, input-first for other tasks ("Task / Input / Output", the input may be empty),
  output-first for classification ("Task / Class label / Input": the label first, so inputs do
  not all lean to one label). The examples are seed tasks of the same kind.

A sample is the JSON object {"instruction", "input", "output"} (compact, in that order)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from synloom.prompts.parse import ParseResult

INSTRUCTION_HEADER = "Come up with a series of tasks:\n"
CLASSIFY_HEADER = (
    "Can the following task be regarded as a classification task with finite output labels?\n\n"
)
INPUT_FIRST_HEADER = (
    "Come up with an example for each of the following tasks. If the task doesn't require "
    "additional input, leave the input empty and generate the output directly.\n\n"
)
OUTPUT_FIRST_HEADER = (
    "Given the classification task definition and the class labels, generate an input that "
    "corresponds to the class label. If the task doesn't require input, just generate the "
    "correct class label.\n\n"
)
INSTANCE_STOP = ("\nTask:",)
EMPTY_INPUTS = {"", "none", "n/a", "<noinput>", "no input", "null", "(empty)", "empty"}
_NUMBER = re.compile(r"^\s*(?:task\s*)?\d+\s*[.:)]\s*", re.IGNORECASE)
_WS = re.compile(r"\s+")
_FIELD = re.compile(r"\n\s*(?:Output|Input|Class label|Example \d+)\s*:", re.IGNORECASE)


def one_line_text(text: str) -> str:
    """Whitespace collapsed, as the paper's `encode_prompt` writes pool instructions."""
    return _WS.sub(" ", text).strip()


def instruction_prompt(instructions: Sequence[str]) -> str:
    """The numbered pool instructions and the next number, for the model to continue."""
    lines = [f"{i}. {one_line_text(t).rstrip(':')}\n" for i, t in enumerate(instructions, 1)]
    return INSTRUCTION_HEADER + "".join(lines) + f"{len(instructions) + 1}."


def parse_instruction(text: str, finish_reason: str) -> ParseResult:
    """The instruction a completion wrote: its first line, a leading "10." or "Task 10:" cut; a
    completion cut at the token limit is `truncated` (the paper drops it too)."""
    if finish_reason == "length" and "\n" not in text:
        return ParseResult(None, "truncated", "stopped at max_new_tokens mid-instruction")
    line = one_line_text(_NUMBER.sub("", text.strip().split("\n", 1)[0]))
    if not line:
        return ParseResult(None, "empty", "no instruction on the first line")
    return ParseResult(line)


def classify_prompt(examples: Sequence[tuple[str, bool]], instruction: str) -> str:
    """Seed tasks with their Yes/No, then `instruction` for the model to answer."""
    shots = "".join(
        f"Task: {one_line_text(t)}\nIs it classification? {'Yes' if c else 'No'}\n\n"
        for t, c in examples
    )
    return f"{CLASSIFY_HEADER}{shots}Task: {one_line_text(instruction)}\nIs it classification?"


def instance_prompt(
    examples: Sequence[tuple[str, str, str]], instruction: str, classification: bool
) -> str:
    """(instruction, input, output) seed examples, then `instruction` with its first field open:
    `Input:` (input-first) or `Class label:` (output-first)."""
    if classification:
        shots = "".join(
            f"Task: {one_line_text(t)}\nClass label: {o.strip()}\nInput: {i.strip()}\n\n"
            for t, i, o in examples
        )
        return f"{OUTPUT_FIRST_HEADER}{shots}Task: {one_line_text(instruction)}\nClass label:"
    shots = "".join(
        f"Task: {one_line_text(t)}\nInput: {i.strip()}\nOutput: {o.strip()}\n\n"
        for t, i, o in examples
    )
    return f"{INPUT_FIRST_HEADER}{shots}Task: {one_line_text(instruction)}\nInput:"


def instance_json(instruction: str, input_text: str, output: str) -> str:
    return json.dumps(
        {"instruction": instruction, "input": input_text, "output": output},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _clean_input(text: str) -> str:
    text = text.strip()
    return "" if text.casefold().strip(" .\"'") in EMPTY_INPUTS else text


def parse_instance(
    text: str,
    finish_reason: str,
    *,
    instruction: str,
    classification: bool,
    max_output_words: int,
) -> ParseResult:
    """An instance from a completion of `instance_prompt`: input-first "<input>\\nOutput: <output>",
    or output-first "<label>\\nInput: <input>" (no Input line: a task without input). Rejects:
    `truncated` (cut at the token limit), `no_output`, `copied_input` (output = input), `too_long`."""
    if finish_reason == "length":
        return ParseResult(None, "truncated", "stopped at max_new_tokens mid-instance")
    body = text.split("\nTask:", 1)[0].rstrip()
    if classification:
        label, sep, rest = body.partition("\nInput:")
        input_text, output = (_clean_input(rest) if sep else ""), label.strip()
    else:
        first, sep, rest = body.partition("\nOutput:")
        if not sep:
            return ParseResult(None, "no_output", "no 'Output:' line after the input")
        input_text, output = _clean_input(first), rest.strip()
    output = _FIELD.split(output, 1)[0].strip()  # a second "Output:"/"Input:" line: rambling
    if not output:
        return ParseResult(None, "no_output", "the output is empty")
    if input_text and " ".join(output.split()) == " ".join(input_text.split()):
        return ParseResult(None, "copied_input", "the output repeats the input")
    words = len(output.split())
    if words > max_output_words:
        return ParseResult(None, "too_long", f"output has {words} words > {max_output_words}")
    return ParseResult(instance_json(instruction, input_text, output))
