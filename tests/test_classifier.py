"""RecurrentAttentionModel: rollout, inference, training, and saving as a Keras user would."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import ram_keras
from helpers import SMALL_CLASSIFIER, assert_config_roundtrip, small_classifier
from ram_keras import RecurrentAttentionModel, gaussian_log_prob


def images_of(seed, count=5):
    return np.random.default_rng(seed).random((count, 12, 12, 1)).astype(np.float32)


def test_predict_returns_the_deterministic_probabilities():
    model = small_classifier()
    images = images_of(1)
    probs = model.predict(images, verbose=0)
    assert probs.shape == (5, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(probs, model.predict(images, verbose=0))
    outputs = model.rollout(images, deterministic=True)
    np.testing.assert_array_equal(outputs["locations"].numpy(), outputs["location_means"].numpy())
    np.testing.assert_allclose(
        probs, tf.nn.softmax(outputs["logits"][:, -1]).numpy(), rtol=1e-5, atol=1e-7)


def test_rollout_shapes_clipping_and_log_probabilities():
    model = small_classifier(location_std=2.0)
    out = {k: v.numpy() for k, v in model.rollout(images_of(2, 7)).items()}
    assert out["locations"].shape == (7, 3, 2) and out["logits"].shape == (7, 3, 10)
    assert out["location_log_probs"].shape == (7, 3) and out["baselines"].shape == (7, 4)
    assert np.abs(out["locations"]).max() <= 1.0
    assert np.abs(out["location_samples"]).max() > 1.0  # log-probs are of these, unclipped
    np.testing.assert_allclose(out["locations"], np.clip(out["location_samples"], -1, 1))
    np.testing.assert_allclose(
        out["location_log_probs"],
        gaussian_log_prob(out["location_samples"], out["location_means"], 2.0).numpy(),
        rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("jit_compile", [False, True])
def test_sampled_paths_and_their_monte_carlo_average(jit_compile):
    model = small_classifier(location_std=0.5)
    images = images_of(3, 4)
    state = model.location_sampler.seed_generator.state
    start = state.numpy()
    per_path = model.sample_path_probabilities(images, paths=6, batch_size=3,
                                               jit_compile=jit_compile)
    assert per_path.shape == (4, 6, 10)
    np.testing.assert_allclose(per_path.sum(-1), 1.0, rtol=1e-5)
    assert np.abs(per_path[:, 0] - per_path[:, 1]).max() > 1e-4  # the paths differ
    # The same draws again, by hand: each image repeated 6 times, rolled out sampled (compiled
    # by XLA where the method is: XLA draws its random numbers with its own algorithm).
    state.assign(start)
    by_hand = []
    final_logits = tf.function(lambda x: model.rollout(x)["logits"][:, -1],
                               jit_compile=jit_compile, autograph=False)
    for batch in (images[:3], images[3:]):
        logits = final_logits(tf.constant(np.repeat(batch, 6, axis=0)))
        by_hand.append(tf.nn.softmax(logits).numpy().reshape(len(batch), 6, 10))
    np.testing.assert_allclose(per_path, np.concatenate(by_hand), rtol=1e-5, atol=1e-6)
    state.assign(start)
    monte_carlo = model.predict_monte_carlo(images, samples=6, batch_size=3) if not jit_compile \
        else model.sample_path_probabilities(images, 6, 3, jit_compile=True).mean(axis=1)
    np.testing.assert_allclose(monte_carlo, per_path.mean(axis=1), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError):
        model.predict_monte_carlo(images, samples=0)


def test_a_tiny_policy_noise_makes_every_path_the_deterministic_one():
    model = small_classifier(location_std=1e-7)
    images = images_of(4, 3)
    per_path = model.sample_path_probabilities(images, paths=3)
    for path in range(3):
        np.testing.assert_allclose(per_path[:, path], model.predict(images, verbose=0),
                                   rtol=1e-4, atol=1e-5)


def test_training_lowers_the_loss_on_a_fixed_batch():
    keras.utils.set_random_seed(0)
    model = small_classifier()
    model.compile(optimizer=keras.optimizers.Adam(1e-2), jit_compile=False)
    # Class k is an image of brightness k / 10: any glimpse can tell.
    labels = np.arange(32) % 10
    images = np.ones((32, 12, 12, 1), np.float32) * (labels / 10.0)[:, None, None, None]
    history = model.fit(images, labels, batch_size=32, epochs=60, verbose=0)
    losses = history.history["classification_loss"]
    assert set(history.history) >= {"loss", "classification_loss", "reinforce_loss",
                                    "baseline_loss", "accuracy", "reward"}
    assert losses[-1] < 0.5 * losses[0]
    assert model.evaluate(images, labels, verbose=0, return_dict=True)["accuracy"] > 0.5


@pytest.fixture(scope="module")
def fitted():
    """A model trained the plain Keras way (compile, fit), never called before."""
    keras.utils.set_random_seed(1)
    model = RecurrentAttentionModel(**dict(SMALL_CLASSIFIER, core_type="lstm", num_scales=2))
    model.compile(optimizer=keras.optimizers.Adam(1e-2), jit_compile=False)
    rng = np.random.default_rng(5)
    model.fit(rng.random((64, 12, 12, 1)).astype(np.float32), rng.integers(0, 10, 64),
              batch_size=32, epochs=2, verbose=0)
    return model


def test_model_save_and_keras_load_model_keep_the_trained_weights(fitted, tmp_path):
    """The issue's workflow: fit, model.save, keras.saving.load_model (and ram_keras's)."""
    images = images_of(6)
    path = str(tmp_path / "m.keras")
    fitted.save(path)
    for loaded in (keras.saving.load_model(path), ram_keras.load_model(path)):
        assert isinstance(loaded, RecurrentAttentionModel)
        assert loaded.get_config() == fitted.get_config()
        np.testing.assert_array_equal(loaded.predict(images, verbose=0),
                                      fitted.predict(images, verbose=0))
        for a, b in zip(loaded.get_weights(), fitted.get_weights()):
            np.testing.assert_array_equal(a, b)


def test_save_weights_and_load_weights_keep_the_trained_weights(fitted, tmp_path):
    """Keras's own weights files (ram_keras's model files: tests/test_saving.py)."""
    images = images_of(7)
    path = str(tmp_path / "m.weights.h5")
    fitted.save_weights(path)
    fresh = RecurrentAttentionModel.from_config(fitted.get_config())
    fresh.load_weights(path)
    np.testing.assert_array_equal(fresh.predict(images, verbose=0),
                                  fitted.predict(images, verbose=0))


def test_config_roundtrip():
    assert_config_roundtrip(small_classifier(first_location="random", paths_per_input=2,
                                             baseline="leave_one_out", reinforce_to_core=True,
                                             classify_every_glimpse=True,
                                             reward="log_probability"))


def _log_softmax(logits):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def test_classify_every_glimpse_averages_the_cross_entropy_of_every_glimpse():
    images, labels = images_of(7, 6), np.array([0, 1, 2, 3, 4, 5])
    last, every = small_classifier(), small_classifier(classify_every_glimpse=True)
    every.set_weights(last.get_weights())
    outputs = last.rollout(images, deterministic=True)
    logits = outputs["logits"].numpy()  # (batch, glimpses, classes)
    picked = _log_softmax(logits)[np.arange(6), :, labels]  # (batch, glimpses)
    np.testing.assert_allclose(last.compute_loss_terms(labels, outputs)["classification_loss"],
                               -picked[:, -1].mean(), rtol=1e-5)
    np.testing.assert_allclose(every.compute_loss_terms(labels, outputs)["classification_loss"],
                               -picked.mean(), rtol=1e-5)
    assert abs(picked.mean() - picked[:, -1].mean()) > 1e-4  # the two differ here


def test_log_probability_reward_drives_reinforce_and_the_baseline():
    model = small_classifier(reward="log_probability")
    images, labels = images_of(8, 6), np.array([3, 1, 4, 1, 5, 9])
    outputs = model.rollout(images, deterministic=False)
    terms = model.compute_loss_terms(labels, outputs)
    logits = outputs["logits"].numpy()[:, -1]
    rewards = _log_softmax(logits)[np.arange(6), labels]
    np.testing.assert_allclose(terms["reward"], rewards, rtol=1e-5)
    np.testing.assert_array_equal(terms["accuracy"], logits.argmax(axis=-1) == labels)
    baselines = outputs["baselines"].numpy()[:, :-1]
    log_probs = outputs["location_log_probs"].numpy()
    np.testing.assert_allclose(
        terms["reinforce_loss"],
        np.mean(np.sum(-log_probs * (rewards[:, None] - baselines), axis=1)), rtol=1e-4)
    np.testing.assert_allclose(terms["baseline_loss"],
                               np.mean((rewards[:, None] - baselines) ** 2), rtol=1e-4)


@pytest.mark.parametrize(
    "kwargs",
    [{"image_shape": (12, 12)}, {"num_glimpses": 0}, {"reinforce_weight": -1.0},
     {"classification_weight": -2.0}, {"glimpse_size": 8, "num_scales": 3},
     {"glimpse_size": 13}, {"paths_per_input": 0}, {"baseline": "mean"},
     {"reward": "accuracy"}, {"classify_every_glimpse": 1}],
)
def test_bad_arguments_raise(kwargs):
    with pytest.raises(ValueError):
        small_classifier(**kwargs)


def test_random_glimpses_ablation_ignores_the_policy():
    model = small_classifier(location_policy="random")
    images = images_of(6, 64)
    first = model.rollout(images, deterministic=True)
    second = model.rollout(images, deterministic=True)
    locations = first["locations"].numpy()
    assert np.abs(locations).max() <= 1.0 and locations.std() > 0.4  # uniform: std 0.577
    assert not np.array_equal(locations, second["locations"].numpy())
    assert np.all(first["location_log_probs"].numpy() == 0)
    with tf.GradientTape() as tape:
        terms = model.compute_loss_terms(np.zeros(64, np.int64), model.rollout(images))
    gradients = tape.gradient(terms["reinforce_loss"], model.location_sampler.trainable_weights)
    assert all(g is None or not np.any(g.numpy()) for g in gradients)
