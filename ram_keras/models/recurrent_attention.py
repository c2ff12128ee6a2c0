"""The Recurrent Attention Model as a Keras model: one rollout, one training step.

`RecurrentAttention` is the base of both task models
(`RecurrentAttentionModel`, the classifier, and `CatchAgent`): it owns the
glimpse step (policy -> retina -> glimpse network -> core), the action and
baseline heads, the rollout loop and the custom `train_step`. A task model says
only what an episode is: what the model sees at each step (`observe`), what it
does after each glimpse (`act`), and how the loss is made of the rollout
(`compute_loss_terms`, with the functions of `ram_keras.losses`).
"""

import keras
from keras import ops
import tensorflow as tf

from ram_keras.layers.glimpse_step import GlimpseStep
from ram_keras.layers.heads import ActionHead, BaselineHead
from ram_keras.losses import leave_one_out_baseline

BASELINES = ("learned", "leave_one_out")
# The glimpse step's settings, which are the model's too (its seed is the model's).
GLIMPSE_SETTINGS = ("glimpse_size", "num_scales", "scale", "retina_reduction", "what_units",
                    "where_units", "glimpse_units", "core_units", "core_type", "identity_init",
                    "location_std", "mean_activation", "learn_std", "location_policy",
                    "first_location", "init_std")


def check_loss_weights(owner, **weights):
    """Raises ValueError unless every loss weight is a number >= 0."""
    for name, value in weights.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
            raise ValueError(f"{owner}: `{name}` must be a float >= 0, got {value!r}.")


def _per_replica_logs(logs):
    """The step's logs in the form Keras can average across workers.

    Keras (3.15) averages the logs of a MultiWorkerMirroredStrategy step with
    `strategy.reduce("MEAN", value, axis=0)`, which needs an axis to reduce:
    there each scalar gets one. Elsewhere the logs stay scalars.
    """
    if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
        return {name: ops.reshape(value, (1,)) for name, value in logs.items()}
    return logs


