"""Prompt strategies and output parsers. No model calls here."""

from __future__ import annotations

from synloom.prompts.parse import ParseResult, normalize_text, parse_completion
from synloom.prompts.render import PromptBuilder

__all__ = ["ParseResult", "PromptBuilder", "normalize_text", "parse_completion"]
