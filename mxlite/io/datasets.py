"""Dataset download helpers of ``mx.test_utils``: ``download``, ``get_mnist``,
``get_mnist_ubyte``, ``get_mnist_iterator``.

MXNet downloads into the working directory (``get_mnist``) or ``./data`` (``get_mnist_ubyte``).
mxlite first looks for the files there and in the dataset cache, ``$MXNET_HOME/datasets/mnist``
(``~/.mxnet/datasets/mnist`` by default, where MXNet's Gluon keeps them), and only downloads what is
in neither place. Without a network the error names the missing file and where to put it.
"""
import gzip
import logging
import os
import shutil
import struct
import urllib.request
import zipfile

import numpy as np

from ..utils import atomic_write_bytes

__all__ = ["download", "get_mnist", "get_mnist_ubyte", "get_mnist_iterator", "cache_dir"]

MNIST_URL = "http://data.mxnet.io/data/mnist/"
MNIST_ZIP_URL = "http://data.mxnet.io/mxnet/data/mnist.zip"
MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
               "t10k-labels-idx1-ubyte")


def cache_dir(name="mnist"):
    """The dataset cache directory: ``$MXNET_HOME/datasets/<name>`` (MXNET_HOME defaults to
    ~/.mxnet)."""
    home = os.environ.get("MXNET_HOME", os.path.join(os.path.expanduser("~"), ".mxnet"))
    return os.path.join(home, "datasets", name)


def download(url, fname=None, dirname=None, overwrite=False, retries=5):
    """Download ``url`` to ``fname`` (default: the URL's last part, in ``dirname`` when given)
    unless the file exists; return its path. The file is written atomically.

    Raises
    ------
    OSError
        The download failed after ``retries`` retries (the message names the URL and the file
        to provide by hand).
    """
    if retries < 0:
        raise ValueError("Number of retries should be at least 0")
    if fname is None:
        fname = url.split("/")[-1]
    if dirname is None:
        dirname = os.path.dirname(fname)
    else:
        fname = os.path.join(dirname, fname)
    if dirname:
        os.makedirs(dirname, exist_ok=True)
    if not overwrite and os.path.exists(fname):
        logging.info("%s exists, skipping download", fname)
        return fname
    last = None
    for attempt in range(retries + 1):
        try:
            with urllib.request.urlopen(url, timeout=30) as resp:
                if getattr(resp, "status", 200) != 200:
                    raise OSError(f"HTTP status {resp.status}")
                atomic_write_bytes(fname, resp.read())
            logging.info("downloaded %s into %s successfully", url, fname)
            return fname
        except OSError as err:
            last = err
            if attempt < retries:
                logging.info("download of %s failed (%s), retrying", url, err)
    raise OSError(f"cannot download {url} ({last}); without a network, put the file at "
                  f"{os.path.abspath(fname)} (or in the cache {cache_dir()})")


def _find(name, places):
    for place in places:
        path = os.path.join(place, name)
        if os.path.exists(path):
            return path
    return None


def _mnist_file(name):
    """Path of MNIST file ``name`` (a ``.gz``): found locally, else downloaded to the working
    directory as MXNet does."""
    found = _find(name, [".", "data", cache_dir()])
    if found is not None:
        return found
    try:
        return download(MNIST_URL + name)
    except OSError as err:
        raise OSError(f"MNIST file {name} is neither in ., ./data nor the cache {cache_dir()}, "
                      f"and downloading it failed: {err}") from None


def _read_idx(path, header):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        head = struct.unpack(">" + "I" * header, f.read(4 * header))
        return head, f.read()


def get_mnist():
    """MNIST as a dict of NumPy arrays: ``train_data`` / ``test_data`` (N, 1, 28, 28) float32
    in [0, 1], ``train_label`` / ``test_label`` int8."""
    def read(label_name, image_name):
        _, raw = _read_idx(_mnist_file(label_name), 2)
        label = np.frombuffer(raw, dtype=np.int8)
        (_, _, rows, cols), raw = _read_idx(_mnist_file(image_name), 4)
        image = np.frombuffer(raw, dtype=np.uint8).reshape(len(label), 1, rows, cols)
        return label, image.astype(np.float32) / 255
    train_lbl, train_img = read("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz")
    test_lbl, test_img = read("t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")
    return {"train_data": train_img, "train_label": train_lbl, "test_data": test_img,
            "test_label": test_lbl}


def get_mnist_ubyte():
    """Make sure ``data/`` holds the four uncompressed MNIST idx files: copied or unzipped from
    the cache when they are there, else extracted from MXNet's mnist.zip download."""
    os.makedirs("data", exist_ok=True)
    missing = [f for f in MNIST_FILES if not os.path.exists(os.path.join("data", f))]
    for name in list(missing):
        plain = _find(name, [cache_dir()])
        packed = _find(name + ".gz", [".", cache_dir()])
        target = os.path.join("data", name)
        if plain is not None:
            shutil.copyfile(plain, target)
        elif packed is not None:
            with gzip.open(packed, "rb") as src:
                atomic_write_bytes(target, src.read())
        else:
            continue
        missing.remove(name)
    if missing:
        try:
            zip_path = download(MNIST_ZIP_URL, dirname="data")
        except OSError as err:
            raise OSError(f"MNIST files {', '.join(missing)} are missing from ./data and the "
                          f"cache {cache_dir()}, and downloading them failed: {err}") from None
        with zipfile.ZipFile(zip_path) as zf:
            zf.extractall("data")


def get_mnist_iterator(batch_size, input_shape, num_parts=1, part_index=0):
    """(train, validation) MNISTIters over ``data/`` (fetched by get_mnist_ubyte); images are
    flat unless ``input_shape`` has three dimensions."""
    from .file_iters import MNISTIter
    get_mnist_ubyte()
    flat = len(input_shape) != 3
    train = MNISTIter(image="data/train-images-idx3-ubyte", label="data/train-labels-idx1-ubyte",
                      input_shape=input_shape, batch_size=batch_size, shuffle=True, flat=flat,
                      num_parts=num_parts, part_index=part_index)
    val = MNISTIter(image="data/t10k-images-idx3-ubyte", label="data/t10k-labels-idx1-ubyte",
                    input_shape=input_shape, batch_size=batch_size, flat=flat,
                    num_parts=num_parts, part_index=part_index)
    return train, val