class RecurrentAttention(keras.Model):
    """Base of the RAM task models: the glimpse step, the heads, the rollout, `train_step`.

    An episode has `num_steps` steps. At step `t` the baseline head reads
    `b_{t-1} = BaselineHead(h_{t-1})`, the glimpse step looks at the task's
    observation (`observe`) and updates the core to `h_t`, and the task acts on
    `h_t` (`act`: the classifier's logits, the paddle action of Catch). After the
    last step `b_T = BaselineHead(h_T)` is read too.

    `train_step` plays every input `paths_per_input` times with sampled
    locations (and actions), takes the gradient of `compute_loss_terms(...)["loss"]`
    and applies it. The loss is the task's; its REINFORCE terms use either the
    learned baseline `b_t` (`baseline="learned"`, the paper's) or, with several
    paths per input, the mean reward of the input's other paths
    (`"leave_one_out"`). Under `tf.distribute` each replica divides its mean
    loss by the number of replicas, so the summed gradients are those of the
    global batch; `optimizer.scale_loss` applies mixed precision's loss scaling.

    `fit(..., sample_weight=...)` and `class_weight` (which Keras turns into
    sample weights) weight every loss term per input (`ram_keras.losses`);
    `test_step` (`evaluate`, the validation of `fit`) plays the deterministic
    policy and logs only `VALIDATION_METRIC_NAMES`, the numbers that mean
    something without sampling. The loss and the logged metrics are the
    model's own: `compile` takes an optimizer and the settings of the training
    function, and raises ValueError for `loss`, `metrics` and the like.

    **Loss weights.** Each loss term is multiplied by its weight. The terms
    train disjoint sets of weights (cross-entropy: glimpse network, core,
    action head; REINFORCE: the location policy; squared error: the baseline
    head), and Adam divides each weight's update by the running size of its
    gradient, so there scaling a term by `c > 0` changes nothing but Adam's
    `epsilon` (a weight of 0 switches the term off). A weight balances terms
    only where they meet: with `reinforce_to_core=True` the REINFORCE and
    baseline gradients reach the core and glimpse network too, and there
    `reinforce_weight` and `baseline_weight` set their share against the
    task's own term (`tests/test_recurrent_attention.py` checks both).

    Subclasses build every weight at the end of their `__init__` (`self.build()`):
    the shapes are fixed by the config, so a model saved in any way (`.keras`,
    `save_weights`) always holds all its weights.

    Args:
        observation_shape: `(height, width, channels)` of what the retina reads.
        num_steps: int, glimpses per episode.
        num_actions: int, outputs of the action head.
        glimpse_size, num_scales, scale, retina_reduction, what_units,
            where_units, glimpse_units, core_units, core_type, identity_init,
            location_std, mean_activation, learn_std, location_policy,
            first_location: the glimpse step (`GlimpseStep`).
        init_std: None (Keras's Glorot uniform) or the std of truncated-normal
            kernels for every dense layer outside the core: the glimpse
            network, the policy and both heads (tfRAM starts them at 0.01).
        reinforce_to_core: let the REINFORCE and baseline gradients reach the
            core (the paper stops them at the state; the best public port does not).
        paths_per_input: int, sampled episodes per input in `train_step` (M).
        baseline: `"learned"` or `"leave_one_out"` (needs `paths_per_input >= 2`).
        reinforce_weight, baseline_weight: floats >= 0, loss weights.
        group_clip_norm: None, or a float > 0: `train_step` clips the
            gradients of the location policy and those of every other weight
            apart, each group to this global norm (tfRAM's clipping; the
            policy's noisy REINFORCE gradient then never shrinks the
            classifier's step). Use it instead of the optimizer's
            `global_clipnorm`; it clips each replica's gradients and cannot
            be combined with mixed precision's loss scaling.
        unroll: write the episode's steps out one by one in the graph (as
            Keras RNNs do with `unroll=True`) instead of a symbolic loop over
            steps 2 .. T. Same numbers; see `benchmarks/` for which is faster.
        seed: int or None, seed of the random draws.
    """

    # Names of the numbers `compute_loss_terms` returns, tracked as metrics.
    METRIC_NAMES = ()
    # Those of them that `test_step` logs: the ones that mean something for the
    # deterministic policy (a REINFORCE term evaluated at the mean location does not).
    VALIDATION_METRIC_NAMES = ()

    def __init__(self, observation_shape, num_steps, num_actions, glimpse_size=8, num_scales=1,
                 scale=2, retina_reduction="mean", what_units=128, where_units=128,
                 glimpse_units=256, core_units=256, core_type="relu", identity_init=False,
                 location_std=0.1, mean_activation="tanh", learn_std=False,
                 location_policy="learned", first_location="policy", reinforce_to_core=False,
                 paths_per_input=1, baseline="learned", reinforce_weight=1.0,
                 baseline_weight=1.0, group_clip_norm=None, unroll=False, seed=None,
                 init_std=None, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        observation_shape = tuple(observation_shape)
        if len(observation_shape) != 3 or any(
                isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in observation_shape):
            raise ValueError(f"{owner}: the observation shape must be (height, width, channels) "
                             f"of positive ints, got {observation_shape!r}.")
        for name, value in (("num_steps", num_steps), ("paths_per_input", paths_per_input)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{owner}: `{name}` must be a positive int, got {value!r}.")
        if baseline not in BASELINES:
            raise ValueError(f"{owner}: `baseline` must be one of {BASELINES}, got {baseline!r}.")
        if baseline == "leave_one_out" and paths_per_input < 2:
            raise ValueError(f"{owner}: a leave-one-out baseline needs paths_per_input >= 2, "
                             f"got {paths_per_input}.")
        check_loss_weights(owner, reinforce_weight=reinforce_weight,
                           baseline_weight=baseline_weight)
        if group_clip_norm is not None and (
                isinstance(group_clip_norm, bool) or not isinstance(group_clip_norm, (int, float))
                or not 0 < group_clip_norm < float("inf")):
            raise ValueError(f"{owner}: `group_clip_norm` must be None or a float > 0, got "
                             f"{group_clip_norm!r}.")
        height, width = observation_shape[0], observation_shape[1]
        if isinstance(glimpse_size, int) and glimpse_size > min(height, width):
            raise ValueError(f"{owner}: the glimpse ({glimpse_size}x{glimpse_size} px) is larger "
                             f"than the image ({height}x{width}).")
        self.observation_shape = observation_shape
        self.num_steps = num_steps
        self.reinforce_to_core = bool(reinforce_to_core)
        self.paths_per_input = paths_per_input
        self.baseline = baseline
        self.reinforce_weight = float(reinforce_weight)
        self.baseline_weight = float(baseline_weight)
        self.group_clip_norm = None if group_clip_norm is None else float(group_clip_norm)
        self.unroll = bool(unroll)
        self.seed = seed
        self.glimpse_step = GlimpseStep(
            glimpse_size, num_scales, scale, retina_reduction, what_units, where_units,
            glimpse_units, core_units, core_type, identity_init, location_std, mean_activation,
            learn_std, reinforce_to_core, location_policy, first_location, seed,
            init_std=init_std, name="glimpse_step")
        largest_patch = self.glimpse_sensor.patch_widths[-1]
        if largest_patch > 2 * max(height, width):
            raise ValueError(f"{owner}: the largest retina patch ({largest_patch} px) is more "
                             f"than twice the image ({height}x{width}).")
        self.action_head = ActionHead(num_actions, init_std=init_std, name="action_head")
        self.baseline_head = BaselineHead(state_gradient=reinforce_to_core, init_std=init_std,
                                          name="baseline_head")
        self.trackers = [keras.metrics.Mean(name=name) for name in self.METRIC_NAMES]

    # The glimpse step's parts, for pictures and tests.
    @property
    def glimpse_sensor(self):
        return self.glimpse_step.glimpse_sensor

    @property
    def glimpse_network(self):
        return self.glimpse_step.glimpse_network

    @property
    def location_sampler(self):
        return self.glimpse_step.location_sampler

    @property
    def core(self):
        return self.glimpse_step.core

    def build(self, input_shape=None):
        """Creates every weight; the shapes come from the config, not from `input_shape`."""
        self.glimpse_step.build((None,) + self.observation_shape)
        state_shape = (None, self.glimpse_step.core_units)
        self.action_head.build(state_shape)
        self.baseline_head.build(state_shape)

    # ------------------------------------------------------------------ episode
    def start_episode(self, inputs):
        """The episode's state at the start (the task's; default: the inputs)."""
        return inputs

    def observe(self, episode):
        """What the retina reads at this step, `(batch, H, W, C)`."""
        raise NotImplementedError

    def act(self, episode, h, deterministic):
        """After a glimpse: `(next episode state, dict of (batch, ...) records)`."""
        raise NotImplementedError

    def finish_episode(self, episode, keep_observations):
        """Extra outputs of a finished episode (a dict of tensors)."""
        return {}

    def _step(self, episode, states, deterministic, keep_observations, first):
        """One step of an episode: `(episode, states, record)` after it.

        The baseline reads `h_{t-1}`, the glimpse step looks at the task's
        observation and updates the core, and the task acts on `h_t`.
        """
        baseline = self.baseline_head(states[0])
        observation = self.observe(episode)
        states, glimpse = self.glimpse_step([observation, states], deterministic=deterministic,
                                            first=first)
        episode, decision = self.act(episode, states[0], deterministic)
        record = {"locations": glimpse["location"], "location_samples": glimpse["sample"],
                  "location_means": glimpse["mean"], "location_log_probs": glimpse["log_prob"],
                  "baselines": baseline, **decision}
        if keep_observations:
            record.update(observations=observation, patches=glimpse["patches"])
        return episode, states, record

    def _loop(self, episode, states, deterministic, keep_observations, template):
        """Steps 2 .. T as a symbolic loop: `(episode, states, records (batch, T - 1, ...))`.

        A `tf.while_loop` whose body is one `_step`, so a graph holds two
        copies of the step instead of T: tracing and XLA compilation take a
        fraction of the time. (`keras.ops.scan` needs its per-step outputs to
        share the carry's shapes, which the records do not.)
        """
        steps = self.num_steps - 1
        arrays = {key: tf.TensorArray(value.dtype, size=steps, element_shape=value.shape)
                  for key, value in template.items()}

        def body(index, episode, states, arrays):
            episode, states, record = self._step(episode, states, deterministic,
                                                 keep_observations, first=False)
            arrays = {key: array.write(index, record[key]) for key, array in arrays.items()}
            return index + 1, episode, states, arrays

        _, episode, states, arrays = tf.while_loop(
            lambda index, *_: index < steps, body, (0, episode, states, arrays),
            maximum_iterations=steps)
        records = {key: array.stack() for key, array in arrays.items()}
        return episode, states, {key: ops.moveaxis(value, 0, 1) for key, value in records.items()}

    def rollout(self, inputs, deterministic=False, keep_observations=False):
        """Plays one episode per input with the glimpse step: the one rollout of ram_keras.

        Args:
            inputs: a batch of the task's inputs (images, or Catch game keys).
            deterministic: the policy's mean locations (and the most probable
                actions) instead of samples.
            keep_observations: also return what was seen.

        Returns:
            A dict of tensors, `T = num_steps`: `locations` `(batch, T, 2)`
            (clipped to `[-1, 1]`, where the retina looked), `location_samples`
            `(batch, T, 2)` (as drawn, before clipping), `location_means`,
            `location_log_probs` `(batch, T)`, `baselines` `(batch, T + 1)`
            (`b_0 .. b_T`), the task's records of `act` stacked over time,
            the outputs of `finish_episode`, and with `keep_observations`
            `observations` `(batch, T, H, W, C)` and `patches`
            `(batch, T, K, g, g, C)`.
        """
        episode = self.start_episode(inputs)
        states = self.glimpse_step.initial_state(ops.shape(inputs)[0])
        episode, states, first = self._step(episode, states, deterministic, keep_observations,
                                            first=True)
        # One step leaves the loop nothing to do, and an empty TensorArray of an unknown
        # batch size cannot be stacked: a one-glimpse episode is its first step.
        if self.unroll or self.num_steps == 1:
            records = [first]
            for _ in range(1, self.num_steps):
                episode, states, record = self._step(episode, states, deterministic,
                                                     keep_observations, first=False)
                records.append(record)
            outputs = {key: ops.stack([r[key] for r in records], axis=1) for key in first}
        else:
            episode, states, later = self._loop(episode, states, deterministic,
                                                keep_observations, first)
            outputs = {key: ops.concatenate([first[key][:, None], later[key]], axis=1)
                       for key in first}
        outputs["baselines"] = ops.concatenate(
            [outputs["baselines"], self.baseline_head(states[0])[:, None]], axis=1)
        outputs.update(self.finish_episode(episode, keep_observations))
        return outputs

    # ------------------------------------------------------------------- losses
    def compute_loss_terms(self, targets, outputs, group_size=1, sample_weight=None):
        """The task's loss: a dict with `"loss"` and every name in `METRIC_NAMES`.

        Args:
            targets: what `fit` gives beside the inputs (labels), or None.
            outputs: the rollout's dict, in float32.
            group_size: consecutive episodes of one input (`paths_per_input`
                in `train_step`, 1 otherwise).
            sample_weight: `(batch,)` float weights of the episodes, or None.
        """
        raise NotImplementedError

    def reinforce_baselines(self, rewards, learned, group_size):
        """The baselines REINFORCE subtracts: `learned` `(batch, time)`, or leave-one-out."""
        if self.baseline == "leave_one_out" and group_size > 1:
            return leave_one_out_baseline(rewards, group_size)
        return learned

    @property
    def metrics(self):
        return list(self.trackers)

    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, **kwargs):
        """Keras's `compile` without its loss and metrics, which RAM has of its own.

        `**kwargs`: `run_eagerly`, `steps_per_execution`, `jit_compile`,
        `auto_scale_loss`, as in `keras.Model.compile`.
        """
        given = [name for name, value in (("loss", loss), ("loss_weights", loss_weights),
                                          ("metrics", metrics),
                                          ("weighted_metrics", weighted_metrics))
                 if value is not None]
        if given:
            raise ValueError(
                f"{type(self).__name__}.compile takes no `{given[0]}`: the model computes its "
                f"own loss (compute_loss_terms; weigh its terms with the constructor's *_weight "
                f"arguments, examples with fit's sample_weight) and logs {self.METRIC_NAMES}.")
        super().compile(optimizer=optimizer, **kwargs)

    def compile_from_config(self, config):
        """Compiles a loaded model as it was saved (Keras skips this for a custom `compile`)."""
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built:
            self.optimizer.build(self.trainable_variables)

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        """Skips Keras's symbolic build when there is nothing left to build.

        The one override of a private Keras method, kept because no public
        hook does this: under a tf.distribute strategy `fit` takes a batch
        from the iterator and averages it across replicas before building,
        which fails under MultiWorkerMirroredStrategy ("Attempt to convert a
        value (PerReplica...) to a Tensor"; keras-team/keras#20585,
        tensorflow/tensorflow#72388). Our models are built when made and
        the runner builds the optimizer, so then nothing is left to build
        (`_post_build` does nothing on TensorFlow; `compile` takes no loss or
        metrics to build). If the optimizer is unbuilt, Keras does its usual
        build. (Being private, it ties ram_keras to the Keras minor versions
        tested: see setup.py.)
        """
        if not (self.built and (self.optimizer is None or self.optimizer.built)):
            super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)

    def _record(self, terms, names, sample_weight):
        """Updates the trackers of `names`; per-episode numbers count with their weights."""
        for tracker in self.trackers:
            if tracker.name in names:
                value = terms[tracker.name]
                weight = sample_weight if len(ops.shape(value)) == 1 else None
                tracker.update_state(value, sample_weight=weight)
        return _per_replica_logs({tracker.name: tracker.result() for tracker in self.trackers
                                  if tracker.name in names})

    def _loss_terms(self, data, deterministic, group_size):
        """`(terms, sample_weight)` of a batch: the loss terms of its rollout, and the
        weights of its episodes (None without any)."""
        inputs, targets, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        if sample_weight is not None:
            sample_weight = ops.reshape(ops.cast(sample_weight, "float32"), (-1,))
        if group_size > 1:
            inputs = ops.repeat(inputs, group_size, axis=0)
            targets = None if targets is None else ops.repeat(targets, group_size, axis=0)
            if sample_weight is not None:
                sample_weight = ops.repeat(sample_weight, group_size, axis=0)
        outputs = self.rollout(inputs, deterministic=deterministic)
        outputs = {key: ops.cast(value, "float32") if "float" in str(value.dtype) else value
                   for key, value in outputs.items()}
        terms = self.compute_loss_terms(targets, outputs, group_size, sample_weight=sample_weight)
        return terms, sample_weight

    def train_step(self, data):
        with tf.GradientTape() as tape:
            terms, sample_weight = self._loss_terms(data, deterministic=False,
                                                    group_size=self.paths_per_input)
            # Each replica sees its share of the global batch and the optimizer sums the
            # replicas' gradients: dividing the replica's mean by the replica count gives
            # the gradient of the global-batch mean. `scale_loss` is mixed precision's
            # loss scaling (a no-op otherwise).
            replicas = tf.distribute.get_strategy().num_replicas_in_sync
            loss = self.optimizer.scale_loss(terms["loss"] / replicas)
        gradients = tape.gradient(loss, self.trainable_weights)
        if self.group_clip_norm is not None:
            gradients = self._clipped_by_group(gradients)
        self.optimizer.apply(gradients, self.trainable_weights)
        return self._record(terms, self.METRIC_NAMES, sample_weight)

    def _clipped_by_group(self, gradients):
        """`gradients` (of `trainable_weights`, in order) with the location policy's and
        all the others' each clipped to the global norm `group_clip_norm`."""
        if isinstance(self.optimizer, keras.optimizers.LossScaleOptimizer):
            raise ValueError(f"{type(self).__name__}: `group_clip_norm` cannot be combined with "
                             "mixed precision (the gradients are loss-scaled here)")
        if self.optimizer.global_clipnorm or self.optimizer.clipnorm or self.optimizer.clipvalue:
            raise ValueError(f"{type(self).__name__}: with `group_clip_norm` the optimizer must "
                             "not clip too (it would clip the clipped groups once more)")
        policy = {id(weight) for weight in self.location_sampler.trainable_weights}
        groups = ([i for i, weight in enumerate(self.trainable_weights) if id(weight) in policy],
                  [i for i, weight in enumerate(self.trainable_weights)
                   if id(weight) not in policy])
        clipped = list(gradients)
        for indices in groups:
            if not indices:
                continue
            parts, _ = tf.clip_by_global_norm([gradients[i] for i in indices],
                                              self.group_clip_norm)
            for i, part in zip(indices, parts):
                clipped[i] = part
        return clipped

    def test_step(self, data):
        """Evaluates the deterministic policy (mean locations, most probable actions):
        logs `VALIDATION_METRIC_NAMES`."""
        terms, sample_weight = self._loss_terms(data, deterministic=True, group_size=1)
        return self._record(terms, self.VALIDATION_METRIC_NAMES, sample_weight)

    # ------------------------------------------------------------ serialisation
    def get_config(self):
        config = super().get_config()
        step = self.glimpse_step.get_config()
        config.update({key: step[key] for key in GLIMPSE_SETTINGS})
        config.update({
            "reinforce_to_core": self.reinforce_to_core, "paths_per_input": self.paths_per_input,
            "baseline": self.baseline, "reinforce_weight": self.reinforce_weight,
            "baseline_weight": self.baseline_weight, "group_clip_norm": self.group_clip_norm,
            "unroll": self.unroll, "seed": self.seed,
        })
        return config
