"""Find, verify and load MNIST: the copy shipped inside the package, or your own.

Where MNIST comes from, in order:

1. ``data_dir=`` when given;
2. the folder named by the environment variable ``BACKPROPLAB_DATA_DIR``;
3. the copy bundled with backproplab (``backproplab/data/bundled``: the four
   original files, gzipped, 11 MB), read in place from the installed package.

Nothing is ever downloaded: the bundled copy is the real MNIST, so the lab works
offline out of the box. A folder you name (1 or 2) must hold all four files;
each may be ``.gz`` or raw (the ``.gz`` is used when both exist). Every file,
bundled or not, is checked against ``MNIST_FILES`` when it is read: the IDX
header (magic number, dimensions, length) and the SHA-256 of the
*decompressed* bytes, which is the same for every faithful copy however it was
compressed.

MNIST is by Yann LeCun, Corinna Cortes and Christopher J. C. Burges, and is
available under the terms of the Creative Commons Attribution-Share Alike 3.0
licence (CC BY-SA 3.0), as its mirrors state; see ``bundled/README.md``.
"""

from __future__ import annotations

import hashlib
import os
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import numpy as np

from backproplab.data.idx import PathLike, parse_idx, read_idx_bytes
from backproplab.core.pixels import pixels_to_unit
from backproplab.errors import ConfigError, DataError

DATA_DIR_ENV = "BACKPROPLAB_DATA_DIR"


class FileSpec(NamedTuple):
    """What one IDX file must be; ``name`` is the decompressed file name."""

    name: str
    magic: int  # 2051 images (uint8, 3 dims), 2049 labels (uint8, 1 dim)
    shape: tuple[int, ...]
    sha256: str  # of the decompressed IDX bytes


