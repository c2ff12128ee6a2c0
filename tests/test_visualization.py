"""Glimpse pictures, animations and TensorBoard logs of small hand-built models.

The models are untrained but their location policy is spread out (larger
weights), so the glimpses land in different places; every picture is checked
for its format, its size and that the gaze track is drawn where the model
looked (the centre-marker colour at each glimpse centre, and nowhere else).
"""

import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import evaluate
from ram_keras import GlimpseSensor, RecurrentAttentionModel, datasets, experiment
from ram_keras import visualization as viz
from ram_keras.saving import save_model

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SMALL = dict(what_units=8, where_units=8, glimpse_units=16, core_units=16, seed=0)


def small_model(image_shape, num_glimpses, glimpse_size, num_scales):
    model = RecurrentAttentionModel(image_shape=image_shape, num_glimpses=num_glimpses,
                                    glimpse_size=glimpse_size, num_scales=num_scales,
                                    **SMALL).build_all()
    kernel, _ = model.location_sampler.mean_dense.get_weights()
    model.location_sampler.mean_dense.set_weights(
        [kernel * 8.0, np.array([0.3, -0.4], np.float32)])
    return model


def digits_on_canvas(images_uint8, size):
    """MNIST-like digits pasted at different places of a size x size canvas."""
    canvas = np.zeros((len(images_uint8), size, size, 1), np.float32)
    for i, digit in enumerate(images_uint8):
        r, c = (7 * i + 3) % (size - 27), (13 * i + 5) % (size - 27)
        canvas[i, r:r + 28, c:c + 28, 0] = digit / 255.0
    return canvas


def fake_digits(count, seed=0):
    rng = np.random.default_rng(seed)
    digits = np.zeros((count, 28, 28), np.uint8)
    for digit in digits:
        digit[6:22, 10:18] = rng.integers(100, 256, (16, 8))
    return digits


# --------------------------------------------------------------- checkers
def read_picture(path, fmt, size):
    """RGB frames of a valid, non-blank picture of the expected format and size."""
    frames = []
    with Image.open(path) as image:
        assert image.format == fmt
        for index in range(getattr(image, "n_frames", 1)):
            image.seek(index)
            assert image.size == tuple(size)
            frames.append(np.asarray(image.convert("RGB")).astype(int))
    for pixels in frames:
        assert pixels.std() > 20
        assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 10
    return frames


def centre_mask(pixels):
    """Pixels of the centre-marker colour (not the darker red of mistakes)."""
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    return (r > 235) & (g < 70) & (b < 70)


def assert_track_drawn(pixels, box, zoom, centres):
    """Each glimpse centre (image pixels) has the marker colour at the PNG
    pixel it maps to, and every marker-coloured pixel of the panel lies
    within a marker's radius of one of the centres."""
    left, top, width, height = box
    points = np.array([(top + row * zoom, left + col * zoom) for row, col in centres])
    for y, x in points:
        assert centre_mask(pixels[int(y), int(x)]), (y, x, pixels[int(y), int(x)])
    ys, xs = np.nonzero(centre_mask(pixels))
    ys, xs = ys + 0.5, xs + 0.5  # pixel centres
    inside = (ys > top + 3) & (ys < top + height - 3) & (xs > left + 3) & (xs < left + width - 3)
    distance = np.sqrt((ys[inside, None] - points[None, :, 0]) ** 2
                       + (xs[inside, None] - points[None, :, 1]) ** 2).min(axis=1)
    assert distance.max() < 7.0
    # A marker away from the others is centred on its glimpse centre (to a pixel).
    for y, x in points:
        if np.sum(np.sqrt(((points - (y, x)) ** 2).sum(axis=1)) < 16) == 1:
            near = np.sqrt((ys - y) ** 2 + (xs - x) ** 2) < 8.0
            assert near.sum() > 10
            assert abs(ys[near].mean() - y) < 1.0 and abs(xs[near].mean() - x) < 1.0, (y, x)


