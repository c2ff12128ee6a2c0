"""TensorBoard logs written during `fit`, without the `tensorboard` package.

Summaries are written with `tf.summary.write` and TensorBoard's plugin
metadata, so training needs only TensorFlow; viewing the logs needs the
`tensorboard` package (`pip install ram_keras[tensorboard]`).
"""

import io
import os

import keras
import numpy as np
import tensorflow as tf
from keras import ops
from PIL import Image


def _summary_metadata(plugin):
    metadata = tf.compat.v1.SummaryMetadata()
    metadata.plugin_data.plugin_name = plugin
    return metadata


def write_scalar_summary(name, value, step):
    """A TensorBoard scalar (the `scalars` plugin's format) on the default writer."""
    return tf.summary.write(name, tf.constant(float(value), tf.float32), step=step,
                            metadata=_summary_metadata("scalars"))


def write_image_summary(name, pngs, step):
    """TensorBoard images (the `images` plugin's format: width, height, then
    the PNGs) on the default writer. All `pngs` must have the same size."""
    width, height = Image.open(io.BytesIO(pngs[0])).size
    tensor = tf.constant([str(width).encode(), str(height).encode()] + list(pngs))
    return tf.summary.write(name, tensor, step=step, metadata=_summary_metadata("images"))


class TensorBoardLogger(keras.callbacks.Callback):
    """Writes TensorBoard logs during `fit`.

    Every epoch: the scalars of the logs (loss, its terms, accuracy or reward)
    into `log_dir/train` and, for the `val_*` ones, into `log_dir/validation`
    under the same names, so TensorBoard overlays the two; and the learning
    rate. Every `pictures_every` epochs and at the last one: the PNG pictures
    that `pictures(model)` returns (a dict of name -> list of PNG bytes, e.g.
    the classifier's glimpse figures, Catch's gaze tracks), in
    `log_dir/validation`. Steps are epoch numbers starting at 1.

    Args:
        log_dir: folder of this run's logs.
        pictures: a callable `model -> {name: [png bytes, ...]}`, or None.
        pictures_every: int >= 1.
    """

    def __init__(self, log_dir, pictures=None, pictures_every=5):
        super().__init__()
        if (isinstance(pictures_every, bool) or not isinstance(pictures_every, int)
                or pictures_every < 1):
            raise ValueError(f"TensorBoardLogger: `pictures_every` must be an int >= 1, got "
                             f"{pictures_every!r}.")
        self.log_dir = log_dir
        self.pictures = pictures
        self.pictures_every = pictures_every
        self._writers = None

    def wants_pictures(self, epoch_number):
        """Whether pictures are written after epoch `epoch_number` (from 1)."""
        if self.pictures is None:
            return False
        last = (self.params or {}).get("epochs")
        return epoch_number % self.pictures_every == 0 or epoch_number == last

    def _writer(self, name):
        if self._writers is None:
            self._writers = {}
        if name not in self._writers:
            self._writers[name] = tf.summary.create_file_writer(os.path.join(self.log_dir, name))
        return self._writers[name]

    def on_epoch_end(self, epoch, logs=None):
        step = epoch + 1
        for key, value in (logs or {}).items():
            name, split = (key[4:], "validation") if key.startswith("val_") else (key, "train")
            with self._writer(split).as_default():
                write_scalar_summary(name, np.mean(value), step)
        learning_rate = getattr(getattr(self.model, "optimizer", None), "learning_rate", None)
        if learning_rate is not None:
            with self._writer("train").as_default():
                write_scalar_summary("learning_rate", ops.convert_to_numpy(learning_rate), step)
        if self.wants_pictures(step):
            with self._writer("validation").as_default():
                for name, pngs in self.pictures(self.model).items():
                    write_image_summary(name, pngs, step)
        for writer in (self._writers or {}).values():
            writer.flush()

    def on_train_end(self, logs=None):
        for writer in (self._writers or {}).values():
            writer.close()
        self._writers = None
