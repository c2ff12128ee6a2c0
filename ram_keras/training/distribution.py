"""Choosing the tf.distribute strategy a config trains under.

| name | strategy | devices |
| --- | --- | --- |
| `default` | TensorFlow's default strategy | one device: the first GPU if any, else the CPU |
| `mirrored` | `tf.distribute.MirroredStrategy` | all local GPUs, or the devices named |
| `multi_worker` | `tf.distribute.MultiWorkerMirroredStrategy` | every worker of the cluster in `TF_CONFIG` |
| `tpu` | `tf.distribute.TPUStrategy` | the TPU found by `TPUClusterResolver` |

The batch size of a config is the global batch: each of the N replicas gets
1/N of it, and `RecurrentAttentionModel.train_step` divides its per-replica
mean loss by N so the summed gradients are those of the global-batch mean.
"""

import json
import os

import tensorflow as tf

STRATEGIES = ("default", "mirrored", "multi_worker", "tpu")


class StrategyError(ValueError):
    """A strategy that cannot be set up here; the message says why."""


def split_cpu(count):
    """Splits the CPU into `count` logical devices (`/cpu:0`, `/cpu:1`, ...).

    Lets `mirrored` run with several replicas on a machine without GPUs
    (for trying it out and for tests; it is not faster). Must be called
    before TensorFlow has created any tensor.
    """
    cpus = tf.config.list_physical_devices("CPU")
    try:
        tf.config.set_logical_device_configuration(
            cpus[0], [tf.config.LogicalDeviceConfiguration() for _ in range(count)]
        )
    except RuntimeError as error:
        raise StrategyError(
            f"cannot split the CPU into {count} devices after TensorFlow has started ({error})"
        ) from None


def cluster_task():
    """`(task_type, task_index, number_of_workers)` from `TF_CONFIG`, or None."""
    text = os.environ.get("TF_CONFIG")
    if not text:
        return None
    try:
        tf_config = json.loads(text)
        cluster, task = tf_config["cluster"], tf_config["task"]
        workers = sum(len(cluster.get(kind, [])) for kind in ("chief", "worker"))
        return task["type"], int(task["index"]), workers
    except (ValueError, KeyError, TypeError) as error:
        raise StrategyError(f"TF_CONFIG is malformed ({error}): {text}") from None


def is_chief():
    """True in the process that writes models and results.

    That is every process outside a cluster; inside one (TF_CONFIG), the
    `chief` task, or worker 0 when the cluster has no chief.
    """
    task = cluster_task()
    if task is None:
        return True
    task_type, index, _ = task
    cluster = json.loads(os.environ["TF_CONFIG"])["cluster"]
    if "chief" in cluster:
        return task_type == "chief"
    return task_type == "worker" and index == 0


def worker_name():
    """A name for this process's files: `chief` or `worker<K>`."""
    task = cluster_task()
    if task is None or is_chief():
        return "chief"
    return f"{task[0]}{task[1]}"


def make_strategy(name, devices=None):
    """The tf.distribute strategy called `name` (one of `STRATEGIES`).

    Args:
        name: `default`, `mirrored`, `multi_worker` or `tpu`.
        devices: for `mirrored`, the device names to mirror over (default:
            all local GPUs, or the CPU when there is none).

    Raises:
        StrategyError: unknown name, `multi_worker` without `TF_CONFIG`, or
            `tpu` without a TPU.
    """
    if name not in STRATEGIES:
        raise StrategyError(f"unknown strategy {name!r}; use one of {', '.join(STRATEGIES)}")
    if devices and name != "mirrored":
        raise StrategyError(f"devices can only be named for the mirrored strategy, not {name!r}")
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        try:
            return tf.distribute.MirroredStrategy(devices=list(devices) if devices else None)
        except (ValueError, RuntimeError) as error:
            raise StrategyError(f"cannot mirror over {devices}: {error}") from None
    if name == "multi_worker":
        task = cluster_task()
        if task is None:
            raise StrategyError(
                "the multi_worker strategy needs TF_CONFIG describing the cluster, e.g. "
                '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
                '"task": {"type": "worker", "index": 0}}'
            )
        return tf.distribute.MultiWorkerMirroredStrategy()
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, tf.errors.OpError) as error:
        raise StrategyError(f"no TPU found for the tpu strategy ({error})") from None
    return tf.distribute.TPUStrategy(resolver)


def shard_by_data(dataset):
    """Makes multi-worker training split `dataset` by batches, not by files.

    Our pipelines are built from in-memory tensors, which have no files to
    shard; every worker builds the same dataset and takes its own batches.
    """
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def agree_on_epoch(strategy, epoch):
    """The smallest checkpoint epoch over all workers (`epoch` outside a cluster).

    Workers save their checkpoints at the end of each epoch; when one is
    killed the others may have saved one epoch more. Each worker keeps its
    last two checkpoints and all resume from the common epoch. A collective:
    every worker of the cluster must call it (restart all with --resume).
    """
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return epoch
    per_replica = strategy.run(lambda: tf.constant([epoch], tf.int64))
    return int(tf.reduce_min(strategy.gather(per_replica, axis=0)))


def supports_xla(strategy):
    """Whether XLA can compile the training step under `strategy` here.

    With more than one replica the step contains cross-device collectives
    (the gradient all-reduce), which XLA compiles for GPUs and TPUs but not
    for CPU devices ("Collectives are not yet implemented for CPU devices when
    compiling with XLA"); so on CPU-only machines `mirrored` over logical CPUs
    and `multi_worker` run without XLA.
    """
    if strategy.num_replicas_in_sync == 1 and not isinstance(
            strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return True
    return bool(tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("TPU"))
