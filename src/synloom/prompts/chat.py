"""Chat messages for `endpoint: chat`: a recipe's completion prompt as a system + user message.

A completion prompt ends where the sample should begin (`... is: "`); a chat model instead
answers a user turn, and answers a bare completion prompt with chatter ("Sure! Here is a
review:") or by echoing it. So the user message is the prompt with its answer-priming tail (the
opening quote) removed and an instruction to reply with only the text, after a short generic
system message (`recipe.system` replaces it; an empty one sends none). Replies are cleaned by
`synloom.prompts.chat_clean`.

The messages travel as the request's prompt, encoded by `encode_chat` (a JSON object with one key,
`messages`), so the run store keeps exactly what was sent and a resumed run sends it again; the
OpenAI backend decodes them (`decode_chat`) and sends any other prompt as one user message.

Not a published method: the cleaning rules were written against, and are tested on, real
replies of a chat model recorded in tests/data/chat_replies.jsonl (docs/serving.md).
"""

from __future__ import annotations

import json
from typing import Any

DEFAULT_SYSTEM = (
    "You write realistic example texts for a dataset. Reply with the requested text only: "
    "no introduction, no explanation, no notes."
)
REPLY_INSTRUCTION = "Reply with only the text itself, without any introduction or quotation marks."
ROLES = frozenset({"system", "user", "assistant"})
# what may open the sample after the prompt: quotes, and a dash or guillemet some prompts end with
PRIMING_MARKS = "\"'“”‘’«»„`"


def priming_tail_removed(prompt: str) -> str:
    """The prompt without its answer-priming tail: trailing whitespace and opening quotes
    (`The review is: "` -> `The review is:`)."""
    out = prompt.rstrip()
    while out and out[-1] in PRIMING_MARKS:
        out = out[:-1].rstrip()
    return out


def user_message(prompt: str) -> str:
    """The user turn of a completion prompt: its body, then the reply instruction."""
    body = priming_tail_removed(prompt)
    return f"{body}\n\n{REPLY_INSTRUCTION}" if body else REPLY_INSTRUCTION


def chat_messages(prompt: str, system: str | None = None) -> list[dict[str, str]]:
    """System (`system`; None: `DEFAULT_SYSTEM`; "": none) and user messages of a prompt."""
    system = DEFAULT_SYSTEM if system is None else system
    user = {"role": "user", "content": user_message(prompt)}
    return [{"role": "system", "content": system}, user] if system.strip() else [user]


def encode_chat(messages: list[dict[str, str]]) -> str:
    """The request prompt that carries `messages` (see `decode_chat`)."""
    return json.dumps({"messages": messages}, ensure_ascii=False)


def decode_chat(prompt: str) -> list[dict[str, str]] | None:
    """The messages `encode_chat` put in `prompt`, or None for any other prompt."""
    if not prompt.startswith('{"messages": ['):
        return None
    try:
        data: Any = json.loads(prompt)
    except ValueError:
        return None
    messages = data.get("messages") if isinstance(data, dict) and len(data) == 1 else None
    if not isinstance(messages, list) or not messages:
        return None
    for m in messages:
        if not (
            isinstance(m, dict)
            and set(m) == {"role", "content"}
            and m["role"] in ROLES
            and isinstance(m["content"], str)
        ):
            return None
    return messages


def chat_prompt(prompt: str, system: str | None = None) -> str:
    """A completion prompt as the encoded chat messages of one request."""
    return encode_chat(chat_messages(prompt, system))


def chat_request_text(prompt: str) -> str | None:
    """The text of every message of an encoded chat request (what a reply may echo), else
    None for a completion prompt."""
    messages = decode_chat(prompt)
    return None if messages is None else "\n".join(m["content"] for m in messages)
