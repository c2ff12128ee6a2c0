"""What a change to a config costs per training step, measured in pairs: one model per variant
in one process, timed in alternating rounds, so that this machine's drift falls on all alike.

    python benchmarks/paired.py [--config run_mnist] --variant NAME='{"setting": value}' ...
        [--steps 230] [--rounds 6] [--json FILE]

The first variant is the reference; `plain={}` is the config as it is. A
variant's JSON holds config settings (a `model` entry is merged into the
model's), as `benchmarks/recipes.py` takes them; for example
`--variant plain={} --variant averaged='{"weight_averaging": 0.999}'`. Each
variant gets its own compiled model as the runner makes it (the config's steps
per call of the compiled function), warmed up (XLA compilation included);
then round after round each trains `--steps` steps with `model.fit` (rounded
up to whole calls), timed by `common.timed_fit`. The report: ms per step of
every round, the median per variant, and the median of the per-round speed-ups
over the reference. Run it alone: on 2 cores anything else running skews it.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (alternating_rounds, machine, named_changes, paired_report,  # noqa: E402
                    training_setup, write_json)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="run_mnist")
    parser.add_argument("--variant", type=named_changes, action="append", required=True,
                        help="NAME=JSON settings; two or more, the first is the reference")
    parser.add_argument("--steps", type=int, default=230, help="timed steps per round")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    variants = dict(args.variant)
    if len(variants) < 2:
        parser.error("give two or more variants with different names")

    from ram_keras.tasks import load_config

    models = {}
    for name, changes in variants.items():
        per_call = int(changes.get("steps_per_execution",
                                   load_config(args.config).get("steps_per_execution", 1)))
        config, model, dataset = training_setup(args.config, changes=changes,
                                                steps_per_execution=per_call)
        steps = -(-args.steps // per_call) * per_call
        model.fit(dataset, steps_per_epoch=-(-50 // per_call) * per_call, epochs=1, verbose=0)
        models[name] = (model, dataset, steps)

    report = {"config": config["name"], "batch_size": config["batch_size"],
              "rounds": args.rounds, "variants": variants,
              "timed_steps_per_round": {name: models[name][2] for name in models},
              **paired_report(alternating_rounds(models, args.rounds)), **machine()}
    reference = next(iter(variants))
    speedups = report[f"median_speedup_over_{reference}"]
    print(f"{config['name']}, batch {config['batch_size']}: median ms/step " + ", ".join(
        f"{name} {report['median_ms_per_step'][name]}" for name in models)
        + f"; median speed-up over {reference}: " + ", ".join(
        f"{name}: {speedups[name]}x" for name in speedups))
    write_json(args.json, report)
    return report


if __name__ == "__main__":
    main()
