"""The classification task part: its three metrics, its data and its validation split."""

import json

import numpy as np
import pytest

from helpers import run_main

from ram_keras.tasks.classification import (
    ClassificationData,
    ClassificationTask,
    SampledValidation,
    describe_errors,
    error_report,
    evaluate_classifier,
)
from ram_keras.training.configs import read_config_module


class FixedModel:
    """Stands in for a classifier: fixed deterministic and per-path probabilities."""

    non_trainable_variables = []  # no random state to keep

    def __init__(self, deterministic, per_path):
        self.deterministic, self.per_path = deterministic, per_path

    def predict(self, images, batch_size=None, verbose=0):
        assert images.dtype == np.float32 and images.max() <= 1.0
        return self.deterministic

    def sample_path_probabilities(self, images, paths, batch_size=None):
        assert paths == self.per_path.shape[1]
        return self.per_path


def one_hot(classes, count=3):
    return np.eye(count, dtype=np.float32)[classes]


def test_three_metrics_against_a_hand_count():
    labels = np.array([0, 1, 2, 2])
    deterministic = one_hot([0, 1, 1, 2])  # 3 of 4 right
    # Per image, 4 paths: image 0 right on 1 path, 1 on 4, 2 on 2, 3 on 0.
    per_path = np.stack([
        one_hot([0, 1, 1, 2]),
        one_hot([1, 1, 1, 1]),
        one_hot([2, 2, 0, 0]) * 0.6 + 0.1,  # probabilities: still sums to 1
        one_hot([0, 1, 0, 1]),
    ])
    images = np.zeros((4, 28, 28), np.uint8)
    report = evaluate_classifier(FixedModel(deterministic, per_path), images, labels, paths=4)
    assert report["accuracy"] == 0.75
    assert report["accuracy_single_path"] == (1 + 4 + 2 + 0) / 16
    # Monte-Carlo: image 0 averages to class 1 (wrong), 1 right, 2 ties 0/2 (argmax: 0,
    # wrong), 3 averages 0 and 1 (wrong).
    mean = per_path.mean(axis=1)
    assert report["accuracy_monte_carlo"] == np.mean(np.argmax(mean, -1) == labels) == 0.25
    errors = error_report(report, "test")
    assert errors["test_error_percent"] == 25.0
    assert errors["test_error_percent_single_path"] == round(100 * (1 - 7 / 16), 3)
    assert errors["test_accuracy_monte_carlo"] == 0.25
    text = describe_errors(dict(errors, evaluation_paths=4))
    assert text == ("test error 25.00% deterministic, 56.25% single path, "
                    "75.00% Monte-Carlo (4 paths)")
    only = evaluate_classifier(FixedModel(deterministic, per_path), images, labels, paths=0)
    assert set(only) == {"accuracy"}


def test_sampled_validation_adds_the_two_sampled_metrics_to_the_epochs_logs():
    """Evaluated at the end of fit's validation pass (while averaged weights are in), written
    into the logs of the epoch that follows, and only once per validation pass."""
    labels = np.array([0, 1, 2, 2])
    per_path = np.stack([one_hot([0, 0, 1]), one_hot([1, 1, 1]), one_hot([0, 2, 2]),
                         one_hot([0, 1, 1])])
    callback = SampledValidation(np.zeros((4, 28, 28), np.uint8), labels, paths=3)
    callback.set_model(FixedModel(one_hot([0, 1, 1, 2]), per_path))
    logs = {"val_accuracy": 0.75}
    callback.on_epoch_end(0, logs)  # no validation pass yet: nothing added
    assert logs == {"val_accuracy": 0.75}
    callback.on_test_end()
    callback.on_epoch_end(0, logs)
    # Single paths: 2 + 3 + 2 + 0 right of 12; Monte-Carlo: images 0, 1, 2 right.
    assert logs == {"val_accuracy": 0.75, "val_accuracy_single_path": 7 / 12,
                    "val_accuracy_monte_carlo": 0.75}
    later = {}
    callback.on_epoch_end(1, later)
    assert later == {}


