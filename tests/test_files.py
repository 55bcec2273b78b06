"""atomic_write: a file is either the old one or the complete new one."""

import os

import numpy as np

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


def _child(code: str, *args: str):
    import subprocess
    import sys

    return subprocess.Popen([sys.executable, "-c", code, *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)


_BLOCKED_WRITER = r"""
import sys
from backproplab._files import atomic_write
with atomic_write(sys.argv[1]) as f:
    f.write(b"half of a new model")
    f.flush()
    print("writing", flush=True)
    sys.stdin.readline()  # blocks until the test kills it
"""


def test_a_killed_writer_leaves_the_old_file_and_the_next_save_removes_its_temp_file(tmp_path):
    import signal

    from backproplab import MLP

    target = MLP((4, 3, 2), seed=1).save(tmp_path / "m.npz")
    old = target.read_bytes()
    child = _child(_BLOCKED_WRITER, str(target))
    try:
        assert child.stdout.readline().strip() == "writing"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        child.kill()
    left = [p.name for p in tmp_path.iterdir() if p.name != "m.npz"]
    assert len(left) == 1 and left[0].startswith(f".m.npz.{child.pid}-"), left  # what SIGKILL leaves
    assert target.read_bytes() == old
    MLP((4, 3, 2), seed=2).save(target)
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]
    assert MLP.load(target).seed is None and MLP.load(target).sizes == (4, 3, 2)


def test_a_live_writers_temp_file_is_left_alone(tmp_path):
    """Another process still writing the same path keeps its temp file."""
    child = _child(_BLOCKED_WRITER, str(tmp_path / "a.bin"))
    try:
        assert child.stdout.readline().strip() == "writing"
        with atomic_write(tmp_path / "a.bin") as f:
            f.write(b"mine")
        assert len(list(tmp_path.glob(f".a.bin.{child.pid}-*.tmp"))) == 1
    finally:
        child.communicate("go\n", timeout=30)
    assert (tmp_path / "a.bin").read_bytes() == b"half of a new model"  # the last writer wins
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]


_SAVING_CHILD = r"""
import sys
from backproplab import MLP
net = MLP((784, 2000, 10), seed=0)
print("saving", flush=True)
while True:
    net.save(sys.argv[1])
"""


def test_killing_save_midway_never_damages_the_model_and_leaves_nothing_after_the_next_save(tmp_path):
    import signal
    import time

    from backproplab import MLP

    rng = np.random.default_rng()
    target = tmp_path / "m.npz"
    for _ in range(3):
        child = _child(_SAVING_CHILD, str(target))
        try:
            assert child.stdout.readline().strip() == "saving"
            time.sleep(rng.uniform(0.0, 0.5))  # not for timing: kills save() at a random point
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
        finally:
            child.kill()
        if target.exists():  # the killed process may not have finished a first save
            assert MLP.load(target).sizes == (784, 2000, 10)
    MLP((4, 3, 2)).save(target)
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]
