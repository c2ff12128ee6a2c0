"""Training curves from results.json files (used by `plot.py`).

`load_results` reads and checks a results.json written by the runner
(`ram_keras.training.runner`); `draw_training_curves` plots one metric per
epoch: the validation curve (deterministic policy), the train curve (sampled
episodes), the mean over runs with a +-std band, and reference lines (the
paper's error, a Catch target and random agent).
"""

import json
import os

import numpy as np
from matplotlib import colormaps
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ram_keras.viz.figures import new_figure


# History prefixes and how their curves are labelled and drawn (solid: deterministic).
SERIES_PREFIXES = ("val_", "test_", "train_")
SERIES_LABELS = {"val_": "validation (deterministic)", "test_": "test (deterministic)",
                 "train_": "train (sampled)"}


class ResultsFileError(ValueError):
    """A results.json that cannot be plotted; the message says which and why."""


def load_results(path):
    """Reads a results.json written by the runner (`ram_keras.training.runner`).

    Checks its shape: a dict whose `runs` is a non-empty list of runs, each
    with a `history` dict of equally long lists (`epoch`, `train_<metric>`,
    `val_<metric>`, ...) of numbers. Files of ram_keras 0.1 are read too: their
    per-epoch evaluation was on the test set (`test_<metric>`), and a Catch
    file held one run's `history` at the top level (returned as one run).

    Raises:
        ResultsFileError: a missing or unreadable file, not JSON, wrong shape.
    """
    try:
        with open(path) as f:
            results = json.load(f)
    except FileNotFoundError:
        raise ResultsFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ResultsFileError(f"{path} is a folder, not a results.json") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ResultsFileError(f"{path} is not JSON ({error})") from None
    except OSError as error:
        raise ResultsFileError(f"cannot read {path}: {error.strerror}") from None

    def bad(why):
        return ResultsFileError(f"{path} is not a results.json of ram_keras: {why}")

    if isinstance(results, dict) and "runs" not in results and "history" in results:
        results = dict(results, runs=[{"history": results["history"]}])
    if not isinstance(results, dict) or not isinstance(results.get("runs"), list):
        raise bad("no list 'runs' (nor a Catch run's 'history')")
    if not results["runs"]:
        raise bad("'runs' is empty")
    for i, run in enumerate(results["runs"]):
        history = run.get("history") if isinstance(run, dict) else None
        if not isinstance(history, dict) or not isinstance(history.get("epoch"), list):
            raise bad(f"run {i} has no 'history' with a list 'epoch'")
        for key, values in history.items():
            if not isinstance(values, list) or len(values) != len(history["epoch"]):
                raise bad(f"run {i} history {key!r} is not a list as long as 'epoch'")
            if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in values):
                raise bad(f"run {i} history {key!r} holds something that is not a number")
    config = results.get("config")
    if config is not None and not isinstance(config, dict):
        raise bad("'config' is not a dict")
    return results


def tracked_metrics(results):
    """Names of the metrics a results dict tracks (without train_/val_/test_)."""
    names = set()
    for run in results["runs"]:
        for key in run["history"]:
            for prefix in SERIES_PREFIXES:
                if key.startswith(prefix):
                    names.add(key[len(prefix):])
    return sorted(names)


def _series_keys(metric):
    if metric.startswith(SERIES_PREFIXES):
        return [metric]
    return [f"{prefix}{metric}" for prefix in SERIES_PREFIXES]


def mean_and_std_per_epoch(results, key):
    """`(epochs, mean, std, runs)` of history `key` over the runs that have it.

    Runs are aligned on their epoch numbers, so a run still in progress
    counts only for the epochs it has finished.
    """
    by_epoch = {}
    runs = 0
    for run in results["runs"]:
        history = run["history"]
        if key not in history or not history[key]:
            continue
        runs += 1
        for epoch, value in zip(history["epoch"], history[key]):
            by_epoch.setdefault(epoch, []).append(value)
    epochs = np.array(sorted(by_epoch), dtype=float)
    mean = np.array([np.mean(by_epoch[e]) for e in sorted(by_epoch)])
    std = np.array([np.std(by_epoch[e]) for e in sorted(by_epoch)])
    return epochs, mean, std, runs


def _name(results, fallback):
    config = results.get("config") or {}
    return str(config.get("name") or fallback)


def _figure_for(results_list, labels, paths):
    """The config names, the legend labels (the names, with the file's path from `paths`
    where names repeat, unless `labels` are given), and a new figure, its axes and colours."""
    names = [_name(r, f"results {i + 1}") for i, r in enumerate(results_list)]
    if labels is None:
        labels = [
            f"{name} ({paths[i]})" if paths is not None and names.count(name) > 1 else name
            for i, name in enumerate(names)
        ]
    figure = new_figure((960, 600))
    axes = figure.add_axes((0.09, 0.11, 0.88, 0.8))
    return names, labels, figure, axes, colormaps["tab10"].colors