def test_sampled_validation_leaves_the_training_draws_alone_and_follows_the_std():
    """The metric's paths are drawn without moving the generators training draws from, and
    with the policy's std of the moment (`FinalLocationStd` narrows it late in training)."""
    from helpers import small_classifier
    from ram_keras.training.checkpoints import random_state_variables

    model = small_classifier(location_std=0.3)
    rng = np.random.default_rng(0)
    images = (rng.random((40, 12, 12, 1)) * 255).astype(np.uint8)
    labels = rng.integers(0, 10, 40)
    callback = SampledValidation(images, labels, paths=4)
    callback.set_model(model)
    before = [v.numpy().copy() for v in random_state_variables(model)]
    assert before
    callback.on_test_end()
    for state, value in zip(random_state_variables(model), before):
        np.testing.assert_array_equal(state.numpy(), value)
    floats = images.astype(np.float32) / 255.0
    wide = model.sample_path_probabilities(floats, 4)
    model.location_sampler.std = 1e-6  # the paths collapse onto the deterministic one
    narrow = model.sample_path_probabilities(floats, 4)
    deterministic = model.predict(floats, verbose=0)
    np.testing.assert_allclose(narrow, np.repeat(deterministic[:, None], 4, axis=1), atol=1e-4)
    assert np.abs(wide - narrow).max() > 1e-3


def test_limits_take_the_first_digits_but_a_spread_of_a_users_class_ordered_images():
    from ram_keras.tasks.classification import _first

    images = np.arange(300).reshape(300, 1, 1, 1)
    labels = np.repeat([0, 1, 2], 100)  # a folder's images come class by class
    x, y = _first(images, labels, 90)
    np.testing.assert_array_equal(y, np.zeros(90))  # MNIST-style: the first 90
    x, y = _first(images, labels, 90, spread=True)
    assert len(y) == 90 and set(np.bincount(y)) <= set(range(20, 41))
    assert np.all(np.diff(x.ravel()) > 0)  # a subset, in the original order
    np.testing.assert_array_equal(_first(images, labels, 90, spread=True)[0], x)  # seeded
    assert _first(images, labels, None)[0] is images and _first(images, labels, 500)[0] is images


def test_sampled_paths_per_epoch_and_the_sampled_validation_setting():
    task = ClassificationTask()
    data = ClassificationData(np.zeros((50, 28, 28), np.uint8), np.zeros(50, int),
                              np.zeros((7, 28, 28), np.uint8), np.zeros(7, int),
                              np.zeros((0, 28, 28), np.uint8), np.zeros(0, int))
    config = {"model": {"paths_per_input": 10}, "validation_paths": 4}
    assert task.sampled_paths_per_epoch(config, data) == 500
    assert task.sampled_paths_per_epoch({"model": {}}, data) == 50
    (callback,) = task.epoch_callbacks(config, data)
    assert isinstance(callback, SampledValidation) and callback.paths == 4
    assert task.epoch_callbacks({"model": {}}, data) == []
    no_validation = data._replace(x_validation=data.x_test, y_validation=data.y_test)
    assert task.epoch_callbacks(config, no_validation) == []
    base = read_config_module("run_mnist")
    with pytest.raises(Exception, match="validation_paths"):
        task.validate(dict(base, validation_paths=-1))


