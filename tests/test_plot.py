"""plot.py and ram_keras.viz.curves: training curves from hand-written results.json files."""

import json

import numpy as np
import pytest
from PIL import Image

from helpers import run_script
from ram_keras import plot
from ram_keras.viz import curves as viz
METRICS = ("loss", "classification_loss", "reinforce_loss", "baseline_loss", "accuracy",
           "reward")


def history(epochs, seed):
    rng = np.random.default_rng(seed)
    result = {"epoch": list(range(1, epochs + 1)),
              "wall_time_s": [round(10.0 * e, 2) for e in range(1, epochs + 1)]}
    for split in ("train", "val"):
        for metric in METRICS:
            values = 1 - 0.5 * np.exp(-np.arange(epochs) / 3) - 0.02 * rng.random(epochs)
            result[f"{split}_{metric}"] = [float(v) for v in values]
    return result


def write_results(path, runs, name="run_fake", epochs=6, paper=1.12):
    config = {"name": name, "epochs": epochs}
    if paper is not None:
        config["paper_test_error_percent"] = paper
    data = {"config": config,
            "runs": [{"run": i, "seed": i, "history": history(epochs, i), "final": {}}
                     for i in range(runs)]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return data


def assert_png(path, size=(960, 600)):
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == size
        pixels = np.asarray(image.convert("RGB")).astype(int)
    assert pixels.std() > 10 and len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50


def test_script_writes_png_beside_the_results(tmp_path):
    path = tmp_path / "results" / "run_fake" / "results.json"
    write_results(path, runs=1)
    result = run_script("plot.py", str(path))
    assert result.returncode == 0, result.stderr[-3000:]
    out = tmp_path / "results" / "run_fake" / "accuracy.png"
    assert result.stdout.strip() == f"wrote {out}"
    assert_png(out)


def lines_by_label(figure):
    (axes,) = figure.axes
    return {line.get_label(): line for line in axes.get_lines()}, axes


def test_three_runs_mean_band_and_paper_line(tmp_path):
    data = write_results(tmp_path / "results.json", runs=3)
    # A run still in progress: only its first 4 epochs count.
    for key, values in data["runs"][2]["history"].items():
        del values[4:]
    (tmp_path / "results.json").write_text(json.dumps(data))
    figure = viz.draw_training_curves([viz.load_results(str(tmp_path / "results.json"))])
    lines, axes = lines_by_label(figure)
    test = lines["validation (deterministic), mean \u00b1 std of 3 runs"]
    runs = [run["history"]["val_accuracy"] for run in data["runs"]]
    expected = [np.mean([r[e] for r in runs if len(r) > e]) for e in range(6)]
    np.testing.assert_allclose(test.get_ydata(), expected)
    np.testing.assert_array_equal(test.get_xdata(), [1, 2, 3, 4, 5, 6])
    assert "train (sampled), mean \u00b1 std of 3 runs" in lines
    np.testing.assert_allclose(lines["paper: 98.88% (1.12% error)"].get_ydata(), [0.9888] * 2)
    assert len(axes.collections) == 2  # the +-std bands of test and train
    band = axes.collections[0].get_paths()[0].vertices
    at_first_epoch = band[np.isclose(band[:, 0], 1.0), 1]
    std = np.std([r[0] for r in runs])
    np.testing.assert_allclose([at_first_epoch.min(), at_first_epoch.max()],
                               [expected[0] - std, expected[0] + std])
    epochs, mean, spread, count = viz.mean_and_std_per_epoch(data, "val_accuracy")
    assert count == 3 and spread[0] == pytest.approx(std)
    assert spread[5] == pytest.approx(np.std([runs[0][5], runs[1][5]]))
    assert axes.get_xlabel() == "epoch" and axes.get_ylabel() == "accuracy"
    assert axes.get_title() == "run_fake: accuracy per epoch"
    out = tmp_path / "three.png"
    assert plot.main([str(tmp_path / "results.json"), "--out", str(out)]) == str(out)
    assert_png(out)


def test_several_files_and_other_metrics(tmp_path):
    one, three = tmp_path / "a" / "results.json", tmp_path / "b" / "results.json"
    write_results(one, runs=1, name="run_mnist")
    write_results(three, runs=3, name="run_translated", paper=None)
    figure = viz.draw_training_curves([viz.load_results(str(p)) for p in (one, three)])
    lines, axes = lines_by_label(figure)
    assert {"run_mnist: validation (deterministic)", "run_mnist: train (sampled)",
            "run_translated: validation (deterministic), mean \u00b1 std of 3 runs",
            "paper: 98.88% (1.12% error)"} <= set(lines)
    assert not any("run_translated: paper" in label for label in lines)
    # Files with different paper figures get a line each, named after the file.
    write_results(three, runs=3, name="run_translated", paper=1.2)
    figure = viz.draw_training_curves([viz.load_results(str(p)) for p in (one, three)])
    lines, _ = lines_by_label(figure)
    assert {"run_mnist: paper: 98.88% (1.12% error)",
            "run_translated: paper: 98.80% (1.2% error)"} <= set(lines)
    # The same figure in two files: one line.
    figure = viz.draw_training_curves([viz.load_results(str(one))] * 2,
                                      paths=[str(one), str(three)])
    assert sum("paper" in label for label in lines_by_label(figure)[0]) == 1
    write_results(three, runs=3, name="run_translated", paper=None)
    assert axes.get_title() == "run_mnist, run_translated: accuracy per epoch"
    out = tmp_path / "reinforce.png"
    plot.main([str(one), str(three), "--metric", "reinforce_loss", "--out", str(out)])
    assert_png(out)
    plot.main([str(three), "--metric", "val_loss"])
    assert_png(tmp_path / "b" / "val_loss.png")
    figure = viz.draw_training_curves([viz.load_results(str(three))], metric="val_loss")
    assert list(lines_by_label(figure)[0]) == [
        "validation (deterministic), mean \u00b1 std of 3 runs"]
    # The same config twice: the legend tells the files apart.
    figure = viz.draw_training_curves([viz.load_results(str(one))] * 2,
                                      paths=[str(one), str(three)])
    assert f"run_mnist ({three}): validation (deterministic)" in lines_by_label(figure)[0]


def test_validation_errors_of_the_three_metrics_against_paths_seen(tmp_path):
    data = write_results(tmp_path / "a" / "results.json", runs=2, name="run_tfram")
    for i, run in enumerate(data["runs"]):
        history = run["history"]
        history["paths_seen"] = [320_000 * e for e in history["epoch"]]
        history["val_accuracy_single_path"] = [0.9 - 0.01 * i] * 6
        history["val_accuracy_monte_carlo"] = [0.95] * 6
    (tmp_path / "a" / "results.json").write_text(json.dumps(data))
    ours = tmp_path / "b" / "results.json"
    write_results(ours, runs=1, name="run_ours", paper=None)
    results = [viz.load_results(str(p)) for p in (tmp_path / "a" / "results.json", ours)]
    figure = viz.draw_validation_errors(results[:1], x="paths")
    lines, axes = lines_by_label(figure)
    single = lines["run_tfram: single path, mean of 2 runs"]
    np.testing.assert_allclose(single.get_xdata(), [0.32 * e for e in range(1, 7)])
    np.testing.assert_allclose(single.get_ydata(), [100 * (1 - 0.895)] * 6)
    deterministic = lines["run_tfram: deterministic, mean of 2 runs"]
    expected = [100 * (1 - np.mean([r["history"]["val_accuracy"][e] for r in data["runs"]]))
                for e in range(6)]
    np.testing.assert_allclose(deterministic.get_ydata(), expected)
    np.testing.assert_allclose(lines["paper: 1.12% (test)"].get_ydata(), [1.12] * 2)
    assert axes.get_yscale() == "log" and "millions" in axes.get_xlabel()
    # Against training hours: the mean wall time of the runs (10 s per epoch).
    lines, _ = lines_by_label(viz.draw_validation_errors(results, x="time"))
    np.testing.assert_allclose(lines["run_ours: deterministic"].get_xdata(),
                               [10 * e / 3600 for e in range(1, 7)])
    assert "run_ours: single path" not in lines  # not recorded in that run
    with pytest.raises(viz.ResultsFileError, match="paths_seen"):
        viz.draw_validation_errors(results, x="paths", paths=["a", str(ours)])
    out = plot.main([str(tmp_path / "a" / "results.json"), "--metric", "error", "--x", "paths"])
    assert out == str(tmp_path / "a" / "error_by_paths.png")
    assert_png(out)
    expect_error([str(ours), "--x", "paths"], "--x is for --metric error")
    expect_error([str(ours), str(tmp_path / "a" / "results.json"), "--metric", "error",
                  "--x", "paths"], "paths_seen", str(ours))


def test_catch_results_of_version_0_1_plot_reward_with_reference_lines(tmp_path):
    """0.1 wrote one Catch run's history at the top level, evaluated on the test games."""
    epochs = 5
    catch_history = {"epoch": list(range(1, epochs + 1)),
                     "episodes": [12800 * e for e in range(1, epochs + 1)],
                     "train_reward": [0.1, 0.3, 0.5, 0.7, 0.8],
                     "test_reward": [0.2, 0.4, 0.6, 0.9, 0.97],
                     "train_loss": [1.0, 0.8, 0.6, 0.4, 0.3],
                     "test_loss": [0.9, 0.7, 0.5, 0.3, 0.2]}
    path = tmp_path / "run_catch" / "results.json"
    path.parent.mkdir()
    path.write_text(json.dumps({
        "config": {"name": "run_catch", "target_reward": 0.95, "seed_reported_reward": 0.89},
        "reference": {"random_agent_test_reward": 0.067},
        "history": catch_history, "final": {}}))
    results = viz.load_results(str(path))
    assert results["runs"] == [{"history": catch_history}]
    assert viz.default_metric([results]) == "reward"
    assert plot.main([str(path)]) == str(tmp_path / "run_catch" / "reward.png")
    assert_png(tmp_path / "run_catch" / "reward.png")
    lines, axes = lines_by_label(viz.draw_training_curves([results], metric="reward"))
    np.testing.assert_allclose(lines["test (deterministic)"].get_ydata(),
                               catch_history["test_reward"])
    np.testing.assert_allclose(lines["target: 95% caught"].get_ydata(), [0.95] * 2)
    np.testing.assert_allclose(lines["seed port reports 89%"].get_ydata(), [0.89] * 2)
    np.testing.assert_allclose(lines["random agent: 6.7%"].get_ydata(), [0.067] * 2)
    assert axes.get_title() == "run_catch: reward per epoch"
    # Two files with the same references: each line is drawn once.
    lines, _ = lines_by_label(viz.draw_training_curves([results, results], metric="reward",
                                                       labels=["a", "b"]))
    assert sorted(lines) == sorted(["a: test (deterministic)", "a: train (sampled)",
                                    "b: test (deterministic)", "b: train (sampled)",
                                    "target: 95% caught", "seed port reports 89%",
                                    "random agent: 6.7%"])
    # A classifier's results keep accuracy as the default.
    write_results(tmp_path / "mnist.json", runs=1)
    assert viz.default_metric([viz.load_results(str(tmp_path / "mnist.json"))]) == "accuracy"


def test_results_of_the_runner_plot_reward_for_catch(tmp_path):
    path = tmp_path / "results.json"
    path.write_text(json.dumps({
        "task": "catch", "config": {"name": "run_catch", "target_reward": 0.95},
        "reference": {"random_agent_test_reward": 0.067},
        "runs": [{"run": 0, "history": {"epoch": [1, 2], "train_reward": [0.1, 0.2],
                                        "val_reward": [0.2, 0.4]}}]}))
    results = viz.load_results(str(path))
    assert viz.default_metric([results]) == "reward"
    lines, _ = lines_by_label(viz.draw_training_curves([results], metric="reward"))
    assert set(lines) == {"validation (deterministic)", "train (sampled)",
                          "target: 95% caught", "random agent: 6.7%"}


def expect_error(argv, *words):
    with pytest.raises(SystemExit) as exit_info:
        plot.main(argv)
    message = str(exit_info.value.code)
    assert message.startswith("error: ") and "\n" not in message
    for word in words:
        assert word in message
    return message


def test_errors_are_one_line(tmp_path):
    good = tmp_path / "good" / "results.json"
    write_results(good, runs=1)
    expect_error([str(tmp_path / "missing.json")], "missing.json", "no such file")
    (tmp_path / "text.json").write_text("not json {")
    expect_error([str(tmp_path / "text.json")], "is not JSON")
    shapes = {
        "list.json": [1, 2],
        "empty.json": {"runs": []},
        "nohistory.json": {"runs": [{"run": 0}]},
        "short.json": {"runs": [{"history": {"epoch": [1, 2], "test_accuracy": [0.5]}}]},
        "words.json": {"runs": [{"history": {"epoch": [1], "test_accuracy": ["high"]}}]},
        "catch_words.json": {"history": {"epoch": [1], "test_reward": ["high"]}},
        "catch_list.json": {"history": [0.5, 0.6]},
    }
    for name, content in shapes.items():
        (tmp_path / name).write_text(json.dumps(content))
        expect_error([str(good), str(tmp_path / name)], name, "not a results.json")
    expect_error([str(good), "--metric", "happiness"], "unknown metric 'happiness'",
                 "accuracy", "reinforce_loss")
    expect_error([str(good), "--out", str(tmp_path / "plot.pdf")], ".png")
    (tmp_path / "blocker").write_text("a file where a folder should be")
    expect_error([str(good), "--out", str(tmp_path / "blocker" / "x.png")], "cannot write")
    assert not (tmp_path / "good" / "accuracy.png").exists()
