"""`likelihood`: rank samples by how likely the generator finds them under their own label's prompt.

SuperGen (Meng et al., NeurIPS 2022, "Generating Training Data with Language Models: Towards
Zero-Shot Language Understanding") scores each generated text by its mean token log-prob under
the label-descriptive prompt it was generated from and keeps the top texts per label: likely
texts are fluent and on the label's topic, unlikely ones are degenerate or off-prompt.

Score: mean token log-prob of the sample's text as the continuation of its label's zero-shot
prompt with its context filled (`synloom.curate.label_scores`; for a few-shot recipe the prompt
without its randomly drawn in-context examples). A `rank` method: it drops nothing, the size
target (`--keep` / `--per-label`) keeps the top per label.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from synloom.curate.base import Method, MethodInfo, MethodScores
from synloom.curate.label_scores import LabelScoreOptions, label_score_matrix

if TYPE_CHECKING:
    from synloom.curate.data import CurationData

INFO = MethodInfo(
    name="likelihood",
    kind="rank",
    measures="mean token log-prob of the text under its own label's prompt (generator)",
    citation=(
        "Meng et al., NeurIPS 2022, Generating Training Data with Language Models: "
        "Towards Zero-Shot Language Understanding (SuperGen)"
    ),
    needs=("generator",),
    per_sample=True,
)


class LikelihoodOptions(LabelScoreOptions):
    """See `LabelScoreOptions` (prompt override, text cut, batch size)."""


class Likelihood(Method):
    info = INFO
    options = LikelihoodOptions

    def score(self, data: CurationData, options: LikelihoodOptions) -> MethodScores:
        matrix, cut = label_score_matrix(data, options, who=INFO.name, all_labels=False)
        own = matrix[np.arange(len(data)), data.label_index] if len(data) else np.zeros(0)
        return MethodScores(
            scores=np.asarray(own, dtype=np.float64),
            summary={
                "prompt": options.prompt or "recipe",
                "truncated": cut,
                "max_text_tokens": options.max_text_tokens,
            },
        )


METHOD = Likelihood()
