"""Command-line pieces shared by the training and evaluation commands.

Argument types that reject bad values with a message argparse prints in one
line (`error: argument --epochs: must be a positive integer, got -3`), the
flags every training command has, and the one-line message for an `OSError`.
"""

import argparse

from ram_keras.training import distribution

# --tensorboard: pictures every this many epochs (and at the last).
TENSORBOARD_PICTURES_EVERY = 5


def _integer_at_least(text, minimum, words):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be {words}, got {value}")
    return value


def non_negative_int(text):
    """argparse type: an int >= 0."""
    return _integer_at_least(text, 0, ">= 0")


def positive_int(text):
    """argparse type: an int >= 1."""
    return _integer_at_least(text, 1, "a positive integer")


def positive_float(text):
    """argparse type: a finite float > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def momentum_or_zero(text):
    """argparse type: 0 or a float in (0, 1)."""
    value = non_negative_float(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"must be 0 or a number in (0, 1), got {text}")
    return value


def non_negative_float(text):
    """argparse type: a finite float >= 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


def device_list(text):
    """argparse type: comma-separated device names, at least one."""
    devices = [d.strip() for d in text.split(",") if d.strip()]
    if not devices:
        raise argparse.ArgumentTypeError(f"must name at least one device, got {text!r}")
    return devices


def add_output_flags(parser):
    """`--out` and `--verbose`."""
    parser.add_argument("--out", default=".",
                        help="folder that receives models/, results/ and checkpoints/ "
                             "(default: the current folder)")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=None,
                        help="Keras fit verbosity: 0 silent, 1 progress bar, 2 one line per "
                             "epoch (default: progress bar on a terminal, one line otherwise)")


def add_training_flags(parser, config):
    """The flags of every training command, with the config's values as defaults."""
    parser.add_argument("--epochs", type=positive_int, default=config["epochs"],
                        help="epochs per run (default %(default)s)")
    parser.add_argument("--runs", type=positive_int, default=config["runs"],
                        help="independent runs with seeds seed, seed+1, ... (default %(default)s)")
    parser.add_argument("--batch-size", type=positive_int, default=config["batch_size"],
                        help="training batch size, global over all replicas "
                             "(default %(default)s)")
    parser.add_argument("--learning-rate", type=positive_float,
                        default=float(config["learning_rate"]),
                        help="Adam's initial learning rate (default %(default)s)")
    parser.add_argument("--gradient-clip-norm", type=non_negative_float,
                        default=float(config.get("gradient_clip_norm") or 0.0),
                        help="clip each update's gradients to this global norm; 0 does not "
                             "clip (default %(default)s)")
    parser.add_argument("--weight-averaging", type=momentum_or_zero,
                        default=float(config.get("weight_averaging") or 0.0),
                        help="validate and keep a moving average of the weights with this "
                             "momentum (0.999 averages about the last 1,000 updates); 0 keeps "
                             "the last weights (default %(default)s)")
    parser.add_argument("--final-location-std", type=positive_float,
                        default=config.get("final_location_std"),
                        help="train the last --final-location-std-epochs epochs with this "
                             "location-policy std (default: the config's, "
                             f"{config.get('final_location_std')}: no such phase)")
    parser.add_argument("--final-location-std-epochs", type=positive_int,
                        default=config.get("final_location_std_epochs"),
                        help="epochs at the end trained with --final-location-std (default: "
                             "the config's, %(default)s)")
    parser.add_argument("--seed", type=non_negative_int, default=config["seed"],
                        help="seed of the first run (default %(default)s)")
    add_output_flags(parser)
    resume = parser.add_mutually_exclusive_group()
    resume.add_argument("--resume", action="store_true",
                        help="continue an interrupted run of this same command from its last "
                             "completed epoch (checkpoints are in <out>/checkpoints/)")
    resume.add_argument("--restart", action="store_true",
                        help="discard an interrupted run's checkpoint and start afresh")
    parser.add_argument("--strategy", choices=distribution.STRATEGIES,
                        default=config.get("strategy", "default"),
                        help="tf.distribute strategy: default (one device), mirrored (all local "
                             "GPUs or --devices), multi_worker (cluster from TF_CONFIG), tpu "
                             "(default %(default)s)")
    parser.add_argument("--devices", type=device_list, default=None,
                        help="comma-separated devices for --strategy mirrored, e.g. "
                             "/gpu:0,/gpu:1 (default: all local GPUs)")
    parser.add_argument("--cpu-devices", type=positive_int, default=None,
                        help="split the CPU into N logical devices (/cpu:0 ... ), to try "
                             "--strategy mirrored without GPUs; not faster")
    parser.add_argument("--jit", action=argparse.BooleanOptionalAction,
                        default=config.get("jit_compile", True),
                        help="compile the training step with XLA (default: %(default)s)")
    parser.add_argument("--steps-per-execution", type=positive_int,
                        default=config.get("steps_per_execution", 1),
                        help="training steps per call of the compiled step function: fewer "
                             "calls from Python, the same training; the progress bar and "
                             "batch callbacks see every N-th step (default %(default)s)")
    parser.add_argument("--mixed-precision", action="store_true",
                        help="compute in float16 with float32 weights (mixed_float16); "
                             "helps on GPUs with tensor cores, slows the CPU down")
    parser.add_argument("--tensorboard", metavar="DIR", default=None,
                        help="write TensorBoard logs to DIR/<config>/runK: scalars per epoch "
                             f"and pictures every {TENSORBOARD_PICTURES_EVERY} epochs "
                             "(view with `tensorboard --logdir DIR`)")


def os_error_message(error):
    """`error: <reason>: <file>` for an OSError (unwritable --out, full disk, ...)."""
    where = f": {error.filename}" if error.filename else ""
    return f"error: {error.strerror or error}{where}"
