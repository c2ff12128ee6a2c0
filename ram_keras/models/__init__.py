"""The task models, both built on `RecurrentAttention` (one rollout, one training step)."""

from ram_keras.models.catch_agent import CatchAgent
from ram_keras.models.classifier import RecurrentAttentionModel
from ram_keras.models.recurrent_attention import RecurrentAttention

__all__ = [
    "CatchAgent",
    "RecurrentAttentionModel",
    "RecurrentAttention",
]
