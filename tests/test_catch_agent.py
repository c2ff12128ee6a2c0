"""CatchAgent: it plays the real game, its losses and gradient flow, saving."""

import numpy as np
import pytest
import tensorflow as tf

from catch_reference import ReferenceCatch
from helpers import assert_config_roundtrip
from ram_keras.catch import game_keys
from ram_keras.catch_agent import CatchAgent, load_catch_agent
from ram_keras.location_sampler import gaussian_log_prob
from ram_keras.saving import ModelFileError, save_model

SMALL = dict(what_units=16, where_units=8, glimpse_units=16, core_units=16)


def rollout(agent, keys, **kwargs):
    """`agent.rollout` run eagerly (cheaper than tracing it in a test), as numpy."""
    return {k: np.asarray(v) for k, v in agent.rollout(tf.constant(keys), **kwargs).items()}


@pytest.fixture(scope="module")
def agent():
    return CatchAgent(seed=1, **SMALL).build_all()


@pytest.fixture(scope="module")
def sampled(agent):
    """64 games played with sampled actions and locations, screens kept."""
    return rollout(agent, game_keys(5, 0, 64), deterministic=False, keep_screens=True)


def test_sampled_play_is_the_reference_game_with_the_agents_actions(sampled):
    """Replaying the agent's actions in the pure-Python game gives its screens and rewards."""
    out = sampled
    for i in range(64):
        game = ReferenceCatch.from_key(5, i)
        for t in range(23):
            np.testing.assert_array_equal(out["screens"][i, t], game.screen())
            reward = game.step(int(out["actions"][i, t]))
        np.testing.assert_array_equal(out["final_screens"][i], game.screen())
        assert out["rewards"][i] == reward
    assert set(np.unique(out["actions"])) == {0, 1, 2}


def test_rollout_shapes_and_log_probabilities(agent, sampled):
    out = sampled
    assert out["locations"].shape == (64, 23, 2) and out["baselines"].shape == (64, 24)
    assert out["actions"].shape == (64, 23) and out["action_probs"].shape == (64, 23, 3)
    picked = np.take_along_axis(out["action_probs"], out["actions"][..., None], -1)[..., 0]
    np.testing.assert_allclose(out["action_log_probs"], np.log(picked), rtol=1e-4, atol=1e-5)
    want = gaussian_log_prob(out["location_samples"], out["location_means"], agent.location_std)
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
    counting = CatchAgent(**SMALL)
    averaging = CatchAgent(count_pixels=False, **SMALL)
    screen = np.zeros((1, 24, 24, 1), np.float32)
    screen[0, 3, 5] = screen[0, 23, 8] = screen[0, 23, 9] = 1.0
    centre = np.zeros((1, 2), np.float32)
    counts = counting.look(screen, centre).numpy()[0, 2, :, :, 0]
    want = screen[0, :, :, 0].reshape(6, 4, 6, 4).sum(axis=(1, 3))
    np.testing.assert_array_equal(counts, want)
    np.testing.assert_allclose(averaging.look(screen, centre).numpy()[0, 2, :, :, 0], want / 16)
    # The finest scale (6x6 around the centre, rows and columns 9..14) is the screen itself.
    np.testing.assert_array_equal(counting.look(screen, centre).numpy()[0, 0, :, :, 0],
                                  screen[0, 9:15, 9:15, 0])


def test_full_screen_reference_sees_the_whole_screen():
    full = CatchAgent(glimpse_size=24, num_scales=1, location_policy="centre", **SMALL)
    out = rollout(full, game_keys(2, 0, 8), deterministic=False, keep_screens=True)
    assert np.all(out["locations"] == 0) and np.all(out["location_log_probs"] == 0)
    patches = full.look(out["screens"][:, 5, :, :, None], out["locations"][:, 5]).numpy()
    np.testing.assert_array_equal(patches[:, 0, :, :, 0], out["screens"][:, 5])


def test_loss_terms_match_numpy_with_the_right_baselines(agent):
    """Location l_t is judged against b_{t-1}, action a_t against b_t."""
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
    terms = weighted.compute_loss_terms(outputs)
    r, b = outputs["rewards"][:, None], outputs["baselines"]
    location = np.mean(np.sum(-outputs["location_log_probs"] * (r - b[:, :-1]), 1))
    action = np.mean(np.sum(-outputs["action_log_probs"] * (r - b[:, 1:]), 1))
    baseline = np.mean((r - b) ** 2)
    p = outputs["action_probs"]
    entropy = -np.sum(p * np.log(p), -1)
    np.testing.assert_allclose(terms["location_reinforce_loss"], location, rtol=1e-5)
    np.testing.assert_allclose(terms["action_reinforce_loss"], action, rtol=1e-5)
    np.testing.assert_allclose(terms["baseline_loss"], baseline, rtol=1e-5)
    np.testing.assert_allclose(terms["action_entropy"], entropy.mean(), rtol=1e-5)
    want = 0.5 * (location + action) + 2.0 * baseline - 0.1 * entropy.sum(1).mean()
    np.testing.assert_allclose(terms["loss"], want, rtol=1e-5)


def test_gradient_flow(agent):
    """Action REINFORCE trains action head, core and glimpse network; location
    REINFORCE only the location policy; the baseline error only the baseline."""
    groups = {
        "action": agent.action_head, "core": agent.core, "glimpse": agent.glimpse_network,
        "location": agent.location_sampler, "baseline": agent.baseline_head,
    }
    with tf.GradientTape(persistent=True) as tape:
        terms = agent.compute_loss_terms(agent.rollout(game_keys(1, 0, 16)))

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


def test_config_roundtrip_and_saved_agent_plays_the_same(agent, tmp_path):
    assert_config_roundtrip(CatchAgent(location_std=0.2, entropy_weight=0.01, **SMALL))
    path = str(tmp_path / "agent.weights.h5")
    save_model(agent, path, metadata={"dataset": "catch"})
    loaded = load_catch_agent(path)
    assert loaded.get_config() == agent.get_config()
    keys = game_keys(8, 0, 50)
    want, got = rollout(agent, keys, deterministic=True), rollout(loaded, keys, deterministic=True)
    for key in ("rewards", "actions", "locations", "baselines"):
        np.testing.assert_array_equal(got[key], want[key])


def test_loading_a_classifier_file_says_so(tmp_path):
    import ram_keras

    model = ram_keras.RecurrentAttentionModel(num_glimpses=1, core_units=8).build_all()
    path = str(tmp_path / "mnist.weights.h5")
    save_model(model, path)
    with pytest.raises(ModelFileError, match="CatchAgent"):
        load_catch_agent(path)


def test_bad_arguments_raise():
    with pytest.raises(ValueError):
        CatchAgent(location_policy="random")
    with pytest.raises(ValueError):
        CatchAgent(entropy_weight=-1.0)
    with pytest.raises(ValueError):
        CatchAgent(glimpse_size=30)