def check_pictures(written, trace, labels=None):
    """Every file of `save_glimpse_pictures` has its layout's size, is not
    blank, shows the track where the trace looked; one GIF frame per glimpse."""
    count, steps = len(trace.images), trace.num_glimpses
    scales = len(trace.patch_widths)
    assert len(written["figures"]) == len(written["animations"]) == count
    figure_layout = viz.glimpse_figure_layout(trace.image_shape, steps, scales)
    frame_layout = viz.animation_frame_layout(trace.image_shape, scales)
    for i in range(count):
        (pixels,) = read_picture(written["figures"][i], "PNG", figure_layout["size"])
        assert_track_drawn(pixels, figure_layout["track"], figure_layout["zoom"],
                           trace.centres[i])
        frames = read_picture(written["animations"][i], "GIF", frame_layout["size"])
        assert len(frames) == steps
        for t, frame in enumerate(frames):
            assert_track_drawn(frame, frame_layout["track"], frame_layout["zoom"],
                               trace.centres[i, : t + 1])
    overview = viz.overview_layout(trace.image_shape, count)
    (pixels,) = read_picture(written["overview"], "PNG", overview["size"])
    for i in range(count):
        assert_track_drawn(pixels, overview["tracks"][i], overview["zoom"], trace.centres[i])
    if labels is not None:
        # Each overview image is framed green when right, red when wrong.
        for i in range(count):
            left, top, width, _ = overview["tracks"][i]
            frame_pixel = pixels[top + 1, left + width // 2]
            right = trace.predictions[i, -1] == labels[i]
            expected = viz.CORRECT_COLOUR if right else viz.MISTAKE_COLOUR
            rgb = [int(expected[k:k + 2], 16) for k in (1, 3, 5)]
            assert np.abs(frame_pixel - rgb).max() < 40, (frame_pixel, rgb)


# ---------------------------------------------------------------- geometry
def test_patch_corners_are_where_the_sensor_reads():
    rng = np.random.default_rng(0)
    for size, glimpse, scales in [(28, 6, 2), (60, 12, 3)]:
        image = rng.random((1, size, size, 1)).astype(np.float32)
        sensor = GlimpseSensor(glimpse, scales, 2)
        locations = np.concatenate([rng.uniform(-1, 1, (6, 2)),
                                    [[-1, -1], [1, 1], [0, 0], [-1, 0.5]]]).astype(np.float32)
        patches = sensor([np.repeat(image, len(locations), 0), locations]).numpy()
        corners = viz.patch_corners(locations, (size, size), sensor.patch_widths)
        padded = np.pad(image[0, ..., 0], size)
        for n, location in enumerate(locations):
            for k, width in enumerate(sensor.patch_widths):
                top, left = corners[n, k].astype(int) + size
                crop = padded[top:top + width, left:left + width]
                factor = width // glimpse
                expected = crop.reshape(glimpse, factor, glimpse, factor).mean(axis=(1, 3))
                np.testing.assert_allclose(patches[n, k, ..., 0], expected, atol=1e-5)
    np.testing.assert_allclose(viz.glimpse_centres([[-1, 1], [0, 0.5]], (28, 60)),
                               [[0, 60], [14, 45]])


def test_trace_holds_the_rollout_and_the_sensor_patches():
    model = small_model((28, 28, 1), 3, 6, 2)
    images = digits_on_canvas(fake_digits(2), 28)
    trace = viz.trace_glimpses(model, images)
    outputs = model.rollout(images, deterministic=True)
    np.testing.assert_allclose(trace.locations, outputs["locations"].numpy(), atol=1e-6)
    assert trace.patches.shape == (2, 3, 2, 6, 6, 1)
    np.testing.assert_allclose(
        trace.patches[:, 1], model.glimpse_sensor([images, outputs["locations"][:, 1]]).numpy(),
        atol=1e-6)
    np.testing.assert_allclose(trace.probabilities.sum(-1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(trace.predictions,
                                  np.argmax(outputs["logits"].numpy(), axis=-1))
    assert np.ptp(trace.centres[0], axis=0).max() > 3  # the glimpses do move
    sampled = viz.trace_glimpses(model, images, deterministic=False)
    assert not sampled.deterministic and not np.allclose(sampled.locations, trace.locations)
    with pytest.raises(ValueError, match="shape"):
        viz.trace_glimpses(model, np.zeros((1, 30, 30, 1), np.float32))


@pytest.mark.parametrize("size,glimpse,scales,steps,count", [(60, 12, 3, 3, 2),
                                                             (100, 12, 4, 2, 1)])
def test_multi_scale_pictures_of_large_images(tmp_path, size, glimpse, scales, steps, count):
    model = small_model((size, size, 1), steps, glimpse, scales)
    images = digits_on_canvas(fake_digits(count), size)
    labels = np.array([3, 5])[:count]
    trace = viz.trace_glimpses(model, images)
    written = viz.save_glimpse_pictures(trace, str(tmp_path / "pictures"), labels=labels)
    check_pictures(written, trace, labels)
    names = [f"image{i:03d}.{ext}" for i in range(count) for ext in ("gif", "png")]
    assert sorted(os.listdir(tmp_path / "pictures")) == names + ["overview.png"]


# ------------------------------------------------------------- evaluate.py
@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A tiny 28x28 model saved as *.weights.h5 and a config module for it."""
    folder = tmp_path_factory.mktemp("tiny")
    model = small_model((28, 28, 1), 3, 6, 2)
    model_path = str(folder / "tiny.weights.h5")
    save_model(model, model_path)
    config = {
        "name": "run_tiny_pictures", "dataset": "mnist",
        "model": {k: v for k, v in model.get_config().items()
                  if k not in ("name", "trainable", "dtype")},
        "epochs": 1, "batch_size": 32, "learning_rate": 1e-3, "seed": 0, "runs": 1,
        "mc_samples": 0, "jit_compile": False,
    }
    config_path = folder / "run_tiny_pictures.py"
    config_path.write_text(f"CONFIG = {config!r}\n")
    return model, model_path, str(config_path), folder


def test_evaluate_script_writes_the_glimpse_pictures(tiny):
    model, model_path, config_path, folder = tiny
    out = folder / "glimpses"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run(
        [sys.executable, "evaluate.py", config_path, model_path, "--samples", "2",
         "--out", str(out), "--json"],
        cwd=REPO, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["config"] == "run_tiny_pictures" and 0 <= report["test_accuracy"] <= 1
    pictures = report["glimpse_pictures"]
    assert pictures["policy"] == "deterministic" and pictures["folder"] == str(out)
    # The same images and model in this process: the track must match them.
    _, (x_test, y_test) = datasets.load_mnist()
    trace = viz.trace_glimpses(model, datasets.to_float_images(x_test[:2]))
    check_pictures(pictures, trace, y_test[:2])


def test_evaluate_main_stochastic_default_folder_and_errors(tiny, tmp_path, monkeypatch,
                                                            capsys):
    _, model_path, config_path, _ = tiny
    digits = fake_digits(40)
    test_set = (digits, np.arange(40) % 10)
    monkeypatch.setattr(experiment, "load_task_data", lambda config, limit=None: (test_set,) * 2)
    report = evaluate.main([config_path, model_path, "--samples", "2", "--stochastic",
                            "--out", str(tmp_path / "sampled")])
    assert report["glimpse_pictures"]["policy"] == "sampled"
    assert len(report["glimpse_pictures"]["animations"]) == 2
    assert "glimpse pictures of 2 test images (sampled glimpses)" in capsys.readouterr().out
    report = evaluate.main([config_path, model_path, "--samples", "0", "--json"])
    assert "glimpse_pictures" not in report
    assert evaluate.glimpse_folder("run_x") == os.path.join(REPO, "results", "run_x", "glimpses")
    assert evaluate.glimpse_folder("run_x", "elsewhere") == "elsewhere"
    wrong_size = (np.zeros((5, 60, 60), np.uint8), np.zeros(5))
    monkeypatch.setattr(experiment, "load_task_data", lambda config, limit=None: (wrong_size,) * 2)
    with pytest.raises(SystemExit) as exit_info:
        evaluate.main([config_path, model_path, "--out", str(tmp_path / "never")])
    message = str(exit_info.value.code)
    assert message.startswith("error: the model takes images of shape (28, 28, 1)")
    assert not (tmp_path / "never").exists()
    with pytest.raises(SystemExit):
        evaluate.parse_args([config_path, model_path, "--samples", "-1"])


# -------------------------------------------------------------- TensorBoard
def read_events(folder):
    """{tag: {step: tensor as numpy}} from the event files in `folder`."""
    found = {}
    for name in os.listdir(folder):
        for record in tf.data.TFRecordDataset(os.path.join(folder, name)):
            event = tf.compat.v1.Event.FromString(record.numpy())
            for value in event.summary.value:
                found.setdefault(value.tag, {})[event.step] = (
                    value.metadata.plugin_data.plugin_name, tf.make_ndarray(value.tensor))
    return found


def test_tensorboard_flag_logs_scalars_and_glimpse_images(tiny, tmp_path, monkeypatch):
    model, _, config_path, _ = tiny
    config = experiment.load_config(config_path)
    digits, labels = fake_digits(64), np.arange(64) % 10
    monkeypatch.setattr(experiment, "load_task_data",
                        lambda config, limit=None, test_limit=None: ((digits, labels),
                                                                         (digits[:50], labels[:50])))
    monkeypatch.setattr(experiment, "TENSORBOARD_IMAGES", 2)
    args = experiment.parse_args(config, ["--epochs", "2", "--out", str(tmp_path / "out"),
                                          "--tensorboard", str(tmp_path / "tb"), "--verbose", "0"])
    experiment.run_experiment(config, args)
    run_dir = tmp_path / "tb" / "run_tiny_pictures" / "run0"
    train, test = read_events(run_dir / "train"), read_events(run_dir / "test")
    for name in ("loss", "classification_loss", "reinforce_loss", "baseline_loss",
                 "accuracy", "reward"):
        for events in (train, test):
            assert sorted(events[name]) == [1, 2]
            plugin, value = events[name][2]
            assert plugin == "scalars" and value.shape == () and np.isfinite(value)
    assert sorted(train["learning_rate"]) == [1, 2]
    results = json.loads((tmp_path / "out" / "results" / "run_tiny_pictures"
                          / "results.json").read_text())
    np.testing.assert_allclose(test["accuracy"][2][1],
                               results["runs"][0]["history"]["test_accuracy"][1], rtol=1e-6)
    # Pictures at the last epoch only (every 5 epochs otherwise).
    assert sorted(test["glimpses"]) == [2] and sorted(test["gaze_overview"]) == [2]
    plugin, tensor = test["glimpses"][2]
    size = viz.glimpse_figure_layout((28, 28, 1), 3, 2)["size"]
    assert plugin == "images" and len(tensor) == 2 + experiment.TENSORBOARD_IMAGES
    assert (int(tensor[0]), int(tensor[1])) == size
    with Image.open(io.BytesIO(tensor[2])) as image:
        assert image.format == "PNG" and image.size == size


def test_tensorboard_picture_schedule():
    logger = viz.TensorBoardLogger("unused", images=np.zeros((1, 28, 28, 1)), image_every=5)
    logger.set_params({"epochs": 12})
    assert [e for e in range(1, 13) if logger.wants_images(e)] == [5, 10, 12]
    assert not viz.TensorBoardLogger("unused").wants_images(5)
    with pytest.raises(ValueError, match="image_every"):
        viz.TensorBoardLogger("unused", image_every=0)
