"""The translated and cluttered tasks: digits placed on large canvases, with clutter.

Everything is stateless: a canvas depends only on its digit and a seed pair, so
any batch of any epoch can be drawn again (`pipelines.make_dataset`), and a
fixed evaluation set depends only on the digits and its seed.
"""

import numpy as np
import tensorflow as tf


def place_patches(patches, rows, cols, canvases, canvas_index=None):
    """Max-combines `(P, h, w)` patches into `(B, S, S)` canvases, top-left at `(rows, cols)`.

    Patch `p` goes to canvas `canvas_index[p]` (default `p`). Parts of a patch
    outside the canvas are dropped; where patches overlap the maximum wins.
    A scatter of `P * h * w` values: vectorised, no per-image loop.
    """
    patches = tf.cast(patches, tf.float32)
    count = tf.shape(patches)[0]
    height, width = patches.shape[1], patches.shape[2]
    size = canvases.shape[1]
    if canvas_index is None:
        canvas_index = tf.range(count)
    shape = tf.stack([count, height, width])
    r = tf.broadcast_to(rows[:, None, None] + tf.range(height)[None, :, None], shape)
    c = tf.broadcast_to(cols[:, None, None] + tf.range(width)[None, None, :], shape)
    b = tf.broadcast_to(tf.cast(canvas_index, tf.int32)[:, None, None], shape)
    inside = (r >= 0) & (r < size) & (c >= 0) & (c < size)
    values = tf.where(inside, patches, 0.0)
    indices = tf.stack([b, tf.clip_by_value(r, 0, size - 1), tf.clip_by_value(c, 0, size - 1)], -1)
    return tf.tensor_scatter_nd_max(canvases, tf.reshape(indices, [-1, 3]), tf.reshape(values, [-1]))


def _move(digits, offsets, canvas_size):
    """`(B, S, S)` canvases showing each `(B, h, w)` digit with its top-left at `offsets`.

    A gather: canvas pixel `(r, c)` reads digit pixel `(r - row, c - col)`, or
    zero where that falls outside the digit (an extra zero row and column).
    `canvas_size` is `S` or `(rows, cols)`; digits `(B, h, w, C)` move all
    their channels alike.
    """
    digits = tf.cast(digits, tf.float32)
    height, width = digits.shape[1], digits.shape[2]
    canvas_rows, canvas_cols = ((canvas_size, canvas_size) if isinstance(canvas_size, int)
                                else canvas_size)
    padded = tf.pad(digits, [[0, 0], [0, 1], [0, 1]] + [[0, 0]] * (digits.shape.rank - 3))
    src_rows = tf.range(canvas_rows)[None, :] - offsets[:, 0:1]
    src_rows = tf.where((src_rows >= 0) & (src_rows < height), src_rows, height)
    src_cols = tf.range(canvas_cols)[None, :] - offsets[:, 1:2]
    src_cols = tf.where((src_cols >= 0) & (src_cols < width), src_cols, width)
    rows = tf.gather(padded, src_rows, axis=1, batch_dims=1)
    return tf.gather(rows, src_cols, axis=2, batch_dims=1)


def shift_digits(digits, max_shift, seed):
    """Translates `(B, H, W)` digits (or `(B, H, W, C)` images) by up to `max_shift` pixels
    per axis, zero fill."""
    offsets = tf.random.stateless_uniform(
        (tf.shape(digits)[0], 2), seed=seed, minval=-max_shift, maxval=max_shift + 1,
        dtype=tf.int32,
    )
    return _move(digits, offsets, (digits.shape[1], digits.shape[2]))


def translate_digits(digits, canvas_size, seed):
    """Each `(28, 28)` digit at a uniformly random place, wholly inside an `S x S` canvas."""
    digit_size = digits.shape[1]
    positions = tf.random.stateless_uniform(
        (tf.shape(digits)[0], 2), seed=seed, minval=0, maxval=canvas_size - digit_size + 1,
        dtype=tf.int32,
    )
    return _move(digits, positions, canvas_size)


def add_clutter(canvases, clutter_source, num_pieces, seed, piece_size=8):
    """Adds `num_pieces` `piece_size`-square crops of random source digits to each canvas.

    Each piece is cut at a random place from a random digit of
    `clutter_source` (uint8 `(N, 28, 28)`) and put at a random place on the
    canvas; overlaps are combined with max, so values stay in range.
    """
    batch = tf.shape(canvases)[0]
    canvas_size = canvases.shape[1]
    source_size = clutter_source.shape[1]
    seeds = tf.random.experimental.stateless_split(seed, num=3)
    picks = tf.random.stateless_uniform(
        (batch, num_pieces), seed=seeds[0], minval=0, maxval=clutter_source.shape[0],
        dtype=tf.int32,
    )
    crop_at = tf.random.stateless_uniform(
        (batch, num_pieces, 2), seed=seeds[1], minval=0, maxval=source_size - piece_size + 1,
        dtype=tf.int32,
    )
    put_at = tf.random.stateless_uniform(
        (batch, num_pieces, 2), seed=seeds[2], minval=0, maxval=canvas_size - piece_size + 1,
        dtype=tf.int32,
    )
    sources = tf.gather(clutter_source, tf.reshape(picks, [-1]))
    flat_crop = tf.reshape(crop_at, [-1, 2])
    crop_rows = flat_crop[:, 0:1] + tf.range(piece_size)[None, :]
    crop_cols = flat_crop[:, 1:2] + tf.range(piece_size)[None, :]
    pieces = tf.gather(tf.gather(sources, crop_rows, axis=1, batch_dims=1),
                       crop_cols, axis=2, batch_dims=1)
    flat_put = tf.reshape(put_at, [-1, 2])
    owner = tf.repeat(tf.range(batch), num_pieces)
    return place_patches(pieces, flat_put[:, 0], flat_put[:, 1], canvases, canvas_index=owner)


def make_canvases(digits, seed, canvas_size=None, max_shift=0, clutter_pieces=0,
                  clutter_source=None):
    """uint8-valued float `(B, S, S)` images of a task from uint8 digits `(B, 28, 28)`.

    `canvas_size=None` keeps the 28x28 digit (shifted by up to `max_shift`);
    otherwise the digit is translated on an `S x S` canvas, with
    `clutter_pieces` 8x8 pieces of clutter cut from `clutter_source`.
    """
    seeds = tf.random.experimental.stateless_split(seed, num=2)
    if canvas_size is None:
        images = tf.cast(digits, tf.float32)
        return shift_digits(images, max_shift, seeds[0]) if max_shift > 0 else images
    canvases = translate_digits(digits, canvas_size, seeds[0])
    if clutter_pieces > 0:
        canvases = add_clutter(canvases, clutter_source, clutter_pieces, seeds[1])
    return canvases


def make_fixed_canvases(digits, seed, canvas_size, clutter_pieces=0, chunk=1000):
    """A task's evaluation images, fixed by `seed`: uint8 `(N, S, S)` canvases.

    Clutter comes from the same digits (test digits for the test set,
    validation digits for the validation set). The result depends only on the
    digits, the seed, the task and `chunk` (each chunk of digits gets the seed
    pair `(seed, chunk_index)`), so numbers compare across runs.
    """
    digits = np.asarray(digits, np.uint8)
    source = tf.constant(digits)
    out = []
    for index, start in enumerate(range(0, len(digits), chunk)):
        pair = tf.constant([seed, index], tf.int64)
        canvases = make_canvases(tf.constant(digits[start:start + chunk]), pair, canvas_size,
                                 0, clutter_pieces, source)
        out.append(np.round(canvases.numpy()).astype(np.uint8))
    return np.concatenate(out)
