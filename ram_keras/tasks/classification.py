"""Classification: MNIST (centred, translated, cluttered), Fashion-MNIST and a user's own
images, for the runner and for evaluate.py.

Data: the standard MNIST with its last 10,000 training digits held out for
validation (`ram_keras.data.split_validation`; the config setting
`validation_digits`, default 10,000, or `--validation-digits N`). With 0, a
final model trains on all 60,000 digits once a recipe has been chosen on
validation: no validation pass, and the test set reports at the end. Training digits are shifted
(centred task) or placed and cluttered (canvas tasks) afresh every epoch; the
validation and test canvases are fixed by `validation_seed` and `test_seed`,
their clutter cut from their own digits. Every epoch ends with the
deterministic policy on the validation set (`val_*` in the history), and with
`validation_paths` N > 0 (`--validation-paths N`) the single-path and
Monte-Carlo accuracy of N sampled paths per validation image too
(`SampledValidation`); the test set is used once, at the end. With
`passes_per_epoch` P > 1 (`--passes-per-epoch P`) an epoch is P passes over the
training digits, each placed afresh: P times fewer validation passes and
checkpoints for the same training, where an epoch of big batches is short.

Fashion-MNIST (`fashion_mnist`) is read and split as MNIST is (centred, 28x28).
A user's own images (`folder`: the config settings `data`, `test_data`,
`image_size`, `color_mode`, `validation_fraction`, `validation_seed`; see
`configs/run_folder.py` and `ram_keras.data.folders`) decide the model's
`image_shape` and `num_classes`; the class names go into the config of
results.json and into the model file's metadata, so that evaluate.py names
classes, and the data settings too, so that evaluate.py finds the images
again. `validation_fraction` of the training images, chosen by
`validation_seed`, are held out.

Three test metrics (`evaluate_classifier`): deterministic (the policy's mean
locations), single sampled path (the mean accuracy of single sampled glimpse
paths, `evaluation_paths` per image: the best public port's metric) and
Monte-Carlo (the class probabilities of those paths averaged).
"""

import collections
import math
import os

import keras
import numpy as np

from ram_keras.data import (
    VALIDATION_SIZE,
    load_mnist,
    make_dataset,
    make_fixed_canvases,
    split_validation,
    to_float_images,
)
from ram_keras.data import fashion_mnist, folders
from ram_keras.data.canvases import CLUTTER_STYLES
from ram_keras.layers.glimpse_step import FIRST_LOCATIONS
from ram_keras.models import RecurrentAttentionModel
from ram_keras.models.classifier import REWARDS
from ram_keras.tasks.base import Task, pictures_folder
from ram_keras.training import cli
from ram_keras.training.configs import (
    ConfigError,
    as_json,
    build_from_config,
    check_common_settings,
    check_settings,
)
from ram_keras.training.checkpoints import random_state_variables
from ram_keras.training.history import first_epoch_reaching

DATASETS = ("mnist", "translated_mnist", "cluttered_mnist", "fashion_mnist", "folder")
CANVAS_DATASETS = ("translated_mnist", "cluttered_mnist")
# Datasets of 60,000 training images of which the last `validation_digits` validate.
SIXTY_THOUSAND = ("mnist", "fashion_mnist") + CANVAS_DATASETS
SETTINGS = {"evaluation_paths": int}
CANVAS_SETTINGS = {"canvas_size": int, "clutter_pieces": int, "test_seed": int,
                   "validation_seed": int}
# A user's images (dataset "folder"): what the model file keeps to find them again.
DATA_SETTINGS = ("data", "test_data", "image_size", "color_mode", "validation_fraction",
                 "validation_seed")
DEFAULT_VALIDATION_FRACTION = 0.1
# Pictures: this many validation images (TensorBoard), test images (evaluate.py).
PICTURE_IMAGES = 4
EVALUATE_PICTURES = 8

ClassificationData = collections.namedtuple(
    "ClassificationData",
    ["x_train", "y_train", "x_validation", "y_validation", "x_test", "y_test"])
ClassificationData.__doc__ = """A task's digits: uint8 images (28x28 training digits, the
task's fixed validation and test images) and int labels."""


def class_names(config):
    """The names of the config's classes (label i is `names[i]`)."""
    if config.get("class_names"):
        return [str(name) for name in config["class_names"]]
    if config["dataset"] == "fashion_mnist":
        return list(fashion_mnist.CLASS_NAMES)
    return [str(i) for i in range(config["model"].get("num_classes", 10))]


