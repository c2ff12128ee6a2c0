"""tf.data pipelines of the classification tasks: shuffled, shifted or placed afresh every epoch."""

import numpy as np
import tensorflow as tf

from ram_keras.data.canvases import make_canvases


def make_dataset(images, labels, batch_size, shuffle=False, seed=0, max_shift=0,
                 drop_remainder=False, canvas_size=None, clutter_pieces=0, clutter_source=None,
                 epochs=None, first_epoch=0, clutter_style="max"):
    """A tf.data pipeline of `(float images (B, H, W, C) in [0, 1], int32 labels)`.

    Args:
        images: uint8 `(N, H, W)` array (C = 1), or `(N, H, W, C)`.
        labels: int `(N,)` array.
        batch_size: int.
        shuffle: reshuffle the whole set every epoch.
        seed: seed of the shuffle and of the random placements.
        max_shift: int, if > 0 (and no canvas) each image is translated by a
            random integer offset in `[-max_shift, max_shift]` per axis (all its
            channels alike).
        drop_remainder: drop the last incomplete batch.
        canvas_size, clutter_pieces, clutter_source, clutter_style: the
            translated / cluttered tasks (see `make_canvases`).
        epochs: `None` (default): one pass over the dataset is one epoch, and
            every new pass draws afresh. An int: a single stream holding
            epochs `first_epoch, ..., epochs - 1` back to back, for
            `fit(..., steps_per_epoch=...)`.
        first_epoch: int, the first epoch of that stream (a resumed run).

    The shuffle order, placements, shifts and clutter of epoch `e` depend only
    on `(seed, e)` (stateless random ops; batch `b` uses the seed
    `fold_in(fold_in((seed, 0), e), b)`), so a run resumed at epoch `e` sees
    exactly the data an uninterrupted run would. With `epochs=None` the epoch
    key of each pass is drawn from `seed` instead, so passes still differ.
    """
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels.")
    if clutter_pieces > 0 and clutter_source is None:
        raise ValueError("clutter_pieces > 0 needs a clutter_source.")
    if epochs is not None and not 0 <= first_epoch < epochs:
        raise ValueError(f"first_epoch must be in [0, epochs={epochs}), got {first_epoch}.")
    images = tf.constant(np.asarray(images, np.uint8))
    labels = tf.constant(np.asarray(labels, np.int32))
    count = int(labels.shape[0])
    source = None
    if clutter_pieces > 0:
        source = tf.constant(np.asarray(clutter_source, np.uint8))
    transformed = canvas_size is not None or max_shift > 0
    base_seed = tf.constant([seed, 0], tf.int64)

    def epoch_batches(epoch_key):
        epoch_seed = tf.random.experimental.stateless_fold_in(base_seed, epoch_key)
        order = tf.range(count, dtype=tf.int32)
        if shuffle:
            order = tf.random.experimental.stateless_shuffle(order, seed=epoch_seed)
        batches = tf.data.Dataset.from_tensor_slices(order).batch(
            batch_size, drop_remainder=drop_remainder
        )

        def load(batch_index, indices):
            digits = tf.gather(images, indices)
            if transformed:
                batch_seed = tf.random.experimental.stateless_fold_in(epoch_seed, batch_index)
                pixels = make_canvases(digits, batch_seed, canvas_size, max_shift,
                                       clutter_pieces, source, clutter_style)
            else:
                pixels = tf.cast(digits, tf.float32)
            if pixels.shape.rank == 3:
                pixels = pixels[..., None]
            return pixels / 255.0, tf.gather(labels, indices)

        return batches.enumerate().map(load, num_parallel_calls=tf.data.AUTOTUNE)

    if epochs is None:
        epoch_keys = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).take(1)
    else:
        epoch_keys = tf.data.Dataset.range(first_epoch, epochs)
    batches_per_epoch = count // batch_size if drop_remainder else -(-count // batch_size)
    # flat_map hides the length from tf.data; state it, so Keras knows where a pass ends.
    length = batches_per_epoch * (1 if epochs is None else epochs - first_epoch)
    dataset = epoch_keys.flat_map(epoch_batches).apply(
        tf.data.experimental.assert_cardinality(length)
    )
    return dataset.prefetch(tf.data.AUTOTUNE)
