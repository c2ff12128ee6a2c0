"""ram_keras runs on Keras's TensorFlow backend only: say so at import, in one line.

The training step (`tf.GradientTape`), the rollout's `tf.while_loop`, the
tf.data pipelines and tf.distribute are TensorFlow's, so under another backend
ram_keras would fail deep inside a first call. The backend is read the way
Keras reads it (`KERAS_BACKEND`, else `keras.json` in `KERAS_HOME` or
`~/.keras`, else TensorFlow), without importing Keras, so the message comes
even when the other backend's package is not installed.
"""

import json
import os
import sys

REQUIRED_BACKEND = "tensorflow"


def configured_backend():
    """The backend Keras uses (or will use once imported) in this process."""
    keras = sys.modules.get("keras")
    if keras is not None and hasattr(keras, "backend"):
        return keras.backend.backend()
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    if "KERAS_HOME" in os.environ:
        keras_dir = os.environ["KERAS_HOME"]
    else:
        home = os.path.expanduser("~")
        keras_dir = os.path.join(home if os.access(home, os.W_OK) else "/tmp", ".keras")
    try:
        with open(os.path.join(keras_dir, "keras.json")) as f:
            return json.load(f).get("backend", REQUIRED_BACKEND)
    except (OSError, ValueError, AttributeError):
        return REQUIRED_BACKEND


def require_tensorflow_backend():
    """Raises ImportError, in one line, unless Keras's backend is TensorFlow."""
    backend = configured_backend()
    if backend != REQUIRED_BACKEND:
        raise ImportError(
            f"ram_keras needs Keras's TensorFlow backend, but the backend is {backend!r}: "
            "set KERAS_BACKEND=tensorflow (or unset it).")
