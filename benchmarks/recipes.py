"""The recipe study: candidate training recipes for the same compute, judged on validation.

    python benchmarks/recipes.py [--config run_translated_mnist_paper] [--budget-minutes 10]
        [--candidates baseline,paths8_loo,...] [--extra NAME='{"model": {...}}']
        [--seeds 0,1] [--out results/recipes/run_translated_mnist_paper]

Every candidate is the config with a few settings changed (`CANDIDATES`; more
with `--extra NAME=JSON`, for combinations). The default candidates are the
config's `DEFAULT_CANDIDATES` if it has some (for `run_cluttered_mnist_tfram`:
tfRAM's recipe with one of its parts removed at a time, and two additions),
else every one of the first group. The study:

1. **Calibration.** Each candidate's training step (`model.fit` on the real
   pipeline, XLA as configured) is timed after compilation against a reference
   candidate's in alternating rounds (reference, candidate; candidate,
   reference; ...), in one process: its cost per step is the median over
   rounds of its time over the reference's, times the reference's cost. This
   machine switches between two speeds about 2x apart for minutes at a time;
   a ratio timed within seconds cancels it, where absolute timings did not
   (one study's calibration gave the same computation 49 and 86 ms per step).
   The reference is the calibration file's (the first candidate calibrated in
   that folder), so candidates calibrated in later calls get the same scale.
2. **Training.** Each candidate then trains, in a fresh process, for
   `budget / cost` steps: the same wall-clock budget at the calibrated speed,
   so that what else the machine does while it trains (this machine's speed
   varies 2x) changes its wall time but not its share of compute. A cosine
   learning-rate schedule spans those steps as it spans the config's epochs; a
   staircase keeps its pace per update, as in the config's run (tfRAM's
   schedule is defined per update: squeezed into 45 minutes, its recipe spent
   61% of them at the floor rate and ended at 7.70% validation error, where
   the full run stood at 3.10% after as many updates). Every
   1/20 of them the deterministic validation accuracy on 2,000 validation
   images is recorded.
   A config's `final_location_std` phase takes the same share of the steps as
   of its epochs.
3. **Judging.** At the end, on all the validation images: the error with the
   deterministic policy, of single sampled paths and Monte-Carlo (10 paths).
   The test set is never touched.

With `--seeds 0,1` every candidate trains once per seed (its weights, draws
and training stream); the table gives the mean over every seed a candidate has
been trained with so far (so `--seeds 1 --candidates A,B` adds a second seed
to finalists) and each seed's errors. Writes `<out>/calibration.json`, `<out>/<candidate>.json` (seed 0;
`<candidate>_seed<S>.json` for seed S; a finished candidate is not trained
again: delete its file to redo it) and `<out>/study.json` with a markdown table
of every candidate with a report in `<out>` (this call's and earlier calls'),
sorted by validation error. Run it alone; on 2 cores a 10-minute budget for 11
candidates takes about 2.5 hours.
"""

import argparse
import json
import math
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (REPO, alternating_rounds, machine, named_changes,  # noqa: E402
                    training_setup, write_json)

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
    # slundqui/tfRAM's recipe (configs/run_cluttered_mnist_tfram.py) with one of its parts
    # taken away at a time: which of them its lead over ours comes from.
    "tfram": {},
    # As many paths per update as tfram's 32 x 10 (its staircase keeps its pace per update,
    # common.training_setup).
    "one_path_per_image": {"batch_size": 320, "model": {"paths_per_input": 1}},
    "relu_core": {"model": {"core_type": "relu", "identity_init": True}},
    "policy_kept_from_core": {"model": {"reinforce_to_core": False}},
    "reinforce_summed": {"model": {"reinforce_weight": 1.0}},
    "glorot_init": {"model": {"init_std": None}},
    "policy_first_glimpse": {"model": {"first_location": "policy"}},
    "tanh_mean": {"model": {"mean_activation": "tanh"}},
    "clipped_together": {"gradient_clip_norm": 5.0, "model": {"group_clip_norm": None}},
    "cosine_schedule": {"learning_rate_schedule": "cosine", "final_learning_rate_fraction": 0.0},
    # ... and three additions the literature suggests.
    "every_glimpse_loss": {"model": {"classify_every_glimpse": True}},
    "log_probability_reward": {"model": {"reward": "log_probability"}},
    "std_wide_to_narrow": {"model": {"location_std": 0.2}, "final_location_std": 0.05,
                           "final_location_std_epochs": 97},
    # The two changes that each beat the whole recipe at seed 0, together: the finalist.
    "one_path_glorot": {"batch_size": 320, "model": {"paths_per_input": 1, "init_std": None}},
}
FIRST_GROUP = list(CANDIDATES)[:list(CANDIDATES).index("tfram")]
DEFAULT_CANDIDATES = {
    "run_cluttered_mnist_tfram": list(CANDIDATES)[list(CANDIDATES).index("tfram"):],
}
CURVE_POINTS = 20
CURVE_IMAGES = 2000


