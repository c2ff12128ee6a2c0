"""Evaluate a trained RAM on its config's test set.

    python evaluate.py run_mnist models/run_mnist/run0.weights.h5 [--mc-samples M] [--json]

Prints the test accuracy with the deterministic policy (mean locations) and
averaged over M sampled glimpse paths (Monte-Carlo).
"""

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config", help="config name, e.g. run_mnist (a module in configs/)")
    parser.add_argument("model", help="model file written by training (*.weights.h5 or .keras)")
    parser.add_argument("--mc-samples", type=int, default=None,
                        help="glimpse paths per image for the Monte-Carlo accuracy "
                             "(default: the config's mc_samples; 0 skips it)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    import ram_keras
    from ram_keras.experiment import ConfigError, evaluate_accuracy, load_config, load_task_data
    from ram_keras.saving import ModelFileError

    try:
        config = load_config(args.config)
        model = ram_keras.load_model(args.model)
    except (ConfigError, ModelFileError) as error:
        sys.exit(f"error: {error}")
    mc_samples = config["mc_samples"] if args.mc_samples is None else args.mc_samples
    if mc_samples < 0:
        sys.exit(f"error: --mc-samples must be >= 0, got {mc_samples}")
    _, (x_test, y_test) = load_task_data(config)
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
    if args.json:
        print(json.dumps(report))
    else:
        print(f"{config['name']}: {len(y_test)} test images")
        print(f"  deterministic policy: accuracy {deterministic:.4f}, "
              f"error {100 * (1 - deterministic):.2f}%")
        if monte_carlo is not None:
            print(f"  Monte-Carlo ({mc_samples} paths): accuracy {monte_carlo:.4f}, "
                  f"error {100 * (1 - monte_carlo):.2f}%")
    return report


if __name__ == "__main__":
    main()