def default_glimpse_size(image_shape):
    """A glimpse side for images of any size: a fifth of the shorter side (at least 4 pixels),
    so that 3 scales (g, 2g, 4g) reach from a detail to most of the image."""
    return max(4, int(round(min(image_shape[0], image_shape[1]) / 5)))


def _check_data_settings(config):
    """ConfigError for a bad setting of a user's images (dataset "folder")."""
    if not config.get("data"):
        raise ConfigError(f"{config['name']} trains on your images: give them with --data DIR "
                          "(a folder with one subfolder per class) or --data FILE.npz")
    for key in ("data", "test_data"):
        if config.get(key) is not None and not isinstance(config[key], str):
            raise ConfigError(f"Config setting {key!r} must be a path, got {config[key]!r}.")
    size = config.get("image_size")
    if size is not None and (not isinstance(size, (list, tuple)) or len(size) != 2 or any(
            isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in size)):
        raise ConfigError(f"Config setting 'image_size' must be [height, width] (positive "
                          f"integers) or None, got {size!r}.")
    if config.get("color_mode") not in (None,) + folders.COLOR_MODES:
        raise ConfigError(f"Config setting 'color_mode' must be one of {folders.COLOR_MODES} "
                          f"or None (from the images), got {config['color_mode']!r}.")
    fraction = config.get("validation_fraction", DEFAULT_VALIDATION_FRACTION)
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) \
            or not 0 <= fraction < 1:
        raise ConfigError("Config setting 'validation_fraction' must be a number in [0, 1), "
                          f"got {fraction!r}.")
    seed = config.get("validation_seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"Config setting 'validation_seed' must be an integer >= 0, got "
                          f"{seed!r}.")


def _with_image_data(config):
    """The config of a user's images with what the images decide: the model's `image_shape`,
    `num_classes` (and `glimpse_size` when unset), `class_names` and the `color_mode` read."""
    _check_data_settings(config)
    data, color_mode = folders.load_image_data(
        config["data"], config.get("test_data"), config.get("image_size"),
        config.get("color_mode"))
    shape = [int(n) for n in data.x_train.shape[1:]]
    model = dict(config["model"])
    for key, value in (("image_shape", shape), ("num_classes", len(data.class_names))):
        if model.get(key) is not None and as_json(model[key]) != value:
            raise ConfigError(f"the images give {key} {value}, but the config's model has "
                              f"{model[key]} (leave it out: it comes from the images)")
        model[key] = value
    if config.get("class_names") is not None and list(config["class_names"]) != \
            data.class_names:
        raise ConfigError(f"the model was trained on the classes {list(config['class_names'])}, "
                          f"but {config['data']} now holds {data.class_names}")
    if model.get("glimpse_size") is None:
        model["glimpse_size"] = default_glimpse_size(shape)
    return dict(config, model=model, class_names=data.class_names, color_mode=color_mode)


