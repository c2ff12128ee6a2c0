"""CatchAgent: the Recurrent Attention Model playing Catch, trained by REINFORCE."""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from ram_keras.envs.catch import NUM_ACTIONS, CatchGame
from ram_keras.layers.location_sampler import ReplicaSeedGenerator
from ram_keras.losses import (
    baseline_loss,
    categorical_entropy,
    reinforce_loss,
    weighted_batch_mean,
)
from ram_keras.models.recurrent_attention import RecurrentAttention, check_loss_weights

# Offset between the seeds of the location sampler and of the action sampler.
ACTION_SEED_OFFSET = 1_000_003


@keras.saving.register_keras_serializable(package="ram_keras")
class CatchAgent(RecurrentAttention):
    """RAM as a reinforcement-learning agent for Catch (Mnih et al. 2014, 4.2).

    At every step `t = 1 .. T` of a game (`T = size - 1 = 23`) the glimpse
    step (`GlimpseStep`) picks where to look from `h_{t-1}` (the first location
    from the zero state, so it is learned too), reads the current screen there
    and updates the LSTM core to `h_t`; then the paddle action `a_t` is drawn
    from `softmax(ActionHead(h_t))` (0 left, 1 stay, 2 right) and the game
    steps (`CatchGame`).

    The reward `R` is 1 when the ball lands on the paddle, else 0; with
    discount 1 the return of every step is `R`. The learned baseline
    `b_k = BaselineHead(h_k)`, `k = 0 .. T`, is read before each decision:
    location `l_t` (chosen from `h_{t-1}`) uses `b_{t-1}`, action `a_t` (chosen
    from `h_t`) uses `b_t`, so neither baseline depends on the decision it
    judges. The loss (`train_step`, in `RecurrentAttention`) is

        reinforce_weight * [reinforce_loss(log pi(l), R, b_{0..T-1})
                            + reinforce_loss(log pi(a), R, b_{1..T})]
        + baseline_weight * baseline_loss(R, b_{0..T})
        - entropy_weight * mean_n sum_t H(pi(a_t))

    with the functions of `losses.py`. Gradients reach: the action REINFORCE
    term -> action head, core, glimpse network; the location REINFORCE term ->
    the location policy only; the baseline error -> the baseline head only.

    Playing greedily (`call`, `play(..., deterministic=True)`) takes the most
    probable action and looks at the mean location. Inputs are game keys, int
    `(batch, 2)` `(seed, game_id)` (see `ram_keras.envs.catch`): the agent
    plays those games and `call` returns their rewards `(batch,)`.

    Args:
        screen_size: int, side of the Catch screen (24).
        glimpse_size, num_scales, scale: the retina (6, 3, 2: patches of 6,
            12 and 24 pixels, each seen as 6x6).
        core_type: `"lstm"` (the paper's) or `"relu"`.
        retina_reduction: `"sum"` feeds the glimpse network the number of lit
            pixels in each block of a patch; `"mean"` their mean. The screen is
            almost empty: averaged over a 4x4 block the ball reads 1/16, too
            faint a signal for the glimpse network to learn from quickly.
        location_policy: `"learned"` (RAM) or `"centre"`: always look at the
            screen centre (with `glimpse_size=screen_size` the retina then sees
            the whole screen: the full-screen reference).
        entropy_weight: float >= 0, weight of the action-entropy bonus.
        **kwargs: the rest of the glimpse step and the loss weights
            (`RecurrentAttention`).
    """

    METRIC_NAMES = ("loss", "action_reinforce_loss", "location_reinforce_loss", "baseline_loss",
                    "action_entropy", "reward")
    # Validation: what the greedy agent catches, and how sure its action distribution is.
    VALIDATION_METRIC_NAMES = ("reward", "action_entropy")

    def __init__(self, screen_size=24, glimpse_size=6, num_scales=3, core_type="lstm",
                 retina_reduction="sum", entropy_weight=0.0, **kwargs):
        check_loss_weights("CatchAgent", entropy_weight=entropy_weight)
        game = CatchGame(screen_size)
        super().__init__(observation_shape=(screen_size, screen_size, 1),
                         num_steps=game.num_steps, num_actions=NUM_ACTIONS,
                         glimpse_size=glimpse_size, num_scales=num_scales, core_type=core_type,
                         retina_reduction=retina_reduction, **kwargs)
        self.game = game
        self.screen_size = screen_size
        self.entropy_weight = float(entropy_weight)
        self.action_seed_generator = ReplicaSeedGenerator(
            None if self.seed is None else self.seed + ACTION_SEED_OFFSET,
            name="action_seed_generator")
        self.build()

    # ------------------------------------------------------------------ episode
    def start_episode(self, keys):
        state = self.game.reset(keys)
        return state, ops.zeros(ops.shape(state.paddle), "float32")

    def observe(self, episode):
        return ops.cast(self.game.observe(episode[0]), self.compute_dtype)

    def act(self, episode, h, deterministic):
        """Draws (or picks the most probable) paddle action and steps the games."""
        state, rewards = episode
        logits = ops.cast(self.action_head(h), "float32")
        log_probs = ops.log_softmax(logits, axis=-1)
        if deterministic:
            actions = ops.cast(ops.argmax(logits, axis=-1), "int32")
        else:
            actions = ops.cast(
                keras.random.categorical(logits, 1, seed=self.action_seed_generator)[:, 0],
                "int32")
        action_log_prob = ops.take_along_axis(log_probs, actions[:, None], axis=-1)[:, 0]
        state, step_rewards, _ = self.game.step(state, actions)
        return (state, rewards + step_rewards), {
            "actions": actions, "action_log_probs": action_log_prob,
            "action_probs": ops.exp(log_probs)}

    def finish_episode(self, episode, keep_observations):
        state, rewards = episode
        outputs = {"rewards": rewards}
        if keep_observations:
            outputs["final_observations"] = self.observe(episode)
        return outputs

    def call(self, keys, training=False):
        """Rewards `(batch,)` of the greedy agent on the games with these keys."""
        return self.rollout(keys, deterministic=True)["rewards"]

    def play(self, keys, deterministic=True, keep_observations=False, batch_size=1000):
        """Plays the games with these keys; returns `rollout`'s dict as numpy arrays.

        Args:
            keys: int `(N, 2)` game keys.
            deterministic: greedy actions and mean locations (the default).
            keep_observations: also return the screens, `(N, T, size, size, 1)`.
            batch_size: games played at once.
        """
        if not hasattr(self, "_play_functions"):
            self._play_functions = {}
        signature = (bool(deterministic), bool(keep_observations))
        if signature not in self._play_functions:
            # The rollout is plain Python over a fixed number of steps: nothing for
            # AutoGraph to convert, and converting it costs seconds (as Keras's own
            # train and test functions, it is not converted).
            self._play_functions[signature] = tf.function(
                lambda k: self.rollout(k, deterministic, keep_observations),
                reduce_retracing=True, autograph=False)
        play = self._play_functions[signature]
        keys = np.asarray(keys, dtype=np.int64)
        chunks = [{k: np.asarray(v) for k, v in play(tf.constant(keys[i:i + batch_size])).items()}
                  for i in range(0, len(keys), batch_size)]
        return {k: np.concatenate([c[k] for c in chunks], axis=0) for k in chunks[0]}

    # ------------------------------------------------------------------- losses
    def compute_loss_terms(self, targets, outputs, group_size=1, sample_weight=None):
        """The REINFORCE loss and its terms, as a dict of scalars (and the rewards).

        With `sample_weight` `(batch,)` (one weight per game) every term, the
        entropy bonus too, is the weighted batch mean (`ram_keras.losses`).
        """
        rewards, baselines = outputs["rewards"], outputs["baselines"]
        # (batch, T): the entropy of every action distribution.
        entropies = categorical_entropy(outputs["action_probs"])
        terms = {
            "location_reinforce_loss": reinforce_loss(
                outputs["location_log_probs"], rewards,
                self.reinforce_baselines(rewards, baselines[:, :-1], group_size), sample_weight),
            "action_reinforce_loss": reinforce_loss(
                outputs["action_log_probs"], rewards,
                self.reinforce_baselines(rewards, baselines[:, 1:], group_size), sample_weight),
            "baseline_loss": baseline_loss(rewards, baselines, sample_weight),
            # Per step, so that it reads against log(3) = 1.0986.
            "action_entropy": weighted_batch_mean(ops.mean(entropies, axis=-1), sample_weight),
        }
        terms["loss"] = (
            self.reinforce_weight
            * (terms["location_reinforce_loss"] + terms["action_reinforce_loss"])
            + self.baseline_weight * terms["baseline_loss"]
            # Summed over time like the REINFORCE terms, so the weight is per step.
            - self.entropy_weight * weighted_batch_mean(ops.sum(entropies, axis=-1),
                                                        sample_weight)
        )
        terms["reward"] = rewards
        return terms

    # ------------------------------------------------------------ serialisation
    def get_config(self):
        config = super().get_config()
        config.update({"screen_size": self.screen_size, "entropy_weight": self.entropy_weight})
        return config
