"""The shared RAM model: one rollout, one train_step, for the classifier and the Catch agent.

Which loss reaches which weights; what the loss weights do under Adam; the
per-replica loss scaling under tf.distribute; several paths per input with a
leave-one-out baseline; mixed precision.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import SMALL_AGENT, small_classifier
from ram_keras import CatchAgent, RecurrentAttentionModel
from ram_keras.envs.catch import game_keys


def groups(model):
    return {
        "glimpse": model.glimpse_network.trainable_weights,
        "core": model.core.trainable_weights,
        "action": model.action_head.trainable_weights,
        "location": model.location_sampler.trainable_weights,
        "baseline": model.baseline_head.trainable_weights,
    }


def reached(gradients):
    return any(g is not None and float(tf.reduce_max(tf.abs(g))) > 0 for g in gradients)


def classifier_terms(model, images, labels, group_size=1):
    outputs = model.rollout(images)
    return model.compute_loss_terms(labels, outputs, group_size)


@pytest.mark.parametrize("reinforce_to_core", [False, True])
def test_which_loss_reaches_which_weights(reinforce_to_core):
    model = small_classifier(reinforce_to_core=reinforce_to_core)
    rng = np.random.default_rng(0)
    images = rng.random((16, 12, 12, 1)).astype(np.float32)
    labels = rng.integers(0, 10, 16)
    with tf.GradientTape(persistent=True) as tape:
        terms = classifier_terms(model, images, labels)
    if reinforce_to_core:  # the best public port's choice: REINFORCE and baseline reach the core
        expected = {"classification_loss": {"glimpse", "core", "action"},
                    "reinforce_loss": {"location", "core", "glimpse"},
                    "baseline_loss": {"baseline", "core", "glimpse"}}
    else:  # the paper's
        expected = {"classification_loss": {"glimpse", "core", "action"},
                    "reinforce_loss": {"location"}, "baseline_loss": {"baseline"}}
    for term, trained in expected.items():
        for group, weights in groups(model).items():
            assert reached(tape.gradient(terms[term], weights)) == (group in trained), (term, group)


def weights_after_steps(model_kwargs, steps=3, **loss_weights):
    keras.utils.set_random_seed(0)
    model = small_classifier(**model_kwargs, **loss_weights)
    # A tiny epsilon: Adam's update is then (almost exactly) invariant to a gradient's scale.
    # Eagerly: three steps run faster than tracing the training function would take.
    model.compile(optimizer=keras.optimizers.Adam(1e-2, epsilon=1e-12), run_eagerly=True)
    rng = np.random.default_rng(1)
    images = rng.random((32, 12, 12, 1)).astype(np.float32)
    labels = rng.integers(0, 10, 32)
    if steps:
        model.fit(images, labels, batch_size=32, epochs=steps, verbose=0, shuffle=False)
    return {group: [w.numpy() for w in weights] for group, weights in groups(model).items()}


def test_loss_weights_under_adam_switch_terms_where_they_train_their_own_weights():
    """The terms train disjoint weights and Adam divides out a term's scale: weights of
    10, 0.1 and 5 instead of 1 end in the same weights (Adam's epsilon aside); 0 switches
    a term off."""
    base = weights_after_steps({})
    scaled = weights_after_steps({}, reinforce_weight=10.0, baseline_weight=0.1,
                                 classification_weight=5.0)
    for group in base:
        for a, b in zip(base[group], scaled[group]):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6, err_msg=group)
    off = weights_after_steps({}, reinforce_weight=0.0)
    initial = weights_after_steps({}, steps=0)
    for a, b in zip(off["location"], initial["location"]):
        np.testing.assert_array_equal(a, b)  # no REINFORCE: the policy never moves
    assert any(np.abs(a - b).max() > 1e-3 for a, b in zip(base["location"], initial["location"]))


def test_loss_weights_balance_terms_where_they_meet():
    """With reinforce_to_core the REINFORCE gradient meets the cross-entropy's in the
    core: there reinforce_weight changes the core's training."""
    base = weights_after_steps({"reinforce_to_core": True})
    scaled = weights_after_steps({"reinforce_to_core": True}, reinforce_weight=10.0)
    differences = [np.abs(a - b).max() for a, b in zip(base["core"], scaled["core"])]
    assert max(differences) > 1e-3


def test_classifier_total_loss_is_the_weighted_sum_of_numpy_terms():
    model = small_classifier(classification_weight=0.5, reinforce_weight=2.0,
                             baseline_weight=3.0)
    rng = np.random.default_rng(2)
    n, steps = 6, 3
    outputs = {
        "logits": rng.normal(size=(n, steps, 10)).astype(np.float32),
        "location_log_probs": rng.normal(size=(n, steps)).astype(np.float32),
        "baselines": rng.random((n, steps + 1)).astype(np.float32),
    }
    labels = np.argmax(outputs["logits"][:, -1], -1)
    labels[:3] = (labels[:3] + 1) % 10  # three wrong, three right
    terms = model.compute_loss_terms(labels, outputs)
    logits = outputs["logits"][:, -1]
    log_softmax = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    cross_entropy = -log_softmax[np.arange(n), labels].mean()
    rewards = np.array([0, 0, 0, 1, 1, 1], np.float32)
    b = outputs["baselines"][:, :-1]  # b_{t-1} judges l_t
    reinforce = np.mean(np.sum(-outputs["location_log_probs"] * (rewards[:, None] - b), 1))
    baseline = np.mean((rewards[:, None] - b) ** 2)
    np.testing.assert_allclose(terms["classification_loss"], cross_entropy, rtol=1e-5)
    np.testing.assert_allclose(terms["reinforce_loss"], reinforce, rtol=1e-5)
    np.testing.assert_allclose(terms["baseline_loss"], baseline, rtol=1e-5)
    np.testing.assert_allclose(terms["loss"], 0.5 * cross_entropy + 2 * reinforce + 3 * baseline,
                               rtol=1e-5)
    np.testing.assert_array_equal(terms["accuracy"], rewards)


def test_several_paths_per_image_with_a_leave_one_out_baseline():
    model = small_classifier(paths_per_input=4, baseline="leave_one_out")
    rng = np.random.default_rng(3)
    outputs = {"logits": rng.normal(size=(8, 3, 10)).astype(np.float32),
               "location_log_probs": rng.normal(size=(8, 3)).astype(np.float32),
               "baselines": rng.random((8, 4)).astype(np.float32)}
    labels = np.repeat(rng.integers(0, 10, 2), 4)
    terms = model.compute_loss_terms(labels, outputs, group_size=4)
    rewards = np.asarray(terms["reward"])
    groups_ = rewards.reshape(2, 4)
    others = ((groups_.sum(1, keepdims=True) - groups_) / 3).reshape(8, 1)
    want = np.mean(np.sum(-outputs["location_log_probs"] * (rewards[:, None] - others), 1))
    np.testing.assert_allclose(terms["reinforce_loss"], want, rtol=1e-5)
    # fit plays every image 4 times: the logged reward is over 4 x 16 paths.
    model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=False)
    history = model.fit(rng.random((16, 12, 12, 1)).astype(np.float32), rng.integers(0, 10, 16),
                        batch_size=16, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    with pytest.raises(ValueError, match="paths_per_input >= 2"):
        small_classifier(baseline="leave_one_out")


class GreedyClassifier(RecurrentAttentionModel):
    """Trains on the mean locations: the same gradient on every replica."""

    def rollout(self, inputs, deterministic=False, keep_observations=False):
        return super().rollout(inputs, True, keep_observations)


class GreedyAgent(CatchAgent):
    """Trains on the greedy actions and mean locations: no sampling anywhere."""

    def rollout(self, inputs, deterministic=False, keep_observations=False):
        return super().rollout(inputs, True, keep_observations)


def one_sgd_step(make_model, data, strategy):
    with strategy.scope():
        keras.utils.set_random_seed(0)
        model = make_model()
        model.compile(optimizer=keras.optimizers.SGD(0.5), jit_compile=False)
    model.fit(data, epochs=1, steps_per_epoch=1, verbose=0)
    return [w.numpy() for w in model.trainable_weights]


@pytest.mark.parametrize("task", ["classifier", "catch"])
def test_two_replicas_take_the_step_of_the_global_batch(task, two_cpus):
    """With SGD (which, unlike Adam, sees the gradient's scale) one step on two replicas
    equals one step on one device: each replica divides its loss by the replica count."""
    if task == "classifier":
        rng = np.random.default_rng(4)
        images = rng.random((8, 12, 12, 1)).astype(np.float32)
        data = tf.data.Dataset.from_tensors((images, rng.integers(0, 10, 8))).repeat()

        def make_model():
            return GreedyClassifier(**dict(small_classifier().get_config(),
                                           reinforce_weight=0.0))
    else:
        data = tf.data.Dataset.from_tensors(game_keys(3, 0, 8)).repeat()

        def make_model():
            return GreedyAgent(screen_size=8, glimpse_size=2, **SMALL_AGENT)
    single = one_sgd_step(make_model, data, tf.distribute.get_strategy())
    mirrored = one_sgd_step(make_model, data, two_cpus)
    initial = [w.numpy() for w in make_model().trainable_weights]
    assert any(np.abs(a - b).max() > 1e-4 for a, b in zip(single, initial))  # it moved
    for a, b in zip(single, mirrored):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("model_class", ["classifier", "catch"])
def test_mixed_precision_trains_in_float16_with_float32_weights(model_class):
    policy = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        if model_class == "classifier":
            model = small_classifier()
            rng = np.random.default_rng(5)
            data = (rng.random((16, 12, 12, 1)).astype(np.float32), rng.integers(0, 10, 16))
        else:
            model = CatchAgent(screen_size=8, glimpse_size=2, **SMALL_AGENT)
            data = (tf.data.Dataset.from_tensors(game_keys(4, 0, 16)),)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=False)
        assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
        history = model.fit(*data, epochs=2, verbose=0)
        assert np.all(np.isfinite(history.history["loss"]))
        assert all(w.dtype == "float32" for w in model.trainable_weights)
        outputs = model.rollout(data[0][:4] if model_class == "classifier"
                                else game_keys(4, 0, 4))
        assert outputs["locations"].dtype == "float16"
    finally:
        keras.mixed_precision.set_global_policy(policy)


