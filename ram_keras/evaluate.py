"""Evaluate a trained model on its config's test data and draw what it did.

    python evaluate.py CONFIG MODEL [--json] [--samples N] [--out DIR] [--movie gif|mp4]
    python evaluate.py CONFIG MODEL --image FILE [FILE ...] [--json] [--out DIR]
    python -m ram_keras.evaluate CONFIG MODEL ...        (the same, for an installed package)

Classification configs (run_mnist, run_translated_mnist, ...): prints the
test error with the deterministic policy (mean locations), of single sampled
glimpse paths and Monte-Carlo (the probabilities of `--paths` sampled paths
averaged), on the test set (or `--split validation`). Then draws the first N
images (default 8) into results/<config>/glimpses/ (or DIR): per image a PNG
with the gaze track and the patches of every glimpse and a movie with one
frame per glimpse, and overview.png with all N; `--stochastic` draws sampled
paths instead of the deterministic policy's. A model trained on your own
images (run_folder) is evaluated on the images it was trained with: the
model file keeps where they are (`--data` / `--test-data` point elsewhere);
with no test images the default split is the held-out validation images.

MODEL may also be a training checkpoint, `checkpoints/<config>/run<K>/epoch<E>.weights.h5`
(a run in progress or interrupted): the model is built from the settings of the checkpoint's
`state.json`, so a long run can be tested at any epoch without stopping it.

`--image FILE ...` (classification configs): each file is read as the
training images were (converted to the model's channels, resized to its
image size), and its predicted class (by name), the probability and a PNG of
the glimpses on it (into results/<config>/images/ or DIR) are printed.

`--clutter-style STYLE` (cluttered configs): the same test digits, places and
pieces of clutter, combined in another published task's way (max: ours;
add_clip: DeepMind's generator; blend: tfRAM's; pasted_box: bentrevett's), so
any model can be compared with a port on the port's own task.

Catch configs (run_catch): the greedy agent plays `--episodes` fresh games of
the config's test stream (or `--seed`), the fraction caught is printed beside
what random actions catch, and N games (default 4) are drawn into
results/<config>/games/: movies, gaze tracks and overview.png.

Problems a user can fix (an unknown config, a missing or broken model file, a
model of another config or task, an unwritable folder) end with one `error:`
line and exit status 1 (2 for bad flags).
"""

import argparse
import json
import sys

from ram_keras.data.canvases import CLUTTER_STYLES
from ram_keras.training import cli
from ram_keras.viz.movies import MOVIE_FORMATS

# Model settings that decide the shapes of the weights: a model file must agree
# with the config it is evaluated under on all of them, but for the retina's
# `glimpse_size` and `num_scales`, which training flags change (--glimpse-size,
# --scales) without making the model another task's.
SHAPE_SETTINGS = ("image_shape", "screen_size", "num_classes", "what_units", "where_units",
                  "glimpse_units", "core_units", "core_type", "learn_std")
# Flags that belong to one kind of config: {flag: (its dest, the task that has it)}.
TASK_FLAGS = {"--paths": ("paths", "classification"), "--split": ("split", "classification"),
              "--stochastic": ("stochastic", "classification"),
              "--image": ("image", "classification"), "--data": ("data", "classification"),
              "--test-data": ("test_data", "classification"),
              "--clutter-style": ("clutter_style", "classification"),
              "--episodes": ("episodes", "catch"), "--seed": ("seed", "catch")}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python evaluate.py", description=__doc__.split("\n\n")[0],
        epilog="Run with a config and a model file written by training.")
    parser.add_argument("config", help="config name, e.g. run_mnist (a module in configs/), "
                                       "or the path of a config module (*.py)")
    parser.add_argument("model", help="model file written by training (*.weights.h5) or by "
                                      "model.save (*.keras)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    parser.add_argument("--samples", type=cli.non_negative_int, default=None,
                        help="images (classification, default 8) or games (Catch, default 4) "
                             "to draw; 0 draws none")
    parser.add_argument("--out", default=None,
                        help="folder of the pictures (default: results/<config>/glimpses/ or "
                             "results/<config>/games/ under the current folder)")
    parser.add_argument("--movie", choices=MOVIE_FORMATS, default="gif",
                        help="format of the movies: gif (inline in a README) or mp4 (OpenCV; "
                             "smaller, for video players) (default %(default)s)")
    classification = parser.add_argument_group("classification configs")
    classification.add_argument("--paths", type=cli.non_negative_int, default=None,
                                help="sampled glimpse paths per image for the single-path and "
                                     "Monte-Carlo errors (default: the config's "
                                     "evaluation_paths; 0 skips them)")
    classification.add_argument("--split", choices=("test", "validation"), default=None,
                                help="which images to evaluate (default test)")
    classification.add_argument("--stochastic", action="store_true", default=None,
                                help="draw sampled glimpse paths instead of the deterministic "
                                     "policy's")
    classification.add_argument("--image", nargs="+", metavar="FILE", default=None,
                                help="classify these image files instead: the predicted class, "
                                     "its probability and a PNG of the glimpses on each")
    classification.add_argument("--data", metavar="DIR_OR_NPZ", default=None,
                                help="run_folder models: the images to evaluate on, instead of "
                                     "those the model file says it was trained with")
    classification.add_argument("--test-data", metavar="DIR", default=None,
                                help="run_folder models: the test images, instead of those the "
                                     "model file names")
    classification.add_argument(
        "--clutter-style", choices=CLUTTER_STYLES, default=None,
        help="cluttered configs: evaluate on test images cluttered in another style, the "
             "same digits, places and pieces (max: ours; add_clip: DeepMind's generator; "
             "blend: tfRAM's; pasted_box: bentrevett's); pictures go to glimpses_<style>/ "
             "(default: the config's)")
    catch = parser.add_argument_group("Catch configs")
    catch.add_argument("--episodes", type=cli.positive_int, default=None,
                       help="fresh games to play (default 1000)")
    catch.add_argument("--seed", type=cli.non_negative_int, default=None,
                       help="stream of the games (default: the config's test_seed)")
    return parser.parse_args(argv)


