"""Config modules: finding, reading and checking them; every shipped config is valid."""

import pytest

from ram_keras.tasks import load_config, task_for
from ram_keras.training.configs import (
    CONFIGS_DIR,
    ConfigError,
    list_configs,
    read_config_module,
)

# The hard tasks on our recipe for them, each with its paper-recipe config beside it.
HARD = ["run_translated_mnist", "run_cluttered_mnist", "run_cluttered100_mnist"]
SHIPPED = ["run_catch", "run_cluttered_mnist_tfram", "run_mnist", "run_mnist_fast", *HARD,
           *(f"{name}_paper" for name in HARD)]


def test_the_shipped_configs_are_listed_and_valid():
    assert set(SHIPPED) <= set(list_configs())
    for name in SHIPPED:
        config = load_config(name)
        assert config["name"] == name
        assert task_for(config).name == ("catch" if name == "run_catch" else "classification")


def test_the_main_config_is_the_recipe_chosen_on_validation_trained_on_all_digits():
    # run_mnist_fast chose the recipe on the validation split; run_mnist trains it on all
    # 60,000 digits for about the same images and updates, and differs in nothing else.
    final, chosen = load_config("run_mnist"), load_config("run_mnist_fast")
    assert final["validation_digits"] == 0 and chosen["validation_digits"] == 10000
    assert final["epochs"] * 60000 == pytest.approx(chosen["epochs"] * 50000, rel=0.05)
    differences = {key for key in set(final) | set(chosen) if final.get(key) != chosen.get(key)}
    assert differences == {"name", "description", "epochs", "validation_digits"}


