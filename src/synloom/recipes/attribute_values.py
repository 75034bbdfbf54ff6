"""AttrPrompt's attribute stages (Yu et al., "Large Language Model as Attributed Training Data
Generator: A Tale of Diversity and Bias", NeurIPS 2023), planned from the store: the dimensions
the generator proposes, the class-dependent value lists it writes, the filter's yes/no
questions, and the table of values each sample request draws from (see `attrprompt.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from synloom.errors import SynloomError
from synloom.prompts import normalize_text
from synloom.recipes.attribute_lists import parse_items
from synloom.recipes.base import RoundPlan, budget_counts, interleave, make_request

if TYPE_CHECKING:
    import random
    from collections.abc import Callable

    from synloom.prompts import PromptBuilder
    from synloom.recipes.base import RoundState
    from synloom.spec import TaskSpec
    from synloom.store import PlannedRequest, Sample

# stage names start with distinct letters: a request id is the stage's first letter, round, index
DIMENSION_STAGE = "dimensions"
VALUE_STAGE = "values"
FILTER_STAGE = "filter"
DIMENSION_MAX_WORDS = 4


@dataclass(frozen=True)
class Candidate:
    """A value the filter asks about: the list it came from, its label and dimension."""

    list_id: str
    label: str
    dimension: str
    value: str


class AttributePlanner:
    """The attribute stages of one run's spec (its recipe is an `AttrPromptRecipe`)."""

    def __init__(self, spec: TaskSpec, builder: PromptBuilder) -> None:
        self.spec = spec
        self.cfg: Any = spec.recipe
        self.builder = builder

    @property
    def generated_count(self) -> int:
        """Dimensions whose values the generator writes: given ones without values, proposed."""
        given = sum(d.values is None for d in self.cfg.dimensions)
        return given + self.cfg.propose_dimensions

    def proposed(self, state: RoundState) -> list[str]:
        """The dimensions the generator proposed (the first accepted list's kept items)."""
        if not self.cfg.propose_dimensions:
            return []
        outputs = state.accepted(DIMENSION_STAGE)
        if not outputs:
            raise SynloomError(
                "attrprompt: the dimensions stage produced no usable list; give"
                " recipe.dimensions instead, or ask for fewer (propose_dimensions)"
            )
        taken = [d.name for d in self.cfg.dimensions] + list(self.spec.attributes)
        items = parse_items(
            outputs[0].text, self.cfg.propose_dimensions, DIMENSION_MAX_WORDS, taken
        )
        return [item.text for item in items if item.ok]

    def dimensions(self, state: RoundState) -> list[tuple[str, list[str] | None]]:
        """(name, fixed values or None) of every dimension, given ones first."""
        given = [(d.name, d.values) for d in self.cfg.dimensions]
        return given + [(name, None) for name in self.proposed(state)]

    def plan_dimensions(self, state: RoundState) -> list[PlannedRequest]:
        prompt = self.cfg.dimension_prompt.format_map(
            {"n": self.cfg.propose_dimensions, "task": self.spec.task.description}
        )
        order = interleave(budget_counts(state), state.stage.labels)
        return [make_request(state, idx, None, prompt) for idx in range(len(order))]

    def plan_values(self, state: RoundState) -> list[PlannedRequest]:
        """One list request per (label, generated dimension) that has no accepted list yet."""
        have = {(s.label, s.meta.get("dimension")) for s in state.accepted()}
        generated = [name for name, fixed in self.dimensions(state) if fixed is None]
        missing = [
            (label, dim)
            for dim in generated
            for label in state.stage.labels
            if (label, dim) not in have
        ]
        requests = []
        for idx, (label, dim) in enumerate(missing[: state.limit]):
            fields = self.builder.label_fields(label)  # type: ignore[arg-type]
            fields |= {"n": self.cfg.values_per_dimension, "dimension": dim}
            prompt = self.cfg.value_prompt.format_map(fields)
            requests.append(make_request(state, idx, label, prompt, meta={"dimension": dim}))
        return requests

    def decide(
        self, lists: list[Sample], only: set[str] | None, check_other_labels: bool
    ) -> tuple[list[Candidate], list[dict[str, Any]]]:
        """Every item of the lists in `only` (all when None) with its decision; the kept ones
        as candidates. With `check_other_labels`, a value another label's list of the same
        dimension holds too is rejected as `fits_other_class`."""
        n, max_words = self.cfg.values_per_dimension, self.cfg.max_value_words
        parsed = [(s, parse_items(s.text, n, max_words)) for s in lists]
        listed: dict[tuple[str, str], set[str]] = {}
        for s, items in parsed:
            for item in items:
                if item.ok:
                    key = (s.meta["dimension"], normalize_text(item.text))
                    listed.setdefault(key, set()).add(s.label)
        candidates, notes = [], []
        for s, items in parsed:
            if only is not None and s.id not in only:
                continue
            dim = s.meta["dimension"]
            for item in items:
                note = {"list": s.id, "label": s.label, "dimension": dim, "value": item.text}
                others = sorted(listed.get((dim, normalize_text(item.text)), set()) - {s.label})
                if not item.ok:
                    note |= {"decision": "rejected", "reason": item.reason, "detail": item.detail}
                elif check_other_labels and others:
                    detail = f"also listed for {', '.join(others)}"
                    note |= {"decision": "rejected", "reason": "fits_other_class", "detail": detail}
                else:
                    note["decision"] = "kept"
                    candidates.append(Candidate(s.id, s.label, dim, item.text))
                notes.append(note)
        return candidates, notes

    def other_labels(self, label: str) -> list[str]:
        """The labels the filter asks about: `similar_labels[label]`, else every other one."""
        similar = self.cfg.similar_labels.get(label)
        return list(similar) if similar else [n for n in self.spec.label_names if n != label]

    def plan_filter(self, state: RoundState) -> RoundPlan | list[PlannedRequest]:
        """A yes/no question per kept value of the lists no earlier round decided, with every
        item's decision as the round's annotations."""
        decided: set[str] = set()
        for rnd in range(state.round):
            decided.update((state.annotations(rnd) or {}).get("lists", []))
        lists = state.accepted(VALUE_STAGE)
        new = {s.id for s in lists} - decided
        if not new:
            return []
        candidates, notes = self.decide(lists, new, check_other_labels=True)
        if len(candidates) > state.limit:
            raise SynloomError(
                f"attrprompt: {len(candidates)} values to filter, more than the {state.limit}"
                " requests a round may hold; lower values_per_dimension"
            )
        requests = []
        for idx, c in enumerate(candidates):
            others = self.other_labels(c.label)
            fields = self.builder.label_fields(c.label) | {
                "value": c.value,
                "dimension": c.dimension,
                "other": " or ".join(self.builder.label_fields(o)["verbalizer"] for o in others),
            }
            meta = {"dimension": c.dimension, "value": c.value, "list": c.list_id}
            prompt = self.cfg.filter_prompt.format_map(fields)
            requests.append(
                make_request(state, idx, c.label, prompt, meta=meta | {"others": others})
            )
        ordered = [s.id for s in lists if s.id in new]
        return RoundPlan(requests, {"lists": ordered, "items": notes})

    def unfiltered_notes(self, state: RoundState) -> dict[str, Any]:
        """Every list item's decision when no filter runs (stored with the first sample round)."""
        lists = state.accepted(VALUE_STAGE)
        _, notes = self.decide(lists, None, check_other_labels=False)
        return {"lists": [s.id for s in lists], "items": notes}

    def value_table(self, state: RoundState) -> dict[str, dict[str, list[str]]]:
        """label -> generated dimension -> its values, in plan order."""
        table: dict[str, dict[str, list[str]]] = {}
        if self.cfg.filter_values:
            for s in state.accepted(FILTER_STAGE):
                table.setdefault(s.label, {}).setdefault(s.meta["dimension"], []).append(s.text)
            return table
        candidates, _ = self.decide(state.accepted(VALUE_STAGE), None, check_other_labels=False)
        for c in candidates:
            table.setdefault(c.label, {}).setdefault(c.dimension, []).append(c.value)
        return table

    def drawer(self, state: RoundState) -> Callable[[str, random.Random], dict[str, str]]:
        """Draws a request's attributes: the spec's `attributes`, then one value per dimension
        (fixed, or the label's generated values); a SynloomError when a label has none."""
        dims = self.dimensions(state)
        table = self.value_table(state) if self.generated_count else {}
        for label in self.spec.label_names:
            for dim, fixed in dims:
                if fixed is None and not table.get(label, {}).get(dim):
                    raise SynloomError(
                        f"attrprompt: label {label!r} has no value of dimension {dim!r}: its"
                        " value lists were rejected or the filter dropped every value (the"
                        " rejected rows of the values and filter stages say why); start a new run"
                        " directory with another seed, more values_per_dimension or"
                        " filter_values: false"
                    )

        def draw(label: str, rng: random.Random) -> dict[str, str]:
            attributes = self.builder.sample_attributes(rng)
            for dim, fixed in dims:
                attributes[dim] = rng.choice(fixed if fixed is not None else table[label][dim])
            return attributes

        return draw
