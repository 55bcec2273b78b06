"""backproplab's trainer: seconds per epoch, the GEMMs of one step, a per-step profile,
and the peak memory of ``backproplab train``.

Everything runs on one BLAS thread (the trainer's default) in float32.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from typing import NamedTuple

import numpy as np
from threadpoolctl import threadpool_limits

from backproplab import MLP
from backproplab.core.training import Progress, Trainer

SIZES = (784, 100, 10, 10)


# ------------------------------------------------------------------ GEMMs
class Gemm(NamedTuple):
    name: str  # as in the core: A·B with its shapes
    flops: int  # 2·m·k·n for one step
    seconds: float  # time of one call, best of several rounds


def gemm_products(batch: int, *, repeats: int = 200, rounds: int = 7) -> list[Gemm]:
    """Time the 8 matrix products of one training step at ``batch``, as the core makes them.

    ``np.dot`` with the same operands and layouts as ``Affine.forward`` /
    ``Affine.backward``: ``H · W[1:]`` forward; ``Hᵀ · δ`` into ``dW[1:]`` for each
    layer; ``δ · W[1:]ᵀ`` for layers 2 and 3 (layer 1 needs no dL/dx). The bias
    row is handled outside the products (a broadcast add and a column sum).
    """
    rng = np.random.default_rng(0)
    n = SIZES
    W = [rng.standard_normal((a + 1, b), dtype=np.float32) for a, b in zip(n, n[1:])]
    H = [rng.random((batch, a), dtype=np.float32) for a in n[:-1]]  # x, H1, H2
    dz = [rng.standard_normal((batch, b), dtype=np.float32) for b in n[1:]]  # δ1, δ2, δ3
    dW = [np.empty_like(w) for w in W]
    names = ("x", "H1", "H2")
    calls = []
    for k in range(3):
        calls.append((f"{names[k]}·W{k + 1}[1:]  ({batch}×{n[k]} · {n[k]}×{n[k + 1]})",
                      2 * batch * n[k] * n[k + 1], lambda k=k: np.dot(H[k], W[k][1:])))
    for k in (2, 1, 0):
        calls.append((f"{names[k]}ᵀ·δ{k + 1}  ({n[k]}×{batch} · {batch}×{n[k + 1]})",
                      2 * batch * n[k] * n[k + 1], lambda k=k: np.dot(H[k].T, dz[k], out=dW[k][1:])))
        if k > 0:
            calls.append((f"δ{k + 1}·W{k + 1}[1:]ᵀ  ({batch}×{n[k + 1]} · {n[k + 1]}×{n[k]})",
                          2 * batch * n[k] * n[k + 1], lambda k=k: np.dot(dz[k], W[k][1:].T)))
    out = []
    with threadpool_limits(limits=1, user_api="blas"):
        for name, flops, call in calls:
            out.append(Gemm(name, flops, _best_call(call, repeats, rounds)))
    return out


def flops_per_epoch(n_samples: int, *, bias_rows: bool = False) -> float:
    """FLOPs of the 8 products over one epoch (independent of the batch size).

    Per sample: forward 2·Σ n_in·n_out, the Hᵀ·δ products the same again, and
    δ·W[1:]ᵀ for layers 2 and 3. ``bias_rows=True`` counts [1 H]·W with the bias
    row inside the products (n_in + 1), as a textbook count of ``[1 H]·W`` does.
    """
    n, extra = SIZES, int(bias_rows)
    layers = [((a + extra) * b) for a, b in zip(n, n[1:])]
    back_input = [a * b for a, b in zip(n[1:-1], n[2:])]  # δ2·W2[1:]ᵀ, δ3·W3[1:]ᵀ
    return n_samples * 2.0 * (2 * sum(layers) + sum(back_input))


def k1_product_check(*, repeats: int = 500, rounds: int = 5) -> dict:
    """Batch 1's outer product xᵀ·δ1 (784×1 · 1×100): np.dot (BLAS) against ``@`` (matmul)."""
    rng = np.random.default_rng(0)
    x, d = rng.random((1, 784), dtype=np.float32), rng.random((1, 100), dtype=np.float32)
    with threadpool_limits(limits=1, user_api="blas"):
        dot = _best_call(lambda: np.dot(x.T, d), repeats, rounds)
        matmul = _best_call(lambda: x.T @ d, repeats, rounds)
    return {"np.dot": dot, "@": matmul}


