"""Reading a saved MLP (``.npz``) without trusting the file.

An ``.npz`` is a zip archive of ``.npy`` members. Only the members a model has
(format, sizes, activation, W1..Wn) are opened; each one's ``.npy`` header is
read first and its dtype and shape checked, so a file cannot make the reader
unpickle anything, decompress a member it does not need, or allocate more than
the weights that ``sizes`` allows.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ..errors import ConfigError, ModelFileError
from .validation import check_sizes

_SAVE_HINT = "Save models with MLP.save(path), or train one: backproplab train --save model.npz."


def read_model(path: str | os.PathLike, tag: str) -> tuple[tuple[int, ...], str, list[np.ndarray], str, bool]:
    """Return (sizes, activation, [W1..Wn], loss, bias) from a model file whose format tag is ``tag``.

    ``loss`` and ``bias`` are optional members (files saved before them are
    cross-entropy networks with biases).
    """
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise ModelFileError(f"no model file at {path}. Train and save one first: "
                             f"backproplab train --save {path.name}") from None
    except IsADirectoryError:
        raise ModelFileError(f"{path} is a folder, not a model file. Name the .npz file inside it.") from None
    except PermissionError:
        raise ModelFileError(f"cannot read {path}: permission denied. Fix its permissions "
                             f"(chmod u+r {path}) or copy the model somewhere readable.") from None
    except OSError as exc:
        raise ModelFileError(f"cannot read {path}: {exc.strerror or exc}. Check the file and the disk.") from None
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise ModelFileError(f"{path} is not a backproplab model file: it is not an .npz (zip) archive. "
                             f"{_SAVE_HINT}") from None
    with archive:
        reader = _Members(archive, path)
        if "format.npy" not in reader.members:
            raise ModelFileError(f"{path} is an .npz file but not a backproplab model (no format tag "
                                 f"{tag!r}). {_SAVE_HINT}")
        fmt = reader.read("format", kinds="U", shape=())
        if str(fmt) != tag:
            raise ModelFileError(f"{path} is not a backproplab model of this version: its format tag is "
                                 f"{str(fmt)[:40]!r}, expected {tag!r}. {_SAVE_HINT}")
        sizes_array = reader.read("sizes", kinds="iu", shape=(None,))
        try:
            sizes = check_sizes(sizes_array.tolist())
        except ConfigError as exc:
            raise ModelFileError(f"{path} is a damaged or hostile backproplab model: {exc}") from None
        activation = str(reader.read("activation", kinds="U", shape=()))
        loss = str(reader.read("loss", kinds="U", shape=())) if "loss.npy" in reader.members else "cross_entropy"
        bias = bool(reader.read("bias", kinds="b", shape=())) if "bias.npy" in reader.members else True
        n = len(sizes) - 1
        weights = [reader.read(f"W{k + 1}", kinds="f", shape=(a + bias, b), needed=f"W1..W{n}")
                   for k, (a, b) in enumerate(zip(sizes, sizes[1:]))]
    return sizes, activation, weights, loss, bias


class _Members:
    """Reads single ``.npy`` members of an open archive, header first."""

    _MAX_SMALL = 4096  # bytes: format, sizes and activation are tiny

    def __init__(self, archive: zipfile.ZipFile, path: Path) -> None:
        self.archive, self.path = archive, path
        self.members = {info.filename: info for info in archive.infolist()}

    def read(self, name: str, *, kinds: str, shape: tuple, needed: str | None = None) -> np.ndarray:
        info = self.members.get(f"{name}.npy")
        if info is None:
            need = f" (a model of these sizes needs {needed})" if needed else ""
            raise ModelFileError(f"{self.path} is a damaged backproplab model: the member {name!r} is "
                                 f"missing{need}. Save the model again with MLP.save(path).")
        try:
            with self.archive.open(info) as f:
                dtype, declared = _header(f)
                self._check(name, dtype, declared, kinds, shape)
                count = int(np.prod(declared, dtype=np.int64)) if declared else 1
                data = f.read(count * dtype.itemsize)
        except ModelFileError:
            raise
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError,
                NotImplementedError) as exc:
            raise ModelFileError(f"{self.path} is a damaged backproplab model: its member {name!r} cannot be "
                                 f"read ({type(exc).__name__}: {exc}). Save the model again.") from None
        if len(data) < count * dtype.itemsize:
            raise ModelFileError(f"{self.path} is a damaged backproplab model: its member {name!r} is "
                                 f"truncated ({len(data)} of {count * dtype.itemsize} bytes). Save the model again.")
        return np.frombuffer(data, dtype=dtype, count=count).reshape(declared).copy()

    def _check(self, name, dtype: np.dtype, declared: tuple, kinds: str, shape: tuple) -> None:
        where = f"{self.path} is a damaged backproplab model: its member {name!r}"
        if dtype.hasobject:
            raise ModelFileError(f"{where} holds Python objects (a pickle), which backproplab never loads. "
                                 f"Use only files written by MLP.save(path).")
        if dtype.kind not in kinds:
            expected = {"f": "floating-point weights", "iu": "whole numbers", "U": "text"}[kinds]
            raise ModelFileError(f"{where} has dtype {dtype}, expected {expected}. "
                                 "Save the model again with MLP.save(path).")
        fits = len(declared) == len(shape) and all(w is None or w == d for w, d in zip(shape, declared))
        if not fits:
            want = "(" + ", ".join("any" if w is None else str(w) for w in shape) + ")"
            raise ModelFileError(f"{where} has shape {declared}, expected {want} for the sizes it declares. "
                                 "Save the model again with MLP.save(path).")
        if kinds != "f" and int(np.prod(declared)) * dtype.itemsize > self._MAX_SMALL:
            raise ModelFileError(f"{where} declares {int(np.prod(declared)) * dtype.itemsize:,} bytes, far more "
                                 f"than a model's {name} needs. Save the model again with MLP.save(path).")


def _header(f) -> tuple[np.dtype, tuple[int, ...]]:
    """Read an .npy header: (dtype, shape); Fortran order is refused (save never writes it)."""
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
    elif version in ((2, 0), (3, 0)):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
    else:
        raise ValueError(f"unknown .npy version {version}")
    if fortran and len(shape) > 1:
        raise ValueError("Fortran-ordered arrays are not written by MLP.save")
    return np.dtype(dtype), tuple(int(d) for d in shape)