def evaluate_classifier(model, images, labels, paths=10, batch_size=1000):
    """Accuracy with the deterministic policy, of single sampled paths, and Monte-Carlo.

    Args:
        model: a `RecurrentAttentionModel`.
        images: uint8 `(N, H, W)` or `(N, H, W, C)` images of the model's task.
        labels: int `(N,)`.
        paths: sampled glimpse paths per image (0: deterministic only).
        batch_size: images per forward pass.

    Returns:
        dict: `accuracy` (deterministic), and with `paths`: `accuracy_single_path`
        (the mean over images and paths of a single path's correctness) and
        `accuracy_monte_carlo` (the class probabilities of the paths averaged).
    """
    float_images = to_float_images(images)
    labels = np.asarray(labels)
    probabilities = model.predict(float_images, batch_size=batch_size, verbose=0)
    report = {"accuracy": float(np.mean(np.argmax(probabilities, -1) == labels))}
    if paths:
        per_path = model.sample_path_probabilities(
            float_images, paths, batch_size=max(1, batch_size // paths * 5))
        report["accuracy_single_path"] = float(np.mean(np.argmax(per_path, -1) == labels[:, None]))
        report["accuracy_monte_carlo"] = float(
            np.mean(np.argmax(per_path.mean(axis=1), -1) == labels))
    return report


def _first(images, labels, limit, spread=False):
    """The first `limit` images and labels (all with None), or with `spread` a sample of
    `limit` of them drawn with seed 0, kept in their order."""
    if limit is None or limit >= len(labels):
        return images, labels
    if not spread:
        return images[:limit], labels[:limit]
    chosen = np.sort(np.random.default_rng(0).permutation(len(labels))[:limit])
    return images[chosen], labels[chosen]


class SampledValidation(keras.callbacks.Callback):
    """After every epoch, the validation accuracy of sampled glimpse paths.

    `fit`'s own validation pass uses the deterministic policy (`val_accuracy`);
    this callback adds `val_accuracy_single_path` and `val_accuracy_monte_carlo`
    (`evaluate_classifier` with `paths` sampled paths per image) to the epoch's
    logs, so the history records all three metrics. It evaluates at the end of
    `fit`'s validation pass, on the weights that pass validated (the average,
    with weight averaging), so it must come before the callbacks that swap
    weights back or record the logs. Its draws leave the model's random state
    as they found it: turning the metric on does not change training.

    Args:
        images: uint8 validation images.
        labels: int `(N,)`.
        paths: sampled glimpse paths per image, >= 1.
    """

    def __init__(self, images, labels, paths):
        super().__init__()
        self.images, self.labels, self.paths = images, labels, paths
        self.report = None

    def on_test_end(self, logs=None):
        states = random_state_variables(self.model)
        kept = [state.numpy() for state in states]
        self.report = evaluate_classifier(self.model, self.images, self.labels, self.paths)
        for state, value in zip(states, kept):
            state.assign(value)

    def on_epoch_end(self, epoch, logs=None):
        if logs is None or self.report is None:
            return
        logs["val_accuracy_single_path"] = self.report["accuracy_single_path"]
        logs["val_accuracy_monte_carlo"] = self.report["accuracy_monte_carlo"]
        self.report = None


def error_report(accuracies, prefix):
    """`{prefix}_accuracy*` and `{prefix}_error_percent*` from `evaluate_classifier`'s dict."""
    report = {}
    for key, accuracy in accuracies.items():
        suffix = key[len("accuracy"):]
        report[f"{prefix}_accuracy{suffix}"] = accuracy
        report[f"{prefix}_error_percent{suffix}"] = round(100 * (1 - accuracy), 3)
    return report


def describe_errors(report, prefix="test"):
    """`test error 1.20% deterministic, 1.31% single path, 0.90% Monte-Carlo (10 paths)`."""
    parts = [f"{report[f'{prefix}_error_percent']:.2f}% deterministic"]
    if f"{prefix}_error_percent_single_path" in report:
        parts.append(f"{report[f'{prefix}_error_percent_single_path']:.2f}% single path")
        parts.append(f"{report[f'{prefix}_error_percent_monte_carlo']:.2f}% Monte-Carlo "
                     f"({report.get('evaluation_paths', '?')} paths)")
    return f"{prefix} error " + ", ".join(parts)


class ClassificationTask(Task):
    """The runner's task part for `dataset` in `DATASETS` (see `ram_keras.training.runner`)."""

    name = "classification"
    datasets = DATASETS
    model_class = RecurrentAttentionModel

    # ----------------------------------------------------------------- config
    def validate(self, config):
        """The config, checked; raises ConfigError naming the first bad setting."""
        check_common_settings(config)
        check_settings(config, SETTINGS)
        if config["dataset"] not in DATASETS:
            raise ConfigError(f"Config dataset must be one of {DATASETS}, got "
                              f"{config['dataset']!r}.")
        if config["dataset"] == "folder":
            config = _with_image_data(config)
        held_out = config.get("validation_digits", VALIDATION_SIZE)
        if config["dataset"] in SIXTY_THOUSAND and (
                isinstance(held_out, bool) or not isinstance(held_out, int)
                or not 0 <= held_out < 60000):
            raise ConfigError("Config setting 'validation_digits' must be an integer in "
                              f"[0, 60000), got {held_out!r}.")
        shift = config.get("max_shift", 0)
        if isinstance(shift, bool) or not isinstance(shift, int) or shift < 0:
            raise ConfigError(f"Config setting 'max_shift' must be an integer >= 0, got {shift!r}.")
        paths = config.get("validation_paths", 0)
        if isinstance(paths, bool) or not isinstance(paths, int) or paths < 0:
            raise ConfigError("Config setting 'validation_paths' must be an integer >= 0, got "
                              f"{paths!r}.")
        passes = config.get("passes_per_epoch", 1)
        if isinstance(passes, bool) or not isinstance(passes, int) or passes < 1:
            raise ConfigError("Config setting 'passes_per_epoch' must be an integer >= 1, got "
                              f"{passes!r}.")
        if config["evaluation_paths"] < 0:
            raise ConfigError("Config setting 'evaluation_paths' must be >= 0, got "
                              f"{config['evaluation_paths']}.")
        build_from_config(RecurrentAttentionModel, config["model"])
        if config["dataset"] in CANVAS_DATASETS:
            for key, kind in CANVAS_SETTINGS.items():
                value = config.get(key)
                if not isinstance(value, kind) or isinstance(value, bool) or value < 0:
                    raise ConfigError(
                        f"Config setting {key!r} must be a non-negative {kind.__name__} for "
                        f"dataset {config['dataset']!r}, got {value!r}.")
            if config["canvas_size"] < 28:
                raise ConfigError(
                    f"Config canvas_size must be >= 28, got {config['canvas_size']}.")
            shape = list(config["model"].get("image_shape", []))
            if shape != [config["canvas_size"], config["canvas_size"], 1]:
                raise ConfigError(f"Config model image_shape {shape} does not match "
                                  f"canvas_size {config['canvas_size']}.")
            if config.get("clutter_style", "max") not in CLUTTER_STYLES:
                raise ConfigError(f"Config clutter_style must be one of {CLUTTER_STYLES}, got "
                                  f"{config.get('clutter_style')!r}.")
        return config

    def add_flags(self, parser, config):
        parser.add_argument("--limit", type=cli.positive_int, default=None,
                            help="train on only the first N training images (default: all)")
        parser.add_argument("--eval-limit", type=cli.positive_int, default=None,
                            help="evaluate on only the first N validation and test images "
                                 "(quick checks; default: all)")
        parser.add_argument("--validation-paths", type=cli.non_negative_int, default=None,
                            help="after every epoch, also the single-path and Monte-Carlo "
                                 "validation accuracy of N sampled glimpse paths per image; "
                                 "0: the deterministic policy's only (default: the config's, "
                                 f"{config.get('validation_paths', 0)})")
        parser.add_argument("--passes-per-epoch", type=cli.positive_int, default=None,
                            help="passes over the training images per epoch (one validation "
                                 "pass and checkpoint per epoch; default: the config's, "
                                 f"{config.get('passes_per_epoch', 1)})")
        if config["dataset"] == "folder":
            self._add_data_flags(parser, config)
        else:
            parser.add_argument(
                "--validation-digits", type=cli.non_negative_int, default=None,
                help="training digits held out for validation, the last ones; 0 trains a "
                     "final model on all 60,000 and skips validation (default: the config's, "
                     f"{config.get('validation_digits', VALIDATION_SIZE)})")
        if config["dataset"] in CANVAS_DATASETS:
            parser.add_argument(
                "--clutter-style", choices=CLUTTER_STYLES, default=None,
                help="how the clutter meets the digit (ram_keras/data/canvases.py): max (ours), "
                     "add_clip (DeepMind's generator), blend (tfRAM), pasted_box (bentrevett: "
                     "no clutter inside the digit's box) (default: the config's, "
                     f"{config.get('clutter_style', 'max')})")
        parser.add_argument("--glimpses", type=cli.positive_int, default=None,
                            help="glimpses per image (default: the config's, "
                                 f"{config['model'].get('num_glimpses')})")
        parser.add_argument("--glimpse-size", type=cli.positive_int, default=None,
                            help="side of the smallest glimpse patch, in pixels (default: the "
                                 "config's, " + str(config["model"].get(
                                     "glimpse_size", "a fifth of the shorter image side")) + ")")
        parser.add_argument("--scales", type=cli.positive_int, default=None,
                            help="patches per glimpse, each twice as wide as the one before "
                                 f"(default: the config's, {config['model'].get('num_scales')})")
        parser.add_argument("--location-std", type=cli.positive_float, default=None,
                            help="standard deviation of the location policy (default: the "
                                 f"config's, {config['model'].get('location_std')})")
        parser.add_argument("--max-shift", type=cli.non_negative_int, default=None,
                            help="shift each training image by up to N pixels per axis, drawn "
                                 "afresh every epoch; 0 does not shift (default: the config's, "
                                 f"{config.get('max_shift', 0)})")
        parser.add_argument("--first-location", choices=FIRST_LOCATIONS, default=None,
                            help="where the first glimpse looks in training: policy (learned "
                                 "from the empty core state), random (uniform; the "
                                 "deterministic policy looks at the centre) or centre "
                                 "(default: the config's, "
                                 f"{config['model'].get('first_location', 'policy')})")
        parser.add_argument("--reward", choices=tuple(REWARDS), default=None,
                            help="what a sampled path earns for REINFORCE: correct (1 for a "
                                 "right final prediction, else 0) or log_probability (the log-"
                                 "probability of the true class) (default: the config's, "
                                 f"{config['model'].get('reward', 'correct')})")
        parser.add_argument("--classify-every-glimpse", action="store_true", default=None,
                            help="train the classifier on every glimpse's prediction (the mean "
                                 "of their cross-entropies), not only the last one's")
        parser.add_argument("--random-glimpses", action="store_true",
                            help="ablation: uniformly random glimpse locations instead of the "
                                 "learned policy")

    def _add_data_flags(self, parser, config):
        """The flags of a user's images (dataset "folder")."""
        group = parser.add_argument_group("your images")
        group.add_argument("--data", metavar="DIR_OR_NPZ", default=config.get("data"),
                           help="a folder with one subfolder of images per class "
                                "(DIR/<class>/<image>.png|jpg|...), or a .npz file of arrays x, y "
                                "(and optionally x_test, y_test, class_names)")
        group.add_argument("--test-data", metavar="DIR", default=config.get("test_data"),
                           help="a folder of test images with the same class subfolders "
                                "(default: none; the final evaluation is then on the held-out "
                                "validation images only)")
        group.add_argument("--image-size", type=cli.positive_int, nargs=2, metavar=("H", "W"),
                           default=config.get("image_size"),
                           help="resize every image to H x W pixels (needed when the images "
                                "differ in size; default: keep their size)")
        colour = group.add_mutually_exclusive_group()
        colour.add_argument("--grayscale", dest="color_mode", action="store_const",
                            const="grayscale", default=config.get("color_mode"),
                            help="read the images as grayscale (1 channel)")
        colour.add_argument("--rgb", dest="color_mode", action="store_const", const="rgb",
                            help="read the images as RGB (3 channels) (default: grayscale "
                                 "when every file is grayscale, else RGB)")
        group.add_argument("--validation-fraction", type=cli.non_negative_float, default=None,
                           metavar="F",
                           help="fraction of the training images held out for validation, "
                                "chosen by the config's validation_seed; 0 holds none out "
                                "(default: the config's, " + str(config.get(
                                    "validation_fraction", DEFAULT_VALIDATION_FRACTION)) + ")")

    def apply_flags(self, config, args):
        """The config as the task's flags change it (glimpses, retina, policy, data)."""
        model = dict(config["model"])
        if getattr(args, "glimpses", None) is not None:
            model["num_glimpses"] = args.glimpses
        if getattr(args, "glimpse_size", None) is not None:
            model["glimpse_size"] = args.glimpse_size
        if getattr(args, "scales", None) is not None:
            model["num_scales"] = args.scales
        if getattr(args, "location_std", None) is not None:
            model["location_std"] = args.location_std
        if getattr(args, "first_location", None) is not None:
            model["first_location"] = args.first_location
        if getattr(args, "reward", None) is not None:
            model["reward"] = args.reward
        if getattr(args, "classify_every_glimpse", None):
            model["classify_every_glimpse"] = True
        if getattr(args, "random_glimpses", False):
            model["location_policy"] = "random"
        config = dict(config, model=model)
        if getattr(args, "validation_digits", None) is not None:
            config["validation_digits"] = args.validation_digits
        if getattr(args, "max_shift", None) is not None:
            config["max_shift"] = args.max_shift
        if getattr(args, "validation_paths", None) is not None:
            config["validation_paths"] = args.validation_paths
        if getattr(args, "passes_per_epoch", None) is not None:
            config["passes_per_epoch"] = args.passes_per_epoch
        if getattr(args, "clutter_style", None) is not None:
            config["clutter_style"] = args.clutter_style
        if config["dataset"] == "folder":
            for key in ("data", "test_data", "color_mode"):
                config[key] = getattr(args, key, config.get(key))
            if getattr(args, "image_size", None) is not None:
                config["image_size"] = list(args.image_size)
            if getattr(args, "validation_fraction", None) is not None:
                config["validation_fraction"] = args.validation_fraction
        return config

    def run_settings(self, args):
        """Flags that change a run without being config settings (recorded with it)."""
        return {"limit": args.limit, "eval_limit": args.eval_limit}

    # ------------------------------------------------------------------- data
    def load_data(self, config, args=None):
        """The task's `ClassificationData` (`--limit` and `--eval-limit` applied)."""
        limit = getattr(args, "limit", None)
        eval_limit = getattr(args, "eval_limit", None)
        if config["dataset"] == "folder":
            # The images were read (and kept) when the config was checked.
            images, _ = folders.load_image_data(
                config["data"], config.get("test_data"), config.get("image_size"),
                config.get("color_mode"))
            (x_train, y_train), (x_validation, y_validation) = \
                folders.split_validation_fraction(
                    images.x_train, images.y_train,
                    config.get("validation_fraction", DEFAULT_VALIDATION_FRACTION),
                    config.get("validation_seed", 0))
            x_test, y_test = images.x_test, images.y_test
        else:
            (x_train, y_train), (x_test, y_test) = (
                fashion_mnist.load_fashion_mnist() if config["dataset"] == "fashion_mnist"
                else load_mnist())
            held_out = config.get("validation_digits", VALIDATION_SIZE)
            if held_out:
                (x_train, y_train), (x_validation, y_validation) = split_validation(
                    x_train, y_train, held_out)
            else:
                x_validation, y_validation = x_train[:0], y_train[:0]
        # MNIST's digits come in no order; a user's images come class by class, so their
        # limits take a seeded sample spread over the classes (in the original order).
        spread = config["dataset"] == "folder"
        x_train, y_train = _first(x_train, y_train, limit, spread)
        x_validation, y_validation = _first(x_validation, y_validation, eval_limit, spread)
        x_test, y_test = _first(x_test, y_test, eval_limit, spread)
        if config["dataset"] in CANVAS_DATASETS:
            canvas = {"canvas_size": config["canvas_size"],
                      "clutter_pieces": config["clutter_pieces"],
                      "clutter_style": config.get("clutter_style", "max")}
            x_validation = make_fixed_canvases(x_validation, config["validation_seed"], **canvas)
            x_test = make_fixed_canvases(x_test, config["test_seed"], **canvas)
        return ClassificationData(x_train, y_train, x_validation, y_validation, x_test, y_test)

    def steps_per_epoch(self, config, data):
        """`passes_per_epoch` passes of ceil(training images / batch size) steps."""
        passes = config.get("passes_per_epoch", 1)
        return passes * math.ceil(len(data.x_train) / config["batch_size"])

    def training_data(self, config, data, seed, first_epoch):
        """Epochs `first_epoch .. epochs - 1` as one stream; each a pure function of (seed, epoch).

        With `passes_per_epoch` P, epoch e is the passes P*e .. P*e + P - 1 over the digits
        (a pass is what an epoch is with P = 1, its shuffle and placements drawn from
        (seed, pass))."""
        canvas = {}
        if config["dataset"] in CANVAS_DATASETS:
            canvas = {"canvas_size": config["canvas_size"],
                      "clutter_pieces": config["clutter_pieces"], "clutter_source": data.x_train,
                      "clutter_style": config.get("clutter_style", "max")}
        passes = config.get("passes_per_epoch", 1)
        return make_dataset(data.x_train, data.y_train, config["batch_size"], shuffle=True,
                            seed=seed, max_shift=config.get("max_shift", 0),
                            epochs=config["epochs"] * passes, first_epoch=first_epoch * passes,
                            **canvas)

    def sampled_paths_per_epoch(self, config, data):
        """Training images x `paths_per_input` x `passes_per_epoch`: the sampled glimpse
        paths of one epoch."""
        return (len(data.x_train) * config["model"].get("paths_per_input", 1)
                * config.get("passes_per_epoch", 1))

    def epoch_callbacks(self, config, data):
        """With `validation_paths` N > 0 and validation images: `SampledValidation`, the
        single-path and Monte-Carlo validation accuracy of N sampled paths per image after
        every epoch (`val_accuracy_single_path`, `val_accuracy_monte_carlo`)."""
        paths = config.get("validation_paths", 0)
        if not paths or not len(data.y_validation):
            return []
        return [SampledValidation(data.x_validation, data.y_validation, paths)]

    def validation_data(self, config, data):
        """The validation images for the pass after every epoch; None without any."""
        if not len(data.y_validation):
            return None
        return make_dataset(data.x_validation, data.y_validation, 1000)

    # ------------------------------------------------------------------ model
    def build_model(self, config, seed):
        return RecurrentAttentionModel(**dict(config["model"], seed=seed))

    def metadata(self, config, seed):
        """What the model file keeps: the config, the class names and, for a user's images,
        where they are and how they were read (absolute paths, for evaluate.py anywhere)."""
        metadata = {"config": config["name"], "dataset": config["dataset"], "seed": seed,
                    "class_names": class_names(config)}
        if config["dataset"] == "folder":
            data = {key: config.get(key) for key in DATA_SETTINGS}
            # The split's settings as used, so that evaluate.py finds the same split.
            data["validation_fraction"] = config.get("validation_fraction",
                                                     DEFAULT_VALIDATION_FRACTION)
            data["validation_seed"] = config.get("validation_seed", 0)
            for key in ("data", "test_data"):
                if data[key] is not None:
                    data[key] = os.path.abspath(data[key])
            metadata["data"] = data
        return metadata

    def config_for_model(self, config, metadata, args):
        """The config a trained model is evaluated under (evaluate.py): for a user's images,
        the data settings and class names the model was trained with (from its file), with
        `--data` / `--test-data` in their place when given."""
        given = [flag for flag, dest in (("--data", "data"), ("--test-data", "test_data"))
                 if getattr(args, dest, None) is not None]
        if given and config["dataset"] != "folder":
            raise ConfigError(f"{given[0]} is for configs of your own images (run_folder); "
                              f"{config['name']} reads {config['dataset']}")
        style = getattr(args, "clutter_style", None)
        if style is not None:
            if config["dataset"] not in CANVAS_DATASETS or not config.get("clutter_pieces"):
                raise ConfigError(f"--clutter-style is for the cluttered configs; "
                                  f"{config['name']} has no clutter")
            config = dict(config, clutter_style=style)
        if config["dataset"] != "folder" or metadata.get("dataset") != "folder":
            return config
        config = dict(config, **(metadata.get("data") or {}),
                      class_names=metadata.get("class_names"))
        if getattr(args, "data", None) is not None:
            config["data"] = args.data
        if getattr(args, "test_data", None) is not None:
            config["test_data"] = args.test_data
        return config

    # ------------------------------------------------------------- reporting
    def reference(self, config, data):
        return {}

    def final_evaluation(self, model, config, data):
        """The three metrics on the validation and on the test set."""
        paths = config["evaluation_paths"]
        final = {"evaluation_paths": paths}
        if len(data.y_validation):
            final.update(error_report(evaluate_classifier(
                model, data.x_validation, data.y_validation, paths), "validation"))
        if len(data.y_test):  # a user's images may come without test images
            final.update(error_report(evaluate_classifier(model, data.x_test, data.y_test,
                                                          paths), "test"))
        return final

    def first_epoch_reaching_target(self, history, config):
        """The first epoch whose validation error (deterministic) is the paper's or lower."""
        paper = config.get("paper_test_error_percent")
        if paper is None:
            return None
        # The smallest accuracy the paper's error rounds to on this many images.
        return first_epoch_reaching(history, "val_accuracy", 1.0 - paper / 100.0 - 1e-9)

    def describe_training(self, config, data):
        passes = config.get("passes_per_epoch", 1)
        images = f"{len(data.x_train)} training images" + (
            f", {passes} passes per epoch" if passes > 1 else "")
        if not len(data.y_validation):
            return f"{images}, none held out for validation"
        return images

    def describe_final(self, final):
        return "; ".join(describe_errors(final, split) for split in ("validation", "test")
                         if f"{split}_error_percent" in final) or \
            "no validation or test images to evaluate"

    def pictures(self, model, config, data):
        """PNGs of what the model does on a few validation images (for TensorBoard)."""
        from ram_keras.viz import glimpses
        from ram_keras.viz.figures import figure_to_png

        # The validation images; the test images' pictures when none are held out.
        x, y = ((data.x_validation, data.y_validation) if len(data.y_validation)
                else (data.x_test, data.y_test))
        if not len(y):  # your own images, none held out and no test folder
            return {}
        images, labels = to_float_images(x[:PICTURE_IMAGES]), y[:PICTURE_IMAGES]
        trace = glimpses.trace_glimpses(model, images, deterministic=True)
        names = class_names(config)
        return {
            "glimpses": [figure_to_png(glimpses.draw_glimpse_figure(trace, i, int(labels[i]),
                                                                    class_names=names))
                         for i in range(len(images))],
            "gaze_overview": [figure_to_png(glimpses.draw_overview(trace, labels,
                                                                  class_names=names))],
        }

    # ---------------------------------------------------------- evaluate.py
    def evaluate(self, model, config, args):
        """`evaluate.py` for a classifier: the three errors, and pictures of the first images."""
        from ram_keras.viz import glimpses

        paths = config["evaluation_paths"] if args.paths is None else args.paths
        data = self.load_data(config)
        # Your own images may come without test images: then the held-out ones.
        split = args.split or ("test" if len(data.y_test) else "validation")
        images, labels = ((data.x_test, data.y_test) if split == "test"
                          else (data.x_validation, data.y_validation))
        if not len(labels):
            other = "validation" if split == "test" else "test"
            hint = (f"use --split {other}" if len(data.y_test) or len(data.y_validation) else
                    "give test images with --test-data DIR")
            raise ConfigError(f"{config['name']} holds no {split} images (none were given or "
                              f"held out): {hint}")
        report = {"split": split, "images": int(len(labels)), "evaluation_paths": paths}
        style = config.get("clutter_style", "max")
        if config["dataset"] in CANVAS_DATASETS and config.get("clutter_pieces"):
            report["clutter_style"] = style
        report.update(error_report(evaluate_classifier(model, images, labels, paths), split))
        count = min(EVALUATE_PICTURES if args.samples is None else args.samples, len(labels))
        if count:
            # Another task definition's pictures (--clutter-style) go beside, not over,
            # those of the config's own.
            other_style = getattr(args, "clutter_style", None) is not None
            folder = pictures_folder(config, args,
                                     f"glimpses_{style}" if other_style else "glimpses")
            policy = "sampled" if args.stochastic else "deterministic"
            trace = glimpses.trace_glimpses(model, to_float_images(images[:count]),
                                            deterministic=not args.stochastic)
            pictures = glimpses.save_glimpse_pictures(
                trace, folder, labels=labels[:count], movie_format=args.movie,
                title=f"{config['name']}: first {count} {split} images, {policy} glimpses",
                class_names=class_names(config))
            report["glimpse_pictures"] = dict(pictures, policy=policy)
        return report

    def classify_files(self, model, config, metadata, args):
        """`evaluate.py --image FILE ...`: each file's predicted class, its probability, and a
        PNG of the glimpses on it.

        A file is read as the training images were (`ram_keras.data.folders.read_image`:
        converted to the model's channels, resized bilinearly to its image size).
        """
        from ram_keras.viz import glimpses
        from ram_keras.viz.figures import save_figure

        height, width, channels = model.image_shape
        if channels not in folders.CHANNELS.values():
            raise ConfigError(f"--image reads grayscale or RGB files; this model takes "
                              f"{channels} channels")
        color_mode = "grayscale" if channels == 1 else "rgb"
        images = np.stack([folders.read_image(path, color_mode, (height, width))
                           for path in args.image])
        names = [str(n) for n in metadata.get("class_names") or class_names(
            dict(config, model=dict(config["model"], num_classes=model.num_classes)))]
        trace = glimpses.trace_glimpses(model, to_float_images(images),
                                        deterministic=not args.stochastic)
        folder = pictures_folder(config, args, "images")
        os.makedirs(folder, exist_ok=True)
        files = []
        for i, path in enumerate(args.image):
            index = int(trace.predictions[i, -1])
            stem = os.path.splitext(os.path.basename(path))[0]
            picture = save_figure(
                glimpses.draw_glimpse_figure(trace, i, class_names=names),
                os.path.join(folder, f"image{i:03d}_{stem}.png"))
            files.append({"file": path, "class": names[index], "class_index": index,
                          "probability": float(trace.confidences[i, -1]), "picture": picture})
        return {"files": files, "policy": "sampled" if args.stochastic else "deterministic",
                "image_shape": [height, width, channels]}

    def report_text(self, report):
        if "files" in report:
            return "\n".join(
                [f"{report['config']}: {len(report['files'])} image "
                 f"file{'s' if len(report['files']) != 1 else ''}, read as "
                 f"{'x'.join(map(str, report['image_shape']))} ({report['policy']} glimpses)"]
                + [f"  {item['file']}: {item['class']} ({item['probability']:.1%}); glimpses: "
                   f"{item['picture']}" for item in report["files"]])
        split = report["split"]
        clutter = (f", {report['clutter_style']} clutter" if "clutter_style" in report else "")
        lines = [f"{report['config']}: {report['images']} {split} images{clutter}",
                 "  " + describe_errors(report, split)]
        if "glimpse_pictures" in report:
            pictures = report["glimpse_pictures"]
            lines.append(f"  glimpse pictures of {len(pictures['figures'])} {split} images "
                         f"({pictures['policy']} glimpses): {pictures['folder']} "
                         "(overview.png, image000.png, image000 movie, ...)")
        return "\n".join(lines)
