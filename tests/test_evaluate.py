"""evaluate.py: the three test errors of a classifier, Catch's fraction caught, pictures,
movies, and one-line errors."""

import json
import os
import re

import numpy as np
import pytest
from PIL import Image

from catch_reference import ReferenceCatch
from helpers import REPO, SMALL_AGENT, assert_clean_failure, run_main, run_script
from ram_keras import CatchAgent
from ram_keras.data import load_mnist
from ram_keras.envs.catch import game_keys
from ram_keras.saving import save_model
from ram_keras.tasks import load_config
from ram_keras.tasks.classification import evaluate_classifier


def test_the_script_reproduces_the_final_test_errors_of_training(tiny_run, tiny_config_path,
                                                                tmp_path):
    """A user's command line, in a fresh process: evaluate.py on the trained model."""
    result = run_script("evaluate.py", tiny_config_path, tiny_run.model_path, "--json",
                        "--samples", "2", "--out", str(tmp_path / "pictures"))
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    final = tiny_run.results["runs"][0]["final"]
    # Deterministic: exactly training's figure (on all 10,000 test images here, 500 there).
    _, (x_test, y_test) = load_mnist()
    model = tiny_run.model()
    assert report["test_accuracy"] == evaluate_classifier(model, x_test, y_test, paths=0)[
        "accuracy"]
    assert report["images"] == 10000 and report["evaluation_paths"] == 2
    assert abs(report["test_accuracy"] - final["test_accuracy"]) < 0.05
    for key in ("test_accuracy_single_path", "test_accuracy_monte_carlo"):
        assert 0.4 < report[key] <= 1
    pictures = report["glimpse_pictures"]
    assert pictures["policy"] == "deterministic" and len(pictures["figures"]) == 2
    assert all(path.endswith(".gif") for path in pictures["animations"])


