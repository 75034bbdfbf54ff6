"""Prompt template placeholders: parsed once, checked before any model call."""

from __future__ import annotations

from string import Formatter

# Placeholders every label-conditioned prompt may use.
LABEL_FIELDS = frozenset({"label", "verbalizer", "description", "task"})

# Every name the renderer fills itself (label fields, the context, a few-shot example's texts): an
# attribute with one of these names would silently replace it in every prompt.
RESERVED_FIELDS = LABEL_FIELDS | {"context", "text", "text_b"}


def template_fields(template: str) -> set[str]:
    """Names used as `{name}` in a str.format template; raises ValueError on malformed braces."""
    names = set()
    for _, field, spec, conversion in Formatter().parse(template):
        if field is None:
            continue
        if field == "" or not field.isidentifier():
            raise ValueError(f"placeholder {{{field}}} must be a name like {{context}}")
        if spec or conversion:
            raise ValueError(f"placeholder {{{field}}} must not carry a format spec or conversion")
        names.add(field)
    return names


def check_template(template: str, allowed: set[str] | frozenset[str], where: str) -> set[str]:
    """Return the template's placeholders, or raise ValueError naming the unknown ones."""
    try:
        names = template_fields(template)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    unknown = sorted(names - set(allowed))
    if unknown:
        raise ValueError(
            f"{where}: unknown placeholder(s) {', '.join('{' + u + '}' for u in unknown)}; "
            f"allowed: {', '.join('{' + a + '}' for a in sorted(allowed))}"
        )
    return names
