"""Catch, the game of Mnih et al. (2014, section 4.2), as a batched TensorFlow environment.

The exact rules (`CatchGame(size=24)`; `S = SUBPIXELS = 64`):

- **Screen.** `size x size` binary pixels (24 x 24), row 0 at the top, column 0
  at the left. A pixel is 1 where the ball or the paddle is, else 0.
- **Paddle.** 2 pixels wide on the bottom row `size - 1`; its state is its left
  column `p` in `[0, size - 2]` (it covers columns `p` and `p + 1`).
- **Ball.** One pixel. Its row `r` is the number of steps taken so far (it
  starts on row 0 and falls exactly one row per step). Its horizontal position
  is an integer `x` in sub-pixel units, `0 <= x <= (size - 1) * S`, and it is
  drawn in column `(x + S // 2) // S` (the nearest column, halves rounded up),
  so it always lies on the screen. Its horizontal velocity `v` is an integer
  in `[-S, S]` sub-pixels per step: the ball falls at an angle of
  `atan(v / S)` from the vertical, between -45 and +45 degrees, and moves at
  most one column per row.
- **Start** (`reset`). `r = 0`; ball column `c` uniform in `[0, size - 1]` and
  `x = c * S` (the ball starts on the top row, centred in its column);
  `v` uniform in `[-S, S]` (2S + 1 = 129 angles); paddle `p` uniform in
  `[0, size - 2]`. The three draws are a deterministic hash of the game's key
  `(seed, game_id)` (see `uniform_integers`), so a game is fixed by its key and
  any batch of keys can be replayed.
- **Step** (`step`, action `a`): 0 moves the paddle one column left, 1 keeps
  it still, 2 moves it one column right; the paddle is clamped to
  `[0, size - 2]`. At the same time the ball moves: `r += 1`, `x += v`, and it
  bounces off the side walls, which lie at `x = 0` and `x = (size - 1) * S`
  (the centres of the outer columns): if `x < 0` then `x = -x` and `v = -v`;
  if `x > (size - 1) * S` then `x = 2 (size - 1) S - x` and `v = -v` (one
  reflection is always enough because `|v| <= S`).
- **End and reward.** The game ends on the step that brings the ball to the
  bottom row (`r = size - 1`), after exactly `size - 1` = 23 steps (so the
  agent sees 23 screens, with the ball on rows 0 .. 22, and takes 23
  actions). That step gives reward 1 if the ball's column is `p` or `p + 1`
  (on the paddle, after the paddle's move), else 0; every other step gives 0.
  Stepping a finished game changes nothing and gives reward 0.

Everything is integer arithmetic, so the batched environment and a pure-Python
one (tests/test_catch.py) agree exactly.
"""

import collections

import numpy as np
import tensorflow as tf

SUBPIXELS = 64
PADDLE_WIDTH = 2
LEFT, STAY, RIGHT = 0, 1, 2
NUM_ACTIONS = 3
ACTION_NAMES = ("left", "stay", "right")

# The fields of a game's key that `reset` draws from.
BALL_COLUMN_FIELD, BALL_VELOCITY_FIELD, PADDLE_FIELD = 0, 1, 2
_MASK_32 = 0xFFFFFFFF
# Multipliers below 2**31, so that (32-bit value) * multiplier fits in int64.
_MULTIPLIER_1 = 0x7FEB352D
_MULTIPLIER_2 = 0x2C1B3C6D

CatchState = collections.namedtuple(
    "CatchState", ["ball_row", "ball_position", "ball_velocity", "paddle"]
)
CatchState.__doc__ = """State of a batch of games, each field an int32 tensor `(batch,)`.

`ball_row` (= steps taken), `ball_position` (sub-pixels, see the module
docstring), `ball_velocity` (sub-pixels per step), `paddle` (left column).
"""


def mix32(values):
    """A 32-bit integer hash (xor-shift-multiply), elementwise on int64 tensors.

    Args:
        values: int64 tensor of values in `[0, 2**32)`.

    Returns:
        int64 tensor of hashes in `[0, 2**32)`:
        `x ^= x >> 16; x = x * M1 mod 2**32; x ^= x >> 15; x = x * M2 mod 2**32;
        x ^= x >> 16` with `M1 = 0x7FEB352D`, `M2 = 0x2C1B3C6D`.
    """
    x = tf.bitwise.bitwise_xor(values, tf.bitwise.right_shift(values, 16))
    x = tf.bitwise.bitwise_and(x * _MULTIPLIER_1, _MASK_32)
    x = tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, 15))
    x = tf.bitwise.bitwise_and(x * _MULTIPLIER_2, _MASK_32)
    return tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, 16))


def uniform_integers(keys, field, count):
    """One integer in `[0, count)` per game key, a fixed function of (key, field).

    `hash = mix32(mix32(mix32(seed) ^ game_id) ^ field)` and the result is
    `hash % count` (the bias of the modulo is below `count / 2**32`).

    Args:
        keys: int64 `(batch, 2)`: `(seed, game_id)`, both in `[0, 2**32)`.
        field: int, which draw of the game (`BALL_COLUMN_FIELD`, ...).
        count: int, the number of possible values.

    Returns:
        int32 tensor `(batch,)`.
    """
    keys = tf.bitwise.bitwise_and(tf.cast(keys, tf.int64), _MASK_32)
    h = mix32(keys[:, 0])
    h = mix32(tf.bitwise.bitwise_xor(h, keys[:, 1]))
    h = mix32(tf.bitwise.bitwise_xor(h, tf.constant(field, tf.int64)))
    return tf.cast(h % count, tf.int32)


