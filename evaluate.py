"""Evaluate a trained RAM on its config's test set and draw what it looked at.

    python evaluate.py run_mnist models/run_mnist/run0.weights.h5 [--mc-samples M] [--json]
        [--samples N] [--out DIR] [--stochastic]

Prints the test accuracy with the deterministic policy (mean locations) and
averaged over M sampled glimpse paths (Monte-Carlo). Then draws the first N
test images (default 8) into results/<config>/glimpses/ (or DIR): per image a
PNG with the gaze track and the patches of every glimpse, and a GIF with one
frame per glimpse; and overview.png, all N with their tracks. The pictures use
the deterministic policy unless --stochastic is given.

    python evaluate.py run_catch models/run_catch/run0.weights.h5 [--episodes N] [--json]
        [--movies K] [--out DIR] [--seed S]

For a Catch config the greedy agent plays N fresh games (default 1000) and
the fraction of balls caught is printed; K games are drawn as GIF movies and
gaze-track pictures (see ram_keras/catch_evaluation.py).
"""

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO_ROOT = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, REPO_ROOT)

from ram_keras import cli  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config", help="config name, e.g. run_mnist (a module in configs/), "
                                       "or the path of a config module (*.py)")
    parser.add_argument("model", help="model file written by training (*.weights.h5 or .keras)")
    parser.add_argument("--mc-samples", type=int, default=None,
                        help="glimpse paths per image for the Monte-Carlo accuracy "
                             "(default: the config's mc_samples; 0 skips it)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    parser.add_argument("--samples", type=cli.non_negative_int, default=8,
                        help="test images to draw glimpse pictures of (default %(default)s; "
                             "0 draws none)")
    parser.add_argument("--out", default=None,
                        help="folder of the glimpse pictures "
                             "(default: results/<config>/glimpses/ in the repo)")
    parser.add_argument("--stochastic", action="store_true",
                        help="draw sampled glimpse paths instead of the deterministic policy's")
    return parser.parse_args(argv)


def glimpse_folder(config_name, out=None):
    """Where the glimpse pictures go: `out`, else results/<config>/glimpses/."""
    return out if out is not None else os.path.join(REPO_ROOT, "results", config_name, "glimpses")


# Flags of either evaluate command that take a value (skipped when finding the config).
FLAGS_WITH_VALUES = ("--mc-samples", "--samples", "--out", "--episodes", "--seed", "--movies")


def is_catch_command(argv):
    """True if the command's config (its first positional argument) is a Catch config."""
    from ram_keras.experiment import ConfigError, load_config

    positionals, skip_value = [], False
    for arg in argv:
        if skip_value:
            skip_value = False
        elif arg.startswith("-"):
            skip_value = arg in FLAGS_WITH_VALUES
        else:
            positionals.append(arg)
    if not positionals:
        return False
    try:
        return load_config(positionals[0])["dataset"] == "catch"
    except ConfigError:
        return False  # the classifier path below reports the bad config


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if is_catch_command(argv):
        from ram_keras import catch_evaluation

        return catch_evaluation.main(argv)
    args = parse_args(argv)
    import ram_keras
    from ram_keras import datasets, visualization
    from ram_keras.experiment import (
        ConfigError,
        check_model_fits_config,
        evaluate_accuracy,
        load_config,
        load_task_data,
    )
    from ram_keras.saving import ModelFileError, read_model_file_info

    try:
        config = load_config(args.config)
        model = ram_keras.load_model(args.model)
        metadata = {} if args.model.endswith(".keras") else read_model_file_info(args.model)[1]
        check_model_fits_config(model.get_config(), metadata, config, args.model)
    except (ConfigError, ModelFileError) as error:
        sys.exit(f"error: {error}")
    mc_samples = config["mc_samples"] if args.mc_samples is None else args.mc_samples
    if mc_samples < 0:
        sys.exit(f"error: --mc-samples must be >= 0, got {mc_samples}")
    _, (x_test, y_test) = load_task_data(config)
    test_shape = tuple(datasets.to_float_images(x_test[:1]).shape[1:])
    if test_shape != tuple(model.image_shape):
        sys.exit(f"error: the model takes images of shape {tuple(model.image_shape)} but the "
                 f"test images of {config['name']} have shape {test_shape}")
    deterministic, monte_carlo = evaluate_accuracy(model, x_test, y_test, mc_samples=mc_samples)
    report = {
        "config": config["name"],
        "model": args.model,
        "test_images": int(len(y_test)),
        "test_accuracy": deterministic,
        "test_error_percent": round(100 * (1 - deterministic), 3),
        "test_accuracy_monte_carlo": monte_carlo,
        "mc_samples": mc_samples,
    }
    count = min(args.samples, len(y_test))
    if count:
        folder = glimpse_folder(config["name"], args.out)
        policy = "sampled" if args.stochastic else "deterministic"
        trace = visualization.trace_glimpses(
            model, datasets.to_float_images(x_test[:count]), deterministic=not args.stochastic
        )
        try:
            pictures = visualization.save_glimpse_pictures(
                trace, folder, labels=y_test[:count],
                title=f"{config['name']}: first {count} test images, {policy} glimpses",
            )
        except OSError as error:
            sys.exit(f"error: cannot write the glimpse pictures to {folder}: "
                     f"{error.strerror or error}")
        report["glimpse_pictures"] = dict(pictures, policy=policy)
    if args.json:
        print(json.dumps(report))
    else:
        print(f"{config['name']}: {len(y_test)} test images")
        print(f"  deterministic policy: accuracy {deterministic:.4f}, "
              f"error {100 * (1 - deterministic):.2f}%")
        if monte_carlo is not None:
            print(f"  Monte-Carlo ({mc_samples} paths): accuracy {monte_carlo:.4f}, "
                  f"error {100 * (1 - monte_carlo):.2f}%")
        if count:
            print(f"  glimpse pictures of {count} test images ({policy} glimpses): "
                  f"{report['glimpse_pictures']['folder']} "
                  f"(overview.png, image000.png/.gif, ...)")
    return report


if __name__ == "__main__":
    main()