def draw_training_curves(results_list, metric="accuracy", labels=None, paths=None):
    """Training curves of one metric per epoch, from one or more results.

    For each results dict (one colour each): the validation curve (solid;
    deterministic policy; `test_` curves of 0.1 files likewise) and the train
    curve (dotted; sampled episodes), each the mean over the runs with a
    shaded +-std band when there are several runs; for accuracy, the paper's
    test accuracy as a dashed line where the config has
    `paper_test_error_percent`; for reward, the Catch reference lines. Axis
    labels, legend, and a title made of the config names.

    Args:
        results_list: dicts from `load_results`.
        metric: a tracked metric (`accuracy`, `loss`, `classification_loss`,
            `reinforce_loss`, `baseline_loss`, `reward`, ...) for its train
            and validation curves, or one curve such as `val_accuracy`.
        labels: one legend label per results (default: the config names,
            with the file's path from `paths` added where names repeat).
        paths: the files the results came from, or None.

    Raises:
        ValueError: when no results track the metric.
    """
    keys = _series_keys(metric)
    if not any(key in run["history"] for results in results_list
               for run in results["runs"] for key in keys):
        known = sorted({m for results in results_list for m in tracked_metrics(results)})
        raise ValueError(f"unknown metric {metric!r}; the results track: {', '.join(known)}")
    names, labels, figure, axes, colours = _figure_for(results_list, labels, paths)
    several = len(results_list) > 1
    accuracy = metric in ("accuracy", "val_accuracy", "test_accuracy")
    points = 0
    for i, results in enumerate(results_list):
        colour = colours[i % len(colours)]
        for key in keys:
            epochs, mean, std, runs = mean_and_std_per_epoch(results, key)
            if not len(epochs):
                continue
            points = max(points, len(epochs))
            prefix = next(p for p in SERIES_PREFIXES if key.startswith(p))
            solid = prefix != "train_"
            kind = SERIES_LABELS[prefix]
            text = f"{labels[i]}: {kind}" if several else kind
            if runs > 1:
                text += f", mean \u00b1 std of {runs} runs"
                axes.fill_between(epochs, mean - std, mean + std, color=colour,
                                  alpha=0.2 if solid else 0.1, linewidth=0)
            axes.plot(epochs, mean, "-" if solid else ":", color=colour,
                      linewidth=2.0 if solid else 1.6, label=text,
                      marker="o" if len(epochs) <= 20 else None, markersize=4)
    papers = {}  # the paper's figure -> index of the first file that has it
    for i, results in enumerate(results_list):
        paper = (results.get("config") or {}).get("paper_test_error_percent")
        if accuracy and _number(paper):
            papers.setdefault(paper, i)
    for paper, i in papers.items():
        # One line per figure; named after its file only when the files' figures differ.
        target = 1.0 - paper / 100.0
        text = f"paper: {target:.2%} ({paper}% error)"
        per_file = len(papers) > 1
        axes.axhline(target, linestyle="--", linewidth=1.5,
                     color=colours[i % len(colours)] if per_file else "black",
                     label=f"{labels[i]}: {text}" if per_file else text)
    if metric in ("reward", "val_reward", "test_reward"):
        # Each reference line once, also when several files share it.
        references = dict.fromkeys(line for results in results_list
                                   for line in _reward_references(results))
        for index, (value, text) in enumerate(references):
            axes.axhline(value, linestyle=("--", "-.", ":")[index % 3], linewidth=1.4,
                         color=("0.1", "0.35", "0.6")[index % 3], label=text)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("epoch", fontsize=14)
    axes.set_ylabel(metric.replace("_", " "), fontsize=14)
    axes.tick_params(labelsize=12)
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=11, loc="best")
    title = ", ".join(dict.fromkeys(names))
    axes.set_title(f"{title}: {metric.replace('_', ' ')} per epoch", fontsize=16)
    return figure


# The validation metrics of a classifier, as `SampledValidation` records them, and their lines.
VALIDATION_ERRORS = (("val_accuracy", "deterministic", "-"),
                     ("val_accuracy_single_path", "single path", "-."),
                     ("val_accuracy_monte_carlo", "Monte-Carlo", "--"))
# The x axes of `draw_validation_errors`: history key, scale and axis label.
X_AXES = {"epoch": ("epoch", 1.0, "epoch"),
          "paths": ("paths_seen", 1e-6, "sampled glimpse paths seen in training (millions)"),
          "time": ("wall_time_s", 1.0 / 3600.0, "training time (hours)")}