def game_keys(seed, first_game, count):
    """Keys `(count, 2)` int64 of games `first_game .. first_game + count - 1` of `seed`."""
    ids = tf.range(first_game, first_game + count, dtype=tf.int64)
    return tf.stack([tf.fill(tf.shape(ids), tf.constant(seed, tf.int64)), ids], axis=1)


class CatchGame:
    """A batch of Catch games stepped together in TensorFlow (rules: module docstring).

    The environment holds no state: `reset` returns a `CatchState` and `step`
    returns the next one, so a whole episode can run inside a `tf.function`
    (and under XLA).

    Args:
        size: int >= 4, the side of the square screen in pixels (24).
    """

    def __init__(self, size=24):
        if isinstance(size, bool) or not isinstance(size, int) or size < 4:
            raise ValueError(f"CatchGame: `size` must be an int >= 4, got {size!r}.")
        self.size = size

    @property
    def num_steps(self):
        """Steps (screens seen, actions taken) in every episode: `size - 1`."""
        return self.size - 1

    @property
    def max_position(self):
        """The ball's largest horizontal position in sub-pixels (right wall)."""
        return (self.size - 1) * SUBPIXELS

    def reset(self, keys):
        """The start of the games with these keys.

        Args:
            keys: int `(batch, 2)`, `(seed, game_id)` per game.

        Returns:
            A `CatchState`.
        """
        keys = tf.convert_to_tensor(keys, tf.int64)
        column = uniform_integers(keys, BALL_COLUMN_FIELD, self.size)
        velocity = uniform_integers(keys, BALL_VELOCITY_FIELD, 2 * SUBPIXELS + 1) - SUBPIXELS
        paddle = uniform_integers(keys, PADDLE_FIELD, self.size - PADDLE_WIDTH + 1)
        return CatchState(
            ball_row=tf.zeros_like(column),
            ball_position=column * SUBPIXELS,
            ball_velocity=velocity,
            paddle=paddle,
        )

    def ball_column(self, state):
        """int32 `(batch,)`: the column the ball is drawn in."""
        return tf.math.floordiv(state.ball_position + SUBPIXELS // 2, SUBPIXELS)

    def is_done(self, state):
        """bool `(batch,)`: the ball has reached the bottom row."""
        return state.ball_row >= self.size - 1

    def step(self, state, actions):
        """Moves the paddles by `actions` and the balls by one row.

        Args:
            state: a `CatchState`.
            actions: int `(batch,)` in {0: left, 1: stay, 2: right}.

        Returns:
            `(next_state, rewards, done)`: rewards float32 `(batch,)`, 1 for a
            ball that lands on the paddle on this step, else 0; done bool
            `(batch,)`, the game has ended (on this step or before).
        """
        actions = tf.cast(actions, tf.int32)
        finished = self.is_done(state)
        paddle = tf.clip_by_value(state.paddle + actions - 1, 0, self.size - PADDLE_WIDTH)
        position = state.ball_position + state.ball_velocity
        velocity = state.ball_velocity
        below = position < 0
        position = tf.where(below, -position, position)
        velocity = tf.where(below, -velocity, velocity)
        above = position > self.max_position
        position = tf.where(above, 2 * self.max_position - position, position)
        velocity = tf.where(above, -velocity, velocity)
        moved = CatchState(state.ball_row + 1, position, velocity, paddle)
        next_state = CatchState(*(tf.where(finished, old, new) for old, new in zip(state, moved)))
        landed = tf.logical_and(tf.logical_not(finished), self.is_done(next_state))
        column = self.ball_column(next_state)
        on_paddle = tf.logical_and(column >= paddle, column < paddle + PADDLE_WIDTH)
        rewards = tf.cast(tf.logical_and(landed, on_paddle), tf.float32)
        return next_state, rewards, self.is_done(next_state)

    def observe(self, state):
        """The screens as float32 `(batch, size, size, 1)`, 1 on the ball and the paddle."""
        rows = tf.one_hot(state.ball_row, self.size)
        columns = tf.one_hot(self.ball_column(state), self.size)
        ball = rows[:, :, None] * columns[:, None, :]
        paddle_columns = tf.one_hot(state.paddle, self.size) + tf.one_hot(
            state.paddle + 1, self.size
        )
        bottom = tf.one_hot(self.size - 1, self.size)
        paddle = bottom[None, :, None] * paddle_columns[:, None, :]
        return tf.maximum(ball, paddle)[..., None]

    def render(self, state, zoom=1):
        """The screens as pictures: uint8 numpy `(batch, size * zoom, size * zoom)`.

        Ball and paddle are 255, the background 0; each pixel becomes a
        `zoom x zoom` square.
        """
        if isinstance(zoom, bool) or not isinstance(zoom, int) or zoom < 1:
            raise ValueError(f"render: `zoom` must be a positive int, got {zoom!r}.")
        screens = np.asarray(self.observe(state))[..., 0]
        pictures = (screens * 255).astype(np.uint8)
        return np.repeat(np.repeat(pictures, zoom, axis=1), zoom, axis=2)


def play_random_agent(game, keys, seed=0):
    """Fraction of the games with these keys caught by uniformly random actions.

    Args:
        game: a `CatchGame`.
        keys: int `(batch, 2)` game keys.
        seed: int, seed of the actions.

    Returns:
        float, the mean reward.
    """
    state = game.reset(keys)
    batch = int(state.paddle.shape[0])
    total = tf.zeros((batch,), tf.float32)
    for step in range(game.num_steps):
        actions = tf.random.stateless_uniform(
            (batch,), seed=(seed, step), minval=0, maxval=NUM_ACTIONS, dtype=tf.int32
        )
        state, rewards, _ = game.step(state, actions)
        total += rewards
    return float(tf.reduce_mean(total))