@pytest.mark.parametrize("model_class", ["classifier", "catch"])
def test_the_unrolled_and_the_looped_rollout_give_the_same_numbers(model_class):
    if model_class == "classifier":
        make = lambda unroll: small_classifier(core_type="lstm", unroll=unroll)  # noqa: E731
        inputs = np.random.default_rng(7).random((8, 12, 12, 1)).astype(np.float32)
    else:
        make = lambda unroll: CatchAgent(screen_size=8, glimpse_size=2, seed=5, unroll=unroll,  # noqa: E731
                                         **SMALL_AGENT)
        inputs = game_keys(6, 0, 8)
    looped, unrolled = make(False), make(True)
    unrolled.set_weights(looped.get_weights())
    for deterministic in (True, False):  # sampled: the same seeds, the same draws
        a = looped.rollout(inputs, deterministic=deterministic)
        b = unrolled.rollout(inputs, deterministic=deterministic)
        assert sorted(a) == sorted(b)
        for key in a:
            np.testing.assert_allclose(np.asarray(a[key], np.float64),
                                       np.asarray(b[key], np.float64), atol=1e-6, err_msg=key)


def test_a_model_is_built_when_made_so_every_save_holds_its_weights():
    model = small_classifier()
    assert model.built and len(model.weights) == 15
    agent = CatchAgent(screen_size=8, glimpse_size=2, **SMALL_AGENT)
    assert agent.built and len(agent.trainable_weights) == 15


