"""Catch through the runner: config checks, the stream of games, a short run that learns,
--strategy and --tensorboard."""

import json

import numpy as np
import pytest

from ram_keras.tasks import load_config
from ram_keras.tasks.catch import CatchTask
from ram_keras.training import distribution, runner
from ram_keras.training.configs import ConfigError, read_config_module

TASK = CatchTask()


def run_catch_config():
    return read_config_module("run_catch")


def small_catch_config(**model):
    base = run_catch_config()
    return dict(base, model=dict(base["model"], **model))


def test_the_run_catch_config_is_the_issues_agent():
    config = load_config("run_catch")
    model = config["model"]
    assert (model["glimpse_size"], model["num_scales"], model["screen_size"]) == (6, 3, 24)
    assert (model["core_type"], model["core_units"]) == ("lstm", 256)
    assert model["location_policy"] == "learned"
    assert config["test_episodes"] == 1000 and config["validation_episodes"] == 1000


@pytest.mark.parametrize("change, message", [
    ({"dataset": "mnist"}, "dataset"),
    ({"test_seed": 0}, "training stream"),
    ({"validation_seed": 1_000_000}, "differ"),
    ({"batch_size": 0}, "batch_size"),
    ({"learning_rate": "fast"}, "learning_rate"),
    ({"model": {"location_policy": "nowhere"}}, "model"),
    ({"seed": 2**32}, "seed"),
    ({"target_reward": 1.5}, "target_reward"),
    ({"learning_rate_schedule": "linear"}, "learning_rate_schedule"),
])
def test_bad_configs_say_what_is_wrong(change, message):
    with pytest.raises(ConfigError, match=message):
        TASK.validate(dict(run_catch_config(), **change))


def test_full_screen_flag_gives_the_reference_agent():
    config = run_catch_config()
    args = runner.parse_args(config, TASK, ["--full-screen", "--seed", "3"])
    changed = runner.apply_flags(config, args, TASK)
    assert changed["name"] == "run_catch_full_screen" and changed["seed"] == 3
    assert changed["model"]["glimpse_size"] == 24 and changed["model"]["num_scales"] == 1
    assert changed["model"]["location_policy"] == "centre"
    assert changed["gradient_clip_norm"] is None  # run_catch does not clip
    args = runner.parse_args(config, TASK, ["--gradient-clip-norm", "5"])
    assert runner.apply_flags(config, args, TASK)["gradient_clip_norm"] == 5.0


def test_training_plays_every_game_once_in_order():
    config = dict(run_catch_config(), batch_size=4, steps_per_epoch=3, epochs=4)
    batches = [b.numpy() for b in TASK.training_data(config, None, seed=7, first_epoch=2)]
    assert [b.shape for b in batches] == [(4, 2)] * 6
    np.testing.assert_array_equal(np.concatenate(batches)[:, 1], np.arange(24, 48))
    assert np.all(np.concatenate(batches)[:, 0] == 7)


def short_run_flags(out, *extra):
    return ["--epochs", "4", "--steps-per-epoch", "50", "--batch-size", "256",
            "--learning-rate", "3e-3", "--validation-episodes", "500", "--test-episodes", "500",
            "--seed", "2", "--out", str(out), "--verbose", "0", *extra]


def test_short_training_beats_the_random_agent_clearly(tmp_path):
    """RAM on a 12x12 Catch (same rules, 11 steps; retina of 3x3 at 3 scales, small
    networks), trained through the runner for 200 updates of 256 games."""
    from ram_keras.training.runner import main

    # The symbolic loop: it traces in 8 s where the config's unrolled steps take 20 s.
    config = small_catch_config(screen_size=12, glimpse_size=3, what_units=32, where_units=16,
                                glimpse_units=32, core_units=32, unroll=False)
    main(config, short_run_flags(tmp_path))
    results = json.loads((tmp_path / "results" / "run_catch" / "results.json").read_text())
    assert results["task"] == "catch"
    assert (tmp_path / "models" / "run_catch" / "run0.weights.h5").is_file()
    run = results["runs"][0]
    history, final = run["history"], run["final"]
    assert history["epoch"] == [1, 2, 3, 4]
    for key in ("train_reward", "train_loss", "train_action_entropy", "val_reward",
                "wall_time_s"):
        assert len(history[key]) == 4
    assert final["validation_reward"] == pytest.approx(history["val_reward"][-1])
    assert final["training_episodes"] == 51200 and final["test_episodes"] == 500
    random_reward = results["reference"]["random_agent_test_reward"]
    assert 0.1 < random_reward < 0.25  # two columns of twelve, about 1 in 6
    assert final["test_reward"] > random_reward + 0.1, (final, random_reward)
    assert history["train_reward"][-1] > history["train_reward"][0] + 0.05


def tiny_catch_config():
    return small_catch_config(screen_size=6, glimpse_size=2, num_scales=2, what_units=8,
                              where_units=4, glimpse_units=8, core_units=8)


# Resuming is the runner's, tested once for every task in test_runner.py; the Catch part
# of it, the stream of games from any epoch on, is tested above.
TINY_FLAGS = ["--epochs", "1", "--steps-per-epoch", "2", "--batch-size", "16",
              "--validation-episodes", "20", "--test-episodes", "20", "--verbose", "0"]


@pytest.mark.slow
def test_catch_trains_under_the_mirrored_strategy_and_with_tensorboard(tmp_path, two_cpus,
                                                                     monkeypatch):
    from ram_keras.training.runner import main

    monkeypatch.setattr(distribution, "make_strategy", lambda name, devices=None: two_cpus)
    main(tiny_catch_config(), TINY_FLAGS + ["--strategy", "mirrored", "--out", str(tmp_path),
                                            "--tensorboard", str(tmp_path / "logs")])
    results = json.loads((tmp_path / "results/run_catch/results.json").read_text())
    assert results["config"]["replicas"] == 2 and results["config"]["strategy"] == "mirrored"
    assert 0 <= results["runs"][0]["final"]["test_reward"] <= 1
    events = list((tmp_path / "logs" / "run_catch" / "run0").rglob("events.out.tfevents.*"))
    assert {path.parent.name for path in events} == {"train", "validation"}
