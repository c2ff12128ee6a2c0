"""Shared set-up: the source tree on the path, two logical CPUs, and one tiny trained model.

The CPU is split into two logical devices before TensorFlow starts, so the
tests can train under `tf.distribute.MirroredStrategy` with two replicas in
this process. The session fixture `tiny_run` trains a tiny classifier once,
through the runner as a user would (`configs`-style module, `main`), and the
tests of evaluation, saving, plotting and pictures share it.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0],
    [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])

from helpers import TinyRun, run_main, write_tiny_config  # noqa: E402


@pytest.fixture(scope="session")
def two_cpus():
    """One MirroredStrategy over the two logical CPUs, shared: strategies made anew in
    one process reuse collective keys and clash."""
    return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])


@pytest.fixture(scope="session")
def tiny_config_path(tmp_path_factory):
    """A config module file `run_tiny.py`: a small classifier on centred MNIST."""
    return write_tiny_config(tmp_path_factory.mktemp("config"))


@pytest.fixture(scope="session")
def tiny_run(tiny_config_path, tmp_path_factory):
    """A tiny classifier trained once through the runner: 3 epochs on 6,144 digits, the
    sampled validation metrics of 2 paths per image after each, and TensorBoard logs in
    `out/tensorboard`."""
    out = tmp_path_factory.mktemp("tiny_run")
    result = run_main(tiny_config_path, "--limit", "6144", "--eval-limit", "500", "--epochs",
                      "3", "--out", str(out), "--verbose", "0", "--validation-paths", "2",
                      "--tensorboard",
                      str(out / "tensorboard"))
    assert result.code == 0, result.stderr
    return TinyRun(out)