def weights_after_fit(**fit_kwargs):
    keras.utils.set_random_seed(0)
    model = small_classifier()
    # Eager: one step needs no tracing.
    model.compile(optimizer=keras.optimizers.Adam(1e-2), run_eagerly=True)
    rng = np.random.default_rng(8)
    images = rng.random((16, 12, 12, 1)).astype(np.float32)
    labels = np.arange(16) % 10
    before = [w.numpy() for w in model.trainable_weights]
    model.fit(images, labels, batch_size=16, epochs=1, verbose=0, shuffle=False, **fit_kwargs)
    return before, [w.numpy() for w in model.trainable_weights]


def test_fit_weighs_every_loss_term_by_the_sample_weights():
    """With every input weighted 0 (directly, or through its class: Keras turns class
    weights into sample weights) no term has a gradient: Adam leaves every weight (glimpse,
    core, heads, policy, baseline) where it was; unweighted, the same step moves them all."""
    for fit_kwargs in ({"sample_weight": np.zeros(16, np.float32)},
                       {"class_weight": {label: 0.0 for label in range(10)}}):
        before, after = weights_after_fit(**fit_kwargs)
        for a, b in zip(before, after):
            np.testing.assert_array_equal(a, b, err_msg=str(fit_kwargs))
    before, after = weights_after_fit()
    assert all(np.abs(a - b).max() > 0 for a, b in zip(before, after))


