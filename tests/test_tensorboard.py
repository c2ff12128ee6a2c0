"""TensorBoard logs of the tiny training run (the `tiny_run` fixture trained with --tensorboard)."""

import io
import os

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from ram_keras.viz.glimpses import glimpse_figure_layout
from ram_keras.viz.tensorboard import TensorBoardLogger


def read_events(folder):
    """{tag: {step: (plugin, tensor as numpy)}} from the event files in `folder`."""
    found = {}
    for name in os.listdir(folder):
        for record in tf.data.TFRecordDataset(os.path.join(folder, name)):
            event = tf.compat.v1.Event.FromString(record.numpy())
            for value in event.summary.value:
                found.setdefault(value.tag, {})[event.step] = (
                    value.metadata.plugin_data.plugin_name, tf.make_ndarray(value.tensor))
    return found


def test_training_logs_scalars_and_glimpse_pictures(tiny_run):
    run_dir = tiny_run.out / "tensorboard" / "run_tiny" / "run0"
    train, validation = read_events(run_dir / "train"), read_events(run_dir / "validation")
    # Validation logs what means something for the deterministic policy.
    logged = {"train": ("loss", "classification_loss", "reinforce_loss", "baseline_loss",
                        "accuracy", "reward"),
              "validation": ("classification_loss", "accuracy")}
    for split, events in (("train", train), ("validation", validation)):
        assert set(logged[split]) <= set(events), (split, sorted(events))
        for name in logged[split]:
            assert sorted(events[name]) == [1, 2, 3]
            plugin, value = events[name][3]
            assert plugin == "scalars" and value.shape == () and np.isfinite(value)
    assert "reinforce_loss" not in validation and "loss" not in validation
    assert sorted(train["learning_rate"]) == [1, 2, 3]
    history = tiny_run.results["runs"][0]["history"]
    np.testing.assert_allclose(validation["accuracy"][3][1], history["val_accuracy"][2],
                               rtol=1e-6)
    # Pictures at the last epoch only (every 5 epochs otherwise).
    assert sorted(validation["glimpses"]) == [3] and sorted(validation["gaze_overview"]) == [3]
    plugin, tensor = validation["glimpses"][3]
    size = glimpse_figure_layout((28, 28, 1), 3, 1)["size"]
    assert plugin == "images" and len(tensor) == 2 + 4  # width, height, 4 pictures
    assert (int(tensor[0]), int(tensor[1])) == size
    with Image.open(io.BytesIO(tensor[2])) as image:
        assert image.format == "PNG" and image.size == size


def test_picture_schedule():
    logger = TensorBoardLogger("unused", pictures=lambda model: {}, pictures_every=5)
    logger.set_params({"epochs": 12})
    assert [e for e in range(1, 13) if logger.wants_pictures(e)] == [5, 10, 12]
    assert not TensorBoardLogger("unused").wants_pictures(5)
    with pytest.raises(ValueError, match="pictures_every"):
        TensorBoardLogger("unused", pictures_every=0)
