"""`judge`: ask a model in words which label fits the sample; drop the samples it labels otherwise.

LLM-as-a-judge filtering of generated data (Zheng et al., NeurIPS 2023 D&B, "Judging LLM-as-a-
Judge with MT-Bench and Chatbot Arena"; the relabel check of synthetic classification data by
an LLM, e.g. Wang et al., EMNLP 2021 Findings, "Towards Zero-Label Language Learning"): the
prompt lists the task's labels (name and description, or verbalizer) and the text, and asks for
the label's name. The answer is generated greedily (temperature 0, a few tokens) through
`Backend.generate`, so any model that writes text can judge, chat-only OpenAI-compatible
servers included: no prompt log-probs are needed.

Score: 1.0 when the first label named in the answer (case-insensitive, whole words; a name's
underscores may be spaces or hyphens; verbalizers count) is the sample's label, 0.0 when it is
another label, NaN when the answer names none or the request failed. The raw answers are kept in
`details["answer"]` (and the judged label in `details["judged"]`, "" when none) so a user can
read why a sample went. A `filter` method with threshold 0.5.

The judge is the run's generator unless `base_url` names an OpenAI-compatible server
(`judge_backend_config` / `judge_backend`). `chat` wraps the question in the model's chat
template: a local model's own template (when its tokenizer has one), an HTTP judge's chat
endpoint; a completions-only HTTP generator used as judge gets the plain prompt.
"""

from __future__ import annotations

import re
import string
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field, field_validator, model_validator

from synloom.curate.base import Method, MethodInfo, MethodOptions, MethodScores

if TYPE_CHECKING:
    from collections.abc import Sequence

    from synloom.backends.base import Backend
    from synloom.backends.registry import BackendHandle
    from synloom.curate.data import CurationData
    from synloom.spec import TaskSpec
    from synloom.spec.backend import OpenAIBackendConfig

DEFAULT_TEMPLATE = (
    "Task: {task}\n"
    "Labels:\n{labels}\n\n"
    "{text}\n\n"
    "Which label fits the text best? Answer with the label name only.\n"
    "Answer:"
)
PLACEHOLDERS = {"text", "labels", "task"}

INFO = MethodInfo(
    name="judge",
    kind="filter",
    measures="1 if a judge model, asked in words, names the sample's label; 0 if another",
    citation=(
        "Zheng et al., NeurIPS 2023 D&B, Judging LLM-as-a-Judge with MT-Bench and Chatbot "
        "Arena; Wang et al., Findings EMNLP 2021, Towards Zero-Label Language Learning"
    ),
    needs=("judge",),
    per_sample=True,
)


class JudgeOptions(MethodOptions):
    """`template`: the question ({text}: the sample, "Text: ..." or "First text: ...\\nSecond
    text: ..." for pairs; {labels}: one "- name: description" line per label; {task}: the task's
    description). `base_url`, `model`, `api_key_env`: a judge on an OpenAI-compatible server
    instead of the generator. `max_new_tokens`: the answer's length; `chat`: use the chat
    template; `batch_size`: prompts per `generate` call of a local judge."""

    template: str = Field(DEFAULT_TEMPLATE, min_length=1)
    base_url: str | None = None
    model: str | None = Field(None, min_length=1)
    api_key_env: str | None = None
    max_new_tokens: int = Field(8, ge=1, le=256)
    chat: bool = True
    batch_size: int = Field(32, ge=1)

    @field_validator("template")
    @classmethod
    def _check_template(cls, value: str) -> str:
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(value) if f is not None}
        except ValueError as exc:
            raise ValueError(f"bad template: {exc}") from None
        unknown = sorted(fields - PLACEHOLDERS)
        if unknown:
            raise ValueError(
                f"unknown placeholder {{{unknown[0]}}}; use {{text}}, {{labels}}, {{task}}"
            )
        if "text" not in fields:
            raise ValueError("the template must contain {text}")
        return value

    @model_validator(mode="after")
    def _check_server(self) -> JudgeOptions:
        if self.base_url is None:
            if self.model is not None or self.api_key_env is not None:
                raise ValueError("model and api_key_env need base_url (a judge server)")
            return self
        judge_backend_config(self)  # validates the URL and the key's variable name
        return self


