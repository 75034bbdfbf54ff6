"""Clean a chat model's reply into one sample, or say why it cannot be one.

A chat model asked for "only the text" still wraps it: a preamble ("Sure! Here is a positive
review:"), an echo of the prompt ("The movie review in positive sentiment is:"), a label
("Review:"), quotes or markdown around the text, and outro chatter ("I hope this helps!"). The
rules below remove those, keep the first paragraph of what is left as the sample, and run
ZeroGen's checks on it (`check_sample`); a reply that is only chatter is rejected as `echo` or
`empty`, a refusal as `chat_refusal`, and the raw reply is kept with every rejection.

Not a published method: the rules were written against, and are tested on, real replies of a
chat model recorded in tests/data/chat_replies.jsonl; docs/serving.md gives the accepted rates
before and after cleaning.
"""

from __future__ import annotations

import re

from synloom.prompts.parse import ParseResult, check_sample

CHAT_REFUSALS = (
    "as an ai",
    "i'm sorry",
    "i am sorry",
    "i apologize",
    "i cannot",
    "i can't",
    "i can not",
    "i am unable",
    "i'm unable",
    "i won't",
    "i will not",
)
QUOTES = {'"': '"', "“": "”", "„": "“", "«": "»", "'": "'", "‘": "’", "`": "`"}
# words a lead-in label may use besides the prompt's own words ("Review:", "Sure! Here it is:")
LABEL_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "here",
        "is",
        "are",
        "it's",
        "its",
        "this",
        "that",
        "sure",
        "certainly",
        "okay",
        "ok",
        "of",
        "course",
        "absolutely",
        "great",
        "alright",
        "my",
        "your",
        "one",
        "new",
        "example",
        "sample",
        "text",
        "texts",
        "review",
        "reviews",
        "sentence",
        "sentences",
        "question",
        "questions",
        "answer",
        "output",
        "response",
        "reply",
        "result",
        "version",
        "draft",
        "title",
        "generated",
        "written",
        "following",
        "below",
        "requested",
        "final",
        "was",
    ]
)
_PREAMBLE = re.compile(
    r"^(?:(?:sure|certainly|of course|okay|ok|absolutely|alright|great)\b[^\n:]{0,40}?[!.,]\s*)?"
    r"(?:here(?:'s|’s| is| are)|below is|this is|i(?:'ve| have) (?:written|created|generated))"
    r"\b[^\n:]{0,150}:\s*",
    re.IGNORECASE,
)
_OPENER = re.compile(
    r"^(?:sure|certainly|of course|okay|absolutely|alright)\b[^\n]{0,40}?[!.]\s+", re.IGNORECASE
)
_LABEL = re.compile(r"^([^\n:\"“]{1,80}):\s+(?=\S)")
# a clause that introduces a quoted text: `One question I like is: "Why ...?"`
_INTRODUCED_QUOTE = re.compile(r"^[^\n:\"“]{1,160}:\s*(?=[\"“])")
_OUTRO = re.compile(
    r"^\(?(?:i hope|hope this|let me know|feel free|if you (?:need|want|have|would)|note:|"
    r"this (?:review|text|sentence|question|example) (?:is|was|has|expresses|captures|shows)|"
    r"i(?:'ve| have) (?:written|created|kept|made)|in this (?:review|text|sentence|question))",
    re.IGNORECASE,
)
# assistant talk instead of the text asked for (searched in the cleaned sample)
_CHATTER = re.compile(
    r"\b(?:how|what) can i (?:help|assist|do for you)|\bi(?:'m| am) (?:ready|here|happy|glad) to "
    r"(?:help|assist)|\b(?:can|could) you please provide\b|\bi(?:'d| would) be (?:happy|glad)"
    r" to\b|^what an? question\b|^what an? (?:delightful|great|wonderful|fascinating|fundamental|interesting|lovely) "
    r"(?:request|question|conundrum|task|idea)|^i(?:'m| am) (?:so |very )?glad (?:to hear|you|i could)|^in this "
    r"(?:example|context|case|instance)\b|^here(?:'s| is) (?:just )?the (?:text|review|sentence|"
    r"question|answer)|\[(?:insert|your|add)\b",
    re.IGNORECASE,
)
_LIST_ITEM = re.compile(r"^(?:[-*•]|\d{1,2}[.)]|[A-Za-z][.)])\s+")
_SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+[\"”’')\]]*|$)\s*")
_SENTENCE_END = re.compile(r"[.!?][\"”’')\]]*(?=[^.!?]*$)")
_MARKDOWN_LINE = re.compile(r"^(?:#{1,6}\s+|>\s*|[-*•]\s+|\d{1,2}[.)]\s+)")
_EMPHASIS = re.compile(r"^(\*\*|__|\*|_)(.+?)\1(?=\s|:|$)")
_WORD = re.compile(r"[\w']+")


def _words(text: str) -> set[str]:
    return {w.casefold() for w in _WORD.findall(text)}


