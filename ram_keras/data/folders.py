"""A user's own images: a folder with one subfolder per class, or arrays in a `.npz` file.

    DIR/cat/001.png, DIR/cat/002.jpg, ..., DIR/dog/001.png, ...

Class names are the subfolder names, sorted (label `i` is `class_names[i]`,
as in `keras.utils.image_dataset_from_directory`); the files read are those
that Keras reads (`.bmp .gif .jpeg .jpg .png`, in the class folder or below
it), other files are skipped. A `.npz` file holds `x` (`(N, H, W)` or
`(N, H, W, C)`, uint8, or floats in [0, 1]) and `y` (int labels, or strings
that become the class names), optionally `x_test`, `y_test` and
`class_names`.

Images are kept in memory as uint8 `(N, H, W, C)` with `C` 1 (grayscale) or
3 (RGB). Every image is read by `read_image`, which `evaluate.py --image`
uses too, so a single file is converted exactly as the training images were:
to the colour mode (grayscale by PIL's ITU-R 601-2 luma, `L = 0.299 R +
0.587 G + 0.114 B`) and then, if a size is given and differs, resized
bilinearly by PIL.

Whatever is wrong with the data (a missing or empty folder, one class only,
a file that is not an image, images of different sizes without a size to
resize them to) raises `ImageDataError`, a ConfigError, whose message says
what to change; the runner prints it as one `error:` line.
"""

import collections
import os
import zipfile
import zlib

import numpy as np
from PIL import Image

from ram_keras.training.configs import ConfigError

# What keras.utils.image_dataset_from_directory reads.
IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
COLOR_MODES = ("grayscale", "rgb")
CHANNELS = {"grayscale": 1, "rgb": 3}
# PIL modes without colour: a folder of only these is read as grayscale by default.
GREY_MODES = ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F")
# 16-bit grey modes: scaled to 8 bits (as tf.io.decode_png does), not clipped at 255.
SIXTEEN_BIT_MODES = ("I;16", "I;16B", "I;16L", "I;16N")
# Folder names that mean a train/test layout given as if it were classes.
SPLIT_NAMES = ("train", "test", "validation", "val", "valid")

ImageData = collections.namedtuple("ImageData",
                                   ["x_train", "y_train", "x_test", "y_test", "class_names"])
ImageData.__doc__ = """A user's images: uint8 `(N, H, W, C)` training and test images (the test
ones empty when there are none), int64 labels, and the class names (label i is class_names[i])."""


class ImageDataError(ConfigError):
    """Images that cannot be used; the message names the file or folder and the fix."""


def _size_text(size):
    return f"{size[0]}x{size[1]}"


