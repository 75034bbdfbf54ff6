"""Prompt strategies and output parsers. No model calls here."""

from __future__ import annotations

from synloom.prompts.parse import ParseResult, normalize_text, parse_completion
from synloom.prompts.render import PromptBuilder, load_contexts

__all__ = ["ParseResult", "PromptBuilder", "load_contexts", "normalize_text", "parse_completion"]
