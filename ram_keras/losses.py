"""The terms of RAM's hybrid loss, as small pure functions.

Every REINFORCE term in ram_keras (the classifier's glimpses, Catch's glimpses
and paddle actions) is `reinforce_loss`; every baseline is fitted by
`baseline_loss` or replaced by `leave_one_out_baseline`.

Each loss takes an optional `sample_weight` `(batch,)`: the mean over the batch
is then `mean_n w_n * loss_n`, Keras's own reduction of weighted losses
("sum_over_batch_size"), so `fit(..., sample_weight=...)` and
`fit(..., class_weight=...)` (which Keras turns into sample weights) mean what
they mean for a built-in Keras loss.
"""

from keras import ops


def weighted_batch_mean(values, sample_weight=None):
    """`mean_n w_n * values_n` over the batch (the plain mean without weights).

    Args:
        values: `(batch,)` per-example losses.
        sample_weight: `(batch,)` weights, or None.
    """
    if sample_weight is None:
        return ops.mean(values)
    return ops.mean(values * ops.cast(sample_weight, values.dtype))


def true_class_log_probability(labels, logits):
    """`(batch,)`: `log softmax(logits_n)[labels_n]`, the log-probability of the true class."""
    log_probs = ops.log_softmax(logits, axis=-1)
    picked = ops.take_along_axis(
        log_probs, ops.expand_dims(ops.cast(labels, "int32"), -1), axis=-1
    )
    return picked[:, 0]


def cross_entropy_loss(labels, logits, sample_weight=None):
    """Mean softmax cross-entropy of the final prediction.

    Args:
        labels: `(batch,)` int class indices.
        logits: `(batch, num_classes)`.
        sample_weight: `(batch,)` weights `w`, or None (all 1).

    Returns:
        Scalar: `mean_n w_n [logsumexp(logits_n) - logits_n[labels_n]]`.
    """
    return weighted_batch_mean(-true_class_log_probability(labels, logits), sample_weight)


def classification_reward(labels, logits):
    """`(batch,)` float reward: 1 where the final prediction is right, else 0."""
    predicted = ops.argmax(logits, axis=-1)
    return ops.cast(ops.equal(predicted, ops.cast(labels, predicted.dtype)), "float32")


def log_probability_reward(labels, logits):
    """`(batch,)` float reward: the log-probability the final prediction gives the true class.

    A graded alternative to `classification_reward`: a path that makes the
    right class more likely earns more even where the argmax does not change.
    A constant of the loss (`stop_gradient`), as every REINFORCE reward is.
    """
    return ops.stop_gradient(true_class_log_probability(labels, ops.cast(logits, "float32")))


def reinforce_loss(log_probs, rewards, baselines, sample_weight=None):
    """REINFORCE with a baseline, summed over time and averaged over the batch.

    The advantage `R - b_t` is a constant (`stop_gradient`): this term only
    moves the policy, never the baseline.

    Args:
        log_probs: `(batch, time)` log pi(a_t) of the decisions taken.
        rewards: `(batch,)` episode reward R.
        baselines: `(batch, time)` baseline b_t, or `(batch, 1)` for one per episode.
        sample_weight: `(batch,)` weights `w`, or None (all 1).

    Returns:
        Scalar: `mean_n w_n sum_t -log_probs[n, t] * (R_n - b[n, t])`.
    """
    advantages = ops.stop_gradient(ops.expand_dims(rewards, -1) - baselines)
    return weighted_batch_mean(ops.sum(-log_probs * advantages, axis=-1), sample_weight)


def baseline_loss(rewards, baselines, sample_weight=None):
    """Mean squared error of the baseline, over batch and time.

    Args:
        rewards: `(batch,)` episode reward R (a constant target).
        baselines: `(batch, time)`.
        sample_weight: `(batch,)` weights `w`, or None (all 1).

    Returns:
        Scalar: `mean_n w_n mean_t (R_n - b[n, t])^2` (with all weights 1, the
        mean over batch and time).
    """
    targets = ops.stop_gradient(ops.expand_dims(rewards, -1))
    return weighted_batch_mean(ops.mean(ops.square(targets - baselines), axis=-1), sample_weight)


def leave_one_out_baseline(rewards, group_size):
    """For M sampled episodes of the same input, each one's baseline is the others' mean.

    The batch holds consecutive groups of `group_size` episodes of one input
    (`ops.repeat(inputs, M, axis=0)`). The baseline of episode `i` of a group
    is `(sum_j R_j - R_i) / (M - 1)`: it does not depend on episode `i`, so
    REINFORCE stays unbiased, and it needs no learning (Kool et al. 2019).

    Args:
        rewards: `(batch,)` rewards, `batch` a multiple of `group_size`.
        group_size: int >= 2, episodes per input `M`.

    Returns:
        `(batch, 1)` baselines, constant over time.
    """
    if group_size < 2:
        raise ValueError(f"leave_one_out_baseline needs group_size >= 2, got {group_size}.")
    groups = ops.reshape(rewards, (-1, group_size))
    totals = ops.sum(groups, axis=1, keepdims=True)
    others = (totals - groups) / (group_size - 1.0)
    return ops.stop_gradient(ops.reshape(others, (-1, 1)))


def categorical_entropy(probabilities):
    """Entropy `-sum_a p_a log p_a` over the last axis, `(...)` (0 log 0 read as 0)."""
    return -ops.sum(probabilities * ops.log(ops.maximum(probabilities, 1e-12)), axis=-1)
