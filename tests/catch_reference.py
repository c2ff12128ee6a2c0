"""A pure-Python Catch, written from the rules in ram_keras/catch.py's docstring.

Plain ints and lists, one game at a time, no TensorFlow and no numpy: the
batched environment is checked against it step by step.
"""

SUBPIXELS = 64
MASK_32 = 0xFFFFFFFF
MOVES = {0: -1, 1: 0, 2: +1}  # left, stay, right


def mix32(x):
    x ^= x >> 16
    x = (x * 0x7FEB352D) & MASK_32
    x ^= x >> 15
    x = (x * 0x2C1B3C6D) & MASK_32
    return x ^ (x >> 16)


def uniform_integer(seed, game_id, field, count):
    h = mix32(seed & MASK_32)
    h = mix32(h ^ (game_id & MASK_32))
    h = mix32(h ^ field)
    return h % count


class ReferenceCatch:
    """One game of Catch.

    Attributes: `row` (ball row), `x` (ball position in sub-pixels), `v` (its
    velocity), `paddle` (left column of the 2-pixel paddle), `size`.
    """

    def __init__(self, row, x, v, paddle, size=24):
        self.row, self.x, self.v, self.paddle, self.size = row, x, v, paddle, size

    @classmethod
    def from_key(cls, seed, game_id, size=24):
        column = uniform_integer(seed, game_id, 0, size)
        velocity = uniform_integer(seed, game_id, 1, 2 * SUBPIXELS + 1) - SUBPIXELS
        paddle = uniform_integer(seed, game_id, 2, size - 1)
        return cls(0, column * SUBPIXELS, velocity, paddle, size)

    @property
    def column(self):
        return (self.x + SUBPIXELS // 2) // SUBPIXELS

    @property
    def done(self):
        return self.row == self.size - 1

    def step(self, action):
        """Applies one action; returns the reward (0 or 1)."""
        if self.done:
            return 0
        self.paddle = min(max(self.paddle + MOVES[action], 0), self.size - 2)
        self.row += 1
        right_wall = (self.size - 1) * SUBPIXELS
        x = self.x + self.v
        if x < 0:
            x, self.v = -x, -self.v
        if x > right_wall:
            x, self.v = 2 * right_wall - x, -self.v
        self.x = x
        if self.done and self.paddle <= self.column <= self.paddle + 1:
            return 1
        return 0

    def screen(self):
        """The screen as a list of rows of 0/1."""
        pixels = [[0] * self.size for _ in range(self.size)]
        pixels[self.row][self.column] = 1
        pixels[self.size - 1][self.paddle] = 1
        pixels[self.size - 1][self.paddle + 1] = 1
        return pixels