def read_image(path, color_mode, image_size=None):
    """One image file as uint8 `(H, W, C)`: converted to `color_mode`, resized to `image_size`.

    Args:
        path: an image file PIL reads.
        color_mode: `"grayscale"` (C = 1) or `"rgb"` (C = 3).
        image_size: `(height, width)` to resize to (bilinear), or None to keep its size.

    Raises:
        ImageDataError: the file is missing or is not an image PIL can decode.
    """
    try:
        with Image.open(path) as image:
            if image.mode in SIXTEEN_BIT_MODES:
                image = Image.fromarray((np.asarray(image, np.uint32) // 257).astype(np.uint8))
            image = image.convert("L" if color_mode == "grayscale" else "RGB")
            if image_size is not None and image.size != (image_size[1], image_size[0]):
                image = image.resize((image_size[1], image_size[0]), Image.BILINEAR)
            pixels = np.asarray(image, np.uint8)
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise ImageDataError(f"cannot read {path} as an image: {error}") from None
    return pixels.reshape(pixels.shape[0], pixels.shape[1], CHANNELS[color_mode])


def _image_header(path):
    """`(height, width)` and PIL mode of an image file, from its header only."""
    try:
        with Image.open(path) as image:
            return (image.size[1], image.size[0]), image.mode
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise ImageDataError(f"cannot read {path} as an image: {error}") from None


def list_image_folder(folder):
    """`(class_names, files)`: the sorted class subfolders of `folder` and, per class, its
    image files (sorted paths). Raises ImageDataError for a folder that is not laid out so."""
    if not os.path.exists(folder):
        raise ImageDataError(f"no such folder: {folder}")
    if not os.path.isdir(folder):
        raise ImageDataError(f"{folder} is not a folder (nor a .npz file)")
    class_names = sorted(entry.name for entry in os.scandir(folder)
                         if entry.is_dir() and not entry.name.startswith("."))
    if not class_names:
        loose = [f for f in os.listdir(folder) if f.lower().endswith(IMAGE_EXTENSIONS)]
        hint = (f" (it holds {len(loose)} images directly: put them in one subfolder per class)"
                if loose else "")
        raise ImageDataError(f"{folder} has no class subfolders{hint}; expected "
                             f"{os.path.join(folder, '<class>', '<image>')}")
    files = []
    for name in class_names:
        class_folder = os.path.join(folder, name)
        found = sorted(
            os.path.join(root, f) for root, dirs, names in os.walk(class_folder)
            for f in names if f.lower().endswith(IMAGE_EXTENSIONS))
        if name.lower() in SPLIT_NAMES and any(
                entry.is_dir() for entry in os.scandir(class_folder)):
            raise ImageDataError(
                f"{folder} looks like a train/test layout ({name}/ holds folders), not one "
                f"folder per class: use --data {os.path.join(folder, 'train')} --test-data "
                f"{os.path.join(folder, 'test')}")
        if not found:
            raise ImageDataError(f"class folder {class_folder} holds no images "
                                 f"({' '.join(IMAGE_EXTENSIONS)})")
        files.append(found)
    return class_names, files


def _resolve_color_mode(modes, color_mode):
    if color_mode is not None:
        return color_mode
    return "grayscale" if all(mode in GREY_MODES for mode in modes) else "rgb"


def _check_one_size(sizes, paths, image_size, where):
    """The size every image has; ImageDataError if they differ and no `image_size` is given."""
    if image_size is not None:
        return tuple(image_size)
    first = sizes[0]
    for size, path in zip(sizes, paths):
        if size != first:
            raise ImageDataError(
                f"images of {where} differ in size ({paths[0]} is {_size_text(first)}, {path} "
                f"is {_size_text(size)} (height x width)): add --image-size H W to resize them "
                "all")
    return first


def read_image_folder(folder, color_mode=None, image_size=None):
    """All images of a folder of class subfolders.

    Args:
        folder: the folder (`folder/<class>/<image>`).
        color_mode: `"grayscale"`, `"rgb"`, or None: grayscale when every file
            is a grayscale image, else RGB.
        image_size: `(height, width)` to resize every image to, or None (they
            must then share one size).

    Returns:
        `(images, labels, class_names, color_mode)`: uint8 `(N, H, W, C)`,
        int64 `(N,)`, the sorted class names and the colour mode used.
    """
    class_names, files = list_image_folder(folder)
    paths = [path for per_class in files for path in per_class]
    labels = np.concatenate([np.full(len(per_class), i, np.int64)
                             for i, per_class in enumerate(files)])
    # Headers first: a bad file or mixed sizes fail before anything is decoded.
    headers = [_image_header(path) for path in paths]
    color_mode = _resolve_color_mode([mode for _, mode in headers], color_mode)
    size = _check_one_size([s for s, _ in headers], paths, image_size, folder)
    images = np.empty((len(paths), size[0], size[1], CHANNELS[color_mode]), np.uint8)
    for i, path in enumerate(paths):
        images[i] = read_image(path, color_mode, image_size)
    return images, labels, class_names, color_mode


def _npz_images(array, key, path):
    """uint8 `(N, H, W, C)` from an npz array of uint8 values or floats in [0, 1]."""
    array = np.asarray(array)
    if array.ndim == 3:
        array = array[..., None]
    if array.ndim != 4 or array.shape[-1] not in (1, 3) or not len(array):
        raise ImageDataError(f"{path}: {key} must be images (N, H, W) or (N, H, W, C) with C 1 "
                             f"or 3 and N >= 1, got shape {array.shape}")
    if np.issubdtype(array.dtype, np.integer):
        if array.min() < 0 or array.max() > 255:
            raise ImageDataError(f"{path}: integer {key} must lie in [0, 255], got "
                                 f"{array.min()} to {array.max()}")
        return array.astype(np.uint8)
    if np.issubdtype(array.dtype, np.floating):
        if not np.all(np.isfinite(array)) or array.min() < 0 or array.max() > 1:
            raise ImageDataError(f"{path}: float {key} must lie in [0, 1] (or store uint8)")
        return np.round(array * 255.0).astype(np.uint8)
    raise ImageDataError(f"{path}: {key} must hold numbers, got dtype {array.dtype}")


def _npz_labels(array, key, path, count, class_names):
    """int64 labels, and the class names (given, or from string labels, or `"0".."K-1"`)."""
    array = np.asarray(array)
    if array.ndim != 1 or len(array) != count:
        raise ImageDataError(f"{path}: {key} must be one label per image ({count}), got shape "
                             f"{array.shape}")
    if array.dtype.kind in "US":
        names = class_names or sorted(str(v) for v in np.unique(array))
        index = {name: i for i, name in enumerate(names)}
        unknown = sorted({str(v) for v in array} - set(index))
        if unknown:
            raise ImageDataError(f"{path}: {key} has labels not in class_names: {unknown[:5]}")
        return np.array([index[str(v)] for v in array], np.int64), names
    if not np.issubdtype(array.dtype, np.integer):
        raise ImageDataError(f"{path}: {key} must be integer class indices or strings, got dtype "
                             f"{array.dtype}")
    if array.min() < 0:
        raise ImageDataError(f"{path}: {key} must be class indices >= 0, got {array.min()}")
    names = class_names or [str(i) for i in range(int(array.max()) + 1)]
    if array.max() >= len(names):
        raise ImageDataError(f"{path}: {key} has label {array.max()} but only {len(names)} "
                             "class_names")
    return array.astype(np.int64), names


def _convert_arrays(images, color_mode, image_size):
    """Arrays converted and resized as `read_image` converts and resizes files."""
    channels = CHANNELS[color_mode]
    size = tuple(image_size) if image_size is not None else images.shape[1:3]
    if images.shape[-1] == channels and tuple(images.shape[1:3]) == size:
        return images
    out = np.empty((len(images), size[0], size[1], channels), np.uint8)
    for i, image in enumerate(images):
        picture = Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image)
        picture = picture.convert("L" if color_mode == "grayscale" else "RGB")
        if picture.size != (size[1], size[0]):
            picture = picture.resize((size[1], size[0]), Image.BILINEAR)
        out[i] = np.asarray(picture, np.uint8).reshape(out.shape[1:])
    return out


def read_npz(path, color_mode=None, image_size=None):
    """`ImageData` and the colour mode from a `.npz` of `x`, `y` (and `x_test`, `y_test`,
    `class_names`); without `color_mode`, the arrays' own channels decide."""
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ValueError("it holds one array, not a .npz archive of x and y (np.savez)")
        with loaded as f:
            arrays = {key: f[key] for key in f.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise ImageDataError(f"cannot read {path} as a .npz file: {error}") from None
    missing = [key for key in ("x", "y") if key not in arrays]
    if missing or (("x_test" in arrays) != ("y_test" in arrays)):
        raise ImageDataError(f"{path} must hold arrays x and y (and optionally both x_test and "
                             f"y_test, class_names); it holds {sorted(arrays)}")
    class_names = ([str(name) for name in arrays["class_names"]]
                   if "class_names" in arrays else None)
    x = _npz_images(arrays["x"], "x", path)
    y, class_names = _npz_labels(arrays["y"], "y", path, len(x), class_names)
    if color_mode is None:
        color_mode = "grayscale" if x.shape[-1] == 1 else "rgb"
    x_test, y_test = x[:0], y[:0]
    if "x_test" in arrays:
        x_test = _npz_images(arrays["x_test"], "x_test", path)
        y_test, test_names = _npz_labels(arrays["y_test"], "y_test", path, len(x_test),
                                         class_names)
        if test_names != class_names:
            raise ImageDataError(f"{path}: y_test has classes {test_names}, y has {class_names}")
        if image_size is None and x_test.shape[1:3] != x.shape[1:3]:
            raise ImageDataError(f"{path}: x_test images are {_size_text(x_test.shape[1:3])}, "
                                 f"x images {_size_text(x.shape[1:3])}: add --image-size H W")
    x = _convert_arrays(x, color_mode, image_size)
    x_test = _convert_arrays(x_test, color_mode, x.shape[1:3])
    return ImageData(x, y, x_test, y_test, list(class_names)), color_mode


def _check_classes(labels, class_names, where):
    present = np.unique(labels)
    if len(present) < 2:
        only = class_names[int(present[0])] if len(present) else "none"
        raise ImageDataError(f"{where} holds one class only ({only}): a classifier needs images "
                             "of at least two classes")


def _fingerprint(*paths):
    """What changes when a file of the data changes: names, sizes and times of every file."""
    entries = []
    for path in paths:
        if path is None or not os.path.exists(path):
            entries.append((path, None))
        elif os.path.isfile(path):
            stat = os.stat(path)
            entries.append((path, stat.st_size, stat.st_mtime_ns))
        else:
            for root, dirs, names in os.walk(path):
                dirs.sort()
                for name in sorted(names):
                    stat = os.stat(os.path.join(root, name))
                    entries.append((os.path.join(root, name), stat.st_size, stat.st_mtime_ns))
    return tuple(entries)


_CACHE = {}


def load_image_data(data, test_data=None, image_size=None, color_mode=None):
    """A user's images: `(ImageData, color_mode)`.

    Args:
        data: a folder of class subfolders, or a `.npz` file.
        test_data: an optional folder of test images with the same class
            subfolders (a `.npz` file brings its own `x_test`, `y_test`).
        image_size: `(height, width)` to resize every image to, or None.
        color_mode: `"grayscale"`, `"rgb"` or None (from the images).

    The last data read is kept while its files are unchanged (the runner
    checks the config and then loads the data: one read).

    Raises:
        ImageDataError: the data cannot be used (the message says why).
    """
    if color_mode is not None and color_mode not in COLOR_MODES:
        raise ImageDataError(f"color_mode must be one of {COLOR_MODES} or None, got "
                             f"{color_mode!r}")
    key = (os.path.abspath(data), test_data and os.path.abspath(test_data),
           None if image_size is None else tuple(image_size), color_mode,
           _fingerprint(data, test_data))
    if key in _CACHE:
        return _CACHE[key]
    if str(data).lower().endswith(".npz"):
        if not os.path.isfile(data):
            raise ImageDataError(f"no such file: {data}")
        if test_data is not None:
            raise ImageDataError("a .npz file brings its own test images (x_test, y_test); "
                                 "--test-data is for folders")
        images, color_mode = read_npz(data, color_mode, image_size)
    else:
        x, y, class_names, color_mode = read_image_folder(data, color_mode, image_size)
        x_test, y_test = x[:0], y[:0]
        if test_data is not None:
            x_test, y_test, test_names, _ = read_image_folder(
                test_data, color_mode, image_size or x.shape[1:3])
            unknown = sorted(set(test_names) - set(class_names))
            if unknown:
                raise ImageDataError(f"test folder {test_data} has classes the training folder "
                                     f"{data} does not: {unknown}")
            y_test = np.array([class_names.index(test_names[i]) for i in y_test], np.int64)
        images = ImageData(x, y, x_test, y_test, class_names)
    _check_classes(images.y_train, images.class_names, data)
    if len(images.y_train) < 2:
        raise ImageDataError(f"{data} holds {len(images.y_train)} image: too few to train on")
    for array in images[:4]:
        array.flags.writeable = False
    _CACHE.clear()
    _CACHE[key] = (images, color_mode)
    return images, color_mode


def split_validation_fraction(images, labels, fraction, seed):
    """`(train_images, train_labels), (validation_images, validation_labels)`.

    Holds out `round(fraction * N)` images (at least one when `fraction > 0`),
    chosen by a permutation seeded by `seed`, so that the split is the same for
    every run and for evaluate.py; both parts keep the original order.
    """
    count = len(labels)
    if fraction <= 0:
        return (images, labels), (images[:0], labels[:0])
    held_out = min(count - 1, max(1, int(round(fraction * count))))
    chosen = np.zeros(count, bool)
    chosen[np.random.default_rng(seed).permutation(count)[:held_out]] = True
    return (images[~chosen], labels[~chosen]), (images[chosen], labels[chosen])