def test_an_epoch_of_several_passes_is_those_passes_back_to_back():
    """With passes_per_epoch 2, epoch e is what passes 2e and 2e + 1 would be as epochs of
    their own (same shuffles, placements and clutter), and counts twice their steps and
    paths; a resumed run starts at its epoch's first pass."""
    rng = np.random.default_rng(0)
    digits = rng.integers(0, 256, (20, 28, 28), dtype=np.uint8)
    data = ClassificationData(digits, np.arange(20) % 10, digits[:4], np.zeros(4, int),
                              digits[:0], np.zeros(0, int))
    task = ClassificationTask()
    config = {"dataset": "cluttered_mnist", "canvas_size": 40, "clutter_pieces": 2,
              "batch_size": 8, "epochs": 3, "model": {"paths_per_input": 2}}
    doubled = dict(config, passes_per_epoch=2)
    assert task.steps_per_epoch(config, data) == 3 and task.steps_per_epoch(doubled, data) == 6
    assert task.sampled_paths_per_epoch(doubled, data) == 2 * task.sampled_paths_per_epoch(
        config, data) == 80

    def batches(settings, seed, first_epoch, count):
        stream = task.training_data(settings, data, seed, first_epoch)
        return [(x.numpy(), y.numpy()) for x, y in stream.take(count)]

    passes = batches(dict(config, epochs=6), seed=3, first_epoch=2, count=12)
    epochs = batches(doubled, seed=3, first_epoch=1, count=12)
    assert len(epochs) == 12
    for (x, y), (x_pass, y_pass) in zip(epochs, passes):
        np.testing.assert_array_equal(x, x_pass)
        np.testing.assert_array_equal(y, y_pass)
    assert not np.array_equal(epochs[0][0], epochs[3][0])  # each pass placed afresh
    with pytest.raises(Exception, match="passes_per_epoch"):
        task.validate(dict(read_config_module("run_mnist"), passes_per_epoch=0))


def test_the_passes_per_epoch_flag_sets_the_config():
    from ram_keras.training import runner

    task = ClassificationTask()
    config = read_config_module("run_mnist_fast")
    for argv, passes in (([], None), (["--passes-per-epoch", "4"], 4)):
        changed = runner.apply_flags(config, runner.parse_args(config, task, argv), task)
        assert changed.get("passes_per_epoch") == passes
    with pytest.raises(SystemExit):
        runner.parse_args(config, task, ["--passes-per-epoch", "0"])


def test_validation_and_test_images_are_fixed_canvases_of_their_own_digits():
    config = read_config_module("run_cluttered_mnist_paper")

    class Flags:
        limit, eval_limit = 100, 50

    task = ClassificationTask()
    data = task.load_data(config, Flags)
    assert data.x_train.shape == (100, 28, 28)
    assert data.x_validation.shape == data.x_test.shape == (50, 60, 60)
    again = task.load_data(config, Flags)
    np.testing.assert_array_equal(data.x_validation, again.x_validation)
    assert not np.array_equal(data.x_validation, data.x_test)
    # The validation digits are the last 10,000 training digits, never trained on.
    assert len(task.load_data(read_config_module("run_mnist_fast")).x_train) == 50000
    assert task.steps_per_epoch(dict(config, batch_size=32), data) == 4


def test_a_final_model_trains_on_all_60000_digits_without_validation(tiny_config_path,
                                                                    tmp_path):
    from ram_keras.data import load_mnist

    task = ClassificationTask()
    config = dict(read_config_module("run_mnist"), validation_digits=0)
    data = task.load_data(config)
    (x_train, _), _ = load_mnist()
    np.testing.assert_array_equal(data.x_train, x_train)
    assert len(data.y_validation) == 0 and task.validation_data(config, data) is None
    held_out = task.load_data(dict(config, validation_digits=2000))
    assert len(held_out.x_train) == 58000 and len(held_out.y_validation) == 2000
    # Through the runner: no validation pass, the test set at the end.
    result = run_main(tiny_config_path, "--limit", "320", "--eval-limit", "200", "--epochs", "2",
                      "--validation-digits", "0", "--out", str(tmp_path), "--verbose", "0")
    assert result.code == 0, result.stderr[-2000:]
    assert "none held out for validation" in result.stdout
    results = json.loads((tmp_path / "results/run_tiny/results.json").read_text())
    assert results["config"]["validation_digits"] == 0
    run = results["runs"][0]
    assert not any(key.startswith("val_") for key in run["history"])
    assert run["history"]["epoch"] == [1, 2]
    assert not any(key.startswith("validation") for key in run["final"])
    # The test error is the saved model's on the first 200 test digits (--eval-limit).
    from ram_keras import load_model
    from ram_keras.data import to_float_images

    _, (x_test, y_test) = load_mnist()
    probabilities = load_model(str(tmp_path / run["model_path"])).predict(
        to_float_images(x_test[:200]), verbose=0)
    error = 100 * (1 - np.mean(np.argmax(probabilities, -1) == y_test[:200]))
    assert run["final"]["test_error_percent"] == pytest.approx(error, abs=1e-3)  # 3 decimals
    assert run["final"]["first_epoch_reaching_target"] is None


