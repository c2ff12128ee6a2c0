"""A user's images: folders of class subfolders and .npz files read to uint8 (N, H, W, C),
the colour conversion and resizing (against PIL and numpy), the seeded validation split, and
a one-line error for every kind of bad data."""

import os

import numpy as np
import pytest
from PIL import Image

from ram_keras.data import folders
from ram_keras.training.configs import ConfigError


def write_png(path, pixels):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(np.asarray(pixels, np.uint8).squeeze()).save(path)


def grey_folder(root, counts, size=(5, 7), seed=0):
    """`root/<class>/<i>.png` grayscale images; returns {class: [pixels, ...]}."""
    rng = np.random.default_rng(seed)
    images = {}
    for name, count in counts.items():
        images[name] = [rng.integers(0, 256, size).astype(np.uint8) for _ in range(count)]
        for i, pixels in enumerate(images[name]):
            write_png(os.path.join(root, name, f"{i:02d}.png"), pixels)
    return images


def test_grey_conversion_is_itu_601_luma_and_rgb_keeps_pixels(tmp_path):
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (6, 9, 3)).astype(np.uint8)
    write_png(str(tmp_path / "a.png"), rgb)
    grey = folders.read_image(str(tmp_path / "a.png"), "grayscale")
    luma = rgb.astype(float) @ np.array([0.299, 0.587, 0.114])
    assert grey.shape == (6, 9, 1) and grey.dtype == np.uint8
    assert np.abs(grey[..., 0] - luma).max() <= 1.0
    np.testing.assert_array_equal(folders.read_image(str(tmp_path / "a.png"), "rgb"), rgb)
    # A grey file read as RGB: three equal channels.
    write_png(str(tmp_path / "g.png"), rgb[..., 0])
    as_rgb = folders.read_image(str(tmp_path / "g.png"), "rgb")
    np.testing.assert_array_equal(as_rgb, np.repeat(rgb[..., :1], 3, axis=-1))


def test_resizing_is_bilinear_to_height_by_width(tmp_path):
    # A horizontal ramp resized 8 -> 4 columns keeps a ramp; a constant image stays constant.
    ramp = np.tile(np.arange(0, 256, 32, dtype=np.uint8), (6, 1))
    write_png(str(tmp_path / "ramp.png"), ramp)
    small = folders.read_image(str(tmp_path / "ramp.png"), "grayscale", (3, 4))[..., 0]
    assert small.shape == (3, 4)
    assert np.all(np.diff(small.astype(int), axis=1) > 0) and np.all(small == small[0])
    # Bilinear with PIL's support: each output column averages its two input columns.
    np.testing.assert_allclose(small[0], ramp[0].reshape(4, 2).mean(axis=1), atol=8)
    write_png(str(tmp_path / "flat.png"), np.full((5, 5, 3), 77, np.uint8))
    big = folders.read_image(str(tmp_path / "flat.png"), "rgb", (9, 12))
    assert big.shape == (9, 12, 3) and np.all(big == 77)


def test_a_folder_of_class_subfolders(tmp_path):
    written = grey_folder(tmp_path / "data", {"zebra": 3, "ant": 2})
    os.makedirs(tmp_path / "data" / ".hidden")
    (tmp_path / "data" / "ant" / "notes.txt").write_text("not an image: skipped")
    x, y, names, mode = folders.read_image_folder(str(tmp_path / "data"))
    assert names == ["ant", "zebra"] and mode == "grayscale"
    assert x.shape == (5, 5, 7, 1) and x.dtype == np.uint8
    np.testing.assert_array_equal(y, [0, 0, 1, 1, 1])
    np.testing.assert_array_equal(x[..., 0], np.stack(written["ant"] + written["zebra"]))
    # One colour file makes the whole folder RGB (grey files get three equal channels).
    write_png(str(tmp_path / "data" / "ant" / "zz.png"), np.full((5, 7, 3), (9, 99, 199)))
    x, y, _, mode = folders.read_image_folder(str(tmp_path / "data"))
    assert mode == "rgb" and x.shape == (6, 5, 7, 3)
    np.testing.assert_array_equal(x[2, 0, 0], (9, 99, 199))
    np.testing.assert_array_equal(x[0], np.repeat(written["ant"][0][..., None], 3, -1))
    x, _, _, mode = folders.read_image_folder(str(tmp_path / "data"), "grayscale", (4, 4))
    assert mode == "grayscale" and x.shape == (6, 4, 4, 1)


