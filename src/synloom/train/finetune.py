"""Fine-tune the MiniLM encoder with a classification head, with noisy-label strategies.

The CPU-sized counterpart of the DistilBERT task model of ZeroGen (Ye et al., 2022) and ProGen
(Ye et al., 2022): all-MiniLM-L6-v2, mean pooling over tokens, dropout and a linear head; pairs
are encoded together as one "[CLS] a [SEP] b [SEP]" sequence and pooled per segment. Options for noisy synthetic
labels (see `losses` and `temporal`): label smoothing, RCE/SCE losses, temporal ensembling
with the consistency loss, the confidence filter, and FewGen's few-shot-then-synthetic schedule
(Meng et al., 2023): train on real few-shot data first, then on synthetic data at a lower lr.

Every input is cut to `max_length` tokens (a pair together), so a training batch holds at most
batch_size x max_length tokens and prediction batches are bounded by tokens too; `describe()`
counts the inputs that were cut, for the training set and the last predicted set.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import TYPE_CHECKING, Any

from synloom.devices import resolve_device
from synloom.errors import SynloomError
from synloom.progress import step, third_party_bars_off
from synloom.train.base import TaskModel, check_trainable
from synloom.train.finetune_config import FineTuneConfig
from synloom.train.loop import train_classifier

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np

    from synloom.batching import Truncation
    from synloom.train.data import LabeledData

__all__ = ["FineTuneClassifier", "FineTuneConfig"]


class FineTuneClassifier(TaskModel):
    """MiniLM encoder + mean pooling + linear head, fine-tuned end to end (torch)."""

    name = "finetune"

    def __init__(self, config: FineTuneConfig | None = None, **overrides: Any) -> None:
        self.config = replace(config or FineTuneConfig(), **overrides)

    def params(self) -> dict[str, object]:
        return asdict(self.config)

    def describe(self) -> dict[str, object]:
        out = super().describe()
        if getattr(self, "truncation_", None):
            out["truncation"] = dict(self.truncation_)
        return out

    def fit(
        self, train: LabeledData, *, seed: int = 0, few_shot: LabeledData | None = None
    ) -> FineTuneClassifier:
        """Train on `train`; with `few_shot` (real examples), train on those first (FewGen)."""
        import torch

        check_trainable(train, self.name)
        if few_shot is not None:
            check_trainable(few_shot, self.name)
            if few_shot.is_pair != train.is_pair:
                raise SynloomError("few-shot and training data differ in being sentence pairs")
            unknown = set(few_shot.labels) - set(train.labels)
            if unknown:
                raise SynloomError(f"few-shot labels not in the training data: {sorted(unknown)}")
        cfg = self.config
        self.is_pair_ = train.is_pair
        self.labels_ = train.label_names
        torch.manual_seed(seed)
        self.device_ = resolve_device(cfg.device)
        self.tokenizer_, self.module_ = _build(cfg, len(self.labels_), train.is_pair)
        self.module_.to(self.device_)
        self.truncation_: dict[str, dict] = {}
        _, cut = self._lengths(train.texts, train.texts_b)
        self.truncation_["train"] = cut.to_json()
        self.history_: list[dict[str, float]] = []
        lr_scale = 1.0
        if few_shot is not None:
            stage = replace(
                cfg,
                epochs=cfg.few_shot_epochs,
                temporal_ensembling=False,
                confidence_threshold=None,
            )
            self.history_ += train_classifier(self, few_shot, stage, seed=seed, stage="few-shot")
            lr_scale = cfg.after_few_shot_lr_scale
        self.history_ += train_classifier(
            self,
            train,
            cfg,
            seed=seed + 1,
            stage="train",
            lr_scale=lr_scale,
            pretrained_head=few_shot is not None,
        )
        return self

    def predict_proba(
        self, texts: Sequence[str], texts_b: Sequence[str] | None = None, batch_size: int = 64
    ) -> np.ndarray:
        """Class probabilities; batches hold at most `batch_size x max_length` tokens."""
        import numpy as np
        import torch

        from synloom.batching import token_budget_batches

        self._check_fitted(texts, texts_b)
        n = len(texts)
        out = np.zeros((n, len(self.labels_)), dtype=np.float64)
        if n == 0:
            return out
        lengths, cut = self._lengths(texts, texts_b)
        if getattr(self, "truncation_", None) is not None:
            self.truncation_["predict"] = cut.to_json()
        self.module_.eval()
        with torch.inference_mode(), step("predicting", n, "texts") as progress:
            for idx in token_budget_batches(lengths, batch_size * self.config.max_length):
                batch = self.encode([texts[i] for i in idx], _pick(texts_b, idx))
                out[idx] = torch.softmax(self.module_(**batch).float(), dim=-1).cpu().numpy()
                progress.advance(len(idx))
        return out

    def _lengths(
        self, texts: Sequence[str], texts_b: Sequence[str] | None
    ) -> tuple[list[int], Truncation]:
        """Each input's token count after truncation, and how many `max_length` cut."""
        from synloom.batching import Truncation

        full = self.tokenizer_(
            list(texts),
            None if texts_b is None else list(texts_b),
            truncation=False,
            verbose=False,
        )["input_ids"]
        limit = self.config.max_length
        lengths = [len(ids) for ids in full]
        return [min(n, limit) for n in lengths], Truncation.from_lengths(lengths, limit)

    def encode(self, texts: list[str], texts_b: list[str] | None) -> dict[str, Any]:
        """Tokenize a batch (pairs as one sequence), truncated to `max_length`."""
        enc = self.tokenizer_(
            texts,
            texts_b,
            truncation="longest_first" if texts_b is not None else True,
            max_length=self.config.max_length,
            padding=True,
            return_tensors="pt",
        )
        if texts_b is not None and "token_type_ids" not in enc:
            raise SynloomError(
                f"the encoder {self.config.encoder!r} gives no segment ids; sentence pairs need "
                "a BERT-style tokenizer"
            )
        keys = ("input_ids", "attention_mask", "token_type_ids")
        return {key: enc[key].to(self.device_) for key in keys if key in enc}