def test_the_tfram_config_takes_its_whole_recipe_on_its_clutter():
    from ram_keras.training.optimizers import learning_rate_schedule

    tfram, ours = load_config("run_cluttered_mnist_tfram"), load_config("run_cluttered_mnist_paper")
    model = tfram["model"]
    assert tfram["clutter_style"] == "blend" and ours.get("clutter_style", "max") == "max"
    assert (tfram["batch_size"], model["paths_per_input"], model["baseline"]) == (32, 10, "learned")
    assert (model["core_type"], model["core_units"], model["reinforce_to_core"]) == ("lstm", 256,
                                                                                   True)
    assert (model["first_location"], model["mean_activation"], model["location_std"]) == (
        "random", "clip", 0.1)
    # REINFORCE averaged over the 8 glimpses (ours sums), N(0, 0.01) dense weights, and the
    # policy's gradients clipped apart from the others' (no optimizer clipping on top).
    assert model["reinforce_weight"] * model["num_glimpses"] == 1.0
    assert (model["init_std"], model["group_clip_norm"], tfram["gradient_clip_norm"]) == (
        0.01, 5.0, None)
    # 55,000 training digits; 500,000 updates of 32 images; Adam 1e-3, x0.98 every half
    # epoch (860 updates: tfRAM's step counter, advanced twice per update, decays every
    # 1,718 / 2 = 859), never below 1e-5.
    assert tfram["validation_digits"] == 5000 and tfram["validation_paths"] == 10
    steps_per_epoch = -(-55000 // tfram["batch_size"])
    assert tfram["epochs"] * steps_per_epoch == pytest.approx(500000, rel=0.001)
    schedule = learning_rate_schedule(tfram, tfram["epochs"] * steps_per_epoch, steps_per_epoch)
    half_epoch = round(steps_per_epoch / 2)
    assert half_epoch == 860
    for step, rate in ((0, 1e-3), (half_epoch - 1, 1e-3), (half_epoch, 0.98e-3),
                       (10 * half_epoch, 1e-3 * 0.98 ** 10), (500000, 1e-5)):
        assert float(schedule(step)) == pytest.approx(rate, rel=1e-5)


@pytest.mark.parametrize("name", HARD)
def test_the_hard_configs_are_the_paper_tasks_with_our_hard_task_recipe(name):
    # The task, glimpses and sizes of the paper config; tfRAM's recipe with one path for
    # each of 320 images (as many paths per update as its 32 x 10) and Glorot weights.
    from ram_keras.training.optimizers import learning_rate_schedule

    config, paper = load_config(name), load_config(f"{name}_paper")
    tfram = load_config("run_cluttered_mnist_tfram")
    for key in ("dataset", "canvas_size", "clutter_pieces", "test_seed", "validation_seed"):
        assert config[key] == paper[key]
    for key in ("image_shape", "num_glimpses", "glimpse_size", "num_scales", "core_units"):
        assert config["model"][key] == paper["model"][key]
    assert config.get("clutter_style", "max") == (
        "blend" if config["clutter_pieces"] else "max")
    model = config["model"]
    assert (config["batch_size"], model["paths_per_input"], model["init_std"]) == (320, 1, None)
    assert config["batch_size"] * model["paths_per_input"] == (
        tfram["batch_size"] * tfram["model"]["paths_per_input"])
    differing = {key for key in model if model[key] != tfram["model"].get(key)}
    assert differing <= {"paths_per_input", "init_std", "image_shape", "num_scales"}
    # An epoch of 10 passes is 1,720 updates, and the staircase decays every 860 of them,
    # as in tfRAM's run.
    assert config["passes_per_epoch"] == 10 and config["validation_digits"] == 5000
    digits = type("Data", (), {"x_train": range(55000)})
    steps_per_epoch = task_for(config).steps_per_epoch(config, digits)
    assert steps_per_epoch == 1720
    schedule = learning_rate_schedule(config, config["epochs"] * steps_per_epoch, steps_per_epoch)
    assert float(schedule(859)) == pytest.approx(1e-3, rel=1e-6)
    assert float(schedule(860)) == pytest.approx(0.98e-3, rel=1e-6)
    assert paper["batch_size"] == 128 and paper["model"]["core_type"] == "relu"


def test_a_config_by_path_and_unknown_names(tmp_path):
    path = tmp_path / "run_mine.py"
    path.write_text("from ram_keras.training.configs import read_config_module\n"
                    "CONFIG = dict(read_config_module('run_mnist'), name='run_mine')\n")
    assert load_config(str(path))["name"] == "run_mine"
    with pytest.raises(ConfigError, match="Unknown config 'run_none'.*run_mnist"):
        load_config("run_none")
    (tmp_path / "run_empty.py").write_text("X = 1\n")
    with pytest.raises(ConfigError, match="defines no CONFIG"):
        read_config_module(str(tmp_path / "run_empty.py"))
    assert list_configs(str(tmp_path)) == ["run_empty", "run_mine"]
    assert CONFIGS_DIR.endswith("configs")


@pytest.mark.parametrize("change, message", [
    ({"epochs": "ten"}, "epochs"),
    ({"batch_size": 0}, "batch_size"),
    ({"learning_rate": 0}, "learning_rate"),
    ({"dataset": "cifar"}, "dataset must be one of"),
    ({"strategy": "gpu"}, "strategy"),
    ({"learning_rate_schedule": "linear"}, "learning_rate_schedule"),
    ({"gradient_clip_norm": -1}, "gradient_clip_norm"),
    ({"steps_per_execution": 0}, "steps_per_execution"),
    ({"weight_averaging": 1.0}, "weight_averaging"),
    ({"max_shift": -1}, "max_shift"),
    ({"final_location_std": 0.05}, "final_location_std_epochs"),
    ({"final_location_std": 0.0, "final_location_std_epochs": 5}, "final_location_std"),
    ({"final_location_std": 0.05, "final_location_std_epochs": 201}, "final_location_std_epochs"),
    ({"max_shift": 1.5}, "max_shift"),
    ({"weight_averaging": 0}, "weight_averaging"),
    ({"weight_averaging": True}, "weight_averaging"),
    ({"validation_digits": -1}, "validation_digits"),
    ({"validation_digits": 60000}, "validation_digits"),
    ({"steps_per_execution": 2.0}, "steps_per_execution"),
    ({"evaluation_paths": -1}, "evaluation_paths"),
    ({"validation_paths": -1}, "validation_paths"),
    ({"validation_paths": 2.5}, "validation_paths"),
    ({"final_location_std": 0.05, "final_location_std_epochs": 5,
      "model": dict(read_config_module("run_mnist")["model"], learn_std=True)}, "learn_std"),
])
def test_bad_settings_are_named(change, message):
    config = dict(read_config_module("run_mnist"), **change)
    with pytest.raises(ConfigError, match=message):
        task_for(config).validate(config)


def test_a_missing_setting_is_named():
    config = read_config_module("run_mnist")
    del config["batch_size"]
    with pytest.raises(ConfigError, match="missing the setting 'batch_size'"):
        task_for(config).validate(config)


@pytest.mark.parametrize("name,size", [("run_translated_mnist", 60), ("run_translated_mnist_paper", 60),
                                       ("run_cluttered_mnist", 60), ("run_cluttered_mnist_paper", 60),
                                       ("run_cluttered100_mnist", 100),
                                       ("run_cluttered100_mnist_paper", 100)])
def test_canvas_configs_check_their_canvas(name, size):
    config = load_config(name)
    assert config["canvas_size"] == size and config["model"]["image_shape"] == [size, size, 1]
    task = task_for(config)
    with pytest.raises(ConfigError, match="image_shape"):
        task.validate(dict(config, canvas_size=size + 2))
    with pytest.raises(ConfigError, match="clutter_pieces"):
        task.validate(dict(config, clutter_pieces=-1))
    with pytest.raises(ConfigError, match="validation_seed"):
        task.validate({k: v for k, v in config.items() if k != "validation_seed"})


def test_bad_model_settings_are_named():
    config = load_config("run_mnist")
    task = task_for(config)
    for change, message in [({"location_std": 0.0}, "std"),
                            ({"glimpse_size": 40}, "larger than the image"),
                            ({"num_glimpses": 0}, "num_glimpses"),
                            ({"core_type": "gru"}, "core_type"),
                            ({"no_such_setting": 1}, "no_such_setting")]:
        with pytest.raises(ConfigError, match=message):
            task.validate(dict(config, model=dict(config["model"], **change)))


def test_reading_a_config_leaves_sys_path_alone_and_its_script_imports_the_checkout(
        monkeypatch, capsys):
    """Read by the library, a config module changes no import path (it used to put the
    folder above it first: installed, that is the package, whose `training`, `models` and
    `data` then imported as top-level modules). Run as a script of a source checkout, it
    puts the checkout first, so that its own ram_keras is the one imported."""
    import importlib.util
    import os
    import runpy
    import sys

    from ram_keras.training.configs import PACKAGE_DIR

    before = list(sys.path)
    for name in list_configs():
        read_config_module(name)
    assert sys.path == before
    assert importlib.util.find_spec("training") is None
    monkeypatch.setattr(sys, "path", list(before))
    monkeypatch.setattr(sys, "argv", ["run_mnist.py", "--help"])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_path(os.path.join(CONFIGS_DIR, "run_mnist.py"), run_name="__main__")
    assert exit_.value.code == 0 and "--epochs" in capsys.readouterr().out
    assert sys.path[0] == os.path.dirname(PACKAGE_DIR)
