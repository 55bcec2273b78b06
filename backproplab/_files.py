"""Writing files so that nothing is ever left half-written, and checking output paths early."""

from __future__ import annotations

import os
import re
import secrets
import time
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

from .errors import MissingFolderError, OutputPathError

_STALE_SECONDS = 3600  # a temp file without a live writer's pid is removed after an hour


@contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Open a temporary file beside ``path`` for binary writing; rename it over
    ``path`` only when the block ends without an error.

    Readers see the old file or the complete new one, never a partial one; on an
    error the temporary file is removed and an existing file is left untouched.
    The temporary file's name holds the writer's process id: a writer that was
    killed (SIGKILL, power loss) leaves it behind, and the next write to the same
    path removes it. Permissions follow the umask, as for ``open(path, "wb")``.
    Raises :class:`~backproplab.errors.OutputPathError` when the folder is
    missing or read-only, or ``path`` is a folder.
    """
    target = check_output_file(path, create_folder=False)
    remove_stale_temp_files(target)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    tmp = target.parent / f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(tmp, flags, 0o666)
    except OSError as exc:
        raise _write_error(target, exc) from None
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def remove_stale_temp_files(target: str | os.PathLike) -> list[Path]:
    """Remove the temporary files that killed writers left beside ``target``; return them.

    A temp file is stale when the process named in it no longer runs, or, for a
    name without a process id, when it is older than an hour.
    """
    target = Path(target)
    removed = []
    try:
        candidates = list(target.parent.glob(f".{glob_escape(target.name)}.*.tmp"))
    except OSError:
        return removed
    for tmp in candidates:
        match = re.fullmatch(rf"\.{re.escape(target.name)}\.(?:(\d+)-)?[0-9a-f]+\.tmp", tmp.name)
        if not match:
            continue
        try:
            stale = (not _process_alive(int(match[1])) if match[1]
                     else time.time() - tmp.stat().st_mtime > _STALE_SECONDS)
            if stale:
                tmp.unlink()
                removed.append(tmp)
        except OSError:
            continue
    return removed


def glob_escape(name: str) -> str:
    return re.sub(r"([\[\]*?])", r"[\1]", name)


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # someone else's live process, or a pid we cannot judge: leave the file
    return True


def check_output_file(path: str | os.PathLike, *, create_folder: bool | None = True) -> Path:
    """Check before any long work that a file can be written at ``path``; return it as a Path.

    Missing folders are created when ``create_folder`` is True, refused when False,
    and only checked to be creatable when None (nothing is written: for checks made
    before work that may fail). Raises :class:`~backproplab.errors.OutputPathError`
    naming the problem and the fix.
    """
    target = Path(path).expanduser()
    if target.is_dir():
        raise OutputPathError(f"cannot write {target}: it is a folder. Give a file name, "
                              f"e.g. {target / 'model.npz'}.")
    folder = check_output_folder(target.parent, create=create_folder)
    if target.exists() and folder.is_dir() and not os.access(target, os.W_OK) and not os.access(folder, os.W_OK):
        raise OutputPathError(f"cannot write {target}: the file and its folder are read-only. "
                              "Choose another path, or fix the permissions (chmod u+w).")
    return target


def check_output_folder(path: str | os.PathLike, *, create: bool | None = True) -> Path:
    """Check that files can be written in the folder ``path``.

    A missing folder is created when ``create`` is True, refused when False, and
    when None only checked to be creatable (its nearest existing parent writable).
    """
    folder = Path(path).expanduser()
    existing = folder
    for part in [folder, *folder.parents]:
        if part.exists() and not part.is_dir():
            raise OutputPathError(f"cannot use {folder} as a folder: {part} is a file. "
                                  "Choose another path, or move that file away.")
        if part.is_dir():
            existing = part
            break
    if create is None and not folder.is_dir():
        if not os.access(existing, os.W_OK | os.X_OK):
            raise OutputPathError(f"cannot create {folder}: you have no write permission in {existing}. "
                                  "Choose a folder you can write to, or fix its permissions (chmod u+w).")
        return folder
    if not folder.is_dir():
        if not create:
            raise MissingFolderError(
                f"cannot write into {folder}: the folder does not exist. Create it first: "
                f"Path({str(folder)!r}).mkdir(parents=True, exist_ok=True).")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _write_error(folder / "x", exc, creating=True) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputPathError(f"cannot write into {folder}: you have no write permission there. "
                              "Choose a folder you can write to, or fix its permissions (chmod u+w).")
    return folder


def _write_error(target: Path, exc: OSError, *, creating: bool = False) -> OutputPathError:
    what = f"create the folder {target.parent}" if creating else f"write {target}"
    reason = exc.strerror or str(exc)
    return OutputPathError(f"cannot {what}: {reason}. Choose a folder you can write to, "
                           "or fix its permissions (chmod u+w).")
