"""Property-based fuzzing of spec loading: whatever the document, `load_spec`/`parse_spec` return a
TaskSpec or raise SpecError with a one-line message, never any other exception."""

from __future__ import annotations

import copy
import math
import tempfile
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from synloom.errors import SpecError
from synloom.spec import TaskSpec, load_spec, parse_spec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_DATA = {
    p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(EXAMPLES.glob("*.yaml"))
}
FUZZ = settings(max_examples=300, deadline=None, derandomize=True)

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([10**12, -(10**30), 2**63, 0, -1, 1]),
    st.floats(),
    st.sampled_from([math.inf, -math.inf, math.nan, 1e12, 0.5, -0.0]),
    st.text(max_size=20),
    st.sampled_from(
        ["", " ", "{", "}", "{verbalizer", "{0}", "{x!r}", "\x00", "a\nb", "é🙂\u2028"]
    ),
)
VALUES = st.recursive(
    JUNK,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def check_outcome(call) -> None:
    try:
        result = call()
    except SpecError as exc:
        message = str(exc)
        assert message and len(message.splitlines()) == 1, repr(message)
        return
    assert isinstance(result, TaskSpec)


def paths_of(data, prefix=()):
    """Every (path) in a nested dict/list, to pick mutation targets from."""
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from paths_of(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from paths_of(value, (*prefix, i))


def mutate(data, path, op, value):
    data = copy.deepcopy(data)
    if not path:
        return value if op == "set" else data
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    leaf = path[-1]
    if op == "drop":
        del parent[leaf]
    elif op == "set":
        parent[leaf] = value
    elif op == "insert":
        target = parent[leaf]
        if isinstance(target, dict):
            target[f"x{len(target)}" if not isinstance(value, str) else value] = value
        elif isinstance(target, list):
            target.append(value)
        else:
            parent[leaf] = [target, value]
    return data


@st.composite
def mutated_examples(draw):
    data = EXAMPLE_DATA[draw(st.sampled_from(sorted(EXAMPLE_DATA)))]
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(paths_of(data))))
        op = draw(st.sampled_from(["drop", "set", "set", "insert"]))
        data = mutate(data, path, op, draw(VALUES))
    return data


@FUZZ
@given(mutated_examples())
def test_mutated_examples_load_or_fail_in_one_line(data):
    check_outcome(lambda: parse_spec(data, source="fuzz", base_dir=EXAMPLES))


@FUZZ
@given(VALUES)
def test_arbitrary_values_load_or_fail_in_one_line(data):
    check_outcome(lambda: parse_spec(data, source="fuzz", base_dir=EXAMPLES))


TOKENS = [
    *"abklnpst019 :-,{}[]\n\t&*!|>'\"#%@`?.\\",
    *["labels", "name", "- ", ": ", "\n  ", "<<", ".inf", ".nan", "1e12", "~", "\ufeff", "\x00"],
    *["é", "\udcff", "recipe", "generation", "backend", "type", "contexts_file", "&a ", "*a"],
]
YAMLISH = st.lists(st.sampled_from(TOKENS), max_size=60).map("".join)


@FUZZ
@given(st.one_of(YAMLISH, VALUES.map(lambda v: yaml.safe_dump(v, allow_unicode=True))))
def test_yaml_documents_load_or_fail_in_one_line(text):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "spec.yaml"
        path.write_bytes(text.encode("utf-8", "surrogateescape"))
        check_outcome(lambda: load_spec(path))


@FUZZ
@given(
    mutated_examples(),
    st.lists(st.sampled_from(["seed", "model", "base_url", "samples", "backend"]), max_size=3),
    JUNK,
)
def test_command_line_overrides_keep_the_contract(data, which, value):
    from synloom.cli.overrides import apply_overrides

    try:
        spec = parse_spec(data, source="fuzz", base_dir=EXAMPLES)
    except SpecError:
        return
    args = {}
    for name in which:
        if name in ("seed", "samples"):
            args["seed" if name == "seed" else "samples_per_label"] = (
                value if isinstance(value, int) and not isinstance(value, bool) else 3
            )
        elif name == "backend":
            args["backend"] = value if isinstance(value, str) else "openai"
        else:
            args[name] = value if isinstance(value, str) else "x"
    check_outcome(lambda: apply_overrides(spec, **args))