def test_pictures_for_tensorboard(tiny_run):
    task = ClassificationTask()

    class Flags:
        limit, eval_limit = 10, 10

    config = read_config_module("run_mnist")
    pictures = task.pictures(tiny_run.model(), config, task.load_data(config, Flags))
    assert len(pictures["glimpses"]) == 4 and len(pictures["gaze_overview"]) == 1
    assert all(png.startswith(b"\x89PNG") for png in pictures["glimpses"])


def test_the_max_shift_flag_sets_the_training_shift():
    from ram_keras.training import runner

    task = ClassificationTask()
    config = read_config_module("run_mnist")
    assert config["max_shift"] == 2
    for argv, shift in (([], 2), (["--max-shift", "0"], 0), (["--max-shift", "3"], 3)):
        args = runner.parse_args(config, task, argv)
        assert runner.apply_flags(config, args, task)["max_shift"] == shift


def test_the_first_location_flag_sets_the_models_first_glimpse():
    from ram_keras.training import runner

    task = ClassificationTask()
    config = read_config_module("run_mnist_fast")
    assert config["model"].get("first_location", "policy") == "policy"
    for argv, first in (([], "policy"), (["--first-location", "random"], "random"),
                        (["--first-location", "centre"], "centre")):
        args = runner.parse_args(config, task, argv)
        changed = runner.apply_flags(config, args, task)
        assert changed["model"].get("first_location", "policy") == first
        assert task.build_model(changed, seed=0).glimpse_step.first_location == first
    with pytest.raises(SystemExit):
        runner.parse_args(config, task, ["--first-location", "corner"])


def test_the_reward_and_classify_every_glimpse_flags_set_the_models_loss():
    from ram_keras.training import runner

    task = ClassificationTask()
    config = read_config_module("run_mnist_fast")
    for argv, reward, every in (([], "correct", False),
                                (["--reward", "log_probability"], "log_probability", False),
                                (["--classify-every-glimpse"], "correct", True)):
        changed = runner.apply_flags(config, runner.parse_args(config, task, argv), task)
        model = task.build_model(changed, seed=0)
        assert (model.reward, model.classify_every_glimpse) == (reward, every)
    with pytest.raises(SystemExit):
        runner.parse_args(config, task, ["--reward", "accuracy"])


def test_a_users_model_file_keeps_the_split_it_was_validated_on():
    """Without validation settings in the config, the model file records the defaults used,
    so that evaluate.py (which checks them) splits the images the same way."""
    config = {"name": "run_folder", "dataset": "folder", "data": "images",
              "class_names": ["a", "b"]}
    data = ClassificationTask().metadata(config, seed=0)["data"]
    assert (data["validation_fraction"], data["validation_seed"]) == (0.1, 0)
    assert data["data"].endswith("images") and data["data"].startswith("/")
    config.update(validation_fraction=0.25, validation_seed=7)
    data = ClassificationTask().metadata(config, seed=0)["data"]
    assert (data["validation_fraction"], data["validation_seed"]) == (0.25, 7)
