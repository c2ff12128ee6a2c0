"""The three terms of RAM's hybrid loss, as small pure functions."""

from keras import ops


def cross_entropy_loss(labels, logits):
    """Mean softmax cross-entropy of the final prediction.

    Args:
        labels: `(batch,)` int class indices.
        logits: `(batch, num_classes)`.

    Returns:
        Scalar: `mean_n [logsumexp(logits_n) - logits_n[labels_n]]`.
    """
    log_probs = ops.log_softmax(logits, axis=-1)
    picked = ops.take_along_axis(
        log_probs, ops.expand_dims(ops.cast(labels, "int32"), -1), axis=-1
    )
    return -ops.mean(picked)


def classification_reward(labels, logits):
    """`(batch,)` float reward: 1 where the final prediction is right, else 0."""
    predicted = ops.argmax(logits, axis=-1)
    return ops.cast(ops.equal(predicted, ops.cast(labels, predicted.dtype)), "float32")


def reinforce_loss(log_probs, rewards, baselines):
    """REINFORCE with a baseline, summed over time and averaged over the batch.

    The advantage `R - b_t` is a constant (`stop_gradient`): this term only
    moves the policy, never the baseline.

    Args:
        log_probs: `(batch, time)` log pi(l_t) of the locations drawn.
        rewards: `(batch,)` episode reward R.
        baselines: `(batch, time)` baseline b_t.

    Returns:
        Scalar: `mean_n sum_t -log_probs[n, t] * (R_n - b[n, t])`.
    """
    advantages = ops.stop_gradient(ops.expand_dims(rewards, -1) - baselines)
    return ops.mean(ops.sum(-log_probs * advantages, axis=-1))


def baseline_loss(rewards, baselines):
    """Mean squared error of the baseline, over batch and time.

    Args:
        rewards: `(batch,)` episode reward R (a constant target).
        baselines: `(batch, time)`.

    Returns:
        Scalar: `mean_{n,t} (R_n - b[n, t])^2`.
    """
    targets = ops.stop_gradient(ops.expand_dims(rewards, -1))
    return ops.mean(ops.square(targets - baselines))
