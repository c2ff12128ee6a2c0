"""Helpers shared by the tests: small models, config files, running commands."""

import collections
import contextlib
import io
import json
import os
import subprocess
import sys

import keras

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1")
ENV.pop("TF_CONFIG", None)

# A small classifier: 12x12 images, 3 glimpses of 4x4, tiny networks.
SMALL_CLASSIFIER = dict(image_shape=(12, 12, 1), num_glimpses=3, glimpse_size=4, what_units=8,
                        where_units=8, glimpse_units=16, core_units=16, location_std=0.2,
                        seed=0)
# A small Catch agent on the 24x24 screen.
SMALL_AGENT = dict(what_units=16, where_units=8, glimpse_units=16, core_units=16)

TINY_CONFIG = """
import os, sys
sys.path.insert(0, {repo!r})
from ram_keras.defaults import PAPER_MODEL, TRAINING
from ram_keras.training.runner import main
CONFIG = {{
    **TRAINING,
    "name": "run_tiny",
    "dataset": "mnist",
    "model": {{**PAPER_MODEL, "image_shape": [28, 28, 1], "num_glimpses": 3,
               "glimpse_size": 8, "what_units": 32, "where_units": 16,
               "glimpse_units": 64, "core_units": 64}},
    "epochs": {epochs},
    "batch_size": 32,
    "learning_rate": {learning_rate},
    "evaluation_paths": 2,
    "max_shift": 2,
    "jit_compile": False,
}}
if __name__ == "__main__":
    main(CONFIG)
"""


def write_tiny_config(folder, epochs=6, learning_rate=3e-3):
    """Writes `run_tiny.py` (a small centred-MNIST classifier config) into `folder`."""
    path = os.path.join(str(folder), "run_tiny.py")
    with open(path, "w") as f:
        f.write(TINY_CONFIG.format(repo=REPO, epochs=epochs, learning_rate=learning_rate))
    return path


def small_classifier(**kwargs):
    from ram_keras import RecurrentAttentionModel

    return RecurrentAttentionModel(**dict(SMALL_CLASSIFIER, **kwargs))


def assert_config_roundtrip(layer):
    """A layer rebuilt from its config has the same config, also through Keras's serializer."""
    config = layer.get_config()
    rebuilt = layer.__class__.from_config(config)
    assert rebuilt.get_config() == config
    serialized = keras.saving.serialize_keras_object(layer)
    restored = keras.saving.deserialize_keras_object(serialized)
    assert type(restored) is type(layer)
    assert restored.get_config() == config
    return rebuilt


Result = collections.namedtuple("Result", ["code", "stdout", "stderr"])


def run_main(module_or_path, *argv):
    """Runs a command's `main(argv)` in this process, as its script would.

    `module_or_path`: a config module file (runs its `CONFIG` through the
    runner), or `"evaluate"`, `"plot"`, `"train"`. Returns `Result(code,
    stdout, stderr)`; `code` is the exit status (`sys.exit("error: ...")`
    prints the message to stderr and exits 1, argparse exits 2).
    """
    from ram_keras import evaluate, plot, train
    from ram_keras.training.configs import read_config_module
    from ram_keras.training.runner import main as run

    commands = {"evaluate": evaluate.main, "plot": plot.main, "train": train.main}
    if module_or_path in commands:
        command = commands[module_or_path]
    else:
        config = read_config_module(module_or_path)
        command = lambda args: run(config, args)  # noqa: E731
    stdout, stderr = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            command(list(argv))
        except SystemExit as exit_:
            if isinstance(exit_.code, str):
                print(exit_.code, file=sys.stderr)
                code = 1
            else:
                code = exit_.code or 0
    return Result(code, stdout.getvalue(), stderr.getvalue())


def run_script(*args, timeout=600, cwd=REPO, env=None):
    """Runs `python *args` in a fresh process (for kill -9, several workers, installs)."""
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True,
                          env=env or ENV, timeout=timeout)


def assert_clean_failure(result, code=None):
    """An exit status of 1 or 2 and one `error:` line, no traceback."""
    assert result.code in ((1, 2) if code is None else (code,)), result
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert "error:" in result.stderr, result.stderr[-2000:]


class TinyRun:
    """The outputs of the `tiny_run` fixture: the folder, the model file, results.json."""

    def __init__(self, out):
        self.out = out
        self.model_path = os.path.join(str(out), "models", "run_tiny", "run0.weights.h5")
        self.results_path = os.path.join(str(out), "results", "run_tiny", "results.json")

    @property
    def results(self):
        with open(self.results_path) as f:
            return json.load(f)

    def model(self):
        from ram_keras import load_model

        return load_model(self.model_path)
