"""Wall time to an error: train a config from scratch and say when its validation error
(deterministic policy) first reached a figure, by default the paper's.

    python benchmarks/time_to_accuracy.py [--config run_mnist_fast] [--target-error 1.12]
        [--out results/time_to_accuracy/run_mnist_fast] [--json FILE] [-- CONFIG FLAGS ...]

Runs the config as `python configs/<config>.py --out <out> [config flags]` does
(the runner, in this process), then reads its results.json: the first epoch
whose validation error is at or below the target, with its training wall time
(which includes the per-epoch validation), and the run's final test errors.
Run it alone: on 2 cores anything else running slows it.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import REPO, machine, write_json  # noqa: E402


def report_of(results, target_error):
    """The time-to-error report of a results.json dict (its first run)."""
    run = results["runs"][0]
    history = run["history"]
    reached = None
    for epoch, accuracy, seconds in zip(history["epoch"], history["val_accuracy"],
                                        history["wall_time_s"]):
        if 100 * (1 - accuracy) <= target_error + 1e-9:
            reached = {"epoch": epoch, "wall_time_s": seconds,
                       "validation_error_percent": round(100 * (1 - accuracy), 3)}
            break
    final = run["final"]
    return {
        "config": results["config"]["name"], "target_validation_error_percent": target_error,
        "reached": reached, "epochs": len(history["epoch"]),
        "train_wall_time_s": run["train_wall_time_s"],
        "final": {key: value for key, value in final.items() if "error_percent" in key},
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="run_mnist_fast")
    parser.add_argument("--target-error", type=float, default=None,
                        help="validation error in percent (default: the config's "
                             "paper_test_error_percent)")
    parser.add_argument("--out", default=None)
    parser.add_argument("--json", default=None)
    parser.add_argument("config_flags", nargs="*", help="flags for the config, after --")
    args = parser.parse_args(argv)
    from ram_keras.training.configs import read_config_module
    from ram_keras.training.runner import main as run

    config = read_config_module(args.config)
    target = args.target_error if args.target_error is not None else \
        config["paper_test_error_percent"]
    out = args.out or os.path.join(REPO, "results", "time_to_accuracy", args.config)
    results = run(config, ["--out", out, *args.config_flags])
    report = dict(report_of(results, target), **machine())
    reached = report["reached"]
    when = (f"epoch {reached['epoch']}, {reached['wall_time_s']:,.0f} s" if reached
            else "never")
    print(f"{report['config']}: validation error <= {target}% at {when}; "
          f"final test error {report['final'].get('test_error_percent')}% after "
          f"{report['train_wall_time_s']:,.0f} s")
    write_json(args.json or os.path.join(out, "time_to_accuracy.json"), report)
    return report


if __name__ == "__main__":
    main()
