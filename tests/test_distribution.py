"""tf.distribute strategies: names and errors, mirrored on two logical CPUs,
multi-worker training with two processes on 127.0.0.1."""

import json
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from helpers import ENV, REPO, run_main, write_tiny_config
from ram_keras.training import distribution
from ram_keras.training.distribution import StrategyError


def tf_config(ports, index):
    return json.dumps({"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
                       "task": {"type": "worker", "index": index}})


def test_strategy_names_and_errors(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert distribution.make_strategy("default").num_replicas_in_sync == 1
    with pytest.raises(StrategyError, match="unknown strategy 'gpu'.*mirrored"):
        distribution.make_strategy("gpu")
    with pytest.raises(StrategyError, match="needs TF_CONFIG"):
        distribution.make_strategy("multi_worker")
    with pytest.raises(StrategyError, match="only be named for the mirrored"):
        distribution.make_strategy("default", devices=["/cpu:0"])


def test_chief_is_the_chief_task_or_worker_zero(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert distribution.is_chief() and distribution.worker_name() == "chief"
    monkeypatch.setenv("TF_CONFIG", tf_config([1, 2], 0))
    assert distribution.is_chief() and distribution.cluster_task() == ("worker", 0, 2)
    monkeypatch.setenv("TF_CONFIG", tf_config([1, 2], 1))
    assert not distribution.is_chief() and distribution.worker_name() == "worker1"
    monkeypatch.setenv("TF_CONFIG", json.dumps({
        "cluster": {"chief": ["a:1"], "worker": ["b:1"]}, "task": {"type": "worker", "index": 0}}))
    assert not distribution.is_chief() and distribution.cluster_task()[2] == 2
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(StrategyError, match="malformed"):
        distribution.cluster_task()


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


TRAIN_FLAGS = ("--limit", "512", "--eval-limit", "200", "--verbose", "2")


def train(config, out, *flags, env=ENV):
    return subprocess.Popen(
        [sys.executable, config, *TRAIN_FLAGS, "--out", str(out), *flags],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def finish(process, timeout=400):
    stdout, stderr = process.communicate(timeout=timeout)
    assert process.returncode == 0, stderr[-3000:]
    return stdout


def results(out):
    return json.loads((out / "results" / "run_tiny" / "results.json").read_text())


def weights(path):
    from ram_keras.saving import load_model

    return load_model(str(path)).get_weights()


def test_mirrored_on_two_cpus_trains_as_one_device(tmp_path, two_cpus, monkeypatch):
    """The runner's --strategy mirrored (here the session's two-CPU strategy) trains as one
    device does. With every glimpse at the centre nothing is sampled, so the two runs
    differ only in the order of float sums (two half-batch gradients added instead of one
    batch's): their histories agree to float32 rounding, not within sampling noise."""
    path = write_tiny_config(tmp_path, epochs=2)
    with open(path) as f:
        text = f.read().replace('"num_glimpses": 3,',
                                '"num_glimpses": 3, "location_policy": "centre",')
    with open(path, "w") as f:
        f.write(text)
    assert run_main(path, *TRAIN_FLAGS, "--out", str(tmp_path / "default")).code == 0
    monkeypatch.setattr(distribution, "make_strategy", lambda name, devices=None: two_cpus)
    mirrored_run = run_main(path, *TRAIN_FLAGS, "--out", str(tmp_path / "mirrored"),
                            "--strategy", "mirrored", "--jit")
    assert mirrored_run.code == 0, mirrored_run.stderr[-3000:]
    assert "trains without XLA here" in mirrored_run.stdout
    default, mirrored = results(tmp_path / "default"), results(tmp_path / "mirrored")
    assert default["config"]["replicas"] == 1 and mirrored["config"]["replicas"] == 2
    a, b = default["runs"][0]["history"], mirrored["runs"][0]["history"]
    assert a["train_classification_loss"][1] < a["train_classification_loss"][0]  # it learns
    for key in ("train_classification_loss", "train_baseline_loss", "val_classification_loss",
                "val_accuracy"):
        np.testing.assert_allclose(a[key], b[key], rtol=1e-4, err_msg=key)


def wait_for(path, process, timeout=400):
    """Polls until `path` exists; fails if `process` ends first or time runs out."""
    waited = 0.0
    while not path.exists():
        if process.poll() is not None:
            pytest.fail(f"worker ended before {path} appeared: {process.communicate()[1][-2000:]}")
        if waited > timeout:
            pytest.fail(f"{path} did not appear within {timeout} s")
        time.sleep(0.05)
        waited += 0.05


@pytest.mark.slow
def test_two_workers_train_together_survive_a_kill_9_and_agree(tmp_path):
    """Two workers on 127.0.0.1 train one model; kill -9 one mid-training; restart the
    cluster with --resume.

    As with tf.distribute's BackupAndRestore, a MultiWorkerMirroredStrategy
    cluster cannot go on with a worker missing: the survivor waits in (or
    fails out of) the next all-reduce and is restarted with the killed one, as
    a cluster manager would. Both then resume after the last epoch that every
    worker saved, finish, and hold identical weights.
    """
    config = write_tiny_config(tmp_path, epochs=4)
    out = tmp_path / "cluster"
    ports = free_ports(2)
    workers = [train(config, out, "--strategy", "multi_worker",
                     env=dict(ENV, TF_CONFIG=tf_config(ports, i))) for i in range(2)]
    worker1_state = (out / "workers" / "worker1" / "checkpoints" / "run_tiny" / "run0"
                     / "state.json")
    wait_for(worker1_state, workers[1])
    workers[1].send_signal(signal.SIGKILL)
    assert json.loads(worker1_state.read_text())["epoch"] < 4  # killed mid-training
    workers[1].communicate()
    try:
        workers[0].communicate(timeout=60)  # fails out if it notices its peer is gone
    except subprocess.TimeoutExpired:
        workers[0].kill()  # still waiting in the all-reduce: restart it too
        workers[0].communicate()
    ports = free_ports(2)
    restarted = [train(config, out, "--strategy", "multi_worker", "--resume",
                       env=dict(ENV, TF_CONFIG=tf_config(ports, i))) for i in range(2)]
    logs = [finish(worker) for worker in restarted]
    for log in logs:
        assert "resuming after epoch" in log, log[-2000:]
    chief = results(out)
    assert chief["config"]["strategy"] == "multi_worker" and chief["config"]["replicas"] == 2
    assert chief["runs"][0]["history"]["epoch"] == [1, 2, 3, 4]
    assert chief["runs"][0]["final"]["test_accuracy"] > 0.2
    chief_model = out / "models" / "run_tiny" / "run0.weights.h5"
    other_model = out / "workers" / "worker1" / "models" / "run_tiny" / "run0.weights.h5"
    for a, b in zip(weights(chief_model), weights(other_model)):
        np.testing.assert_array_equal(a, b)


WORKER_DRAWS = """
import json, os, sys
sys.path.insert(0, {repo!r})
import tensorflow as tf
from ram_keras.layers import LocationSampler
strategy = tf.distribute.MultiWorkerMirroredStrategy()
with strategy.scope():
    sampler = LocationSampler(std=1.0, seed=5)
    sampler.build((None, 4))

def draw():
    sample, mean, _ = sampler(tf.zeros((1, 4)))
    return sample - mean

values = strategy.experimental_local_results(strategy.run(tf.function(draw)))
print(json.dumps([v.numpy().tolist() for v in values]))
"""


@pytest.mark.slow
def test_each_worker_draws_its_own_samples_reproducibly(tmp_path):
    script = WORKER_DRAWS.format(repo=REPO)

    def draws():
        ports = free_ports(2)
        workers = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True,
                                    env=dict(ENV, TF_CONFIG=tf_config(ports, i)))
                   for i in range(2)]
        return [json.loads(finish(worker, timeout=120).strip().splitlines()[-1])
                for worker in workers]

    first, again = draws(), draws()
    assert not np.allclose(first[0], first[1])  # the two workers differ
    assert first == again  # and each reproduces its own