def calibrate(config_name, candidates, steps, rounds=4, reference=None):
    """Seconds per training step of each of `candidates` (`{name: changes}`), as ratios to
    a reference's.

    `reference` is `(name, changes, seconds_per_step)` of a candidate calibrated
    before, or None: then the first of `candidates` is the reference and its
    cost is the fastest of its timed rounds. Each other candidate is timed in
    `rounds` alternating rounds against the reference (`common.alternating_rounds`:
    `steps` steps each, the steady rate after the first call); its cost is the
    median of its per-round ratios to the reference, times the reference's
    cost. Returns `({name: seconds per step}, {name: ratio to the reference},
    reference name)`.
    """
    import gc
    import statistics

    names = list(candidates)
    if reference is None:
        reference = (names[0], candidates[names[0]], None)
    reference_name, reference_changes, reference_seconds = reference

    def warmed(changes):
        config, model, dataset = training_setup(config_name, changes=changes)
        model.fit(dataset, steps_per_epoch=10, epochs=1, verbose=0)  # compile, warm up
        return model, dataset, steps

    timed = {reference_name: warmed(reference_changes)}
    ratios = {reference_name: 1.0}
    reference_ms = []
    for name in names:
        if name == reference_name:
            continue
        pair = {reference_name: timed[reference_name], name: warmed(candidates[name])}
        ms_per_step = alternating_rounds(pair, rounds)
        reference_ms += ms_per_step[reference_name]
        ratios[name] = statistics.median(
            c / r for c, r in zip(ms_per_step[name], ms_per_step[reference_name]))
        print(f"calibration {name:24s} {ratios[name]:.3f} x {reference_name}", flush=True)
        del pair
        gc.collect()
    if reference_seconds is None:
        if not reference_ms:  # the reference alone
            reference_ms = alternating_rounds({reference_name: timed[reference_name]},
                                              rounds)[reference_name]
        reference_seconds = min(reference_ms) / 1000
    seconds = {name: ratio * reference_seconds for name, ratio in ratios.items()
               if name in candidates}
    return seconds, {name: ratios[name] for name in seconds}, reference_name


def report_path(out, name, seed):
    """Where a candidate's report for one seed lives (seed 0: `<name>.json`, as before seeds)."""
    return os.path.join(out, f"{name}.json" if seed == 0 else f"{name}_seed{seed}.json")


def location_std_callbacks(config):
    """The config's `final_location_std` phase, as the same share of the `CURVE_POINTS`."""
    from ram_keras.training.location_std import FinalLocationStd

    if config.get("final_location_std") is None:
        return []
    share = config["final_location_std_epochs"] / config["epochs"]
    return [FinalLocationStd(config["final_location_std"],
                             first_epoch=round(CURVE_POINTS * (1 - share)))]


