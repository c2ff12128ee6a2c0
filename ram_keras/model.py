"""RecurrentAttentionModel: the RAM classifier and its hybrid training step."""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from ram_keras.core_network import CoreNetwork
from ram_keras.glimpse_network import GlimpseNetwork
from ram_keras.glimpse_sensor import GlimpseSensor
from ram_keras.heads import ActionHead, BaselineHead
from ram_keras.location_sampler import LocationSampler
from ram_keras.validation import check_loss_weights, validate_images
from ram_keras.losses import (
    baseline_loss,
    classification_reward,
    cross_entropy_loss,
    reinforce_loss,
)


def _per_replica_logs(logs):
    """The step's logs in the form Keras can average across workers.

    Keras (3.15) averages the logs of a MultiWorkerMirroredStrategy step with
    `strategy.reduce("MEAN", value, axis=0)`, which needs an axis to reduce:
    there each scalar gets one. Elsewhere the logs stay scalars.
    """
    if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
        return {name: ops.reshape(value, (1,)) for name, value in logs.items()}
    return logs


@keras.saving.register_keras_serializable(package="ram_keras")
class RecurrentAttentionModel(keras.Model):
    """The Recurrent Attention Model of Mnih et al. (2014) for classification.

    At each of `num_glimpses` steps the location policy picks where to look
    (`LocationSampler`, from the previous core state; the first location comes
    from the zero state, so it is learned too), the retina extracts patches
    there (`GlimpseSensor`), the glimpse network encodes them with the location
    (`GlimpseNetwork`), and the core updates its state (`CoreNetwork`). The
    action head classifies from the last state.

    Training (`train_step`) minimises
        `classification_weight * cross_entropy
         + reinforce_weight * REINFORCE(reward - baseline)
         + baseline_weight * (reward - baseline)^2`,
    with reward 1 when the last-step prediction is right. Gradients reach:
    cross-entropy -> action head, core, glimpse network; REINFORCE -> location
    policy only; baseline error -> baseline head only (see `losses.py`).

    Inference (`call`, `predict`) uses the mean locations (deterministic) and
    returns class probabilities `(batch, num_classes)`;
    `predict_monte_carlo` averages the probabilities of sampled glimpse paths.

    Args:
        image_shape: `(height, width, channels)` of the input images.
        num_classes: int, number of classes.
        num_glimpses: int, glimpses per image.
        glimpse_size, num_scales, scale: the retina (`GlimpseSensor`).
        what_units, where_units, glimpse_units: `GlimpseNetwork` sizes.
        core_units, core_type, identity_init: the `CoreNetwork`.
        location_std: float, the policy's standard deviation.
        classification_weight, reinforce_weight, baseline_weight: floats,
            the weights of the three loss terms.
        random_locations: the paper's "random glimpses" ablation: every
            location is drawn uniformly from `[-1, 1]^2` instead of by the
            policy (whose log-probabilities are then zero, so REINFORCE is off).
        seed: int or None, seed of the location sampler.
    """

    def __init__(
        self,
        image_shape=(28, 28, 1),
        num_classes=10,
        num_glimpses=6,
        glimpse_size=8,
        num_scales=1,
        scale=2,
        what_units=128,
        where_units=128,
        glimpse_units=256,
        core_units=256,
        core_type="relu",
        identity_init=False,
        location_std=0.1,
        classification_weight=1.0,
        reinforce_weight=1.0,
        baseline_weight=1.0,
        random_locations=False,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        image_shape = tuple(image_shape)
        if len(image_shape) != 3 or any(
            isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in image_shape
        ):
            raise ValueError(
                "RecurrentAttentionModel: `image_shape` must be (height, width, channels) "
                f"of positive ints, got {image_shape!r}."
            )
        if isinstance(num_glimpses, bool) or not isinstance(num_glimpses, int) or num_glimpses < 1:
            raise ValueError(
                f"RecurrentAttentionModel: `num_glimpses` must be a positive int, got {num_glimpses!r}."
            )
        check_loss_weights("RecurrentAttentionModel", classification_weight=classification_weight,
                           reinforce_weight=reinforce_weight, baseline_weight=baseline_weight)
        self.image_shape = image_shape
        self.num_classes = num_classes
        self.num_glimpses = num_glimpses
        self.glimpse_size = glimpse_size
        self.num_scales = num_scales
        self.scale = scale
        self.what_units = what_units
        self.where_units = where_units
        self.glimpse_units = glimpse_units
        self.core_units = core_units
        self.core_type = core_type
        self.identity_init = bool(identity_init)
        self.location_std = location_std
        self.classification_weight = float(classification_weight)
        self.reinforce_weight = float(reinforce_weight)
        self.baseline_weight = float(baseline_weight)
        self.random_locations = bool(random_locations)
        self.seed = seed

        self.glimpse_sensor = GlimpseSensor(
            glimpse_size, num_scales, scale, name="glimpse_sensor"
        )
        if glimpse_size > min(image_shape[0], image_shape[1]):
            raise ValueError(
                f"RecurrentAttentionModel: the glimpse ({glimpse_size}x{glimpse_size} px) is "
                f"larger than the image ({image_shape[0]}x{image_shape[1]})."
            )
        largest_patch = self.glimpse_sensor.patch_widths[-1]
        if largest_patch > 2 * max(image_shape[0], image_shape[1]):
            raise ValueError(
                f"RecurrentAttentionModel: the largest retina patch ({largest_patch} px) is "
                f"more than twice the image ({image_shape[0]}x{image_shape[1]})."
            )
        self.glimpse_network = GlimpseNetwork(
            what_units, where_units, glimpse_units, name="glimpse_network"
        )
        self.core = CoreNetwork(core_units, core_type, identity_init, name="core")
        self.location_sampler = LocationSampler(
            location_std, seed=seed, name="location_sampler"
        )
        self.action_head = ActionHead(num_classes, name="action_head")
        self.baseline_head = BaselineHead(name="baseline_head")

        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.classification_loss_tracker = keras.metrics.Mean(name="classification_loss")
        self.reinforce_loss_tracker = keras.metrics.Mean(name="reinforce_loss")
        self.baseline_loss_tracker = keras.metrics.Mean(name="baseline_loss")
        self.accuracy_tracker = keras.metrics.Mean(name="accuracy")
        self.reward_tracker = keras.metrics.Mean(name="reward")

    # ------------------------------------------------------------------ rollout
    def rollout(self, images, deterministic=False):
        """Runs all glimpses on a batch and returns everything the losses need.

        Args:
            images: `(batch, height, width, channels)` float in [0, 1].
            deterministic: use the policy's mean instead of sampling.

        Returns:
            A dict of tensors: `locations` `(batch, T, 2)` (clipped to
            [-1, 1], where the retina looked), `samples` `(batch, T, 2)` (as
            drawn, before clipping), `means` `(batch, T, 2)`, `log_probs`
            `(batch, T)`, `baselines` `(batch, T)`, `logits`
            `(batch, T, num_classes)` (the prediction after each glimpse).
        """
        images = ops.cast(images, "float32")
        batch_size = ops.shape(images)[0]
        state = self.core.initial_state(batch_size)
        h = self.core.output_of(state)
        steps = {k: [] for k in ("locations", "samples", "means", "log_probs", "baselines", "logits")}
        for _ in range(self.num_glimpses):
            sample, mean, log_prob = self.location_sampler(h, deterministic=deterministic)
            if self.random_locations:
                sample = keras.random.uniform(
                    ops.shape(mean), minval=-1.0, maxval=1.0,
                    seed=self.location_sampler.seed_generator,
                )
                mean, log_prob = sample, ops.zeros_like(log_prob)
            baseline = self.baseline_head(h)
            location = ops.clip(sample, -1.0, 1.0)
            patches = self.glimpse_sensor([images, location])
            features = self.glimpse_network([patches, location])
            state = self.core([features, state])
            h = self.core.output_of(state)
            steps["locations"].append(location)
            steps["samples"].append(sample)
            steps["means"].append(mean)
            steps["log_probs"].append(log_prob)
            steps["baselines"].append(baseline)
            steps["logits"].append(self.action_head(h))
        return {k: ops.stack(v, axis=1) for k, v in steps.items()}

    def call(self, images, training=False):
        outputs = self.rollout(images, deterministic=True)
        return ops.softmax(outputs["logits"][:, -1], axis=-1)

    def predict(self, x, *args, **kwargs):
        """Class probabilities `(N, num_classes)` with the deterministic policy.

        `x`: float images `(N, H, W, C)` in [0, 1] (checked: a ValueError names
        a wrong rank, shape, dtype, NaN/inf or range), or a tf.data.Dataset.
        """
        if not isinstance(x, (tf.data.Dataset, keras.utils.PyDataset)) and not hasattr(
            x, "__next__"
        ):
            x = validate_images(x, self.image_shape)
        return super().predict(x, *args, **kwargs)

    def predict_monte_carlo(self, images, samples=10, batch_size=500):
        """Class probabilities averaged over `samples` sampled glimpse paths.

        Args:
            images: `(N, height, width, channels)` float array in [0, 1].
            samples: int, glimpse paths per image (M).
            batch_size: images per forward pass (each run M times).

        Returns:
            numpy array `(N, num_classes)`.
        """
        if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
            raise ValueError(f"predict_monte_carlo: `samples` must be an int >= 1, got {samples!r}.")
        images = validate_images(images, self.image_shape)

        if not hasattr(self, "_monte_carlo_fn"):

            @tf.function(reduce_retracing=True)
            def monte_carlo(batch, m):
                n = ops.shape(batch)[0]
                tiled = ops.repeat(batch, m, axis=0)
                logits = self.rollout(tiled, deterministic=False)["logits"][:, -1]
                probs = ops.softmax(logits, axis=-1)
                return ops.mean(ops.reshape(probs, (n, m, self.num_classes)), axis=1)

            self._monte_carlo_fn = monte_carlo
        outputs = []
        for start in range(0, len(images), batch_size):
            batch = ops.convert_to_tensor(images[start : start + batch_size], "float32")
            outputs.append(
                ops.convert_to_numpy(self._monte_carlo_fn(batch, tf.constant(samples)))
            )
        return np.concatenate(outputs, axis=0)

    # ------------------------------------------------------------------- losses
    def compute_loss_terms(self, labels, outputs):
        """The hybrid loss and its terms, as a dict of scalars (and rewards).

        Computed in float32 also when the layers compute in float16 (mixed precision).
        """
        outputs = {key: ops.cast(value, "float32") for key, value in outputs.items()}
        final_logits = outputs["logits"][:, -1]
        rewards = classification_reward(labels, final_logits)
        terms = {
            "classification_loss": cross_entropy_loss(labels, final_logits),
            "reinforce_loss": reinforce_loss(
                outputs["log_probs"], rewards, outputs["baselines"]
            ),
            "baseline_loss": baseline_loss(rewards, outputs["baselines"]),
        }
        terms["loss"] = (
            self.classification_weight * terms["classification_loss"]
            + self.reinforce_weight * terms["reinforce_loss"]
            + self.baseline_weight * terms["baseline_loss"]
        )
        terms["rewards"] = rewards
        return terms

    @property
    def metrics(self):
        return [
            self.loss_tracker,
            self.classification_loss_tracker,
            self.reinforce_loss_tracker,
            self.baseline_loss_tracker,
            self.accuracy_tracker,
            self.reward_tracker,
        ]

    def _update_trackers(self, terms, correct):
        self.loss_tracker.update_state(terms["loss"])
        self.classification_loss_tracker.update_state(terms["classification_loss"])
        self.reinforce_loss_tracker.update_state(terms["reinforce_loss"])
        self.baseline_loss_tracker.update_state(terms["baseline_loss"])
        self.accuracy_tracker.update_state(correct)
        self.reward_tracker.update_state(terms["rewards"])
        return {m.name: m.result() for m in self.metrics}

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        """Skips Keras's symbolic build when there is nothing left to build.

        Under a tf.distribute strategy Keras takes one batch from the training
        iterator to build the model (so training would start on the second
        batch), and under MultiWorkerMirroredStrategy it fails to reduce that
        batch. This model has no compiled loss or metrics; `build_all()`
        builds its layers and `experiment.run_experiment` its optimizer.
        """
        nothing_to_build = (
            all(layer.built for layer in self._flatten_layers())
            and (self.optimizer is None or self.optimizer.built)
            and getattr(self, "_compile_metrics", None) is None
            and getattr(self, "_compile_loss", None) is None
        )
        if not nothing_to_build:
            super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)

    def train_step(self, data):
        images, labels = data
        with tf.GradientTape() as tape:
            outputs = self.rollout(images, deterministic=False)
            terms = self.compute_loss_terms(labels, outputs)
            # Under tf.distribute each replica sees its share of the global batch and
            # the optimizer sums the replicas' gradients: dividing the per-replica mean
            # by the replica count gives the gradient of the global-batch mean (equal
            # shares). `scale_loss` is the loss scaling of mixed precision (else a no-op).
            replicas = tf.distribute.get_strategy().num_replicas_in_sync
            loss = self.optimizer.scale_loss(terms["loss"] / replicas)
        gradients = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply(gradients, self.trainable_weights)
        # Reward and accuracy coincide while training: both judge the sampled path.
        return _per_replica_logs(self._update_trackers(terms, terms["rewards"]))

    def test_step(self, data):
        """Evaluates with the deterministic policy (mean locations)."""
        images, labels = data
        outputs = self.rollout(images, deterministic=True)
        terms = self.compute_loss_terms(labels, outputs)
        return _per_replica_logs(self._update_trackers(terms, terms["rewards"]))

    # ------------------------------------------------------------ serialisation
    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "image_shape": list(self.image_shape),
                "num_classes": self.num_classes,
                "num_glimpses": self.num_glimpses,
                "glimpse_size": self.glimpse_size,
                "num_scales": self.num_scales,
                "scale": self.scale,
                "what_units": self.what_units,
                "where_units": self.where_units,
                "glimpse_units": self.glimpse_units,
                "core_units": self.core_units,
                "core_type": self.core_type,
                "identity_init": self.identity_init,
                "location_std": self.location_std,
                "classification_weight": self.classification_weight,
                "reinforce_weight": self.reinforce_weight,
                "baseline_weight": self.baseline_weight,
                "random_locations": self.random_locations,
                "seed": self.seed,
            }
        )
        return config

    def build_all(self):
        """Creates every weight by running one deterministic rollout on zeros."""
        self(ops.zeros((1,) + self.image_shape, dtype="float32"))
        return self
