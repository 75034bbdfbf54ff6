"""Sending requests that share a prompt (`generation.samples_per_prompt`): the planner made each
group of n samples one prompt (`plan.share_prompts`); here a batch becomes backend calls that send
each group's prompt once with `params.n` = its size, and the completions come back to the group's
requests in order.

One sample per prompt is the same call as before: every request is a group of one, so the batch
is one call of all its prompts and seeds with n = 1. Groups of another size (a label's last,
smaller group; or the unfinished rest of a group a kill cut, which a rerun sends with the members
left) go in a call of their own.

The idea of decoding several continuations from one encoded prompt is the n-best sampling of
"Efficient Memory Management for Large Language Model Serving with PagedAttention" (Kwon et al.,
SOSP 2023), whose `n` the OpenAI completions API exposes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from synloom.errors import BackendError
from synloom.generate.plan import PROMPT_GROUP

if TYPE_CHECKING:
    from synloom.backends.base import Completion, GenerationParams
    from synloom.store import PlannedRequest


@dataclass(frozen=True)
class SharedCall:
    """One backend call: groups of `n` requests each; the first of a group carries the prompt."""

    n: int
    groups: list[list[PlannedRequest]]

    @property
    def leaders(self) -> list[PlannedRequest]:
        return [g[0] for g in self.groups]

    @property
    def members(self) -> list[PlannedRequest]:
        """Every request of the call, in the order of the completions (prompt-major)."""
        return [r for g in self.groups for r in g]

    @property
    def seeds(self) -> list[int]:
        return [r.seed for r in self.members]

    def params(self, conditioned: GenerationParams) -> GenerationParams:
        """The call's settings: `conditioned` (per-prompt conditions of the leaders) with its n."""
        return replace(conditioned, n=self.n)

    def completions(self, got: list[Completion]) -> list[tuple[PlannedRequest, Completion]]:
        """Each member with its completion; a backend that returned another number is refused."""
        members = self.members
        if len(got) != len(members):
            raise BackendError(
                f"the backend returned {len(got)} completions for {len(self.groups)} prompts of"
                f" {self.n} samples each; it does not support generation.samples_per_prompt"
            )
        return list(zip(members, got, strict=True))


def shared_calls(requests: list[PlannedRequest]) -> list[SharedCall]:
    """`requests` (plan order) as calls: consecutive requests of one `prompt_group` are a group
    (a request without one is a group of one), groups of one size go in one call, in the order
    their first group appears."""
    groups: list[list[PlannedRequest]] = []
    for req in requests:
        key = req.meta.get(PROMPT_GROUP)
        if groups and key is not None and groups[-1][0].meta.get(PROMPT_GROUP) == key:
            groups[-1].append(req)
        else:
            groups.append([req])
    by_size: dict[int, list[list[PlannedRequest]]] = {}
    for group in groups:
        by_size.setdefault(len(group), []).append(group)
    return [SharedCall(n, gs) for n, gs in by_size.items()]
