"""Catch training: config checks, the stream of games, and a short run that learns."""

import json
import os

import numpy as np
import pytest

from ram_keras.catch_training import (
    CatchConfigError,
    apply_flags,
    first_epoch_reaching,
    main,
    parse_args,
    training_games,
    validate_config,
)
from ram_keras.experiment import load_config

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_catch_config():
    return dict(load_config("run_catch"))


def test_the_run_catch_config_is_the_issues_agent():
    config = validate_config(run_catch_config())
    model = config["model"]
    assert (model["glimpse_size"], model["num_scales"], model["screen_size"]) == (6, 3, 24)
    assert (model["core_type"], model["core_units"]) == ("lstm", 256)
    assert model["location_policy"] == "learned"
    assert config["test_episodes"] == 1000


@pytest.mark.parametrize("change, message", [
    ({"dataset": "mnist"}, "dataset"),
    ({"test_seed": 0}, "differ"),
    ({"batch_size": 0}, "batch_size"),
    ({"learning_rate": "fast"}, "learning_rate"),
    ({"model": {"location_policy": "nowhere"}}, "model"),
    ({"seed": 2**32}, "seed"),
    ({"target_reward": 1.5}, "target_reward"),
])
def test_bad_configs_say_what_is_wrong(change, message):
    config = dict(run_catch_config(), **change)
    with pytest.raises(CatchConfigError, match=message):
        validate_config(config)


def test_full_screen_flag_gives_the_reference_agent():
    config = run_catch_config()
    changed = apply_flags(config, parse_args(config, ["--full-screen", "--seed", "3"]))
    assert changed["name"] == "run_catch_full_screen" and changed["seed"] == 3
    assert changed["model"]["glimpse_size"] == 24 and changed["model"]["num_scales"] == 1
    assert changed["model"]["location_policy"] == "centre"


def test_first_epoch_reaching_the_target():
    history = {"epoch": [1, 2, 3], "episodes": [10, 20, 30], "wall_time_s": [1.0, 2.0, 3.0],
               "test_reward": [0.5, 0.96, 0.94]}
    assert first_epoch_reaching(history, 0.95) == {"epoch": 2, "episodes": 20, "wall_time_s": 2.0}
    assert first_epoch_reaching(history, 0.97) is None


def test_training_plays_every_game_once_in_order():
    batches = [b.numpy() for b in training_games(7, 4, 2, 3)]
    assert [b.shape for b in batches] == [(4, 2)] * 3
    np.testing.assert_array_equal(np.concatenate(batches)[:, 1], np.arange(8, 20))
    assert np.all(np.concatenate(batches)[:, 0] == 7)


def test_short_training_beats_the_random_agent_clearly(tmp_path):
    """RAM on a 12x12 Catch (same rules, 11 steps; retina of 3x3 at 3 scales, small
    networks), trained as a user would through `main`, for 200 updates of 256 games."""
    base = run_catch_config()
    config = dict(base, model=dict(
        base["model"], screen_size=12, glimpse_size=3, what_units=32, where_units=16,
        glimpse_units=32, core_units=32))
    main(config, ["--epochs", "4", "--steps-per-epoch", "50", "--batch-size", "256",
                  "--learning-rate", "3e-3", "--test-episodes", "500", "--seed", "2",
                  "--out", str(tmp_path), "--verbose", "0"])
    results = json.loads((tmp_path / "results" / "run_catch" / "results.json").read_text())
    assert (tmp_path / "models" / "run_catch" / "run0.weights.h5").is_file()
    history, final = results["history"], results["final"]
    assert history["epoch"] == [1, 2, 3, 4]
    assert history["episodes"] == [12800, 25600, 38400, 51200]
    for key in ("train_reward", "train_loss", "train_action_entropy", "test_reward",
                "wall_time_s"):
        assert len(history[key]) == 4
    assert final["test_reward"] == history["test_reward"][-1]
    assert final["training_episodes"] == 51200 and final["test_episodes"] == 500
    random_reward = results["reference"]["random_agent_test_reward"]
    assert 0.1 < random_reward < 0.25  # two columns of twelve, about 1 in 6
    assert final["test_reward"] > random_reward + 0.1, (final, random_reward)
    assert history["train_reward"][-1] > history["train_reward"][0] + 0.05


def test_resume_continues_a_killed_run_exactly(tmp_path, monkeypatch):
    """A run killed after epoch 1 and resumed ends where an uninterrupted one does."""
    import h5py

    from ram_keras import catch_training

    base = run_catch_config()
    config = dict(base, model=dict(base["model"], screen_size=8, glimpse_size=2, what_units=8,
                                   where_units=4, glimpse_units=8, core_units=8))
    flags = ["--epochs", "2", "--steps-per-epoch", "3", "--batch-size", "16",
             "--test-episodes", "20", "--verbose", "0"]
    main(config, flags + ["--out", str(tmp_path / "whole")])

    original = catch_training.EpochCheckpoint.on_epoch_end

    def killed_after_epoch_1(self, epoch, logs=None):
        original(self, epoch, logs)
        raise KeyboardInterrupt

    monkeypatch.setattr(catch_training.EpochCheckpoint, "on_epoch_end", killed_after_epoch_1)
    with pytest.raises(KeyboardInterrupt):
        main(config, flags + ["--out", str(tmp_path / "killed")])
    monkeypatch.setattr(catch_training.EpochCheckpoint, "on_epoch_end", original)
    with pytest.raises(SystemExit, match="--resume"):
        main(config, flags + ["--out", str(tmp_path / "killed")])
    main(config, flags + ["--out", str(tmp_path / "killed"), "--resume"])

    def read(out):
        results = json.loads((out / "results" / "run_catch" / "results.json").read_text())
        with h5py.File(out / "models" / "run_catch" / "run0.weights.h5", "r") as f:
            weights = []
            f.visititems(lambda name, item: weights.append(np.asarray(item))
                         if isinstance(item, h5py.Dataset) else None)
        return results, weights

    (whole, whole_weights), (resumed, resumed_weights) = read(tmp_path / "whole"), read(
        tmp_path / "killed")
    assert resumed["history"]["epoch"] == [1, 2]
    for key in ("train_reward", "train_loss", "test_reward"):
        np.testing.assert_allclose(resumed["history"][key], whole["history"][key], rtol=1e-5)
    assert len(whole_weights) == len(resumed_weights) > 0
    for a, b in zip(whole_weights, resumed_weights):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert not (tmp_path / "killed" / "checkpoints" / "run_catch" / "run0").exists()
