"""YAML safe loading that refuses duplicate mapping keys (PyYAML silently keeps the last one)."""

from __future__ import annotations

from typing import Any

import yaml

MERGE_TAG = "tag:yaml.org,2002:merge"


class DuplicateKeyError(yaml.MarkedYAMLError):
    """A mapping names the same key twice; `key` and both lines are kept for the message."""

    def __init__(self, key: Any, first_line: int, mark: yaml.Mark):
        super().__init__(problem=f"duplicate key {key!r}", problem_mark=mark)
        self.key = key
        self.first_line = first_line


class UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader whose mappings raise `DuplicateKeyError` on a repeated key. Keys brought in by a
    `<<` merge may be overridden, as YAML intends; keys written twice may not."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == MERGE_TAG:
                    continue
                key = self.construct_object(key_node, deep=deep)
                try:
                    first = seen.get(key)
                except TypeError:  # unhashable key: SafeLoader reports it
                    continue
                if first is not None:
                    raise DuplicateKeyError(key, first, key_node.start_mark)
                seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def safe_load_unique(text: str) -> Any:
    """`yaml.safe_load` that raises `DuplicateKeyError` for a key written twice in one mapping."""
    return yaml.load(text, Loader=UniqueKeyLoader)
