import keras
import numpy as np
import pytest
import tensorflow as tf

from ram_keras import RecurrentAttentionModel


def small_model(**kwargs):
    settings = dict(image_shape=(12, 12, 1), num_glimpses=3, glimpse_size=4, what_units=8,
                    where_units=8, glimpse_units=16, core_units=16, location_std=0.2, seed=0)
    settings.update(kwargs)
    return RecurrentAttentionModel(**settings).build_all()


def weight_groups(model):
    return {
        "glimpse": model.glimpse_network.trainable_weights,
        "core": model.core.trainable_weights,
        "action": model.action_head.trainable_weights,
        "location": model.location_sampler.trainable_weights,
        "baseline": model.baseline_head.trainable_weights,
    }


def reached(gradients):
    return any(g is not None and float(tf.reduce_max(tf.abs(g))) > 0 for g in gradients)


def test_gradient_flow_matches_the_paper():
    model = small_model()
    rng = np.random.default_rng(0)
    images = rng.random((16, 12, 12, 1)).astype(np.float32)
    labels = rng.integers(0, 10, 16)
    with tf.GradientTape(persistent=True) as tape:
        outputs = model.rollout(images)
        terms = model.compute_loss_terms(labels, outputs)
    # Some rewards must be 0 and baselines non-zero so REINFORCE has a signal.
    groups = weight_groups(model)
    expected = {
        "classification_loss": {"glimpse", "core", "action"},
        "reinforce_loss": {"location"},
        "baseline_loss": {"baseline"},
    }
    for term, trained in expected.items():
        for group, weights in groups.items():
            gradients = tape.gradient(terms[term], weights)
            assert reached(gradients) == (group in trained), (term, group)


def test_predict_returns_probabilities_and_is_deterministic():
    model = small_model()
    images = np.random.default_rng(1).random((5, 12, 12, 1)).astype(np.float32)
    probs = model.predict(images, verbose=0)
    assert probs.shape == (5, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(probs, model.predict(images, verbose=0))
    outputs = model.rollout(images, deterministic=True)
    np.testing.assert_array_equal(outputs["locations"].numpy(), outputs["means"].numpy())
    np.testing.assert_allclose(
        probs, tf.nn.softmax(outputs["logits"][:, -1]).numpy(), rtol=1e-5, atol=1e-7
    )


def test_rollout_shapes_and_clipping():
    model = small_model(location_std=2.0)
    images = np.random.default_rng(2).random((7, 12, 12, 1)).astype(np.float32)
    out = {k: v.numpy() for k, v in model.rollout(images).items()}
    assert out["locations"].shape == (7, 3, 2) and out["logits"].shape == (7, 3, 10)
    assert out["log_probs"].shape == (7, 3) and out["baselines"].shape == (7, 3)
    assert np.abs(out["locations"]).max() <= 1.0
    assert np.abs(out["samples"]).max() > 1.0  # log-probs are of these, unclipped
    np.testing.assert_allclose(out["locations"], np.clip(out["samples"], -1, 1))


def test_monte_carlo_averages_sampled_paths():
    model = small_model()
    images = np.random.default_rng(3).random((4, 12, 12, 1)).astype(np.float32)
    probs = model.predict_monte_carlo(images, samples=5, batch_size=3)
    assert probs.shape == (4, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    with pytest.raises(ValueError):
        model.predict_monte_carlo(images, samples=0)


def test_train_step_lowers_loss_on_a_fixed_batch():
    keras.utils.set_random_seed(0)
    model = small_model()
    model.compile(optimizer=keras.optimizers.Adam(1e-2), jit_compile=True)
    # Class k is an image of brightness k / 10: any glimpse can tell.
    labels = np.arange(32) % 10
    images = np.ones((32, 12, 12, 1), np.float32) * (labels / 10.0)[:, None, None, None]
    history = model.fit(images, labels, batch_size=32, epochs=60, verbose=0)
    losses = history.history["classification_loss"]
    assert set(history.history) >= {
        "loss", "classification_loss", "reinforce_loss", "baseline_loss", "accuracy", "reward"
    }
    assert losses[-1] < 0.5 * losses[0]
    assert model.evaluate(images, labels, verbose=0, return_dict=True)["accuracy"] > 0.5  # chance: 0.1


def test_lstm_core_model_trains():
    model = small_model(core_type="lstm")
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    images = np.zeros((8, 12, 12, 1), np.float32)
    model.fit(images, np.zeros(8, np.int64), batch_size=8, epochs=1, verbose=0)


def test_keras_file_roundtrip_gives_identical_predictions(tmp_path):
    model = small_model(core_type="lstm", num_scales=2)
    images = np.random.default_rng(5).random((4, 12, 12, 1)).astype(np.float32)
    path = str(tmp_path / "model.keras")
    model.save(path)
    restored = keras.saving.load_model(path)
    assert isinstance(restored, RecurrentAttentionModel)
    assert restored.get_config() == model.get_config()
    np.testing.assert_array_equal(restored.predict(images, verbose=0), model.predict(images, verbose=0))


@pytest.mark.parametrize(
    "kwargs",
    [{"image_shape": (12, 12)}, {"num_glimpses": 0}, {"reinforce_weight": -1.0},
     {"glimpse_size": 8, "num_scales": 3}],
)
def test_bad_arguments_raise(kwargs):
    with pytest.raises(ValueError):
        small_model(**kwargs)


def test_random_locations_ablation_ignores_the_policy():
    model = small_model(random_locations=True)
    images = np.random.default_rng(6).random((64, 12, 12, 1)).astype(np.float32)
    first = model.rollout(images, deterministic=True)
    second = model.rollout(images, deterministic=True)
    locations = first["locations"].numpy()
    assert np.abs(locations).max() <= 1.0 and locations.std() > 0.4  # uniform: std 0.577
    assert not np.array_equal(locations, second["locations"].numpy())
    assert np.all(first["log_probs"].numpy() == 0)
    labels = np.zeros(64, np.int64)
    with tf.GradientTape() as tape:
        terms = model.compute_loss_terms(labels, model.rollout(images))
    assert not reached(tape.gradient(terms["reinforce_loss"], model.location_sampler.trainable_weights))
    assert model.get_config()["random_locations"] is True
