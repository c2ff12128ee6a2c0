"""RecurrentAttentionModel: the RAM classifier and its hybrid loss."""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from ram_keras.losses import (
    baseline_loss,
    classification_reward,
    cross_entropy_loss,
    log_probability_reward,
    reinforce_loss,
)
from ram_keras.models.recurrent_attention import RecurrentAttention, check_loss_weights
from ram_keras.validation import validate_images


# Sampled paths from which on `sample_path_probabilities` compiles with XLA by default: about
# what repays a compilation of several seconds at ~0.2 ms saved per path (cluttered 60x60).
XLA_PATHS = 20000
# What a sampled path earns (`reward`): 1 for a right final prediction (the paper's), or the
# log-probability the final prediction gives the true class.
REWARDS = {"correct": classification_reward, "log_probability": log_probability_reward}


@keras.saving.register_keras_serializable(package="ram_keras")
class RecurrentAttentionModel(RecurrentAttention):
    """The Recurrent Attention Model of Mnih et al. (2014) for classification.

    At each of `num_glimpses` steps the glimpse step (`GlimpseStep`) picks
    where to look from the previous core state (the first location comes from
    the zero state, so it is learned too), the retina reads the image there,
    the glimpse network encodes what it saw with the location, and the core
    updates its state; the action head reads class logits from every state.
    The prediction is that of the last state.

    Training (`train_step`, in `RecurrentAttention`) minimises
        `classification_weight * cross_entropy(final logits)
         + reinforce_weight * REINFORCE(reward - baseline)
         + baseline_weight * (reward - baseline)^2`,
    with reward 1 when the last-step prediction is right (`reward="correct"`, the
    paper's) or the log-probability it gives the true class
    (`reward="log_probability"`); with `classify_every_glimpse` the
    cross-entropy is the mean over the logits of every glimpse, not only the
    last (the prediction stays the last glimpse's). Gradients reach:
    cross-entropy -> action head, core, glimpse network; REINFORCE -> location
    policy only; baseline error -> baseline head only (unless
    `reinforce_to_core`; see `RecurrentAttention` for what the weights do).

    Inference (`call`, `predict`) uses the mean locations (deterministic) and
    returns class probabilities `(batch, num_classes)`;
    `predict_monte_carlo` averages the probabilities of sampled glimpse paths
    and `sample_path_probabilities` returns those of every path.

    Args:
        image_shape: `(height, width, channels)` of the input images.
        num_classes: int, number of classes.
        num_glimpses: int, glimpses per image.
        classification_weight: float >= 0, weight of the cross-entropy.
        classify_every_glimpse: bool, the cross-entropy of every glimpse's
            logits (their mean) instead of the last one's only.
        reward: `"correct"` (1 or 0) or `"log_probability"` (log p(true class)
            of the final prediction), what REINFORCE and the baseline see.
        **kwargs: the glimpse step, the baseline and the other loss weights
            (`RecurrentAttention`): `glimpse_size=8`, `num_scales=1`,
            `scale=2`, `what_units=128`, `where_units=128`,
            `glimpse_units=256`, `core_units=256`, `core_type="relu"`,
            `identity_init=False`, `location_std=0.1`, `location_policy`
            (`"random"` is the paper's random-glimpses ablation), ...
    """

    METRIC_NAMES = ("loss", "classification_loss", "reinforce_loss", "baseline_loss",
                    "accuracy", "reward")
    # Validation: the cross-entropy and the accuracy of the deterministic policy.
    VALIDATION_METRIC_NAMES = ("classification_loss", "accuracy")

    def __init__(self, image_shape=(28, 28, 1), num_classes=10, num_glimpses=6,
                 classification_weight=1.0, classify_every_glimpse=False, reward="correct",
                 **kwargs):
        check_loss_weights("RecurrentAttentionModel", classification_weight=classification_weight)
        if reward not in REWARDS:
            raise ValueError(f"RecurrentAttentionModel: `reward` must be one of {tuple(REWARDS)}, "
                             f"got {reward!r}.")
        if not isinstance(classify_every_glimpse, bool):
            raise ValueError("RecurrentAttentionModel: `classify_every_glimpse` must be a bool, "
                             f"got {classify_every_glimpse!r}.")
        if isinstance(num_glimpses, bool) or not isinstance(num_glimpses, int) or num_glimpses < 1:
            raise ValueError("RecurrentAttentionModel: `num_glimpses` must be a positive int, "
                             f"got {num_glimpses!r}.")
        super().__init__(observation_shape=image_shape, num_steps=num_glimpses,
                         num_actions=num_classes, **kwargs)
        self.image_shape = self.observation_shape
        self.num_classes = num_classes
        self.num_glimpses = num_glimpses
        self.classification_weight = float(classification_weight)
        self.classify_every_glimpse = classify_every_glimpse
        self.reward = reward
        self.build()

    # ------------------------------------------------------------------ episode
    def start_episode(self, images):
        return ops.cast(images, self.compute_dtype)

    def observe(self, images):
        return images

    def act(self, images, h, deterministic):
        """The class logits after this glimpse: `{"logits": (batch, num_classes)}`."""
        return images, {"logits": self.action_head(h)}

    def call(self, images, training=False):
        outputs = self.rollout(images, deterministic=True)
        return ops.softmax(outputs["logits"][:, -1], axis=-1)

    # ------------------------------------------------------------------- losses
    def compute_loss_terms(self, labels, outputs, group_size=1, sample_weight=None):
        """The hybrid loss and its terms (scalars), with `accuracy` (0 or 1) and `reward` per path.

        With `sample_weight` `(batch,)` every term is the weighted batch mean
        (`ram_keras.losses`); the rewards stay per example.
        """
        final_logits = outputs["logits"][:, -1]
        correct = classification_reward(labels, final_logits)
        rewards = REWARDS[self.reward](labels, final_logits)
        learned = outputs["baselines"][:, :-1]  # b_{t-1}, read before the location l_t
        if self.classify_every_glimpse:
            classification = ops.mean(ops.stack([
                cross_entropy_loss(labels, outputs["logits"][:, t], sample_weight)
                for t in range(self.num_glimpses)]))
        else:
            classification = cross_entropy_loss(labels, final_logits, sample_weight)
        terms = {
            "classification_loss": classification,
            "reinforce_loss": reinforce_loss(
                outputs["location_log_probs"], rewards,
                self.reinforce_baselines(rewards, learned, group_size), sample_weight),
            "baseline_loss": baseline_loss(rewards, learned, sample_weight),
        }
        terms["loss"] = (self.classification_weight * terms["classification_loss"]
                         + self.reinforce_weight * terms["reinforce_loss"]
                         + self.baseline_weight * terms["baseline_loss"])
        # The accuracy judges the final prediction of each path; the reward is what it earned.
        terms["accuracy"], terms["reward"] = correct, rewards
        return terms

    # ---------------------------------------------------------------- inference
    def predict(self, x, *args, **kwargs):
        """Class probabilities `(N, num_classes)` with the deterministic policy.

        `x`: float images `(N, H, W, C)` in [0, 1] (checked: a ValueError names
        a wrong rank, shape, dtype, NaN/inf or range), or a tf.data.Dataset.
        """
        if not isinstance(x, (tf.data.Dataset, keras.utils.PyDataset)) and not hasattr(
                x, "__next__"):
            x = validate_images(x, self.image_shape)
        return super().predict(x, *args, **kwargs)

    def sample_path_probabilities(self, images, paths=10, batch_size=500, jit_compile=None):
        """Class probabilities of `paths` sampled glimpse paths per image.

        Args:
            images: `(N, height, width, channels)` float array in [0, 1].
            paths: int, sampled glimpse paths per image (M).
            batch_size: images per forward pass (each run M times).
            jit_compile: compile the rollout with XLA, as training is (about 3x
                faster per path on a CPU, after a compilation of seconds).
                None: when the work repays the compilation (`XLA_PATHS` paths
                or more) and the model's weights live on one device (XLA
                cannot read a variable mirrored on several).

        Returns:
            numpy array `(N, paths, num_classes)`.
        """
        if isinstance(paths, bool) or not isinstance(paths, int) or paths < 1:
            raise ValueError(f"`paths` (samples) must be an int >= 1, got {paths!r}.")
        images = validate_images(images, self.image_shape)
        if jit_compile is None:
            jit_compile = (len(images) * paths >= XLA_PATHS
                           and self.distribute_strategy.num_replicas_in_sync == 1)
        # The policy's std is a constant of the traced function: trace anew when it changed
        # (`FinalLocationStd` narrows it for the last epochs).
        if getattr(self, "_sampled_paths_std", None) != self.location_sampler.std:
            self._sampled_paths_std = self.location_sampler.std
            self._sampled_paths_fns = {}
        if jit_compile not in self._sampled_paths_fns:
            # No AutoGraph: the rollout is plain Python (see CatchAgent.play).
            @tf.function(reduce_retracing=True, autograph=False, jit_compile=bool(jit_compile))
            def sampled_paths(batch, m):
                tiled = ops.repeat(batch, m, axis=0)
                logits = self.rollout(tiled, deterministic=False)["logits"][:, -1]
                probs = ops.softmax(ops.cast(logits, "float32"), axis=-1)
                return ops.reshape(probs, (ops.shape(batch)[0], m, self.num_classes))

            self._sampled_paths_fns[jit_compile] = sampled_paths
        function = self._sampled_paths_fns[jit_compile]
        outputs = [
            ops.convert_to_numpy(function(
                ops.convert_to_tensor(images[start:start + batch_size], "float32"),
                tf.constant(paths)))
            for start in range(0, len(images), batch_size)
        ]
        return np.concatenate(outputs, axis=0)

    def predict_monte_carlo(self, images, samples=10, batch_size=500):
        """Class probabilities averaged over `samples` sampled glimpse paths, `(N, num_classes)`."""
        return self.sample_path_probabilities(images, samples, batch_size).mean(axis=1)

    # ------------------------------------------------------------ serialisation
    def get_config(self):
        config = super().get_config()
        config.update({"image_shape": list(self.image_shape), "num_classes": self.num_classes,
                       "num_glimpses": self.num_glimpses,
                       "classification_weight": self.classification_weight,
                       "classify_every_glimpse": self.classify_every_glimpse,
                       "reward": self.reward})
        return config
