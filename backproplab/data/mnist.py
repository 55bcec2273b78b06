"""Find, download, verify and load MNIST.

Where MNIST is looked for, in order:

1. ``data_dir=`` when given;
2. the folder named by the environment variable ``BACKPROPLAB_DATA_DIR``;
3. the per-user cache, ``<cache root>/mnist``, where the cache root is
   ``$BACKPROPLAB_CACHE_DIR`` if set, else ``pooch.os_cache("backproplab")``.
   Files missing there are downloaded (unless ``download=False``) from the
   mirrors in ``MIRRORS``, first to last, and checked against the SHA-256 of the
   mirror's ``.gz``. pooch downloads to a temporary file and renames it only
   after the hash matched, so an interrupted download never leaves a file.

A folder you name (1 or 2) is never downloaded into: a missing file there is an
error. Each file may be ``.gz`` or raw (the ``.gz`` is used when both exist) and
must match ``MNIST_FILES``: the IDX header (magic number, dimensions, length)
and the SHA-256 of the *decompressed* bytes, which is the same for every
faithful copy however it was compressed.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pooch

from backproplab.data.idx import PathLike, parse_idx, read_idx_bytes
from backproplab.core.pixels import pixels_to_unit
from backproplab.errors import ConfigError, DataError

DATA_DIR_ENV = "BACKPROPLAB_DATA_DIR"
CACHE_DIR_ENV = "BACKPROPLAB_CACHE_DIR"
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)


class FileSpec(NamedTuple):
    """What one IDX file must be; ``name`` is the decompressed file name."""

    name: str
    magic: int  # 2051 images (uint8, 3 dims), 2049 labels (uint8, 1 dim)
    shape: tuple[int, ...]
    sha256: str  # of the decompressed IDX bytes
    gz_sha256: str  # of the .gz file the mirrors serve


MNIST_FILES: dict[str, FileSpec] = {
    "train_images": FileSpec(
        name="train-images-idx3-ubyte",
        magic=2051,
        shape=(60000, 28, 28),
        sha256="ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        gz_sha256="440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    ),
    "train_labels": FileSpec(
        name="train-labels-idx1-ubyte",
        magic=2049,
        shape=(60000,),
        sha256="65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        gz_sha256="3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    ),
    "test_images": FileSpec(
        name="t10k-images-idx3-ubyte",
        magic=2051,
        shape=(10000, 28, 28),
        sha256="0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        gz_sha256="8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    ),
    "test_labels": FileSpec(
        name="t10k-labels-idx1-ubyte",
        magic=2049,
        shape=(10000,),
        sha256="ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        gz_sha256="f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
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


class _Location(NamedTuple):
    folder: Path
    origin: str  # "data_dir", "env", "cache" or "folder"


def cache_dir() -> Path:
    """The folder MNIST is downloaded into: ``<cache root>/mnist``."""
    root = os.environ.get(CACHE_DIR_ENV)
    return (Path(root).expanduser() if root else Path(pooch.os_cache("backproplab"))) / "mnist"


def _file_names() -> str:
    return ", ".join(spec.name for spec in MNIST_FILES.values())


def _find(folder: Path, spec: FileSpec) -> Path | None:
    """The file for ``spec`` in ``folder``: ``<name>.gz`` or raw ``<name>``."""
    for path in (folder / f"{spec.name}.gz", folder / spec.name):
        if path.is_file():
            return path
    return None


def _fix(path: Path, where: _Location) -> str:
    """What to do about a damaged file, depending on where it came from."""
    if where.origin == "cache":
        return (
            f"Delete {path} and call load_mnist() again (or run `backproplab data`) "
            f"to download a fresh copy, or set {DATA_DIR_ENV} to a folder with the "
            "real MNIST files."
        )
    return (
        f"Replace {path} with the real MNIST file, or set {DATA_DIR_ENV} (or pass "
        "data_dir=) to a folder with the real MNIST files; with neither, "
        f"load_mnist() downloads MNIST into {cache_dir()}."
    )


def _where(where: _Location) -> str:
    return {
        "data_dir": f"data_dir {where.folder}",
        "env": f"{DATA_DIR_ENV}={where.folder}",
        "cache": f"the cache folder {where.folder}",
    }.get(where.origin, f"the folder {where.folder}")


def _paths(where: _Location) -> dict[str, Path]:
    """Role -> file path for all four files, or DataError naming what is missing."""
    found = {role: _find(where.folder, spec) for role, spec in MNIST_FILES.items()}
    missing = [MNIST_FILES[role].name for role, path in found.items() if path is None]
    if not missing:
        return found  # type: ignore[return-value]
    if not where.folder.is_dir():
        problem = f"{_where(where)} does not exist or is not a folder."
    elif len(missing) == len(MNIST_FILES):
        problem = f"{_where(where)} holds none of the MNIST files."
    else:
        problem = f"{_where(where)} has no {' / '.join(missing)} (raw or .gz)."
    advice = {
        "data_dir": "pass data_dir=None to use the cache, which downloads what is missing",
        "env": f"unset {DATA_DIR_ENV} to use the cache, which downloads what is missing",
        "cache": "call load_mnist(download=True) or run `backproplab data` to download them",
    }.get(where.origin, "point to the folder that holds them")
    raise DataError(
        f"MNIST not found: {problem} Put the four files ({_file_names()}; raw or "
        f".gz) there, or {advice}."
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


def _verify(where: _Location) -> dict[str, Path]:
    paths = _paths(where)
    for role, spec in MNIST_FILES.items():
        read_verified(paths[role], spec, fix=_fix(paths[role], where))
    return {MNIST_FILES[role].name: path for role, path in paths.items()}


def verify_mnist(folder: PathLike) -> dict[str, Path]:
    """Check the four MNIST files in ``folder``; returns ``{file name: path}``.

    Raises DataError naming the first missing or damaged file and what to do.
    """
    folder = Path(folder).expanduser()
    origin = "cache" if folder.resolve() == cache_dir().resolve() else "folder"
    return _verify(_Location(folder, origin))


def _downloader(progress: bool) -> pooch.HTTPDownloader:
    """The downloader pooch uses (tests replace this to stay offline)."""
    return pooch.HTTPDownloader(progressbar=progress)


def _download(folder: Path, specs: list[FileSpec], *, progress: bool) -> None:
    """Fetch ``<name>.gz`` for each spec into ``folder``, trying each mirror."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(
            f"cannot create the cache folder {folder} ({exc.strerror or exc}). Set "
            f"{CACHE_DIR_ENV} to a writable folder, or {DATA_DIR_ENV} to a folder "
            "that already holds MNIST."
        ) from None
    for spec in specs:
        failures = []
        for mirror in MIRRORS:
            url = f"{mirror}{spec.name}.gz"
            try:
                pooch.retrieve(
                    url,
                    known_hash=f"sha256:{spec.gz_sha256}",
                    fname=f"{spec.name}.gz",
                    path=folder,
                    progressbar=progress,
                    downloader=_downloader(progress),
                )
                break
            except (OSError, ValueError) as exc:  # network errors, hash mismatch
                failures.append(f"  {url}: {exc}")
        else:
            raise DataError(
                f"could not download {spec.name}.gz into {folder}; every mirror "
                "failed:\n" + "\n".join(failures) + "\nCheck the internet "
                "connection and try again, or fetch the four .gz files by hand "
                f"into a folder and set {DATA_DIR_ENV} to it."
            )


