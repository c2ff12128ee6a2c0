"""CatchAgent: it plays the real game, its losses and gradient flow, saving."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import ram_keras
from catch_reference import ReferenceCatch
from helpers import SMALL_AGENT as SMALL
from helpers import assert_config_roundtrip
from ram_keras import CatchAgent, gaussian_log_prob
from ram_keras.envs.catch import game_keys
from ram_keras.saving import save_model


def rollout(agent, keys, **kwargs):
    """`agent.rollout` run eagerly (cheaper than tracing it in a test), as numpy."""
    return {k: np.asarray(v) for k, v in agent.rollout(tf.constant(keys), **kwargs).items()}


@pytest.fixture(scope="module")
def agent():
    return CatchAgent(seed=1, **SMALL)


@pytest.fixture(scope="module")
def sampled(agent):
    """64 games played with sampled actions and locations, screens kept."""
    return rollout(agent, game_keys(5, 0, 64), deterministic=False, keep_observations=True)


def test_sampled_play_is_the_reference_game_with_the_agents_actions(sampled):
    """Replaying the agent's actions in the pure-Python game gives its screens and rewards."""
    out = sampled
    for i in range(64):
        game = ReferenceCatch.from_key(5, i)
        for t in range(23):
            np.testing.assert_array_equal(out["observations"][i, t, :, :, 0], game.screen())
            reward = game.step(int(out["actions"][i, t]))
        np.testing.assert_array_equal(out["final_observations"][i, :, :, 0], game.screen())
        assert out["rewards"][i] == reward
    assert set(np.unique(out["actions"])) == {0, 1, 2}