def train_candidate(config_name, name, changes, total_steps, out, seed=0):
    """Trains one candidate for `total_steps` steps; writes and returns its report."""
    from ram_keras.tasks.classification import error_report, evaluate_classifier
    from ram_keras.training.history import EpochRecorder

    import keras
    import tensorflow as tf

    evaluate_every = max(1, total_steps // CURVE_POINTS)
    total_steps = evaluate_every * CURVE_POINTS
    config, model, dataset, data = training_setup(config_name, changes=changes,
                                                  total_steps=total_steps, with_data=True,
                                                  seed=seed)
    curve_data = tf.data.Dataset.from_tensor_slices(
        (data.x_validation[:CURVE_IMAGES][..., None] / 255.0,
         data.y_validation[:CURVE_IMAGES])).batch(1000)
    recorder = EpochRecorder(lambda: None)
    model.fit(dataset, steps_per_epoch=evaluate_every, epochs=CURVE_POINTS,
              validation_data=curve_data, callbacks=[recorder, *location_std_callbacks(config)],
              verbose=0)
    train_time = recorder.wall_time()
    final = error_report(evaluate_classifier(model, data.x_validation, data.y_validation,
                                             config["evaluation_paths"]), "validation")
    report = {
        "candidate": name, "changes": changes, "config": config["name"], "seed": seed,
        "steps": total_steps, "paths_per_step": config["batch_size"]
        * config["model"].get("paths_per_input", 1),
        "train_wall_time_s": round(train_time, 1),
        "final_learning_rate": float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)),
        "history": recorder.history,
        "final": final, **machine(),
    }
    write_json(report_path(out, name, seed), report)
    return report


METRICS = ("validation_error_percent", "validation_error_percent_single_path",
           "validation_error_percent_monte_carlo")


def mean_errors(reports):
    """`{candidate: {metric: mean over its seeds}}` of the reports (one per candidate and seed)."""
    by_candidate = {}
    for r in reports:
        by_candidate.setdefault(r["candidate"], []).append(r["final"])
    return {name: {m: sum(f[m] for f in finals) / len(finals) for m in METRICS}
            for name, finals in by_candidate.items()}


