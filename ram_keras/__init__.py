"""ram_keras: the Recurrent Attention Model (Mnih et al., 2014) in Keras 3."""

from ram_keras.catch import CatchGame
from ram_keras.catch_agent import CatchAgent, load_catch_agent
from ram_keras.core_network import CoreNetwork
from ram_keras.glimpse_network import GlimpseNetwork
from ram_keras.glimpse_sensor import GlimpseSensor
from ram_keras.heads import ActionHead, BaselineHead
from ram_keras.location_sampler import LocationSampler, gaussian_log_prob
from ram_keras.losses import (
    baseline_loss,
    classification_reward,
    cross_entropy_loss,
    reinforce_loss,
)
from ram_keras.model import RecurrentAttentionModel

from ram_keras.saving import load_model, save_model

__version__ = "0.1.0"
