"""Catch evaluation: the fraction caught, the movies and the gaze-track pictures."""

import json
import os

import numpy as np
import pytest
from PIL import Image

from catch_reference import ReferenceCatch
from ram_keras.catch import game_keys
from ram_keras.catch_agent import CatchAgent
from ram_keras.catch_evaluation import main, recency_weighted_average
from ram_keras.experiment import load_config
from ram_keras.saving import save_model

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEST_SEED = load_config("run_catch")["test_seed"]


SMALL_SIZES = {"what_units": 16, "where_units": 8, "glimpse_units": 16, "core_units": 16}
# run_catch with smaller networks, as a config module of its own.
SMALL_CONFIG = """
import sys
sys.path.insert(0, {repo!r})
from configs.run_catch import CONFIG as RUN_CATCH
CONFIG = dict(RUN_CATCH, name="run_catch_small", model=dict(RUN_CATCH["model"], **{sizes!r}))
"""


@pytest.fixture(scope="module")
def saved_agent(tmp_path_factory):
    """(agent, model path, config module path) of a small untrained agent."""
    folder = tmp_path_factory.mktemp("model")
    config_path = folder / "run_catch_small.py"
    config_path.write_text(SMALL_CONFIG.format(repo=REPO, sizes=SMALL_SIZES))
    agent = CatchAgent(seed=4, **SMALL_SIZES).build_all()
    path = str(folder / "run0.weights.h5")
    save_model(agent, path, metadata={"config": "run_catch_small", "dataset": "catch"})
    return agent, path, str(config_path)


def test_evaluate_py_sends_catch_configs_to_the_catch_evaluation():
    import evaluate

    assert evaluate.is_catch_command(["run_catch", "model.h5"])
    assert evaluate.is_catch_command(["--episodes", "10", "run_catch", "model.h5", "--json"])
    assert evaluate.is_catch_command([os.path.join(REPO, "configs", "run_catch.py"), "m.h5"])
    assert not evaluate.is_catch_command(["run_mnist", "model.h5"])
    assert not evaluate.is_catch_command(["--samples", "3", "run_mnist", "model.h5"])
    assert not evaluate.is_catch_command(["no_such_config", "model.h5"])
    assert not evaluate.is_catch_command([])


def test_recency_weighted_average():
    screens = np.zeros((2, 3, 3), np.float32)
    screens[0, 0, 0] = screens[1, 1, 1] = 1.0
    final = np.zeros((3, 3), np.float32)
    final[2, 2] = 1.0
    got = recency_weighted_average(screens, final, decay=0.5)
    # weights 0.25, 0.5, 1 (the last screen), then scaled to a maximum of 1
    want = np.zeros((3, 3))
    want[0, 0], want[1, 1], want[2, 2] = 0.25, 0.5, 1.0
    np.testing.assert_allclose(got, want)


def test_evaluate_counts_caught_balls_and_draws_games(saved_agent, tmp_path, capsys):
    agent, path, config_path = saved_agent
    report = main([config_path, path, "--episodes", "100", "--movies", "2",
                   "--out", str(tmp_path), "--json"])
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed == json.loads(json.dumps(report))
    keys = game_keys(TEST_SEED, 0, 100)
    played = agent.rollout(keys, deterministic=True)
    rewards = played["rewards"].numpy()
    assert report["caught"] == int(rewards.sum()) and report["episodes"] == 100
    assert report["fraction_caught"] == pytest.approx(rewards.mean())
    assert 0.0 <= report["random_agent_fraction_caught"] <= 0.2
    pictures = report["pictures"]
    assert len(pictures["movies"]) == 2 and len(pictures["gaze_tracks"]) == 2
    assert os.path.isfile(pictures["overview"])
    movie = Image.open(pictures["movies"][0])
    assert movie.n_frames == 24  # 23 steps and the landing
    # The last frame shows the landed ball (white) where the reference game puts it.
    game = ReferenceCatch.from_key(TEST_SEED, 0)
    for action in played["actions"].numpy()[0]:
        game.step(int(action))
    movie.seek(23)
    frame = np.asarray(movie.convert("RGB")).astype(int)
    pixel = 384 / 24  # the screen is 384 pixels wide, at (12, 56) in the frame
    row = int(56 + (game.row + 0.5) * pixel)
    column = int(12 + (game.column + 0.5) * pixel)
    assert frame[row, column].min() > 200
    assert frame[int(56 + 10.5 * pixel), int(12 + 10.5 * pixel)].max() < 60  # empty sky


def test_evaluate_refuses_unknown_configs_and_models_of_another_config(saved_agent):
    _, path, _ = saved_agent
    with pytest.raises(SystemExit, match="Unknown config 'run_nonexistent'.*run_catch"):
        main(["run_nonexistent", path])
    with pytest.raises(SystemExit, match="not a Catch config"):
        main(["run_mnist", path])
    with pytest.raises(SystemExit, match="another config.*core_units 16 in the file, 256"):
        main(["run_catch", path])