def test_text_report_split_paths_and_movies(tiny_run, tiny_config_path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # pictures go under the current folder by default
    result = run_main("evaluate", tiny_config_path, tiny_run.model_path, "--split",
                      "validation", "--paths", "3", "--samples", "1", "--movie", "mp4",
                      "--stochastic")
    assert result.code == 0, result.stderr
    assert "10000 validation images" in result.stdout
    assert "single path" in result.stdout and "Monte-Carlo (3 paths)" in result.stdout
    assert "(sampled glimpses)" in result.stdout
    folder = tmp_path / "results" / "run_tiny" / "glimpses"
    assert sorted(os.listdir(folder)) == ["image000.mp4", "image000.png", "overview.png"]
    result = run_main("evaluate", tiny_config_path, tiny_run.model_path, "--paths", "0",
                      "--samples", "0", "--json")
    report = json.loads(result.stdout)
    assert "glimpse_pictures" not in report and "test_accuracy_single_path" not in report


def test_image_files_get_a_class_a_probability_and_a_picture(tiny_run, tiny_config_path,
                                                             tmp_path):
    """--image on an MNIST config: a PNG of a test digit is read grey at 28x28 and gets the
    model's own class and probability; an RGB file of another size is converted and resized."""
    from ram_keras.data import to_float_images
    from ram_keras.viz.glimpses import glimpse_figure_layout

    _, (x_test, _) = load_mnist()
    Image.fromarray(x_test[0]).save(tmp_path / "digit.png")
    Image.fromarray(np.repeat(x_test[1][..., None], 3, -1)).resize((40, 56)).save(
        tmp_path / "rgb.jpg")
    files = [str(tmp_path / "digit.png"), str(tmp_path / "rgb.jpg")]
    result = run_main("evaluate", tiny_config_path, tiny_run.model_path, "--image", *files,
                      "--json", "--out", str(tmp_path / "pictures"))
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["image_shape"] == [28, 28, 1] and report["policy"] == "deterministic"
    want = tiny_run.model()(to_float_images(x_test[:1])).numpy()[0]  # predict, untraced
    first = report["files"][0]
    assert first["class_index"] == int(np.argmax(want)) and first["class"] == str(first[
        "class_index"])
    assert first["probability"] == pytest.approx(float(want.max()), abs=1e-5)
    size = glimpse_figure_layout((28, 28, 1), 3, 1)["size"]
    for item in report["files"]:
        with Image.open(item["picture"]) as picture:
            assert picture.format == "PNG" and picture.size == size
    assert sorted(os.listdir(tmp_path / "pictures")) == ["image000_digit.png",
                                                         "image001_rgb.png"]
    missing = run_main("evaluate", tiny_config_path, tiny_run.model_path, "--image",
                       str(tmp_path / "none.png"))
    assert_clean_failure(missing, 1)
    assert "cannot read" in missing.stderr and "none.png" in missing.stderr


def test_a_training_checkpoint_is_evaluated_with_its_own_settings(tiny_run, tiny_config_path,
                                                                 tmp_path):
    """A run's checkpoint (weights with optimizer state, state.json beside it naming them)
    evaluates as the model it holds, built from the checkpoint's settings."""
    model = tiny_run.model()
    folder = tmp_path / "checkpoints" / "run_tiny" / "run0"
    folder.mkdir(parents=True)
    model.save_weights(str(folder / "epoch0003.weights.h5"))
    settings = tiny_run.results["config"]
    (folder / "state.json").write_text(json.dumps(
        {"format": 1, "epoch": 3, "weights": "epoch0003.weights.h5", "settings": settings}))
    result = run_main("evaluate", tiny_config_path, str(folder / "epoch0003.weights.h5"),
                      "--paths", "0", "--samples", "0", "--json")
    assert result.code == 0, result.stderr
    assert "checkpoint of epoch 3 of 3 (run_tiny)" in result.stderr
    _, (x_test, y_test) = load_mnist()
    want = evaluate_classifier(model, x_test, y_test, paths=0)["accuracy"]
    assert json.loads(result.stdout)["test_accuracy"] == want
    # A checkpoint of another task is refused in one line.
    (folder / "state.json").write_text(json.dumps(
        {"format": 1, "epoch": 3, "weights": "epoch0003.weights.h5",
         "settings": dict(settings, dataset="catch", name="run_catch")}))
    refused = run_main("evaluate", tiny_config_path, str(folder / "epoch0003.weights.h5"))
    assert_clean_failure(refused, 1)
    assert "checkpoint of run_catch (catch), not of a mnist config" in refused.stderr


@pytest.mark.parametrize("argv,message", [
    (["run_nonexistent", "m.weights.h5"], "Unknown config 'run_nonexistent'.*run_mnist"),
    (["run_mnist", "missing.weights.h5"], "not found"),
    (["run_mnist", "MODEL", "--episodes", "5"], "--episodes is for catch configs"),
    (["run_catch", "MODEL", "--image", "x.png"], "--image is for classification configs"),
    (["run_mnist", "MODEL", "--data", "x"], "--data is for configs of your own images"),
    (["run_catch", "MODEL"], "another task: mnist .config run_tiny.*run_catch is the task catch"),
    (["run_catch", "KERAS"], "holds a RecurrentAttentionModel, but run_catch is a catch config"),
    (["run_mnist", "MODEL"], "another config .*num_glimpses|another config"),
    (["run_translated_mnist", "MODEL"], "another task: mnist"),
])
def test_errors_are_one_line(tiny_run, tmp_path, argv, message):
    keras_file = str(tmp_path / "tiny.keras")
    tiny_run.model().save(keras_file)  # no metadata: the class tells the task
    files = {"MODEL": tiny_run.model_path, "KERAS": keras_file}
    result = run_main("evaluate", *[files.get(arg, arg) for arg in argv])
    assert_clean_failure(result, 1)
    assert re.search(message, result.stderr), result.stderr


def test_bad_flags_exit_2():
    assert_clean_failure(run_main("evaluate", "run_mnist", "m.weights.h5", "--samples", "-1"), 2)
    assert_clean_failure(run_main("evaluate", "run_mnist", "m.weights.h5", "--movie", "avi"), 2)


def test_the_committed_models_evaluate_to_their_recorded_figures():
    """models/run_mnist, the committed centred-MNIST model, with the deterministic policy."""
    path = os.path.join(REPO, "models", "run_mnist", "run0.weights.h5")
    results = os.path.join(REPO, "results", "run_mnist", "results.json")
    with open(results) as f:
        final = json.load(f)["runs"][0]["final"]
    result = run_main("evaluate", "run_mnist", path, "--paths", "0", "--samples", "0", "--json")
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["test_accuracy"] == final["test_accuracy"]


# ------------------------------------------------------------------------ Catch
@pytest.fixture(scope="module")
def saved_agent(tmp_path_factory):
    """(agent, model path, config module path) of a small untrained agent."""
    folder = tmp_path_factory.mktemp("agent")
    config_path = folder / "run_catch_small.py"
    config_path.write_text(
        f"import sys\nsys.path.insert(0, {REPO!r})\n"
        "from ram_keras.training.configs import read_config_module\n"
        "RUN_CATCH = read_config_module('run_catch')\n"
        "CONFIG = dict(RUN_CATCH, name='run_catch_small', "
        f"model=dict(RUN_CATCH['model'], **{SMALL_AGENT!r}))\n")
    agent = CatchAgent(seed=4, **SMALL_AGENT)
    path = str(folder / "run0.weights.h5")
    save_model(agent, path, metadata={"config": "run_catch_small", "dataset": "catch"})
    return agent, path, str(config_path)


def test_catch_evaluation_counts_caught_balls_and_draws_games(saved_agent, tmp_path):
    agent, path, config_path = saved_agent
    result = run_main("evaluate", config_path, path, "--episodes", "100", "--samples", "1",
                      "--out", str(tmp_path), "--json")
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    test_seed = load_config("run_catch")["test_seed"]
    played = agent.play(game_keys(test_seed, 0, 100))
    assert report["caught"] == int(played["rewards"].sum()) and report["episodes"] == 100
    assert report["fraction_caught"] == pytest.approx(played["rewards"].mean())
    assert 0.0 <= report["random_agent_fraction_caught"] <= 0.2
    pictures = report["pictures"]
    assert len(pictures["movies"]) == 1 and len(pictures["gaze_tracks"]) == 1
    assert os.path.isfile(pictures["overview"])
    movie = Image.open(pictures["movies"][0])
    assert movie.n_frames == 24  # 23 steps and the landing
    # The last frame shows the landed ball (white) where the reference game puts it.
    game = ReferenceCatch.from_key(test_seed, 0)
    for action in played["actions"][0]:
        game.step(int(action))
    movie.seek(23)
    frame = np.asarray(movie.convert("RGB")).astype(int)
    pixel = 384 / 24  # the screen is 384 pixels wide, at (12, 56) in the frame
    assert frame[int(56 + (game.row + 0.5) * pixel), int(12 + (game.column + 0.5) * pixel)].min() > 200
    assert frame[int(56 + 10.5 * pixel), int(12 + 10.5 * pixel)].max() < 60  # empty sky
    text = run_main("evaluate", config_path, path, "--episodes", "100", "--samples", "1",
                    "--movie", "mp4", "--out", str(tmp_path / "mp4"))
    assert "balls caught" in text.stdout and "random actions catch" in text.stdout
    assert os.path.isfile(tmp_path / "mp4" / "game000.mp4")


def test_catch_evaluation_refuses_models_of_another_config(saved_agent):
    _, path, _ = saved_agent
    result = run_main("evaluate", "run_catch", path)
    assert_clean_failure(result, 1)
    assert "another config" in result.stderr and "core_units 16 in the file, 256" in result.stderr
    result = run_main("evaluate", "run_mnist", path)
    assert_clean_failure(result, 1)
    assert "another task: catch" in result.stderr
    result = run_main("evaluate", "run_catch", path, "--split", "test")
    assert "--split is for classification configs" in result.stderr


# ------------------------------------------------------------------ clutter styles
CLUTTERED_CONFIG = """
from ram_keras.training.configs import read_config_module
base = read_config_module("run_cluttered_mnist_paper")
CONFIG = dict(base, name="run_small_clutter", canvas_size=36, clutter_pieces=3, validation_digits=0,
              model=dict(base["model"], image_shape=[36, 36, 1], num_glimpses=2,
                         glimpse_size=6, num_scales=2, what_units=8, where_units=8,
                         glimpse_units=16, core_units=16, unroll=False))
"""


def test_a_cluttered_model_is_evaluated_on_another_task_definition(tmp_path, monkeypatch):
    """--clutter-style: the same test digits, places and pieces, composited in another
    style; the figure is that of the model on those canvases, computed here directly."""
    from ram_keras.data import make_fixed_canvases
    from ram_keras.tasks import classification
    from ram_keras.tasks.classification import ClassificationTask

    (x_train, y_train), (x_test, y_test) = load_mnist()
    x_test, y_test = x_test[:1000], y_test[:1000]  # a tenth of the test set: a faster check
    monkeypatch.setattr(classification, "load_mnist",
                        lambda: ((x_train, y_train), (x_test, y_test)))

    config_path = tmp_path / "run_small_clutter.py"
    config_path.write_text(CLUTTERED_CONFIG)
    config = load_config(str(config_path))
    model = ClassificationTask().build_model(config, seed=0)
    model_path = str(tmp_path / "small.weights.h5")
    save_model(model, model_path, metadata={"config": "run_small_clutter",
                                            "dataset": "cluttered_mnist"})
    result = run_main("evaluate", str(config_path), model_path, "--clutter-style", "blend",
                      "--paths", "0", "--samples", "1", "--json", "--out", str(tmp_path / "p"))
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["clutter_style"] == "blend" and report["images"] == 1000
    blended = make_fixed_canvases(x_test, config["test_seed"], 36, 3, clutter_style="blend")
    ours = make_fixed_canvases(x_test[:50], config["test_seed"], 36, 3)
    assert not np.array_equal(blended[:50], ours)
    assert report["test_accuracy"] == evaluate_classifier(model, blended, y_test, paths=0)[
        "accuracy"]
    # Pictures of another task definition go beside the config's own: glimpses_<style>/
    # with the flag, glimpses/ without it (whatever the config's own style).
    blend_config_path = tmp_path / "run_small_clutter_blend.py"
    blend_config_path.write_text(CLUTTERED_CONFIG + "CONFIG['clutter_style'] = 'blend'\n")
    monkeypatch.chdir(tmp_path)
    for flags, folder in ((["--clutter-style", "max"], "glimpses_max"), ([], "glimpses")):
        result = run_main("evaluate", str(blend_config_path), model_path, "--paths", "0",
                          "--samples", "1", *flags)
        assert result.code == 0, result.stderr
        assert os.listdir(tmp_path / "results" / "run_small_clutter" / folder)
    # The flag is for cluttered configs only, and its values are checked.
    refused = run_main("evaluate", "run_mnist", model_path, "--clutter-style", "blend")
    assert_clean_failure(refused, 1)
    assert "--clutter-style is for the cluttered configs" in refused.stderr
    assert_clean_failure(run_main("evaluate", str(config_path), model_path,
                                  "--clutter-style", "paste"), 2)