def check_flags_fit_task(args, task_name):
    """Raises ConfigError for a flag that only the other kind of config takes."""
    from ram_keras.training.configs import ConfigError

    for flag, (dest, owner) in TASK_FLAGS.items():
        if owner != task_name and getattr(args, dest) is not None:
            raise ConfigError(f"{flag} is for {owner} configs; {args.config} is a "
                             f"{task_name} config")


def check_model_fits_config(model, metadata, config, model_path, task):
    """Raises ConfigError if a model belongs to another task or config.

    Args:
        model: the loaded model.
        metadata: its file's metadata (`{"config": ..., "dataset": ...}`; `{}` for `.keras`).
        config: the experiment config it is to be evaluated under.
        model_path: for the message.
        task: the config's task part.
    """
    from ram_keras.training.configs import ConfigError, as_json, list_configs

    dataset, trained_config = metadata.get("dataset"), metadata.get("config")
    if dataset is not None and dataset != config["dataset"]:
        hint = (f"; evaluate it with `python evaluate.py {trained_config} {model_path}`"
                if trained_config in list_configs() else "")
        raise ConfigError(
            f"{model_path} was trained on another task: {dataset} (config {trained_config}), "
            f"but {config['name']} is the task {config['dataset']}{hint}")
    if not isinstance(model, task.model_class):
        raise ConfigError(f"{model_path} holds a {type(model).__name__}, but {config['name']} "
                          f"is a {task.name} config (it takes a {task.model_class.__name__})")
    model_config = model.get_config()
    differences = [
        f"{key} {model_config.get(key)!r} in the file, {config['model'].get(key)!r} in "
        f"{config['name']}"
        for key in SHAPE_SETTINGS
        if key in config["model"] and as_json(model_config.get(key)) != as_json(config["model"][key])
    ]
    if differences:
        raise ConfigError(f"{model_path} is from another config (wrong shapes for "
                          f"{config['name']}): " + "; ".join(differences))


def model_of_checkpoint(path, state, config):
    """`(model, metadata)` of a training checkpoint's weights file: the model built from the
    checkpoint's own settings (a run in progress, or one interrupted; the config module may
    have changed since), with the metadata its final model file would have."""
    import keras

    from ram_keras.saving import ModelFileError
    from ram_keras.tasks import task_for

    settings = state["settings"]
    if settings.get("dataset") != config["dataset"] or "model" not in settings:
        raise ModelFileError(f"{path} is a checkpoint of {settings.get('name')} "
                             f"({settings.get('dataset')}), not of a {config['dataset']} config")
    task = task_for(settings)
    model = task.build_model(settings, seed=settings.get("seed"))
    try:
        model.load_weights(path)
    except Exception as error:  # noqa: BLE001 - h5py and Keras raise many kinds
        raise ModelFileError(f"cannot load the checkpoint {path}: {error}") from None
    model.compile(optimizer=keras.optimizers.Adam())  # as load_model leaves a model
    print(f"[evaluate] {path}: the checkpoint of epoch {state['epoch']} of "
          f"{settings.get('epochs')} ({settings.get('name')})", file=sys.stderr)
    return model, task.metadata(settings, settings.get("seed"))


def main(argv=None):
    """`evaluate.py`: returns the report dict (also printed)."""
    args = parse_args(argv)
    from ram_keras.saving import ModelFileError, load_model, read_model_file_info
    from ram_keras.tasks import task_for
    from ram_keras.training.checkpoints import CheckpointError, checkpoint_of_weights
    from ram_keras.training.configs import ConfigError, read_config_module

    try:
        config = read_config_module(args.config)
        task = task_for(config)
        check_flags_fit_task(args, task.name)
        checkpoint = checkpoint_of_weights(args.model)
        if checkpoint is not None:  # a run's checkpoint: its own settings build the model
            model, metadata = model_of_checkpoint(args.model, checkpoint, config)
        else:
            model = load_model(args.model)
            metadata = ({} if args.model.endswith(".keras")
                        else read_model_file_info(args.model).metadata)
        # A model of your own images brings where they are; the config module cannot know.
        config = task.config_for_model(config, metadata, args)
        if not args.image:  # single files need the model, not the config's data
            config = task.validate(config)
        check_model_fits_config(model, metadata, config, args.model, task)
        report = (task.classify_files(model, config, metadata, args) if args.image
                  else task.evaluate(model, config, args))
    except (ConfigError, ModelFileError, CheckpointError) as error:
        sys.exit(f"error: {error}")
    except OSError as error:
        sys.exit(cli.os_error_message(error))
    report = dict(config=config["name"], model=args.model, **report)
    if args.json:
        print(json.dumps(report))
    else:
        print(task.report_text(report))
    return report


def console():
    """The `ram-evaluate` console script: exit status 0 (errors exit through `sys.exit`)."""
    main()
    return 0


if __name__ == "__main__":
    main()