def _best_call(call, repeats: int, rounds: int) -> float:
    """Seconds per call: the best of ``rounds`` means over ``repeats`` calls (robust to other load)."""
    for _ in range(max(1, repeats // 4)):
        call()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(repeats):
            call()
        times.append((time.perf_counter() - t0) / repeats)
    return min(times)


# ---------------------------------------------------------------- epochs
class BackproplabEpochs:
    """backproplab's Trainer, one epoch per :meth:`epoch` call (for interleaving with peers)."""

    name = "backproplab"
    how = "Trainer.run, uint8 pixels converted per batch, 1 BLAS thread"

    def __init__(self, X, y, *, batch_size: int, epochs: int) -> None:
        self.net = MLP(SIZES, seed=0)
        self.trainer = Trainer(self.net, epochs=epochs, batch_size=batch_size, seed=0, blas_threads=1)
        self._records = self.trainer.run(X, y)
        self.last: Progress | None = None

    def epoch(self) -> float:
        """Train one more epoch; return its wall time in seconds."""
        t0 = time.perf_counter()
        for record in self._records:
            if record.epoch_end:
                break
        else:
            raise RuntimeError("the trainer ran out of epochs")
        wall = time.perf_counter() - t0
        self.last = record
        return wall

    def accuracy(self, X, y) -> float:
        return float(np.mean(self.net.predict(X) == y))

    def close(self) -> None:
        self._records.close()  # leaves the trainer's BLAS thread limit


def epoch_times(X, y, *, batch_size: int, epochs: int) -> list[float]:
    """Wall seconds of each of ``epochs`` epochs of a fresh network."""
    run = BackproplabEpochs(X, y, batch_size=batch_size, epochs=epochs)
    try:
        return [run.epoch() for _ in range(epochs)]
    finally:
        run.close()


# --------------------------------------------------------------- profile
PHASES = {
    "batch": "batch: gather the rows, uint8→float",
    "forward": "forward: net._forward",
    "loss": "softmax + cross-entropy, forward and backward",
    "backward": "backward: net._backward",
    "update": "SGD momentum update (with the last-good copy)",
}


def profile_steps(X, y, *, batch_size: int, steps: int) -> dict[str, float]:
    """Seconds per step of each phase of the real ``Trainer.run`` loop, and the whole step.

    The trainer's own calls are wrapped with timers while it trains (the forward
    and backward passes, the loss, the update, and the batch conversion:
    ``_BatchBuffers.take`` or, in older cores, ``_as_float``); ``"step"`` is the
    wall time between two records, so ``step − Σ phases`` is the rest of the
    loop (accuracy count, Progress record, errstate, generator, any weight
    backup). Means over the steps, the slowest 5 % left out (interruptions by
    other work on the machine), so that the phases add up.
    """
    from backproplab.core import training as core

    B = batch_size
    steps = max(1, min(steps, len(X) // B))
    net = MLP(SIZES, seed=0)
    trainer = Trainer(net, epochs=1, batch_size=B, seed=0)
    acc = dict.fromkeys(PHASES, 0.0)
    clock = time.perf_counter

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            t0 = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                acc[name] += clock() - t0
        return wrapper

    sce = net._head.fused  # the loss op the trainer calls: SoftmaxCrossEntropy for the classic network
    restore = [(sce, "forward", sce.__dict__["forward"]), (sce, "backward", sce.__dict__["backward"])]
    sce.forward = staticmethod(timed("loss", sce.__dict__["forward"].__func__))
    sce.backward = staticmethod(timed("loss", sce.__dict__["backward"].__func__))
    if hasattr(core, "_BatchBuffers"):
        restore.append((core._BatchBuffers, "take", core._BatchBuffers.take))
        core._BatchBuffers.take = timed("batch", core._BatchBuffers.take)
    elif hasattr(core, "_as_float"):  # the batch gather X[idx] itself then falls in "rest"
        restore.append((core, "_as_float", core._as_float))
        core._as_float = timed("batch", core._as_float)
    net._forward = timed("forward", net._forward)
    net._backward = timed("backward", net._backward)
    if hasattr(core, "_RunState"):  # each run keeps its momentum in its own state
        restore.append((core._RunState, "update", core._RunState.update))
        core._RunState.update = timed("update", core._RunState.update)
    else:  # older cores: the trainer updates
        trainer._update = timed("update", trainer._update)
    rows = []
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            last = clock()
            for _ in trainer.run(X[:steps * B], y[:steps * B]):
                now = clock()
                rows.append([acc[k] for k in PHASES] + [now - last])
                acc.update(dict.fromkeys(PHASES, 0.0))
                last = clock()
    finally:
        for owner, name, original in restore:
            setattr(owner, name, original)
    table = np.array(rows[1:] or rows)  # (steps, phases + 1); the first step warms up
    keep = table[:, -1] <= np.quantile(table[:, -1], 0.95)
    means = table[keep].mean(axis=0)
    return {**{k: float(v) for k, v in zip(PHASES, means)}, "step": float(means[-1])}


def side_costs(batch_size: int, *, repeats: int = 200, rounds: int = 5) -> dict[str, float]:
    """Costs measured alone: converting one gathered uint8 batch to float32, and copying all weights."""
    rng = np.random.default_rng(0)
    raw = rng.integers(0, 256, (batch_size, SIZES[0]), dtype=np.uint8)
    weights = MLP(SIZES, seed=0).weights
    copies = [np.empty_like(W) for W in weights]
    scale = np.float32(1 / 255)

    def convert():
        out = raw.astype(np.float32)
        out *= scale

    def backup():
        for W, good in zip(weights, copies):
            np.copyto(good, W)

    return {"convert": _best_call(convert, repeats, rounds), "backup": _best_call(backup, repeats, rounds)}


# ---------------------------------------------------------------- memory
class MemoryRun(NamedTuple):
    peak_mib: float
    seconds: float
    command: str
    tail: str  # the command's last output line


# A child started straight from this (large) process would report this process's
# peak: Linux keeps the larger of the two when the child execs (and subprocess
# uses vfork). A small launcher process starts the CLI and reports its child's
# own ru_maxrss from os.wait4.
_LAUNCHER = """
import os, subprocess, sys, time
t0 = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=sys.stderr)  # all its output to our stderr
_, status, usage = os.wait4(proc.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss, time.perf_counter() - t0)
"""


def train_peak_memory(*, epochs: int, data_dir=None, n_train: int | None = None,
                      n_test: int | None = None) -> MemoryRun:
    """Peak resident memory (ru_maxrss) of ``backproplab train`` in a child process."""
    args = ["train", "--epochs", str(epochs), "--quiet"]
    if data_dir is not None:
        args += ["--data-dir", str(data_dir)]
    if n_train is not None:
        args += ["--n-train", str(n_train)]
    if n_test is not None:
        args += ["--n-test", str(n_test)]
    cmd = [sys.executable, "-m", "backproplab.cli", *args]
    with tempfile.TemporaryFile("w+") as out:
        launcher = subprocess.run([sys.executable, "-c", _LAUNCHER, *cmd], stdout=subprocess.PIPE,
                                  stderr=out, text=True, check=True)
        out.seek(0)
        text = out.read()
    code, maxrss, seconds = launcher.stdout.split()
    if int(code) != 0:
        raise RuntimeError(f"backproplab {' '.join(args)} exited with {code}:\n{text}")
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is bytes on macOS, KiB on Linux
    lines = [line for line in text.splitlines() if line.strip()]
    return MemoryRun(int(maxrss) * scale / 2**20, float(seconds), "backproplab " + " ".join(args),
                     lines[-1] if lines else "")
