"""atomic_write: a file is either the old one or the complete new one."""

import os

import pytest

from backproplab._files import atomic_write
from backproplab.errors import OutputPathError


def test_writes_the_new_content(tmp_path):
    with atomic_write(tmp_path / "a.bin") as f:
        f.write(b"new")
    assert (tmp_path / "a.bin").read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]


def test_failing_midway_keeps_the_old_file_and_leaves_no_temp_file(tmp_path):
    target = tmp_path / "plot.png"
    target.write_bytes(b"old content")
    with pytest.raises(OSError, match="simulated"):
        with atomic_write(target) as f:
            f.write(b"half of the new")
            raise OSError("disk full (simulated)")
    assert target.read_bytes() == b"old content"
    assert [p.name for p in tmp_path.iterdir()] == ["plot.png"]


def test_missing_folder_is_named_with_the_fix(tmp_path):
    with pytest.raises(OutputPathError, match=r"nope: the folder does not exist. Create it first"):
        with atomic_write(tmp_path / "nope" / "a.bin"):
            pass


def test_permissions_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "a.bin") as f:
            f.write(b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "a.bin").stat().st_mode & 0o777 == 0o644
