import numpy as np

from ram_keras import baseline_loss, classification_reward, cross_entropy_loss, reinforce_loss


def test_cross_entropy_matches_numpy():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(6, 10)).astype(np.float32) * 3
    labels = rng.integers(0, 10, 6)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    want = -log_softmax[np.arange(6), labels].mean()
    np.testing.assert_allclose(cross_entropy_loss(labels, logits).numpy(), want, rtol=1e-5)


def test_reward_is_one_for_correct_final_prediction():
    logits = np.array([[0.1, 2.0, 0.0], [3.0, 0.0, 1.0], [0.0, 0.0, 5.0]], np.float32)
    labels = np.array([1, 2, 2])
    np.testing.assert_array_equal(classification_reward(labels, logits).numpy(), [1.0, 0.0, 1.0])


def test_reinforce_loss_matches_numpy():
    rng = np.random.default_rng(1)
    log_probs = rng.normal(size=(5, 4)).astype(np.float32)
    rewards = rng.integers(0, 2, 5).astype(np.float32)
    baselines = rng.random((5, 4)).astype(np.float32)
    want = np.mean(np.sum(-log_probs * (rewards[:, None] - baselines), axis=1))
    np.testing.assert_allclose(
        reinforce_loss(log_probs, rewards, baselines).numpy(), want, rtol=1e-5
    )


def test_baseline_loss_matches_numpy():
    rng = np.random.default_rng(2)
    rewards = rng.integers(0, 2, 5).astype(np.float32)
    baselines = rng.random((5, 4)).astype(np.float32)
    want = np.mean((rewards[:, None] - baselines) ** 2)
    np.testing.assert_allclose(baseline_loss(rewards, baselines).numpy(), want, rtol=1e-5)