MNIST_FILES: dict[str, FileSpec] = {
    "train_images": FileSpec(
        name="train-images-idx3-ubyte",
        magic=2051,
        shape=(60000, 28, 28),
        sha256="ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    ),
    "train_labels": FileSpec(
        name="train-labels-idx1-ubyte",
        magic=2049,
        shape=(60000,),
        sha256="65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    ),
    "test_images": FileSpec(
        name="t10k-images-idx3-ubyte",
        magic=2051,
        shape=(10000, 28, 28),
        sha256="0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    ),
    "test_labels": FileSpec(
        name="t10k-labels-idx1-ubyte",
        magic=2049,
        shape=(10000,),
        sha256="ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ),
}


class MNIST(NamedTuple):
    """The loaded data set; unpacks as ``x_train, y_train, x_test, y_test``."""

    x_train: np.ndarray  # (n_train, 784) float in [0, 1], or uint8 0..255
    y_train: np.ndarray  # (n_train,) int64 digits 0..9
    x_test: np.ndarray  # (n_test, 784)
    y_test: np.ndarray  # (n_test,) int64

    def __repr__(self) -> str:
        def describe(x: np.ndarray) -> str:
            return " x ".join(map(str, x.shape)) + f" {x.dtype}"

        return f"MNIST(train={describe(self.x_train)}, test={describe(self.x_test)})"


class MNISTSource(NamedTuple):
    """Which copy of MNIST is used: its folder and where that choice came from."""

    folder: Path
    origin: str  # "data_dir", "env" or "bundled"

    def describe(self) -> str:
        """One phrase for messages, e.g. ``the copy bundled with backproplab (<folder>)``."""
        return {
            "data_dir": f"data_dir {self.folder}",
            "env": f"{DATA_DIR_ENV}={self.folder}",
            "bundled": f"the copy bundled with backproplab ({self.folder})",
        }[self.origin]


def bundled_dir() -> Path:
    """The folder of the MNIST copy shipped inside the package (read in place, never copied)."""
    folder = resources.files("backproplab.data") / "bundled"
    if not isinstance(folder, Path):  # e.g. a package imported from a zip archive
        raise DataError(
            f"the bundled MNIST cannot be read in place from {folder}: backproplab is not "
            f"installed as ordinary files. Reinstall it with pip, or set {DATA_DIR_ENV} (or "
            "pass data_dir=) to a folder with the four MNIST files."
        )
    return folder


def _file_names() -> str:
    return ", ".join(spec.name for spec in MNIST_FILES.values())


def _find(folder: Path, spec: FileSpec) -> Path | None:
    """The file for ``spec`` in ``folder``: ``<name>.gz`` or raw ``<name>``."""
    for path in (folder / f"{spec.name}.gz", folder / spec.name):
        if path.is_dir():
            raise DataError(
                f"{path} is a folder, not a file. Replace it with the MNIST file "
                f"{path.name}, or point to the folder that holds the four MNIST files."
            )
        if path.is_file():
            return path
    return None


def _fix(path: Path, where: MNISTSource) -> str:
    """What to do about a damaged file, depending on where it came from."""
    if where.origin == "bundled":
        return (
            "The copy bundled with backproplab is damaged: reinstall backproplab "
            f"(pip install --force-reinstall backproplab), or set {DATA_DIR_ENV} to a "
            "folder with the real MNIST files."
        )
    return (
        f"Replace {path} with the real MNIST file, or use another folder with the real "
        f"MNIST files; with neither data_dir= nor {DATA_DIR_ENV}, load_mnist() uses the "
        "copy bundled with backproplab."
    )


def _check_folder(where: MNISTSource) -> None:
    """DataError if the folder is missing, not a folder, or cannot be listed."""
    folder = where.folder
    if not folder.exists():
        problem = "does not exist"
    elif not folder.is_dir():
        problem = "is not a folder"
    elif not os.access(folder, os.R_OK | os.X_OK):
        problem = "cannot be read (permission denied)"
    else:
        return
    fix = {
        "data_dir": "Pass the folder that holds the four MNIST files, or data_dir=None to use "
                    "the copy bundled with backproplab.",
        "env": f"Point {DATA_DIR_ENV} at the folder that holds the four MNIST files, or unset "
               "it to use the copy bundled with backproplab.",
        "bundled": "Reinstall backproplab (pip install --force-reinstall backproplab).",
    }[where.origin]
    raise DataError(f"MNIST not found: {where.describe()} {problem}. {fix}")


def _paths(where: MNISTSource) -> dict[str, Path]:
    """Role -> file path for all four files, or DataError naming what is missing."""
    _check_folder(where)
    try:
        found = {role: _find(where.folder, spec) for role, spec in MNIST_FILES.items()}
    except PermissionError as exc:
        raise DataError(
            f"cannot read {where.describe()}: {exc.strerror or exc}. Give yourself read "
            "permission on the folder and its files, or use another folder."
        ) from None
    missing = [MNIST_FILES[role].name for role, path in found.items() if path is None]
    if not missing:
        return found  # type: ignore[return-value]
    if len(missing) == len(MNIST_FILES):
        problem = f"{where.describe()} holds none of the MNIST files."
    else:
        problem = f"{where.describe()} has no {' / '.join(missing)} (raw or .gz)."
    advice = {
        "data_dir": "or pass data_dir=None to use the copy bundled with backproplab",
        "env": f"or unset {DATA_DIR_ENV} to use the copy bundled with backproplab",
        "bundled": "or reinstall backproplab (pip install --force-reinstall backproplab)",
    }[where.origin]
    raise DataError(
        f"MNIST not found: {problem} Put the four files ({_file_names()}; raw or "
        f".gz) there, {advice}."
    )


def read_verified(path: PathLike, spec: FileSpec, *, fix: str | None = None) -> np.ndarray:
    """Read one IDX file and check it against ``spec``; returns shape ``spec.shape``.

    Checks the header (magic number, dimensions, file length) and then the
    SHA-256 of the decompressed bytes. Raises DataError naming the file, the
    problem and ``fix`` (what to do about it).
    """
    fix = fix or f"Replace {path} with the real {spec.name}."
    buffer = read_idx_bytes(path, expect_magic=spec.magic, expect_shape=spec.shape, fix=fix)
    digest = hashlib.sha256(buffer).hexdigest()
    if digest != spec.sha256:
        raise DataError(
            f"{path} is damaged or not the original {spec.name}: the SHA-256 of "
            f"its decompressed bytes is {digest}, expected {spec.sha256}. {fix}"
        )
    return parse_idx(buffer, source=str(path))


def _check_data_dir(data_dir: object) -> None:
    if data_dir is not None and not isinstance(data_dir, (str, os.PathLike)):
        raise ConfigError(
            f"data_dir must be a folder path (a str or pathlib.Path) or None; got "
            f"{data_dir!r} ({type(data_dir).__name__}). Pass e.g. data_dir='~/mnist', or "
            "leave it out to use the copy bundled with backproplab."
        )


def mnist_source(*, data_dir: PathLike | None = None) -> MNISTSource:
    """Which copy ``load_mnist`` would read (unverified): data_dir, the env variable or the bundle."""
    _check_data_dir(data_dir)
    if data_dir is not None:
        return MNISTSource(Path(data_dir).expanduser(), "data_dir")
    if os.environ.get(DATA_DIR_ENV):
        return MNISTSource(Path(os.environ[DATA_DIR_ENV]).expanduser(), "env")
    return MNISTSource(bundled_dir(), "bundled")


def verify_mnist(folder: PathLike | None = None) -> dict[str, Path]:
    """Check the four MNIST files in ``folder`` (default: the copy in use); ``{file name: path}``.

    Reads every file and checks its header and the SHA-256 of its decompressed
    bytes. Raises DataError naming the first missing or damaged file and what to do.
    """
    return _verify(mnist_source(data_dir=folder))


def _verify(where: MNISTSource) -> dict[str, Path]:
    paths = _paths(where)
    for role, spec in MNIST_FILES.items():
        read_verified(paths[role], spec, fix=_fix(paths[role], where))
    return {MNIST_FILES[role].name: path for role, path in paths.items()}


def locate_mnist(*, data_dir: PathLike | None = None) -> Path:
    """The folder of the MNIST copy in use, after verifying its four files."""
    where = mnist_source(data_dir=data_dir)
    _verify(where)
    return where.folder


def balanced_subset(labels: np.ndarray, n: int, *, seed: int = 0) -> np.ndarray:
    """Indices of ``n`` samples, as equally many per class as possible.

    labels: (N,) class labels. Returns (n,) int64 indices in ascending order,
    the same for the same ``labels``, ``n`` and ``seed``. A class with too few
    samples gives all it has and the others share the rest; classes that get
    one extra sample (when ``n`` does not divide evenly) are drawn by ``seed``.
    """
    labels = np.asarray(labels)  # (N,)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= len(labels):
        raise ConfigError(
            f"n must be an integer from 1 to {len(labels)} (the number of labels); got {n!r}."
        )
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)  # (K,), (K,)
    quota, left = np.zeros_like(counts), int(n)
    while left:
        open_ = np.flatnonzero(quota < counts)  # classes with samples to spare
        share, extra = divmod(left, len(open_))
        if share == 0:
            quota[rng.choice(open_, size=extra, replace=False)] += 1
            break
        add = np.minimum(share, counts[open_] - quota[open_])
        quota[open_] += add
        left -= int(add.sum())
    picks = [
        rng.choice(np.flatnonzero(labels == c), size=q, replace=False)
        for c, q in zip(classes, quota, strict=True)
    ]
    return np.sort(np.concatenate(picks)).astype(np.int64)


def _check_count(name: str, value: int | None, available: int) -> int | None:
    if value is None:
        return None
    whole = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if not whole or not 1 <= value <= available:
        raise ConfigError(
            f"{name} must be a whole number from 1 to {available} (the images "
            f"available) or None for all of them; got {value!r}. Pass e.g. "
            f"{name}={min(1000, available)}, or {name}=None."
        )
    return int(value)


def _check_dtype(dtype: object) -> np.dtype:
    try:
        dt = np.dtype(dtype)  # type: ignore[call-overload]
    except TypeError:
        dt = None
    if dt is None or (dt != np.uint8 and dt.kind != "f"):
        shown = repr(dtype) if dt is None else dt.name
        raise ConfigError(
            "dtype must be np.uint8 (pixels 0..255) or a float dtype such as "
            f"np.float32 (pixels scaled to [0, 1]); got {shown}."
        )
    return dt


def _prepare(
    images: np.ndarray, labels: np.ndarray, n: int | None, dtype: np.dtype, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Flatten, subset and scale one split. images: (N, 28, 28) uint8."""
    x = images.reshape(len(images), -1)  # (N, 784) view, no copy
    y = labels.astype(np.int64)  # (N,)
    if n is not None and n < len(y):
        keep = balanced_subset(y, n, seed=seed)  # (n,)
        x, y = x[keep], y[keep]  # (n, 784), (n,)
    if dtype != np.uint8:
        x = pixels_to_unit(x, dtype)  # (n, 784), the one float copy
    return x, y


def load_mnist(
    *,
    data_dir: PathLike | None = None,
    n_train: int | None = None,
    n_test: int | None = None,
    dtype: object = np.float32,
    seed: int = 0,
    progress: bool = False,
) -> MNIST:
    """Load MNIST: x_train (n_train, 784), y_train (n_train,), x_test, y_test.

    Pixels are ``dtype`` scaled to [0, 1] (default float32), or raw 0..255 with
    ``dtype=np.uint8`` (no float copy is made: use it to save memory). Labels
    are int64 digits 0..9. ``n_train`` / ``n_test`` pick a class-balanced subset
    chosen by ``seed`` (see ``balanced_subset``), kept in the original order.
    The files come from ``data_dir``, else ``$BACKPROPLAB_DATA_DIR``, else the
    copy bundled with the package (see the module docstring); never from the
    network. ``progress=True`` shows a bar while the four files are read and checked.
    """
    dt = _check_dtype(dtype)
    n_train = _check_count("n_train", n_train, MNIST_FILES["train_labels"].shape[0])
    n_test = _check_count("n_test", n_test, MNIST_FILES["test_labels"].shape[0])
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer; got {seed!r}. Pass e.g. seed=0.")
    where = mnist_source(data_dir=data_dir)
    paths = _paths(where)
    arrays = {}
    with _progress_bar(progress) as bar:
        for role, spec in MNIST_FILES.items():
            arrays[role] = read_verified(paths[role], spec, fix=_fix(paths[role], where))
            bar.update(1)
    x_train, y_train = _prepare(arrays.pop("train_images"), arrays.pop("train_labels"), n_train, dt, seed)
    x_test, y_test = _prepare(arrays.pop("test_images"), arrays.pop("test_labels"), n_test, dt, seed)
    return MNIST(x_train, y_train, x_test, y_test)


def _progress_bar(show: bool):
    from tqdm.auto import tqdm

    return tqdm(total=len(MNIST_FILES), desc="reading MNIST", unit="file", disable=not show,
                leave=False)