def test_evaluate_logs_the_weighted_cross_entropy_and_accuracy_of_the_deterministic_policy():
    model = small_classifier()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), run_eagerly=True)
    rng = np.random.default_rng(9)
    images = rng.random((20, 12, 12, 1)).astype(np.float32)
    labels = rng.integers(0, 10, 20)
    weights = rng.random(20).astype(np.float32)
    logs = model.evaluate(images, labels, sample_weight=weights, batch_size=20, verbose=0,
                          return_dict=True)
    # Only numbers that mean something for the mean locations: no REINFORCE term.
    assert sorted(logs) == ["accuracy", "classification_loss"]
    probabilities = model.predict(images, verbose=0)
    correct = np.argmax(probabilities, -1) == labels
    cross_entropy = -np.log(probabilities[np.arange(20), labels])
    np.testing.assert_allclose(logs["classification_loss"], np.mean(weights * cross_entropy),
                               rtol=1e-4)
    np.testing.assert_allclose(logs["accuracy"], np.sum(weights * correct) / np.sum(weights),
                               rtol=1e-5)


@pytest.mark.parametrize("argument", ["loss", "metrics", "loss_weights", "weighted_metrics"])
def test_compile_refuses_a_loss_or_metrics_instead_of_ignoring_them(argument):
    model = small_classifier()
    with pytest.raises(ValueError, match=f"takes no `{argument}`"):
        model.compile(optimizer="adam", **{argument: ["mse"]})


def corner_bars(count, size=20):
    """Images with a bar in the top-left corner, horizontal (class 0) or vertical (1):
    nothing else to see, and a 6-pixel glimpse at the centre sees nothing of it."""
    labels = np.arange(count) % 2
    images = np.zeros((count, size, size, 1), np.float32)
    images[labels == 0, 3, 1:6, 0] = 1.0
    images[labels == 1, 1:6, 3, 0] = 1.0
    return images, labels


def trained_on_corner_bars(reinforce_weight, steps=100):
    """One glimpse, whose location the policy picks from the empty core state (its
    starting mean is the centre): `(mean location, error of the deterministic policy)`."""
    keras.utils.set_random_seed(0)
    model = RecurrentAttentionModel(
        image_shape=(20, 20, 1), num_classes=2, num_glimpses=1, glimpse_size=6, what_units=16,
        where_units=8, glimpse_units=16, core_units=16, location_std=0.4,
        reinforce_weight=reinforce_weight, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(2e-2), jit_compile=False,
                  steps_per_execution=25)
    images, labels = corner_bars(64 * steps)
    model.fit(images, labels, batch_size=64, epochs=1, verbose=0, shuffle=False)
    test_images, test_labels = corner_bars(100)
    outputs = model.rollout(test_images, deterministic=True)  # eager: nothing to trace
    predicted = np.argmax(outputs["logits"].numpy()[:, -1], -1)
    return outputs["location_means"].numpy()[0, 0], np.mean(predicted != test_labels)


