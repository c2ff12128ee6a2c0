"""The shipped recipes: tfRAM's and ours for the hard tasks, applied to a config."""

import copy

from ram_keras.defaults import (
    HARD_TASK_MODEL,
    HARD_TASK_TRAINING,
    TFRAM_MODEL,
    TFRAM_TRAINING,
    with_hard_task_recipe,
    with_tfram_recipe,
)

TASK = {
    "name": "a_task",
    "dataset": "mnist",
    "canvas_size": 60,
    "clutter_pieces": 4,
    "batch_size": 128,
    "learning_rate": 5e-4,
    "learning_rate_schedule": "cosine",
    "gradient_clip_norm": 5.0,
    "validation_digits": 10000,
    "model": {"image_shape": [60, 60, 1], "num_glimpses": 8, "glimpse_size": 12,
              "num_scales": 3, "core_units": 256, "core_type": "relu", "paths_per_input": 1,
              "reinforce_weight": 1.0, "init_std": None},
}


def test_tfram_recipe_replaces_the_training_and_policy_settings_and_keeps_the_task():
    before = copy.deepcopy(TASK)
    config = with_tfram_recipe(TASK)
    assert TASK == before  # the argument is left alone
    for key in ("name", "dataset", "canvas_size", "clutter_pieces"):
        assert config[key] == TASK[key]
    for key, value in TFRAM_TRAINING.items():
        assert config[key] == value
    model = config["model"]
    for key in ("image_shape", "num_glimpses", "glimpse_size", "num_scales", "core_units"):
        assert model[key] == TASK["model"][key]
    for key, value in TFRAM_MODEL.items():
        assert model[key] == value
    # tfRAM averages REINFORCE over the glimpses and holds out 5,000 of 60,000 digits.
    assert model["reinforce_weight"] == 1 / 8
    assert config["validation_digits"] == 5000
    assert (config["batch_size"], model["paths_per_input"], model["init_std"]) == (32, 10, 0.01)


def test_hard_task_recipe_is_tfram_s_with_one_path_for_each_of_320_images_and_glorot_weights():
    tfram, ours = with_tfram_recipe(TASK), with_hard_task_recipe(TASK)
    changed = {key for key in {**tfram, **ours} if tfram.get(key) != ours.get(key)}
    assert changed == {"batch_size", "passes_per_epoch", "model"}
    changed_model = {key for key in ours["model"] if ours["model"][key] != tfram["model"][key]}
    assert changed_model == {"paths_per_input", "init_std"}
    # As many sampled paths per update as tfRAM's 32 images x 10 paths.
    assert ours["batch_size"] * ours["model"]["paths_per_input"] == (
        tfram["batch_size"] * tfram["model"]["paths_per_input"]) == 320
    assert ours["model"]["init_std"] is None and ours["passes_per_epoch"] == 10
    assert HARD_TASK_MODEL["paths_per_input"] == 1 and HARD_TASK_TRAINING["batch_size"] == 320
