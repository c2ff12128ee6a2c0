"""The translated and cluttered tasks: digits placed on large canvases, with clutter.

Everything is stateless: a canvas depends only on its digit and a seed pair, so
any batch of any epoch can be drawn again (`pipelines.make_dataset`), and a
fixed evaluation set depends only on the digits and its seed.

Clutter is 8x8 pieces cut at random from other digits, put at random places.
How the pieces meet the digit differs between published cluttered tasks, and a
figure compares only on the same definition (`CLUTTER_STYLES`, the config
setting `clutter_style`); the pieces, places and digit positions drawn for a
seed are the same in every style:

- `max` (ours, the default): the digit and the pieces combine by their
  maximum, also inside the digit's box, so clutter may touch strokes.
- `add_clip` (DeepMind's mnist-cluttered generator): the pieces and the digit
  are added and clipped at 255.
- `blend` (slundqui/tfRAM): the digit first, then each piece in turn blended
  over it, `x (1 - p) + p` on [0, 1] values: a piece brightens what it covers.
- `pasted_box` (bentrevett/recurrent-attention-model): the pieces first, then
  the digit's whole 28x28 box pasted over them, so no clutter lies inside the
  box: an easier task, whose box edge can give the digit's place away.
"""

import numpy as np
import tensorflow as tf

CLUTTER_STYLES = ("max", "add_clip", "blend", "pasted_box")


