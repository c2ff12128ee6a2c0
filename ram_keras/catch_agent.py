"""CatchAgent: the Recurrent Attention Model playing Catch, trained by REINFORCE."""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from ram_keras.catch import NUM_ACTIONS, CatchGame
from ram_keras.core_network import CoreNetwork
from ram_keras.glimpse_network import GlimpseNetwork
from ram_keras.glimpse_sensor import GlimpseSensor
from ram_keras.heads import ActionHead, BaselineHead
from ram_keras.location_sampler import LocationSampler
from ram_keras.losses import baseline_loss, reinforce_loss
from ram_keras.saving import ModelFileError, read_model_file_info
from ram_keras.validation import check_loss_weights

LOCATION_POLICIES = ("learned", "centre")
# Offset between the seeds of the location sampler and of the action sampler.
ACTION_SEED_OFFSET = 1_000_003


@keras.saving.register_keras_serializable(package="ram_keras")
class CatchAgent(keras.Model):
    """RAM as a reinforcement-learning agent for Catch (Mnih et al. 2014, 4.2).

    At every step `t = 1 .. T` of a game (`T = size - 1 = 23`):

    1. the location policy (`LocationSampler`) picks where to look from the
       previous core state `h_{t-1}` (the first location from the zero state,
       so it is learned too);
    2. the retina (`GlimpseSensor`) reads the current screen there, the
       glimpse network (`GlimpseNetwork`) encodes patches and location, and
       the LSTM core (`CoreNetwork(core_type="lstm")`) updates `h_t`;
    3. the paddle action `a_t` is drawn from `softmax(ActionHead(h_t))`
       (0 left, 1 stay, 2 right) and the game steps (`CatchGame`).

    The reward `R` is 1 when the ball lands on the paddle, else 0; with
    discount 1 the return of every step is `R`. The learned baseline
    `b_k = BaselineHead(h_k)`, `k = 0 .. T`, is read before each decision:
    location `l_t` (chosen from `h_{t-1}`) uses `b_{t-1}`, action `a_t` (chosen
    from `h_t`) uses `b_t`, so neither baseline depends on the decision it
    judges. The loss (`train_step`) is

        reinforce_weight * [reinforce_loss(log pi(l), R, b_{0..T-1})
                            + reinforce_loss(log pi(a), R, b_{1..T})]
        + baseline_weight * baseline_loss(R, b_{0..T})
        - entropy_weight * mean_n sum_t H(pi(a_t))

    with the loss functions of `losses.py`. Gradients reach: the action
    REINFORCE term -> action head, core, glimpse network; the location
    REINFORCE term -> the location policy only (it reads `stop_gradient(h)`);
    the baseline error -> the baseline head only.

    Playing greedily (`call`, `play(..., deterministic=True)`) takes the most
    probable action and looks at the mean location.

    Inputs are game keys, int `(batch, 2)` `(seed, game_id)` (see
    `ram_keras.catch`): the agent plays those games and `call` returns their
    rewards `(batch,)`.

    Args:
        screen_size: int, side of the Catch screen (24).
        glimpse_size, num_scales, scale: the retina (6, 3, 2: patches of 6,
            12 and 24 pixels, each seen as 6x6).
        what_units, where_units, glimpse_units: `GlimpseNetwork` sizes.
        core_units: int, size of the LSTM core (256).
        core_type: `"lstm"` (the paper's) or `"relu"`.
        location_std: float, the location policy's standard deviation.
        location_policy: `"learned"` (RAM) or `"centre"`: always look at the
            screen centre (no location policy; with `glimpse_size=size` the
            retina then sees the whole screen, the full-screen reference).
        count_pixels: feed the glimpse network the number of lit pixels in
            each block of a patch instead of their mean (the retina's output
            times the block area, `scale**(2k)` at scale `k`). The screen is
            almost empty: averaged over a 4x4 block the ball reads 1/16, too
            faint a signal for the glimpse network to learn from quickly.
        reinforce_weight, baseline_weight, entropy_weight: loss weights.
        seed: int or None, seed of the location and action samplers.
    """

    def __init__(
        self,
        screen_size=24,
        glimpse_size=6,
        num_scales=3,
        scale=2,
        what_units=128,
        where_units=128,
        glimpse_units=256,
        core_units=256,
        core_type="lstm",
        location_std=0.1,
        location_policy="learned",
        count_pixels=True,
        reinforce_weight=1.0,
        baseline_weight=1.0,
        entropy_weight=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if location_policy not in LOCATION_POLICIES:
            raise ValueError(
                f"CatchAgent: `location_policy` must be one of {LOCATION_POLICIES}, "
                f"got {location_policy!r}."
            )
        check_loss_weights("CatchAgent", reinforce_weight=reinforce_weight,
                           baseline_weight=baseline_weight, entropy_weight=entropy_weight)
        self.game = CatchGame(screen_size)
        if isinstance(glimpse_size, int) and glimpse_size > screen_size:
            raise ValueError(
                f"CatchAgent: the glimpse ({glimpse_size} px) is larger than the screen "
                f"({screen_size} px)."
            )
        self.screen_size = screen_size
        self.glimpse_size = glimpse_size
        self.num_scales = num_scales
        self.scale = scale
        self.what_units = what_units
        self.where_units = where_units
        self.glimpse_units = glimpse_units
        self.core_units = core_units
        self.core_type = core_type
        self.location_std = location_std
        self.location_policy = location_policy
        self.count_pixels = bool(count_pixels)
        self.reinforce_weight = float(reinforce_weight)
        self.baseline_weight = float(baseline_weight)
        self.entropy_weight = float(entropy_weight)
        self.seed = seed

        self.glimpse_sensor = GlimpseSensor(glimpse_size, num_scales, scale, name="glimpse_sensor")
        # Pixels per block of each retina scale, (1, num_scales, 1, 1, 1).
        self._block_areas = ops.reshape(
            ops.convert_to_tensor([float(scale**k) ** 2 for k in range(num_scales)]),
            (1, num_scales, 1, 1, 1),
        )
        self.glimpse_network = GlimpseNetwork(
            what_units, where_units, glimpse_units, name="glimpse_network"
        )
        self.core = CoreNetwork(core_units, core_type, name="core")
        self.location_sampler = LocationSampler(location_std, seed=seed, name="location_sampler")
        self.action_head = ActionHead(NUM_ACTIONS, name="action_head")
        self.baseline_head = BaselineHead(name="baseline_head")
        self.action_seed_generator = keras.random.SeedGenerator(
            None if seed is None else seed + ACTION_SEED_OFFSET
        )

        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.action_reinforce_loss_tracker = keras.metrics.Mean(name="action_reinforce_loss")
        self.location_reinforce_loss_tracker = keras.metrics.Mean(name="location_reinforce_loss")
        self.baseline_loss_tracker = keras.metrics.Mean(name="baseline_loss")
        self.action_entropy_tracker = keras.metrics.Mean(name="action_entropy")
        self.reward_tracker = keras.metrics.Mean(name="reward")

    # ------------------------------------------------------------------ rollout
    def rollout(self, keys, deterministic=False, keep_screens=False):
        """Plays the games with these keys to the end.

        Args:
            keys: int `(batch, 2)` game keys `(seed, game_id)`.
            deterministic: greedy actions and mean locations instead of samples.
            keep_screens: also return the screens the agent saw.

        Returns:
            A dict of tensors, `T = screen_size - 1` steps: `rewards`
            `(batch,)` (1 caught, 0 missed); `locations` `(batch, T, 2)`
            (clipped to [-1, 1], where the retina looked); `location_samples`
            `(batch, T, 2)` (as drawn, before clipping); `location_means`
            `(batch, T, 2)`; `location_log_probs` `(batch, T)`; `actions`
            `(batch, T)` int32; `action_log_probs` `(batch, T)`;
            `action_probs` `(batch, T, 3)`; `baselines` `(batch, T + 1)`
            (`b_0 .. b_T`); with `keep_screens`, `screens` `(batch, T, size,
            size)` float32, the screens seen, and `final_screens` `(batch,
            size, size)`, the screen after the last step (ball on the bottom
            row).
        """
        state = self.game.reset(keys)
        batch_size = ops.shape(state.paddle)[0]
        core_state = self.core.initial_state(batch_size)
        h = self.core.output_of(core_state)
        steps = {
            k: []
            for k in ("locations", "location_samples", "location_means", "location_log_probs",
                      "actions",
                      "action_log_probs", "action_probs", "screens")
        }
        baselines = [self.baseline_head(h)]
        rewards = ops.zeros((batch_size,), "float32")
        for _ in range(self.game.num_steps):
            screen = self.game.observe(state)
            sample, mean, location_log_prob = self.location_sampler(
                h, deterministic=deterministic
            )
            if self.location_policy == "centre":
                sample = mean = ops.zeros_like(mean)
                location_log_prob = ops.zeros_like(location_log_prob)
            location = ops.clip(sample, -1.0, 1.0)
            patches = self.look(screen, location)
            features = self.glimpse_network([patches, location])
            core_state = self.core([features, core_state])
            h = self.core.output_of(core_state)
            logits = self.action_head(h)
            log_probs = ops.log_softmax(logits, axis=-1)
            if deterministic:
                actions = ops.cast(ops.argmax(logits, axis=-1), "int32")
            else:
                actions = ops.cast(
                    keras.random.categorical(logits, 1, seed=self.action_seed_generator)[:, 0],
                    "int32",
                )
            action_log_prob = ops.take_along_axis(log_probs, actions[:, None], axis=-1)[:, 0]
            state, step_rewards, _ = self.game.step(state, actions)
            rewards = rewards + step_rewards
            baselines.append(self.baseline_head(h))
            steps["locations"].append(location)
            steps["location_samples"].append(sample)
            steps["location_means"].append(mean)
            steps["location_log_probs"].append(location_log_prob)
            steps["actions"].append(actions)
            steps["action_log_probs"].append(action_log_prob)
            steps["action_probs"].append(ops.exp(log_probs))
            if keep_screens:
                steps["screens"].append(screen[..., 0])
        if not keep_screens:
            del steps["screens"]
        outputs = {k: ops.stack(v, axis=1) for k, v in steps.items()}
        if keep_screens:
            outputs["final_screens"] = self.game.observe(state)[..., 0]
        outputs["baselines"] = ops.stack(baselines, axis=1)
        outputs["rewards"] = rewards
        return outputs

    def look(self, screens, locations):
        """The retina's patches `(batch, num_scales, g, g, 1)` fed to the glimpse network.

        With `count_pixels`, each block holds the number of lit pixels it
        covers; otherwise their mean (`GlimpseSensor`'s output).
        """
        patches = self.glimpse_sensor([screens, locations])
        return patches * self._block_areas if self.count_pixels else patches

    def call(self, keys, training=False):
        """Rewards `(batch,)` of the greedy agent on the games with these keys."""
        return self.rollout(keys, deterministic=True)["rewards"]

    def play(self, keys, deterministic=True, keep_screens=False, batch_size=1000):
        """Plays the games with these keys; returns `rollout`'s dict as numpy arrays.

        Args:
            keys: int `(N, 2)` game keys.
            deterministic: greedy actions and mean locations (the default).
            keep_screens: also return the screens, `(N, T, size, size)`.
            batch_size: games played at once.
        """
        if not hasattr(self, "_play_functions"):
            self._play_functions = {}
        signature = (bool(deterministic), bool(keep_screens))
        if signature not in self._play_functions:
            self._play_functions[signature] = tf.function(
                lambda k: self.rollout(k, deterministic, keep_screens), reduce_retracing=True
            )
        play = self._play_functions[signature]
        keys = np.asarray(keys, dtype=np.int64)
        chunks = [
            {k: np.asarray(v) for k, v in play(tf.constant(keys[start : start + batch_size])).items()}
            for start in range(0, len(keys), batch_size)
        ]
        return {k: np.concatenate([c[k] for c in chunks], axis=0) for k in chunks[0]}

    # ------------------------------------------------------------------- losses
    def compute_loss_terms(self, outputs):
        """The REINFORCE loss and its terms, as a dict of scalars."""
        rewards, baselines = outputs["rewards"], outputs["baselines"]
        probs = outputs["action_probs"]
        # (batch, T): the entropy of every action distribution.
        entropies = -ops.sum(probs * ops.log(ops.maximum(probs, 1e-12)), axis=-1)
        terms = {
            "location_reinforce_loss": reinforce_loss(
                outputs["location_log_probs"], rewards, baselines[:, :-1]
            ),
            "action_reinforce_loss": reinforce_loss(
                outputs["action_log_probs"], rewards, baselines[:, 1:]
            ),
            "baseline_loss": baseline_loss(rewards, baselines),
            # Per step, so that it reads against log(3) = 1.0986.
            "action_entropy": ops.mean(entropies),
        }
        terms["loss"] = (
            self.reinforce_weight
            * (terms["location_reinforce_loss"] + terms["action_reinforce_loss"])
            + self.baseline_weight * terms["baseline_loss"]
            # Summed over time like the REINFORCE terms, so the weight is per step.
            - self.entropy_weight * ops.mean(ops.sum(entropies, axis=-1))
        )
        return terms

    @property
    def metrics(self):
        return [
            self.loss_tracker,
            self.action_reinforce_loss_tracker,
            self.location_reinforce_loss_tracker,
            self.baseline_loss_tracker,
            self.action_entropy_tracker,
            self.reward_tracker,
        ]

    def _update_trackers(self, terms, rewards):
        self.loss_tracker.update_state(terms["loss"])
        self.action_reinforce_loss_tracker.update_state(terms["action_reinforce_loss"])
        self.location_reinforce_loss_tracker.update_state(terms["location_reinforce_loss"])
        self.baseline_loss_tracker.update_state(terms["baseline_loss"])
        self.action_entropy_tracker.update_state(terms["action_entropy"])
        self.reward_tracker.update_state(rewards)
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, keys):
        """One REINFORCE update on a batch of games played with sampled decisions."""
        with tf.GradientTape() as tape:
            outputs = self.rollout(keys, deterministic=False)
            terms = self.compute_loss_terms(outputs)
        gradients = tape.gradient(terms["loss"], self.trainable_weights)
        self.optimizer.apply(gradients, self.trainable_weights)
        return self._update_trackers(terms, outputs["rewards"])

    def test_step(self, keys):
        """Plays a batch of games greedily (mean locations, most probable actions)."""
        outputs = self.rollout(keys, deterministic=True)
        return self._update_trackers(self.compute_loss_terms(outputs), outputs["rewards"])

    # ------------------------------------------------------------ serialisation
    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "screen_size": self.screen_size,
                "glimpse_size": self.glimpse_size,
                "num_scales": self.num_scales,
                "scale": self.scale,
                "what_units": self.what_units,
                "where_units": self.where_units,
                "glimpse_units": self.glimpse_units,
                "core_units": self.core_units,
                "core_type": self.core_type,
                "location_std": self.location_std,
                "location_policy": self.location_policy,
                "count_pixels": self.count_pixels,
                "reinforce_weight": self.reinforce_weight,
                "baseline_weight": self.baseline_weight,
                "entropy_weight": self.entropy_weight,
                "seed": self.seed,
            }
        )
        return config

    def build_all(self):
        """Creates every weight by playing one game greedily."""
        self(ops.zeros((1, 2), dtype="int64"))
        return self


def load_catch_agent(path):
    """Loads a `CatchAgent` saved by `ram_keras.saving.save_model` (`*.weights.h5`).

    The config is read from the file (or the `*.config.json` beside it).
    Raises `ModelFileError` for a file that is not a readable CatchAgent.
    """
    config, _ = read_model_file_info(path)
    try:
        agent = CatchAgent.from_config(dict(config)).build_all()
    except Exception as error:  # noqa: BLE001 - any config the agent rejects
        raise ModelFileError(f"{path} holds no CatchAgent config: {error}") from None
    try:
        agent.load_weights(path)
    except Exception as error:  # noqa: BLE001 - h5py and Keras raise many kinds
        raise ModelFileError(f"The weights in {path} do not fit a CatchAgent: {error}") from None
    return agent