def test_test_folder_labels_follow_the_training_classes(tmp_path):
    grey_folder(tmp_path / "train", {"a": 2, "b": 2, "c": 2})
    grey_folder(tmp_path / "test", {"c": 1, "b": 2}, seed=1)  # fewer classes is fine
    data, mode = folders.load_image_data(str(tmp_path / "train"), str(tmp_path / "test"))
    assert data.class_names == ["a", "b", "c"] and mode == "grayscale"
    np.testing.assert_array_equal(data.y_test, [1, 1, 2])
    assert data.x_test.shape == (3, 5, 7, 1)
    # Read once while the files are unchanged; a changed file is read again.
    assert folders.load_image_data(str(tmp_path / "train"), str(tmp_path / "test"))[0] is data
    grey_folder(tmp_path / "test", {"c": 1}, seed=2)
    again, _ = folders.load_image_data(str(tmp_path / "train"), str(tmp_path / "test"))
    assert again is not data and not np.array_equal(again.x_test[2], data.x_test[2])


def test_npz_arrays(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.random((6, 4, 5)).astype(np.float32)
    path = str(tmp_path / "d.npz")
    np.savez(path, x=x, y=np.array(["cat", "dog", "cat", "eel", "dog", "cat"]),
             x_test=rng.integers(0, 256, (2, 4, 5), dtype=np.uint8),
             y_test=np.array(["eel", "dog"]))
    data, mode = folders.load_image_data(path)
    assert mode == "grayscale" and data.class_names == ["cat", "dog", "eel"]
    np.testing.assert_array_equal(data.x_train[..., 0], np.round(x * 255).astype(np.uint8))
    np.testing.assert_array_equal(data.y_train, [0, 1, 0, 2, 1, 0])
    np.testing.assert_array_equal(data.y_test, [2, 1])
    data, mode = folders.load_image_data(path, color_mode="rgb", image_size=(8, 10))
    assert mode == "rgb" and data.x_train.shape == (6, 8, 10, 3)
    assert data.x_test.shape == (2, 8, 10, 3)
    # Integer labels keep their numbers; class_names name them.
    rgb = rng.integers(0, 256, (4, 3, 3, 3), dtype=np.uint8)
    np.savez(path, x=rgb, y=np.array([2, 0, 2, 0]), class_names=np.array(["a", "b", "c"]))
    data, mode = folders.load_image_data(path)
    assert mode == "rgb" and data.class_names == ["a", "b", "c"]
    np.testing.assert_array_equal(data.x_train, rgb)
    np.testing.assert_array_equal(data.y_train, [2, 0, 2, 0])
    assert len(data.x_test) == 0


def test_validation_split_is_seeded_and_keeps_the_order():
    x, y = np.arange(20)[:, None], np.arange(20) % 4
    (train, train_labels), (held, held_labels) = folders.split_validation_fraction(x, y, 0.25, 3)
    assert len(held) == 5 and len(train) == 15
    assert sorted(np.concatenate([train, held])[:, 0]) == list(range(20))
    assert np.all(np.diff(held[:, 0]) > 0) and np.all(np.diff(train[:, 0]) > 0)
    np.testing.assert_array_equal(held_labels, held[:, 0] % 4)
    again = folders.split_validation_fraction(x, y, 0.25, 3)[1][0]
    other = folders.split_validation_fraction(x, y, 0.25, 4)[1][0]
    np.testing.assert_array_equal(again, held)
    assert not np.array_equal(other, held)
    assert len(folders.split_validation_fraction(x, y, 0.0, 3)[1][0]) == 0
    assert len(folders.split_validation_fraction(x[:3], y[:3], 0.01, 3)[1][0]) == 1


def bad_data(kind, root):
    """Data of one bad kind under `root`; returns (load_image_data kwargs, message pattern)."""
    data = os.path.join(root, "data")
    if kind == "missing":
        return {"data": data}, "no such folder: .*data"
    if kind == "empty":
        os.makedirs(data)
        return {"data": data}, "has no class subfolders"
    if kind == "loose images":
        write_png(os.path.join(data, "a.png"), np.zeros((3, 3)))
        return {"data": data}, "holds 1 images directly: put them in one subfolder per class"
    if kind == "one class":
        grey_folder(data, {"cats": 3})
        return {"data": data}, r"one class only \(cats\)"
    if kind == "empty class":
        grey_folder(data, {"cats": 3})
        os.makedirs(os.path.join(data, "dogs"))
        return {"data": data}, "class folder .*dogs holds no images"
    if kind == "unreadable":
        grey_folder(data, {"cats": 2, "dogs": 2})
        with open(os.path.join(data, "dogs", "broken.jpg"), "w") as f:
            f.write("not a picture")
        return {"data": data}, "cannot read .*broken.jpg as an image"
    if kind == "mixed sizes":
        grey_folder(data, {"cats": 2, "dogs": 1})
        write_png(os.path.join(data, "dogs", "big.png"), np.zeros((9, 9)))
        return {"data": data}, r"differ in size .*big.png is 9x9.*--image-size H W"
    if kind == "train/test layout":
        grey_folder(os.path.join(data, "train"), {"cats": 1, "dogs": 1})
        grey_folder(os.path.join(data, "test"), {"cats": 1, "dogs": 1})
        return {"data": data}, "train/test layout.*--data .*train --test-data .*test"
    if kind == "test classes unknown":
        grey_folder(data, {"cats": 1, "dogs": 1})
        grey_folder(os.path.join(root, "test"), {"cows": 1})
        return ({"data": data, "test_data": os.path.join(root, "test")},
                r"classes the training folder .* does not: \['cows'\]")
    if kind == "truncated npz":
        os.makedirs(root, exist_ok=True)
        path = os.path.join(root, "d.npz")
        np.savez(path, x=np.zeros((3, 4, 4), np.uint8), y=np.arange(3))
        with open(path, "rb") as f:
            head = f.read()[:100]
        with open(path, "wb") as f:
            f.write(head)
        return {"data": path}, r"cannot read .*d.npz as a .npz file"
    if kind == "npy named npz":
        os.makedirs(root, exist_ok=True)
        path = os.path.join(root, "d.npz")
        with open(path, "wb") as f:
            np.save(f, np.zeros((3, 4, 4), np.uint8))
        return {"data": path}, r"d.npz as a .npz file: it holds one array"
    if kind == "npz without y":
        os.makedirs(root, exist_ok=True)
        np.savez(os.path.join(root, "d.npz"), x=np.zeros((3, 4, 4), np.uint8))
        return {"data": os.path.join(root, "d.npz")}, r"must hold arrays x and y"
    raise ValueError(kind)


BAD_KINDS = ["missing", "empty", "loose images", "one class", "empty class", "unreadable",
             "mixed sizes", "train/test layout", "test classes unknown", "npz without y",
             "truncated npz", "npy named npz"]


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_bad_data_raises_one_line_config_errors(kind, tmp_path):
    kwargs, message = bad_data(kind, str(tmp_path))
    with pytest.raises(ConfigError, match=message) as error:
        folders.load_image_data(**kwargs)
    assert "\n" not in str(error.value)


def test_sixteen_bit_grey_images_are_scaled_to_eight_bits_not_clipped(tmp_path):
    from PIL import Image

    values = np.array([[0, 257, 1000], [30000, 65535, 128 * 257]], np.uint16)
    path = str(tmp_path / "deep.png")
    Image.fromarray(values).save(path)
    with Image.open(path) as image:
        assert image.mode in folders.SIXTEEN_BIT_MODES
    for mode, channels in (("grayscale", 1), ("rgb", 3)):
        pixels = folders.read_image(path, mode)
        assert pixels.shape == (2, 3, channels)
        np.testing.assert_array_equal(pixels[..., 0], values // 257)
