"""The recipe study: candidate training recipes for the same compute, judged on validation.

    python benchmarks/recipes.py [--config run_translated_mnist] [--budget-minutes 10]
        [--candidates baseline,paths8_loo,...] [--extra NAME='{"model": {...}}']
        [--out results/recipes/run_translated_mnist]

Every candidate is the config with a few settings changed (`CANDIDATES`; more
with `--extra NAME=JSON`, for combinations). The study:

1. **Calibration.** Each candidate's training step (`model.fit` on the real
   pipeline, XLA as configured) is timed after compilation, twice, interleaved
   with the others, in one process; the faster of the two is its cost per step.
2. **Training.** Each candidate then trains, in a fresh process, for
   `budget / cost` steps: the same wall-clock budget at the calibrated speed,
   so that what else the machine does while it trains (this machine's speed
   varies 2x) changes its wall time but not its share of compute. Its
   learning-rate schedule spans those steps. Every 1/20 of them the
   deterministic validation accuracy on 2,000 validation images is recorded.
3. **Judging.** At the end, on all 10,000 validation images: the error with the
   deterministic policy, of single sampled paths and Monte-Carlo (10 paths).
   The test set is never touched.

Writes `<out>/calibration.json`, `<out>/<candidate>.json` (a finished
candidate is not trained again: delete its file to redo it) and
`<out>/study.json` with a markdown table sorted by validation error. Run it
alone; on 2 cores a 10-minute budget for 11 candidates takes about 2.5 hours.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import REPO, machine, named_changes, training_setup, write_json  # noqa: E402

# Hypotheses from the best public port (slundqui/tfRAM) and the literature: each
# changes the committed config in one respect.
CANDIDATES = {
    "baseline": {},
    "paths8_loo": {"batch_size": 16,
                   "model": {"paths_per_input": 8, "baseline": "leave_one_out"}},
    "paths4_loo": {"batch_size": 32,
                   "model": {"paths_per_input": 4, "baseline": "leave_one_out"}},
    "clip5": {"gradient_clip_norm": 5.0},
    "lstm": {"model": {"core_type": "lstm"}},
    "random_first": {"model": {"first_location": "random"}},
    "linear_mean": {"model": {"mean_activation": "linear"}},
    "learned_std": {"model": {"learn_std": True}},
    "staircase": {"learning_rate_schedule": "staircase", "final_learning_rate_fraction": 0.01},
    "reinforce_to_core": {"model": {"reinforce_to_core": True}},
    "batch512": {"batch_size": 512, "learning_rate": 2e-3},
}
CURVE_POINTS = 20
CURVE_IMAGES = 2000


def apply_changes(config, changes):
    """The config with a candidate's changes (its `model` entries merged into the model)."""
    changed = dict(config, **{k: v for k, v in changes.items() if k != "model"})
    changed["model"] = dict(config["model"], **changes.get("model", {}))
    return changed


def calibrate(config_name, candidates, steps, repeats=2):
    """Seconds per training step of each candidate: the fastest of `repeats` interleaved timings."""
    import keras

    costs = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, changes in candidates.items():
            config, model, dataset = training_setup(config_name, changes=changes)
            model.fit(dataset, steps_per_epoch=10, epochs=1, verbose=0)  # compile, warm up
            start = time.perf_counter()
            model.fit(dataset, steps_per_epoch=steps, epochs=1, verbose=0)
            costs[name].append((time.perf_counter() - start) / steps)
            print(f"calibration {name:20s} {1000 * costs[name][-1]:7.2f} ms/step", flush=True)
            keras.backend.clear_session()
    return {name: min(times) for name, times in costs.items()}