def table(reports, budget_minutes):
    """Markdown: one row per candidate, its mean errors over seeds (each seed's in brackets)."""
    means = mean_errors(reports)
    seeded = len(reports) > len(means)
    lines = [f"| candidate | changes | steps x paths per step | validation error: deterministic "
             f"| single path | Monte-Carlo (10) | wall time ({budget_minutes:g} min budget) |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for name in sorted(means, key=lambda n: means[n][METRICS[0]]):
        runs = sorted((r for r in reports if r["candidate"] == name), key=lambda r: r.get("seed", 0))
        cells = []
        for metric in METRICS:
            cell = f"{means[name][metric]:.2f}%"
            if seeded:
                cell += " (" + ", ".join(f"{r['final'][metric]:.2f}" for r in runs) + ")"
            cells.append(cell)
        steps = " / ".join(f"{r['steps']:,}" for r in runs) if seeded else f"{runs[0]['steps']:,}"
        wall = " / ".join(f"{r['train_wall_time_s']:,.0f}" for r in runs)
        lines.append(f"| {name} | `{json.dumps(runs[0]['changes'])}` | {steps} x "
                     f"{runs[0]['paths_per_step']} | {' | '.join(cells)} | {wall} s |")
    if seeded:
        lines.append("")
        lines.append("Errors: the mean over the candidate's seeds, each seed's in brackets "
                     "(seed 0 first); steps and wall times per seed.")
    return "\n".join(lines)


def reports_on_disk(out, name):
    """Every report of candidate `name` in `out`, one per seed it was trained with, by seed."""
    reports = []
    for file in sorted(os.listdir(out)):
        if file == f"{name}.json" or (file.startswith(f"{name}_seed") and file.endswith(".json")
                                      and file[len(name) + 5:-5].isdigit()):
            with open(os.path.join(out, file)) as f:
                reports.append(json.load(f))
    return sorted(reports, key=lambda r: r.get("seed", 0))


def seed_list(text):
    """argparse type: comma-separated ints >= 0, `0,1`."""
    import argparse

    try:
        seeds = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"needs comma-separated ints, got {text!r}") from None
    if not seeds or min(seeds) < 0 or len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"needs distinct ints >= 0, got {text!r}")
    return seeds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="run_translated_mnist_paper")
    parser.add_argument("--budget-minutes", type=float, default=10.0)
    parser.add_argument("--candidates", default=None,
                        help="comma-separated names of CANDIDATES (default: the config's "
                             "DEFAULT_CANDIDATES, else the first group)")
    parser.add_argument("--extra", type=named_changes, action="append", default=[],
                        help="another candidate, NAME=JSON of its changes (repeatable)")
    parser.add_argument("--seeds", type=seed_list, default=[0],
                        help="comma-separated seeds; each candidate trains once per seed "
                             "(default 0)")
    parser.add_argument("--calibration-steps", type=int, default=60)
    parser.add_argument("--out", default=None,
                        help="folder of the results (default results/recipes/<config>)")
    parser.add_argument("--train-one", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    out = args.out or os.path.join(REPO, "results", "recipes", args.config)
    names = (args.candidates.split(",") if args.candidates is not None
             else DEFAULT_CANDIDATES.get(args.config, FIRST_GROUP))
    unknown = [name for name in names if name and name not in CANDIDATES]
    if unknown:
        parser.error(f"unknown candidates {unknown}; known: {', '.join(CANDIDATES)} "
                     "(or give one with --extra NAME=JSON)")
    candidates = {name: CANDIDATES[name] for name in names if name}
    candidates.update(dict(args.extra))
    if args.train_one:  # the child process of one candidate and seed
        train_candidate(args.config, args.train_one, candidates[args.train_one], args.steps, out,
                        seed=args.seeds[0])
        return None

    calibration_path = os.path.join(out, "calibration.json")
    stored = {"seconds_per_step": {}}
    if os.path.exists(calibration_path):
        with open(calibration_path) as f:
            stored = json.load(f)
    calibration = stored["seconds_per_step"]
    missing = {n: c for n, c in candidates.items() if n not in calibration}
    if missing:
        # The folder's reference; a file from before references were kept: the first
        # calibrated candidate of this call (its recorded cost sets the scale).
        reference_name = stored.get("reference") or next(
            (n for n in candidates if n in calibration), None)
        reference = None
        if reference_name is not None:
            known = {**CANDIDATES, **candidates}
            if reference_name not in known:
                parser.error(f"{calibration_path} is calibrated against {reference_name!r}, "
                             "which is not a known candidate: give it with --extra")
            reference = (reference_name, known[reference_name], calibration[reference_name])
        seconds, ratios, reference_name = calibrate(args.config, missing,
                                                    args.calibration_steps, reference=reference)
        calibration.update(seconds)
        write_json(calibration_path, {
            **stored, "reference": reference_name, "seconds_per_step": calibration,
            "ratio_to_reference": {**stored.get("ratio_to_reference", {}), **ratios},
            "calibration_steps": args.calibration_steps, **machine()})
    for seed in args.seeds:  # every candidate once before any of them a second time
        for name, changes in candidates.items():
            path = report_path(out, name, seed)
            if not os.path.exists(path):
                steps = math.floor(args.budget_minutes * 60 / calibration[name])
                print(f"training {name}, seed {seed}: {steps:,} steps ({args.budget_minutes:g} "
                      f"min at {1000 * calibration[name]:.1f} ms/step)", flush=True)
                extra = [f"--extra={n}={json.dumps(c)}" for n, c in args.extra]
                subprocess.run([sys.executable, os.path.abspath(__file__), "--config",
                                args.config, "--candidates",
                                ",".join(n for n in candidates if n in CANDIDATES), *extra,
                                "--out", out, "--train-one", name, "--steps", str(steps),
                                "--seeds", str(seed)], check=True)
            with open(path) as f:
                final = json.load(f)["final"]
            print(f"{name:20s} seed {seed}: validation error "
                  f"{final['validation_error_percent']:.2f}% deterministic, "
                  f"{final['validation_error_percent_single_path']:.2f}% single path, "
                  f"{final['validation_error_percent_monte_carlo']:.2f}% Monte-Carlo", flush=True)
    # The table: every candidate with a report in the folder, every seed trained so far
    # (earlier calls' too), this call's candidates first.
    known = {**candidates, **{n: c for n, c in CANDIDATES.items() if n not in candidates}}
    reports = [r for name in known for r in reports_on_disk(out, name)]
    candidates = {name: known[name] for name in dict.fromkeys(r["candidate"] for r in reports)}
    text = table(reports, args.budget_minutes)
    print(text)
    means = mean_errors(reports)
    write_json(os.path.join(out, "study.json"), {
        "config": args.config, "budget_minutes": args.budget_minutes, "seeds": args.seeds,
        "table": text,
        "candidates": {name: {"changes": candidates[name], "mean": means[name],
                              "runs": [{"seed": r.get("seed", 0), "final": r["final"],
                                        "steps": r["steps"]}
                                       for r in reports if r["candidate"] == name]}
                       for name in candidates}})
    return reports


if __name__ == "__main__":
    main()