def judge_backend_config(options: JudgeOptions) -> OpenAIBackendConfig | None:
    """The OpenAI-compatible judge server the options name, or None (the generator judges)."""
    if options.base_url is None:
        return None
    from pydantic import ValidationError

    from synloom.spec.backend import OpenAIBackendConfig

    fields: dict = {"base_url": options.base_url, "endpoint": "chat" if options.chat else None}
    fields |= {"model": options.model, "api_key_env": options.api_key_env}
    try:
        return OpenAIBackendConfig(**{k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise ValueError(f"judge server: {where}: {error['msg']}") from None


def judge_backend(options: JudgeOptions) -> BackendHandle | None:
    """A lazy handle on the judge server (opened on `get()`, closed by `close()` / `with`), or
    None when the generator judges. The runner passes `handle.get` as `CurationData`'s judge."""
    config = judge_backend_config(options)
    if config is None:
        return None
    from synloom.backends.registry import BackendHandle

    return BackendHandle(config)


def describe_labels(spec: TaskSpec) -> str:
    """One "- name: description" line per label (the verbalizer when there is no description)."""
    lines = []
    for label in spec.labels:
        about = label.description or (label.verbalizer if label.verbalizer != label.name else "")
        lines.append(f"- {label.name}: {about}" if about else f"- {label.name}")
    return "\n".join(lines)


def render_question(template: str, spec: TaskSpec, text: str, text_a: str | None = None) -> str:
    """The judge's question about one sample."""
    if text_a is None:
        shown = f'Text: "{text}"'
    else:
        shown = f'First text: "{text_a}"\nSecond text: "{text}"'
    task = spec.task.description or spec.task.kind.value.replace("_", " ")
    return template.format_map({"text": shown, "labels": describe_labels(spec), "task": task})


def answer_parser(spec: TaskSpec):
    """A function answer -> the first label it names (case-insensitive, whole words), or None."""
    terms: dict[str, str] = {}
    for label in spec.labels:
        for term in (label.name, *label.verbalizers):
            for variant in {term, term.replace("_", " "), term.replace("_", "-")}:
                terms.setdefault(variant.casefold(), label.name)
    alternatives = "|".join(re.escape(t) for t in sorted(terms, key=lambda t: (-len(t), t)))
    pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)

    def parse(answer: str) -> str | None:
        found = pattern.search(answer)
        return None if found is None else terms[found.group(0).casefold()]

    return parse


def _as_chat(backend: Backend, prompts: list[str]) -> tuple[list[str], bool]:
    """The prompts in a local model's chat template, when it has one (else unchanged)."""
    from synloom.backends.local import LocalBackend

    if not isinstance(backend, LocalBackend) or not backend.tokenizer.chat_template:
        return prompts, False
    tok = backend.tokenizer
    wrapped = [
        tok.apply_chat_template(
            [{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True
        )
        for p in prompts
    ]
    return wrapped, True


def _generate(backend: Backend, prompts: list[str], seeds: Sequence[int], options: JudgeOptions):
    from synloom.backends.base import GenerationParams, StreamingBackend

    params = GenerationParams(
        max_new_tokens=options.max_new_tokens, temperature=0.0, top_p=1.0, top_k=0
    )
    step = len(prompts) if isinstance(backend, StreamingBackend) else options.batch_size
    out = []
    for start in range(0, len(prompts), max(step, 1)):
        out += backend.generate(
            prompts[start : start + step], params, list(seeds[start : start + step])
        )
    return out


class Judge(Method):
    info = INFO
    options = JudgeOptions
    default_threshold = 0.5  # scores are 1 (its label), 0 (another) or NaN (no answer)

    def score(self, data: CurationData, options: JudgeOptions) -> MethodScores:
        from synloom.generate.seeds import derive_seed

        n = len(data)
        texts_a = data.texts_a
        prompts = [
            render_question(options.template, data.spec, t, None if texts_a is None else texts_a[i])
            for i, t in enumerate(data.texts)
        ]
        chat = False
        completions = []
        if n:
            backend = data.judge()
            if options.chat:
                prompts, chat = _as_chat(backend, prompts)
            seeds = [derive_seed(data.seed, "judge", sample_id) for sample_id in data.ids]
            completions = _generate(backend, prompts, seeds, options)
        parse = answer_parser(data.spec)
        scores = np.full(n, np.nan)
        answers = np.empty(n, dtype=object)
        judged = np.empty(n, dtype=object)
        errors = np.empty(n, dtype=object)
        for i, comp in enumerate(completions):
            answers[i] = comp.raw_text or comp.text
            errors[i] = comp.error or ""
            label = None if comp.failed else parse(comp.text)
            judged[i] = label or ""
            if label is not None:
                scores[i] = 1.0 if label == data.labels[i] else 0.0
        parsed = int(np.sum(~np.isnan(scores)))
        return MethodScores(
            scores=scores,
            details={"answer": answers, "judged": judged, "error": errors},
            summary={
                "parsed": parsed,
                "unparsed": n - parsed,
                "failed": sum(1 for c in completions if c.failed),
                "chat_template": chat,
                "server": options.base_url,
                "template": options.template,
            },
        )


METHOD = Judge()