def place_patches(patches, rows, cols, canvases, canvas_index=None, combine="max"):
    """Combines `(P, h, w)` patches into `(B, S, S)` canvases, top-left at `(rows, cols)`.

    Patch `p` goes to canvas `canvas_index[p]` (default `p`). Parts of a patch
    outside the canvas are dropped; where patches overlap, `combine` says how
    they meet: `"max"` (the largest value wins) or `"add"` (values add up).
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
    scatter = {"max": tf.tensor_scatter_nd_max, "add": tf.tensor_scatter_nd_add}[combine]
    return scatter(canvases, tf.reshape(indices, [-1, 3]), tf.reshape(values, [-1]))


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


def digit_positions(digits, canvas_size, seed):
    """`(B, 2)` top-left corners that put each digit at a uniformly random place, wholly
    inside an `S x S` canvas."""
    digit_size = digits.shape[1]
    return tf.random.stateless_uniform(
        (tf.shape(digits)[0], 2), seed=seed, minval=0, maxval=canvas_size - digit_size + 1,
        dtype=tf.int32,
    )


def translate_digits(digits, canvas_size, seed):
    """Each `(28, 28)` digit at a uniformly random place, wholly inside an `S x S` canvas."""
    return _move(digits, digit_positions(digits, canvas_size, seed), canvas_size)


def cut_clutter(batch, canvas_size, clutter_source, num_pieces, seed, piece_size=8):
    """The clutter of `batch` canvases: `(pieces, rows, cols, owner)`.

    Piece `p` (`(batch * num_pieces, piece_size, piece_size)` float, piece `k`
    of canvas `b` at `b * num_pieces + k`) is cut at a random place from a
    random digit of `clutter_source` (uint8 `(N, 28, 28)`) and goes to canvas
    `owner[p]` with its top-left at `(rows[p], cols[p])`, wholly inside.
    """
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
    return tf.cast(pieces, tf.float32), flat_put[:, 0], flat_put[:, 1], owner


def composite_clutter(canvases, pieces, rows, cols, owner, num_pieces, style="max",
                      digit_box=None):
    """The `(B, S, S)` digit canvases with the clutter of `cut_clutter` in `style`.

    Values are uint8-valued floats and stay in [0, 255]. `digit_box` (bool
    `(B, S, S)`, True inside each digit's 28x28 box) is needed by `pasted_box`
    only. The module docstring says what each style is.
    """
    if style not in CLUTTER_STYLES:
        raise ValueError(f"clutter style must be one of {CLUTTER_STYLES}, got {style!r}.")
    if style == "max":
        return place_patches(pieces, rows, cols, canvases, canvas_index=owner)
    if style == "add_clip":
        added = place_patches(pieces, rows, cols, canvases, canvas_index=owner, combine="add")
        return tf.minimum(added, 255.0)
    if style == "pasted_box":
        if digit_box is None:
            raise ValueError("clutter style 'pasted_box' needs the digits' boxes.")
        clutter = place_patches(pieces, rows, cols, tf.zeros_like(canvases), canvas_index=owner)
        return tf.where(digit_box, canvases, clutter)
    # blend: piece k of every canvas at once (one piece per canvas: no overlaps), in turn.
    batch = tf.shape(canvases)[0]
    size = pieces.shape[1]
    for k in range(num_pieces):
        layer = place_patches(
            tf.reshape(pieces, [batch, num_pieces, size, size])[:, k],
            tf.reshape(rows, [batch, num_pieces])[:, k],
            tf.reshape(cols, [batch, num_pieces])[:, k], tf.zeros_like(canvases))
        canvases = canvases + layer * (255.0 - canvases) / 255.0
    return canvases


def add_clutter(canvases, clutter_source, num_pieces, seed, piece_size=8, style="max",
                digit_box=None):
    """Adds `num_pieces` `piece_size`-square crops of random source digits to each canvas.

    Each piece is cut at a random place from a random digit of
    `clutter_source` (uint8 `(N, 28, 28)`) and put at a random place on the
    canvas (`cut_clutter`); `style` says how pieces and digit meet
    (`composite_clutter`; the default, max, keeps values in range).
    """
    pieces, rows, cols, owner = cut_clutter(tf.shape(canvases)[0], canvases.shape[1],
                                            clutter_source, num_pieces, seed, piece_size)
    return composite_clutter(canvases, pieces, rows, cols, owner, num_pieces, style, digit_box)


def make_canvases(digits, seed, canvas_size=None, max_shift=0, clutter_pieces=0,
                  clutter_source=None, clutter_style="max"):
    """uint8-valued float `(B, S, S)` images of a task from uint8 digits `(B, 28, 28)`.

    `canvas_size=None` keeps the 28x28 digit (shifted by up to `max_shift`);
    otherwise the digit is translated on an `S x S` canvas, with
    `clutter_pieces` 8x8 pieces of clutter cut from `clutter_source`, combined
    with the digit in `clutter_style` (`CLUTTER_STYLES`).
    """
    seeds = tf.random.experimental.stateless_split(seed, num=2)
    if canvas_size is None:
        images = tf.cast(digits, tf.float32)
        return shift_digits(images, max_shift, seeds[0]) if max_shift > 0 else images
    positions = digit_positions(digits, canvas_size, seeds[0])
    canvases = _move(digits, positions, canvas_size)
    if clutter_pieces > 0:
        box = None
        if clutter_style == "pasted_box":
            box = _move(tf.ones_like(digits, tf.float32), positions, canvas_size) > 0
        canvases = add_clutter(canvases, clutter_source, clutter_pieces, seeds[1],
                               style=clutter_style, digit_box=box)
    return canvases


def make_fixed_canvases(digits, seed, canvas_size, clutter_pieces=0, chunk=1000,
                        clutter_style="max"):
    """A task's evaluation images, fixed by `seed`: uint8 `(N, S, S)` canvases.

    Clutter comes from the same digits (test digits for the test set,
    validation digits for the validation set). The result depends only on the
    digits, the seed, the task and `chunk` (each chunk of digits gets the seed
    pair `(seed, chunk_index)`), so numbers compare across runs; the styles of
    one seed share the digits' places and the pieces.
    """
    digits = np.asarray(digits, np.uint8)
    if not len(digits):  # no validation digits: a final model trained on all 60,000
        return np.zeros((0, canvas_size, canvas_size), np.uint8)
    source = tf.constant(digits)
    out = []
    for index, start in enumerate(range(0, len(digits), chunk)):
        pair = tf.constant([seed, index], tf.int64)
        canvases = make_canvases(tf.constant(digits[start:start + chunk]), pair, canvas_size,
                                 0, clutter_pieces, source, clutter_style)
        out.append(np.round(canvases.numpy()).astype(np.uint8))
    return np.concatenate(out)
