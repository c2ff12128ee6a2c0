"""ram_keras: the Recurrent Attention Model (Mnih et al., 2014) in Keras 3.

Where things are:

- `ram_keras.layers`: the retina (`GlimpseSensor`), the glimpse network, the
  location policy (`LocationSampler`), the core cell, the heads, and the
  glimpse step that chains them (`GlimpseStep`).
- `ram_keras.models`: `RecurrentAttention` (the rollout and `train_step`, once),
  the classifier `RecurrentAttentionModel` and the Catch agent `CatchAgent`.
- `ram_keras.losses`: every loss term.
- `ram_keras.envs`: the Catch game. `ram_keras.data`: MNIST and its canvases.
- `ram_keras.training`: the runner behind every config. `ram_keras.tasks`:
  what classification and Catch add to it. `ram_keras.viz`: pictures, movies,
  curves, TensorBoard. `ram_keras.saving`: model files.
"""

# First, before anything imports Keras: under another backend, fail here in one line.
from ram_keras.backend_check import require_tensorflow_backend

require_tensorflow_backend()

from ram_keras.envs.catch import CatchGame  # noqa: E402
from ram_keras.layers import (  # noqa: E402
    ActionHead,
    BaselineHead,
    GlimpseNetwork,
    GlimpseSensor,
    GlimpseStep,
    LocationSampler,
    gaussian_log_prob,
)
from ram_keras.losses import (  # noqa: E402
    baseline_loss,
    classification_reward,
    cross_entropy_loss,
    leave_one_out_baseline,
    reinforce_loss,
)
from ram_keras.models import CatchAgent, RecurrentAttention, RecurrentAttentionModel  # noqa: E402
from ram_keras.saving import load_model, save_model  # noqa: E402

__version__ = "0.2.0"

__all__ = [
    "CatchGame",
    "ActionHead",
    "BaselineHead",
    "GlimpseNetwork",
    "GlimpseSensor",
    "GlimpseStep",
    "LocationSampler",
    "gaussian_log_prob",
    "baseline_loss",
    "classification_reward",
    "cross_entropy_loss",
    "leave_one_out_baseline",
    "reinforce_loss",
    "CatchAgent",
    "RecurrentAttention",
    "RecurrentAttentionModel",
    "load_model",
    "save_model",
]
