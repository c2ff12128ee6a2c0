"""The Catch environment against the pure-Python reference (tests/catch_reference.py)."""

import numpy as np
import pytest
import tensorflow as tf

from catch_reference import SUBPIXELS, ReferenceCatch, uniform_integer
from ram_keras.envs import catch
from ram_keras.envs.catch import CatchGame, CatchState, game_keys, play_random_agent

SIZE = 24
LEFT, STAY, RIGHT = 0, 1, 2


def batched_state(games):
    """A CatchState holding these reference games."""
    return CatchState(*(tf.constant([getattr(g, f) for g in games], tf.int32)
                        for f in ("row", "x", "v", "paddle")))


def assert_same(state, games):
    np.testing.assert_array_equal(state.ball_row.numpy(), [g.row for g in games])
    np.testing.assert_array_equal(state.ball_position.numpy(), [g.x for g in games])
    np.testing.assert_array_equal(state.ball_velocity.numpy(), [g.v for g in games])
    np.testing.assert_array_equal(state.paddle.numpy(), [g.paddle for g in games])


def test_constants_are_the_documented_rules():
    assert catch.SUBPIXELS == SUBPIXELS == 64
    assert catch.PADDLE_WIDTH == 2
    assert (catch.LEFT, catch.STAY, catch.RIGHT) == (LEFT, STAY, RIGHT)
    assert CatchGame().num_steps == 23


def test_hash_draws_equal_the_reference():
    rng = np.random.default_rng(0)
    keys = np.stack([rng.integers(0, 2**32, 200), rng.integers(0, 2**32, 200)], 1)
    keys[:3] = [[0, 0], [2**32 - 1, 2**32 - 1], [5, 2**32 - 1]]
    for field, count in ((0, 24), (1, 129), (2, 23), (7, 1000)):
        got = catch.uniform_integers(tf.constant(keys, tf.int64), field, count).numpy()
        want = [uniform_integer(int(s), int(g), field, count) for s, g in keys]
        np.testing.assert_array_equal(got, want)


def test_reset_equals_reference_and_draws_every_value():
    game = CatchGame(SIZE)
    keys = game_keys(3, 1000, 6000)
    state = game.reset(keys)
    games = [ReferenceCatch.from_key(3, 1000 + i) for i in range(6000)]
    assert_same(state, games)
    columns = game.ball_column(state).numpy()
    np.testing.assert_array_equal(columns, [g.column for g in games])
    assert set(columns) == set(range(SIZE))
    assert set(state.paddle.numpy()) == set(range(SIZE - 1))
    velocities = state.ball_velocity.numpy()
    assert velocities.min() == -SUBPIXELS and velocities.max() == SUBPIXELS
    assert len(set(velocities)) == 2 * SUBPIXELS + 1
    # Roughly uniform: every column within 25% of its expected count (250).
    assert np.all(np.abs(np.bincount(columns) - 250) < 63)
    assert np.all(state.ball_row.numpy() == 0)


def test_a_game_is_fixed_by_its_key():
    game = CatchGame(SIZE)
    together = game.reset(game_keys(9, 0, 50))
    alone = game.reset(tf.constant([[9, 17]], tf.int64))
    for field_together, field_alone in zip(together, alone):
        assert field_together.numpy()[17] == field_alone.numpy()[0]
    other_seed = game.reset(game_keys(10, 0, 50))
    assert not np.array_equal(together.ball_position.numpy(), other_seed.ball_position.numpy())


@pytest.mark.parametrize("jit", [False, True])
def test_batched_environment_equals_reference_step_by_step(jit):
    """Same seed, same random actions: identical states, screens, rewards, done."""
    game = CatchGame(SIZE)
    n = 400
    games = [ReferenceCatch.from_key(11, i) for i in range(n)]
    state = game.reset(game_keys(11, 0, n))
    step = tf.function(game.step, jit_compile=True) if jit else game.step
    observe = tf.function(game.observe, jit_compile=True) if jit else game.observe
    rng = np.random.default_rng(1)
    for t in range(SIZE + 1):  # two steps past the end: nothing may change
        np.testing.assert_array_equal(observe(state).numpy()[..., 0],
                                      [g.screen() for g in games])
        actions = rng.integers(0, 3, n)
        state, rewards, done = step(state, tf.constant(actions, tf.int32))
        want_rewards = [g.step(int(a)) for g, a in zip(games, actions)]
        assert_same(state, games)
        np.testing.assert_array_equal(rewards.numpy(), want_rewards)
        np.testing.assert_array_equal(done.numpy(), [g.done for g in games])
        assert done.numpy().all() == (t >= SIZE - 2)
    assert 0 < sum(g.paddle <= g.column <= g.paddle + 1 for g in games) < n