def test_rollout_shapes_and_log_probabilities(agent, sampled):
    out = sampled
    assert out["locations"].shape == (64, 23, 2) and out["baselines"].shape == (64, 24)
    assert out["actions"].shape == (64, 23) and out["action_probs"].shape == (64, 23, 3)
    picked = np.take_along_axis(out["action_probs"], out["actions"][..., None], -1)[..., 0]
    np.testing.assert_allclose(out["action_log_probs"], np.log(picked), rtol=1e-4, atol=1e-5)
    want = gaussian_log_prob(out["location_samples"], out["location_means"], agent.location_sampler.std)
    np.testing.assert_allclose(out["location_log_probs"], want, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(out["locations"], np.clip(out["location_samples"], -1, 1))


def test_greedy_play_takes_the_most_probable_action_at_the_mean(agent):
    """Also: `play` (a tf.function, in chunks) plays exactly as the eager rollout."""
    keys = game_keys(0, 0, 32)
    out = agent.play(keys, deterministic=True, batch_size=16)
    np.testing.assert_array_equal(out["actions"], np.argmax(out["action_probs"], -1))
    np.testing.assert_array_equal(out["locations"], out["location_means"])
    eager = rollout(agent, keys, deterministic=True)
    np.testing.assert_array_equal(eager["actions"], out["actions"])
    np.testing.assert_allclose(eager["locations"], out["locations"], atol=1e-6)
    np.testing.assert_array_equal(agent(keys).numpy(), out["rewards"])


def test_retina_counts_lit_pixels():
    """At the centre the 24-pixel patch is the screen in 4x4 blocks: counts, not means."""
    counting = CatchAgent(**SMALL).glimpse_sensor
    averaging = CatchAgent(retina_reduction="mean", **SMALL).glimpse_sensor
    screen = np.zeros((1, 24, 24, 1), np.float32)
    screen[0, 3, 5] = screen[0, 23, 8] = screen[0, 23, 9] = 1.0
    centre = np.zeros((1, 2), np.float32)
    counts = counting([screen, centre]).numpy()[0, 2, :, :, 0]
    want = screen[0, :, :, 0].reshape(6, 4, 6, 4).sum(axis=(1, 3))
    np.testing.assert_array_equal(counts, want)
    np.testing.assert_allclose(averaging([screen, centre]).numpy()[0, 2, :, :, 0], want / 16)
    # The finest scale (6x6 around the centre, rows and columns 9..14) is the screen itself.
    np.testing.assert_array_equal(counting([screen, centre]).numpy()[0, 0, :, :, 0],
                                  screen[0, 9:15, 9:15, 0])


def test_full_screen_reference_sees_the_whole_screen():
    full = CatchAgent(glimpse_size=24, num_scales=1, location_policy="centre", **SMALL)
    out = rollout(full, game_keys(2, 0, 8), deterministic=False, keep_observations=True)
    assert np.all(out["locations"] == 0) and np.all(out["location_log_probs"] == 0)
    np.testing.assert_array_equal(out["patches"][:, :, 0], out["observations"])


def test_the_lstm_core_starts_with_an_open_forget_gate(agent):
    units = agent.glimpse_step.core_units
    bias = agent.core.get_weights()[2]
    np.testing.assert_array_equal(bias[units:2 * units], 1.0)


@pytest.mark.parametrize("weighted_games", [False, True])
def test_loss_terms_match_numpy_with_the_right_baselines(agent, weighted_games):
    """Location l_t is judged against b_{t-1}, action a_t against b_t; with sample weights
    every term, the entropy bonus too, is the batch mean of `w_n * term_n`."""
    rng = np.random.default_rng(3)
    n, steps = 5, 23
    outputs = {
        "rewards": rng.integers(0, 2, n).astype(np.float32),
        "baselines": rng.random((n, steps + 1)).astype(np.float32),
        "location_log_probs": rng.normal(size=(n, steps)).astype(np.float32),
        "action_log_probs": -rng.random((n, steps)).astype(np.float32),
        "action_probs": rng.dirichlet(np.ones(3), (n, steps)).astype(np.float32),
    }
    weighted = CatchAgent(reinforce_weight=0.5, baseline_weight=2.0, entropy_weight=0.1, **SMALL)
    w = rng.random(n).astype(np.float32) * 2 if weighted_games else np.ones(n, np.float32)
    terms = weighted.compute_loss_terms(None, outputs,
                                        sample_weight=w if weighted_games else None)
    r, b = outputs["rewards"][:, None], outputs["baselines"]
    location = np.mean(w * np.sum(-outputs["location_log_probs"] * (r - b[:, :-1]), 1))
    action = np.mean(w * np.sum(-outputs["action_log_probs"] * (r - b[:, 1:]), 1))
    baseline = np.mean(w * np.mean((r - b) ** 2, 1))
    p = outputs["action_probs"]
    entropy = -np.sum(p * np.log(p), -1)
    np.testing.assert_allclose(terms["location_reinforce_loss"], location, rtol=1e-5)
    np.testing.assert_allclose(terms["action_reinforce_loss"], action, rtol=1e-5)
    np.testing.assert_allclose(terms["baseline_loss"], baseline, rtol=1e-5)
    np.testing.assert_allclose(terms["action_entropy"], np.mean(w * entropy.mean(1)), rtol=1e-5)
    want = 0.5 * (location + action) + 2.0 * baseline - 0.1 * np.mean(w * entropy.sum(1))
    np.testing.assert_allclose(terms["loss"], want, rtol=1e-5)


def test_gradient_flow(agent):
    """Action REINFORCE trains action head, core and glimpse network; location
    REINFORCE only the location policy; the baseline error only the baseline."""
    groups = {
        "action": agent.action_head, "core": agent.core, "glimpse": agent.glimpse_network,
        "location": agent.location_sampler, "baseline": agent.baseline_head,
    }
    with tf.GradientTape(persistent=True) as tape:
        terms = agent.compute_loss_terms(None, agent.rollout(game_keys(1, 0, 16)))

    def reached(loss):
        return {
            name: any(g is not None and np.any(g.numpy() != 0)
                      for g in tape.gradient(terms[loss], layer.trainable_weights))
            for name, layer in groups.items()
        }

    assert reached("action_reinforce_loss") == dict(
        action=True, core=True, glimpse=True, location=False, baseline=False)
    assert reached("location_reinforce_loss") == dict(
        action=False, core=False, glimpse=False, location=True, baseline=False)
    assert reached("baseline_loss") == dict(
        action=False, core=False, glimpse=False, location=False, baseline=True)


def test_every_save_path_keeps_the_trained_agent(tmp_path):
    """fit, then model.save / keras.saving.load_model, save_weights, ram_keras.save_model."""
    keras.utils.set_random_seed(2)
    trained = CatchAgent(screen_size=8, glimpse_size=2, seed=3, **SMALL)
    assert_config_roundtrip(trained)
    trained.compile(optimizer=keras.optimizers.Adam(1e-2), run_eagerly=True)
    trained.fit(tf.data.Dataset.from_tensors(game_keys(9, 0, 32)).repeat(3), verbose=0)
    keys = game_keys(8, 0, 50)
    want = rollout(trained, keys, deterministic=True)
    trained.save(str(tmp_path / "agent.keras"))
    trained.save_weights(str(tmp_path / "plain.weights.h5"))
    fresh = CatchAgent.from_config(trained.get_config())
    fresh.load_weights(str(tmp_path / "plain.weights.h5"))
    save_model(trained, str(tmp_path / "agent.weights.h5"), metadata={"dataset": "catch"})
    for loaded in (keras.saving.load_model(str(tmp_path / "agent.keras")),
                   ram_keras.load_model(str(tmp_path / "agent.keras")), fresh,
                   ram_keras.load_model(str(tmp_path / "agent.weights.h5"))):
        assert isinstance(loaded, CatchAgent) and loaded.get_config() == trained.get_config()
        got = rollout(loaded, keys, deterministic=True)
        for key in ("rewards", "actions", "locations", "baselines"):
            np.testing.assert_array_equal(got[key], want[key])


def test_bad_arguments_raise():
    with pytest.raises(ValueError):
        CatchAgent(location_policy="everywhere")
    with pytest.raises(ValueError):
        CatchAgent(entropy_weight=-1.0)
    with pytest.raises(ValueError):
        CatchAgent(glimpse_size=30)