def _norm(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


def _strip_markdown(line: str) -> str:
    line = _MARKDOWN_LINE.sub("", line.strip())
    match = _EMPHASIS.match(line)
    if match:  # **Review:** text, or a whole line in bold
        line = match.group(2) + line[match.end() :]
    return line.strip()


def _lead_in(line: str, prompt_words: set[str]) -> str | None:
    """The rest of `line` after one lead-in (a preamble, an echo of the prompt, a label), or
    None when it opens with none."""
    match = _PREAMBLE.match(line)
    if match:
        return line[match.end() :]
    match = _OPENER.match(line)
    if match:
        return line[match.end() :]
    match = _LABEL.match(line)
    if match and len(label := match.group(1).split()) <= 12:
        unknown = _words(" ".join(label)) - prompt_words - LABEL_WORDS
        if len(unknown) <= len(label) // 4:  # a label, or the prompt echoed with a word changed
            return line[match.end() :]
    return None


def _is_lead_line(line: str, prompt_words: set[str], prompt_lines: set[str]) -> bool:
    """A whole line that is chatter before the text: a lead-in ending with a colon ("Here is
    an example:"), or an echo of one of the prompt's lines."""
    if _norm(line) in prompt_lines or line.endswith(":"):
        return True
    rest = _lead_in(line, prompt_words)
    return rest is not None and not rest.strip()


def _unquote(text: str, finished: bool) -> tuple[str, bool]:
    """The text inside wrapping quotes and whether the sample is complete: a closing quote ends
    it (what follows is chatter); an opening quote never closed keeps the rest."""
    close = QUOTES.get(text[:1])
    if close is None:
        return text, finished
    end = text.find(close, 1)
    if close == "'":  # an apostrophe is no closing quote: look for one before a space or the end
        match = re.search(r"'(?=[\s.,!?;:)]|$)", text[1:])
        end = match.start() + 1 if match else -1
    if end > 0:
        return text[1:end], True
    return text[1:], finished


def _drop_outro(text: str) -> str:
    """`text` without trailing sentences of chatter (and from the first such sentence on)."""
    sentences = [m.group(0) for m in _SENTENCE.finditer(text)]
    for i, sentence in enumerate(sentences):
        if i > 0 and _OUTRO.match(sentence.strip()):
            return "".join(sentences[:i]).strip()
    return text


def clean_chat_reply(text: str, finish_reason: str, prompt: str) -> ParseResult:
    """The sample inside a chat reply, or a rejection: `chat_refusal`, `chat_chatter` (assistant
    talk, a placeholder), `echo` (only a preamble, or the prompt repeated), `empty`,
    `unterminated` (cut by the token limit mid-sentence). `prompt` is the text of the messages
    the request sent (an echo of any of it is no sample)."""
    reply = text.strip()
    if not reply:
        return ParseResult(None, "empty", "the reply is empty")
    if any(marker in reply[:160].casefold() for marker in CHAT_REFUSALS):
        return ParseResult(None, "chat_refusal", _said(reply))
    prompt_words = _words(prompt)
    prompt_lines = {_norm(line) for line in prompt.splitlines() if line.strip()}
    raw_lines = [line.strip() for line in reply.splitlines() if not line.startswith("```")]
    lines = [_strip_markdown(line) for line in raw_lines]
    start = 0
    while start < len(lines) and (
        not lines[start] or _is_lead_line(lines[start], prompt_words, prompt_lines)
    ):
        start += 1
    if start == len(lines):
        return ParseResult(None, "echo", "only a preamble or the prompt repeated")
    end = start
    while end < len(lines) and lines[end]:
        end += 1
    if end - start > 1 and sum(bool(_LIST_ITEM.match(x)) for x in raw_lines[start:end]) > 1:
        end = start + 1  # a list of candidates: its first item
        lines[start] = _LIST_ITEM.sub("", lines[start])
    finished = finish_reason == "stop" or end < len(lines)
    sample = " ".join(lines[start:end])
    while (rest := _lead_in(sample, prompt_words)) is not None and rest.strip():
        sample = rest.strip()
    if (match := _INTRODUCED_QUOTE.match(sample)) and len(match.group(0).split()) <= 25:
        sample = sample[match.end() :]
    sample, finished = _unquote(sample.strip(), finished)
    sample = _drop_outro(" ".join(sample.split()))
    if not finished:
        match = _SENTENCE_END.search(sample)
        if match is None:
            return ParseResult(None, "unterminated", "cut by the token limit mid-sentence")
        sample = sample[: match.end()]
    sample = sample.strip().strip("*_").strip()
    if not sample:
        return ParseResult(None, "empty", "nothing left after cleaning")
    if (chatter := _CHATTER.search(sample)) is not None:
        return ParseResult(None, "chat_chatter", f"{chatter.group(0)!r} in {_said(sample)!r}")
    if _norm(sample) and _norm(sample) in " ".join(prompt_lines):
        return ParseResult(None, "echo", f"{_said(sample)!r} repeats the prompt")
    return ParseResult(sample)


def _said(reply: str) -> str:
    return " ".join(reply.split())[:80]


def parse_chat_reply(
    text: str,
    finish_reason: str,
    *,
    prompt: str,
    min_words: int,
    max_words: int | None = None,
    context: str | None = None,
) -> ParseResult:
    """A chat reply as a sample (cleaned, then ZeroGen's checks) or a rejection reason."""
    cleaned = clean_chat_reply(text, finish_reason, prompt)
    if not cleaned.ok:
        return cleaned
    return check_sample(
        cleaned.text or "", min_words=min_words, max_words=max_words, context=context
    )