def x_values(results, epochs, x, path="results"):
    """The x coordinate of each of `epochs` for the axis `x` (a key of `X_AXES`).

    `paths` reads the history's `paths_seen` and `time` its `wall_time_s`, the
    mean over the runs that have the epoch.

    Raises:
        ResultsFileError: a history without the key (`paths_seen` is recorded
            from ram_keras 0.3 on).
    """
    key, scale, _ = X_AXES[x]
    if key == "epoch":
        return np.asarray(epochs, dtype=float)
    if any(key not in run["history"] for run in results["runs"]):
        raise ResultsFileError(f"{path}: its history has no {key!r}, so it cannot be "
                               f"drawn against {x}")
    known, means, _, _ = mean_and_std_per_epoch(results, key)
    by_epoch = dict(zip(known, means))
    return np.array([by_epoch[e] * scale for e in epochs])


def draw_validation_errors(results_list, x="epoch", labels=None, paths=None):
    """Validation error (%) of the three metrics, per epoch or against `x`.

    One colour per results dict: deterministic (solid), single sampled path
    (dash-dot) and Monte-Carlo (dashed) where the history has them
    (`validation_paths` in the config records the sampled two), the mean over
    runs; the y axis is logarithmic, so that equal ratios of error look equal.
    The paper's error is a dotted line.

    Args:
        results_list: dicts from `load_results`.
        x: `epoch`, `paths` (sampled glimpse paths seen, `paths_seen`) or `time`
            (training hours, `wall_time_s`).
        labels, paths: as for `draw_training_curves`.

    Raises:
        ValueError: no results with a validation accuracy, or an unknown `x`.
        ResultsFileError: a history without what `x` needs.
    """
    if x not in X_AXES:
        raise ValueError(f"unknown x axis {x!r}; choose one of {', '.join(X_AXES)}")
    if not any("val_accuracy" in run["history"] for results in results_list
               for run in results["runs"]):
        raise ValueError("no validation accuracy to draw (val_accuracy)")
    names, labels, figure, axes, colours = _figure_for(results_list, labels, paths)
    for i, results in enumerate(results_list):
        colour = colours[i % len(colours)]
        source = paths[i] if paths is not None else labels[i]
        for key, kind, style in VALIDATION_ERRORS:
            epochs, mean, _, runs = mean_and_std_per_epoch(results, key)
            if not len(epochs):
                continue
            text = f"{labels[i]}: {kind}" + (f", mean of {runs} runs" if runs > 1 else "")
            axes.plot(x_values(results, epochs, x, source), 100.0 * (1.0 - mean), style,
                      color=colour, linewidth=2.0, label=text,
                      marker="o" if len(epochs) <= 20 else None, markersize=4)
    for paper in dict.fromkeys((r.get("config") or {}).get("paper_test_error_percent")
                               for r in results_list):
        if _number(paper):
            axes.axhline(paper, linestyle=":", linewidth=1.5, color="black",
                         label=f"paper: {paper}% (test)")
    axes.set_yscale("log")
    plain = FuncFormatter(lambda value, _: f"{value:g}")  # 6, not 6 x 10^0
    axes.yaxis.set_major_formatter(plain)
    axes.yaxis.set_minor_formatter(plain)
    axes.set_xlabel(X_AXES[x][2], fontsize=14)
    axes.set_ylabel("validation error (%)", fontsize=14)
    axes.tick_params(labelsize=12)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=10, loc="best")
    title = ", ".join(dict.fromkeys(names))
    axes.set_title(f"{title}: validation error", fontsize=16)
    return figure


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _reward_references(results):
    """`(value, label)` lines a Catch results.json offers for its reward plot."""
    config = results.get("config") or {}
    reference = results.get("reference") if isinstance(results.get("reference"), dict) else {}
    lines = []
    if _number(config.get("target_reward")):
        lines.append((config["target_reward"], f"target: {config['target_reward']:.0%} caught"))
    if _number(config.get("seed_reported_reward")):
        lines.append((config["seed_reported_reward"],
                      f"seed port reports {config['seed_reported_reward']:.0%}"))
    if _number(reference.get("random_agent_test_reward")):
        lines.append((reference["random_agent_test_reward"],
                      f"random agent: {reference['random_agent_test_reward']:.1%}"))
    return lines


def default_metric(results_list):
    """`accuracy` for classifiers, `reward` for results that track no accuracy (Catch)."""
    tracked = {m for results in results_list for m in tracked_metrics(results)}
    return "reward" if "accuracy" not in tracked and "reward" in tracked else "accuracy"


def default_curves_path(results_path, metric="accuracy"):
    """`results/run_mnist/results.json` -> `results/run_mnist/<metric>.png`."""
    return os.path.join(os.path.dirname(os.path.abspath(results_path)), f"{metric}.png")