def _pick(texts_b: Sequence[str] | None, idx: list[int]) -> list[str] | None:
    return None if texts_b is None else [texts_b[i] for i in idx]


def _build(cfg: FineTuneConfig, n_classes: int, pair: bool):
    """Tokenizer and a fresh encoder + head module, offline."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from synloom.embeddings import DEFAULT_EMBEDDER, resolve_embedder_path

    path = resolve_embedder_path(cfg.encoder)
    local = cfg.encoder == DEFAULT_EMBEDDER  # the bundled MiniLM never touches the hub
    try:
        with third_party_bars_off():
            tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=local)
            encoder = AutoModel.from_pretrained(path, local_files_only=local)
    except OSError as exc:
        raise SynloomError(f"cannot load the encoder {cfg.encoder!r} from {path}: {exc}") from None

    class MeanPoolClassifier(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            self.dropout = torch.nn.Dropout(cfg.dropout)
            width = encoder.config.hidden_size * (4 if pair else 1)
            self.head = torch.nn.Linear(width, n_classes)

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            if not pair:
                return self.head(self.dropout(_mean(hidden, attention_mask)))
            # both texts are encoded together (cross-attention), then pooled per segment so the
            # head knows which side is which: [a, b, |a - b|, a * b]
            a = _mean(hidden, attention_mask * (token_type_ids == 0))
            b = _mean(hidden, attention_mask * (token_type_ids == 1))
            return self.head(self.dropout(torch.cat([a, b, (a - b).abs(), a * b], dim=-1)))

    def _mean(hidden, mask):
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * weights).sum(1) / weights.sum(1).clamp_min(1.0)

    return tokenizer, MeanPoolClassifier()
