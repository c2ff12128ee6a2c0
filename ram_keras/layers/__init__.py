"""The layers of RAM, each in its own file, and the glimpse step that chains them."""

from ram_keras.layers.core import make_core_cell
from ram_keras.layers.glimpse_network import GlimpseNetwork
from ram_keras.layers.glimpse_sensor import GlimpseSensor
from ram_keras.layers.glimpse_step import GlimpseStep
from ram_keras.layers.heads import ActionHead, BaselineHead
from ram_keras.layers.location_sampler import (
    LocationSampler,
    ReplicaSeedGenerator,
    gaussian_log_prob,
)

__all__ = [
    "make_core_cell",
    "GlimpseNetwork",
    "GlimpseSensor",
    "GlimpseStep",
    "ActionHead",
    "BaselineHead",
    "LocationSampler",
    "ReplicaSeedGenerator",
    "gaussian_log_prob",
]