def test_ball_never_leaves_the_screen():
    game = CatchGame(SIZE)
    n = 3000
    state = game.reset(game_keys(4, 0, n))
    games = [ReferenceCatch.from_key(4, i) for i in range(n)]
    for _ in range(game.num_steps):
        state, _, _ = game.step(state, tf.fill((n,), STAY))
        for g in games:
            g.step(STAY)
            assert 0 <= g.x <= (SIZE - 1) * SUBPIXELS and 0 <= g.column < SIZE
        columns = game.ball_column(state).numpy()
        assert columns.min() >= 0 and columns.max() <= SIZE - 1
        np.testing.assert_array_equal(columns, [g.column for g in games])
    # Fast balls bounced: some velocities changed sign.
    assert np.any(np.sign(state.ball_velocity.numpy()) != np.sign(game.reset(
        game_keys(4, 0, n)).ball_velocity.numpy()))


def test_bounces_by_hand():
    """Full speed into a wall comes straight back; a slanted ball reflects its overshoot."""
    game = CatchGame(SIZE)
    right = (SIZE - 1) * SUBPIXELS
    games = [
        ReferenceCatch(0, 1 * SUBPIXELS, -SUBPIXELS, 10),   # column 1, one column left per row
        ReferenceCatch(0, right - SUBPIXELS, SUBPIXELS, 10),  # column 22, one right per row
        ReferenceCatch(0, 10, -30, 10),                       # overshoots the left wall by 20
        ReferenceCatch(0, right - 5, 20, 10),                 # overshoots the right wall by 15
    ]
    state = batched_state(games)
    positions, velocities = [], []
    for _ in range(3):
        state, _, _ = game.step(state, tf.fill((4,), STAY))
        positions.append(state.ball_position.numpy().tolist())
        velocities.append(state.ball_velocity.numpy().tolist())
        for g in games:
            g.step(STAY)
        assert_same(state, games)
    assert [p[0] // SUBPIXELS for p in positions] == [0, 1, 2]
    assert [(p[1] + 32) // SUBPIXELS for p in positions] == [23, 22, 21]
    assert [p[2] for p in positions] == [20, 50, 80] and velocities[0][2] == 30
    assert [p[3] for p in positions] == [right - 15, right - 35, right - 55]
    assert velocities[0][3] == -20


def test_reward_only_on_landing_and_only_on_the_paddle():
    """Balls falling straight down onto columns p - 1 .. p + 2 of a paddle at p = 10."""
    game = CatchGame(SIZE)
    games = [ReferenceCatch(0, c * SUBPIXELS, 0, 10) for c in (9, 10, 11, 12)]
    state = batched_state(games)
    for t in range(game.num_steps):
        state, rewards, done = game.step(state, tf.fill((4,), STAY))
        want = [g.step(STAY) for g in games]
        np.testing.assert_array_equal(rewards.numpy(), want)
        if t < game.num_steps - 1:
            assert not rewards.numpy().any() and not done.numpy().any()
    np.testing.assert_array_equal(rewards.numpy(), [0, 1, 1, 0])
    assert done.numpy().all()
    # The paddle's move on the landing step counts: stepping right catches column 12.
    moved = batched_state([ReferenceCatch(SIZE - 2, 12 * SUBPIXELS, 0, 10)])
    _, rewards, _ = game.step(moved, tf.constant([RIGHT]))
    assert rewards.numpy().tolist() == [1.0]


def test_paddle_is_clamped_at_the_walls():
    game = CatchGame(SIZE)
    games = [ReferenceCatch(0, 0, 0, 1), ReferenceCatch(0, 0, 0, SIZE - 3)]
    state = batched_state(games)
    for _ in range(5):
        state, _, _ = game.step(state, tf.constant([LEFT, RIGHT]))
        games[0].step(LEFT)
        games[1].step(RIGHT)
        assert_same(state, games)
    assert state.paddle.numpy().tolist() == [0, SIZE - 2]


def test_a_finished_game_does_not_change():
    game = CatchGame(SIZE)
    state = batched_state([ReferenceCatch(SIZE - 1, 5 * SUBPIXELS, 7, 5)])
    after, rewards, done = game.step(state, tf.constant([RIGHT]))
    assert_same(after, [ReferenceCatch(SIZE - 1, 5 * SUBPIXELS, 7, 5)])
    assert rewards.numpy().tolist() == [0.0] and done.numpy().tolist() == [True]


def test_render_draws_the_screen():
    game = CatchGame(SIZE)
    games = [ReferenceCatch.from_key(2, i) for i in range(3)]
    state = game.reset(game_keys(2, 0, 3))
    pictures = game.render(state, zoom=3)
    assert pictures.shape == (3, 72, 72) and pictures.dtype == np.uint8
    want = np.kron(np.array([g.screen() for g in games]), np.ones((3, 3))) * 255
    np.testing.assert_array_equal(pictures, want)
    with pytest.raises(ValueError):
        game.render(state, zoom=0)


def test_random_agent_catches_about_one_ball_in_twelve():
    game = CatchGame(SIZE)
    keys = game_keys(1_000_000, 0, 4000)
    first = play_random_agent(game, keys, seed=0)
    assert first == play_random_agent(game, keys, seed=0)
    assert 0.05 < first < 0.12


def test_bad_size_raises():
    with pytest.raises(ValueError):
        CatchGame(3)
    with pytest.raises(ValueError):
        CatchGame(24.0)