def train_candidate(config_name, name, changes, total_steps, out):
    """Trains one candidate for `total_steps` steps; writes and returns its report."""
    from ram_keras.tasks.classification import error_report, evaluate_classifier
    from ram_keras.training.history import EpochRecorder

    import tensorflow as tf

    evaluate_every = max(1, total_steps // CURVE_POINTS)
    total_steps = evaluate_every * CURVE_POINTS
    config, model, dataset, data = training_setup(config_name, changes=changes,
                                                  total_steps=total_steps, with_data=True)
    curve_data = tf.data.Dataset.from_tensor_slices(
        (data.x_validation[:CURVE_IMAGES][..., None] / 255.0,
         data.y_validation[:CURVE_IMAGES])).batch(1000)
    recorder = EpochRecorder(lambda: None)
    model.fit(dataset, steps_per_epoch=evaluate_every, epochs=CURVE_POINTS,
              validation_data=curve_data, callbacks=[recorder], verbose=0)
    train_time = recorder.wall_time()
    final = error_report(evaluate_classifier(model, data.x_validation, data.y_validation,
                                             config["evaluation_paths"]), "validation")
    report = {
        "candidate": name, "changes": changes, "config": config["name"],
        "steps": total_steps, "paths_per_step": config["batch_size"]
        * config["model"].get("paths_per_input", 1),
        "train_wall_time_s": round(train_time, 1), "history": recorder.history,
        "final": final, **machine(),
    }
    write_json(os.path.join(out, f"{name}.json"), report)
    return report


def table(reports, budget_minutes):
    lines = [f"| candidate | changes | steps x paths per step | validation error: deterministic "
             f"| single path | Monte-Carlo (10) | wall time ({budget_minutes:g} min budget) |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in sorted(reports, key=lambda r: r["final"]["validation_error_percent"]):
        final = r["final"]
        lines.append(
            f"| {r['candidate']} | `{json.dumps(r['changes'])}` | {r['steps']:,} x "
            f"{r['paths_per_step']} | {final['validation_error_percent']:.2f}% | "
            f"{final['validation_error_percent_single_path']:.2f}% | "
            f"{final['validation_error_percent_monte_carlo']:.2f}% | "
            f"{r['train_wall_time_s']:,.0f} s |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="run_translated_mnist")
    parser.add_argument("--budget-minutes", type=float, default=10.0)
    parser.add_argument("--candidates", default=",".join(CANDIDATES),
                        help="comma-separated names of CANDIDATES (default: all)")
    parser.add_argument("--extra", type=named_changes, action="append", default=[],
                        help="another candidate, NAME=JSON of its changes (repeatable)")
    parser.add_argument("--calibration-steps", type=int, default=60)
    parser.add_argument("--out", default=None,
                        help="folder of the results (default results/recipes/<config>)")
    parser.add_argument("--train-one", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    out = args.out or os.path.join(REPO, "results", "recipes", args.config)
    candidates = {name: CANDIDATES[name] for name in args.candidates.split(",") if name}
    candidates.update(dict(args.extra))
    if args.train_one:  # the child process of one candidate
        train_candidate(args.config, args.train_one, candidates[args.train_one], args.steps, out)
        return None

    calibration_path = os.path.join(out, "calibration.json")
    calibration = {}
    if os.path.exists(calibration_path):
        with open(calibration_path) as f:
            calibration = json.load(f)["seconds_per_step"]
    missing = {n: c for n, c in candidates.items() if n not in calibration}
    if missing:
        calibration.update(calibrate(args.config, missing, args.calibration_steps))
        write_json(calibration_path, {"seconds_per_step": calibration,
                                      "calibration_steps": args.calibration_steps, **machine()})
    reports = []
    for name, changes in candidates.items():
        path = os.path.join(out, f"{name}.json")
        if not os.path.exists(path):
            steps = math.floor(args.budget_minutes * 60 / calibration[name])
            print(f"training {name}: {steps:,} steps ({args.budget_minutes:g} min at "
                  f"{1000 * calibration[name]:.1f} ms/step)", flush=True)
            extra = [f"--extra={n}={json.dumps(c)}" for n, c in args.extra]
            subprocess.run([sys.executable, os.path.abspath(__file__), "--config", args.config,
                            "--candidates", ",".join(n for n in candidates if n in CANDIDATES),
                            *extra, "--out", out, "--train-one", name, "--steps", str(steps)],
                           check=True)
        with open(path) as f:
            reports.append(json.load(f))
        final = reports[-1]["final"]
        print(f"{name:20s} validation error {final['validation_error_percent']:.2f}% "
              f"deterministic, {final['validation_error_percent_single_path']:.2f}% single "
              f"path, {final['validation_error_percent_monte_carlo']:.2f}% Monte-Carlo",
              flush=True)
    text = table(reports, args.budget_minutes)
    print(text)
    write_json(os.path.join(out, "study.json"), {
        "config": args.config, "budget_minutes": args.budget_minutes, "table": text,
        "candidates": {r["candidate"]: {"changes": r["changes"], "final": r["final"],
                                        "steps": r["steps"]} for r in reports}})
    return reports


if __name__ == "__main__":
    main()
