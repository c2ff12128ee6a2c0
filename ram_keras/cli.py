"""Command-line pieces shared by the config modules and `evaluate.py`.

Argument types that reject bad values with a message argparse prints in one
line (`error: argument --epochs: must be a positive integer, got -3`), the
flags every training command has (`--out`, `--verbose`, `--resume`,
`--restart`), and the one-line message for an `OSError`.
"""

import argparse


def non_negative_int(text):
    """argparse type: an int >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def positive_int(text):
    """argparse type: an int >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def positive_float(text):
    """argparse type: a finite float > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def device_list(text):
    """argparse type: comma-separated device names, at least one."""
    devices = [d.strip() for d in text.split(",") if d.strip()]
    if not devices:
        raise argparse.ArgumentTypeError(f"must name at least one device, got {text!r}")
    return devices


def add_run_flags(parser, default_out):
    """Adds `--out`, `--verbose` and the exclusive `--resume` / `--restart`."""
    parser.add_argument("--out", default=default_out,
                        help="folder that receives models/ and results/ (default: the repo root)")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=None,
                        help="Keras fit verbosity: 0 silent, 1 progress bar, 2 one line per "
                             "epoch (default: progress bar on a terminal, one line otherwise)")
    resume = parser.add_mutually_exclusive_group()
    resume.add_argument("--resume", action="store_true",
                        help="continue an interrupted run of this same command from its last "
                             "completed epoch (checkpoints are in <out>/checkpoints/)")
    resume.add_argument("--restart", action="store_true",
                        help="discard an interrupted run's checkpoint and start afresh")


def os_error_message(error):
    """`error: <reason>: <file>` for an OSError (unwritable --out, full disk, ...)."""
    where = f": {error.filename}" if error.filename else ""
    return f"error: {error.strerror or error}{where}"