def _resolve(data_dir: PathLike | None, *, download: bool, progress: bool) -> _Location:
    """Pick the folder to use (downloading into the cache if needed), unverified."""
    if data_dir is not None:
        return _Location(Path(data_dir).expanduser(), "data_dir")
    if os.environ.get(DATA_DIR_ENV):
        return _Location(Path(os.environ[DATA_DIR_ENV]).expanduser(), "env")
    where = _Location(cache_dir(), "cache")
    missing = [spec for spec in MNIST_FILES.values() if _find(where.folder, spec) is None]
    if missing and not download:
        raise DataError(
            "MNIST not found and download=False. Looked in: data_dir (not given), "
            f"{DATA_DIR_ENV} (not set), the cache folder {where.folder} (missing "
            f"{', '.join(spec.name for spec in missing)}). Call load_mnist(download="
            f"True) or run `backproplab data` to download it, or set {DATA_DIR_ENV} "
            f"to a folder holding {_file_names()} (raw or .gz)."
        )
    if missing:
        _download(where.folder, missing, progress=progress)
    return where


def locate_mnist(
    *, data_dir: PathLike | None = None, download: bool = True, progress: bool = True
) -> Path:
    """Find (or download into the cache) and verify MNIST; returns its folder."""
    where = _resolve(data_dir, download=download, progress=progress)
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
    download: bool = True,
    progress: bool = True,
) -> MNIST:
    """Load MNIST: x_train (n_train, 784), y_train (n_train,), x_test, y_test.

    Pixels are ``dtype`` scaled to [0, 1] (default float32), or raw 0..255 with
    ``dtype=np.uint8`` (no float copy is made: use it to save memory). Labels
    are int64 digits 0..9. ``n_train`` / ``n_test`` pick a class-balanced subset
    chosen by ``seed`` (see ``balanced_subset``), kept in the original order.
    See the module docstring for where the files are looked for.
    """
    dt = _check_dtype(dtype)
    n_train = _check_count("n_train", n_train, MNIST_FILES["train_labels"].shape[0])
    n_test = _check_count("n_test", n_test, MNIST_FILES["test_labels"].shape[0])
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer; got {seed!r}. Pass e.g. seed=0.")
    where = _resolve(data_dir, download=download, progress=progress)
    paths = _paths(where)

    def read(role: str) -> np.ndarray:
        return read_verified(paths[role], MNIST_FILES[role], fix=_fix(paths[role], where))

    x_train, y_train = _prepare(read("train_images"), read("train_labels"), n_train, dt, seed)
    x_test, y_test = _prepare(read("test_images"), read("test_labels"), n_test, dt, seed)
    return MNIST(x_train, y_train, x_test, y_test)