def test_reinforce_learns_to_look_where_the_answer_is():
    """The bar is always in the top-left corner (location about (-0.6, -0.6)). Sampled
    glimpses that land there earn the reward, and REINFORCE moves the policy's mean there
    within 100 steps: the deterministic policy then sees the bar and makes no error.
    Without REINFORCE the same training leaves the policy at the centre, blind (the
    same constant prediction for both classes: half wrong)."""
    mean, error = trained_on_corner_bars(reinforce_weight=1.0)
    assert np.all(mean < -0.4) and error < 0.05, (mean, error)
    mean, error = trained_on_corner_bars(reinforce_weight=0.0)
    assert np.all(mean == 0) and error == 0.5, (mean, error)


def test_a_one_glimpse_model_predicts_in_a_graph():
    """With one step the symbolic loop over later steps has nothing to stack, which
    `predict`'s graph (batch size unknown) cannot do: the rollout skips the loop."""
    model = small_classifier(num_glimpses=1)
    images = np.random.default_rng(10).random((3, 12, 12, 1)).astype(np.float32)
    np.testing.assert_allclose(model.predict(images, verbose=0), model(images).numpy(),
                               rtol=1e-5, atol=1e-6)


def sgd_step_change(model, images, labels, **optimizer_kwargs):
    """The weight change of one `train_on_batch` under SGD at learning rate 1 (= -gradient)."""
    model.compile(optimizer=keras.optimizers.SGD(1.0, **optimizer_kwargs))
    before = [w.numpy() for w in model.trainable_weights]
    model.train_on_batch(images, labels)
    return [w.numpy() - b for w, b in zip(model.trainable_weights, before)]


def test_group_clip_norm_clips_the_policy_and_the_rest_apart():
    """tfRAM's clipping: the location policy's gradients and all the others' are each scaled
    to the global norm `group_clip_norm` (numpy reference on the unclipped step's gradients:
    the same weights and random draws, so the same gradients)."""
    rng = np.random.default_rng(3)
    images = rng.random((16, 12, 12, 1)).astype(np.float32)
    labels = rng.integers(0, 10, 16)
    plain = small_classifier(reinforce_to_core=True)
    clipped = small_classifier(reinforce_to_core=True, group_clip_norm=1e-3)
    clipped.set_weights(plain.get_weights())
    raw = [-delta for delta in sgd_step_change(plain, images, labels)]
    got = [-delta for delta in sgd_step_change(clipped, images, labels)]
    policy = {id(w) for w in clipped.location_sampler.trainable_weights}
    is_policy = [id(w) in policy for w in clipped.trainable_weights]
    assert sum(is_policy) == 2  # the mean's kernel and bias
    for group in (True, False):
        indices = [i for i, flag in enumerate(is_policy) if flag == group]
        norm = np.sqrt(sum(np.sum(raw[i] ** 2) for i in indices))
        assert norm > 1e-3  # so both groups are clipped
        for i in indices:
            # (atol: the weights' float32 rounding, about 3e-8, on a change of 1e-6-1e-4)
            np.testing.assert_allclose(got[i], raw[i] * 1e-3 / norm, rtol=2e-3, atol=1e-7)
    assert clipped.get_config()["group_clip_norm"] == 1e-3
    with pytest.raises(ValueError, match="must not clip too"):
        sgd_step_change(small_classifier(group_clip_norm=1.0), images, labels, global_clipnorm=5.0)
    with pytest.raises(ValueError, match="group_clip_norm"):
        small_classifier(group_clip_norm=0)
