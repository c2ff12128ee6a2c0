"""Plot training curves from the results.json files of training runs.

    python plot.py results/run_mnist/results.json [more.json ...] [--out FILE.png]
        [--metric NAME] [--x epoch|paths|time]
    python -m ram_keras.plot ...                       (the same, for an installed package)

Writes a PNG (default: <metric>.png beside the first results.json, e.g.
results/run_mnist/accuracy.png): validation and train accuracy per epoch, the
mean of the runs with a +-std band when a file holds several, one colour per
file, and the paper's test accuracy as a dashed line where the config has it.
--metric plots another tracked metric: loss, classification_loss,
reinforce_loss, baseline_loss, reward, or a single curve such as val_accuracy;
`--metric error` draws the validation error (%) of the three metrics
(deterministic; single path and Monte-Carlo where the run recorded them with
`validation_paths`) on a log scale. --x paths or --x time draws it against
the sampled glimpse paths seen in training or the training hours, to compare
recipes that spend an epoch differently (10 paths per image, say).
For Catch (results/run_catch/results.json) the default metric is reward, the
fraction of balls caught, with the target, the seed port's figure and the
random agent as dashed lines.
"""

import argparse
import sys


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python plot.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("results", nargs="+", help="results.json files written by training")
    parser.add_argument("--out", default=None,
                        help="PNG to write (default: <metric>.png beside the first results.json)")
    parser.add_argument("--metric", default=None,
                        help="metric to plot (default: accuracy, or reward for Catch); "
                             "error: the validation error of the three metrics")
    parser.add_argument("--x", default="epoch", choices=("epoch", "paths", "time"),
                        help="x axis of --metric error: epoch, sampled glimpse paths seen, or "
                             "training hours (default: epoch)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from ram_keras.viz import curves
    from ram_keras.viz.figures import save_figure

    out = args.out
    if out is not None and not out.lower().endswith(".png"):
        sys.exit(f"error: --out must name a .png file, got {args.out}")
    try:
        results = [curves.load_results(path) for path in args.results]
        metric = args.metric or curves.default_metric(results)
        if args.x != "epoch" and metric != "error":
            raise ValueError("--x is for --metric error")
        out = out or curves.default_curves_path(
            args.results[0], metric if args.x == "epoch" else f"{metric}_by_{args.x}")
        if metric == "error":
            figure = curves.draw_validation_errors(results, x=args.x, paths=args.results)
        else:
            figure = curves.draw_training_curves(results, metric=metric, paths=args.results)
        save_figure(figure, out)
    except OSError as error:
        sys.exit(f"error: cannot write {out}: {error.strerror or error}")
    except ValueError as error:
        sys.exit(f"error: {error}")
    print(f"wrote {out}")
    return out


def console():
    """The `ram-plot` console script: exit status 0 (errors exit through `sys.exit`)."""
    main()
    return 0


if __name__ == "__main__":
    main()
