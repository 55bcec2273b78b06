"""Run every benchmark, print the table, write RESULTS.md.

    .venv/bin/python -m benchmarks                 # full run on all of MNIST (about a minute)
    .venv/bin/python -m benchmarks --quick --output /tmp/r.md   # a few seconds, tiny subsets

Times are seconds per epoch of 60,000 images (a subset's epoch is scaled to
60,000 images; only ``--quick`` uses subsets for training): medians over epochs;
the GEMMs best of several rounds; the per-step profile means over steps.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from . import machine, panels, peers, training

HERE = Path(__file__).resolve().parent
FULL_EPOCH = 60_000

FULL = dict(n_train=None, n_test=None, rounds=7, epochs_256=3, epochs_1=2, n_peer_batch1=10_000,
            gemm_repeats=200, gemm_rounds=7, profile_steps={128: 400, 1: 20_000},
            memory=dict(epochs=2), clicks=50, dashboard_epochs=2, dashboard_rounds=3, frames=30)
QUICK = dict(n_train=2000, n_test=500, rounds=1, epochs_256=1, epochs_1=1, n_peer_batch1=200,
             gemm_repeats=20, gemm_rounds=3, profile_steps={128: 10, 1: 200},
             memory=dict(epochs=1, n_train=1000, n_test=200), clicks=10, dashboard_epochs=1,
             dashboard_rounds=1, frames=4)

TARGETS = {
    "ideal": 1.3,  # epoch at batch 128 within 1.3× of the GEMM-bound ideal
    "torch": 0.5,  # at most half of PyTorch's epoch time
    "batch1": 4.0,  # seconds per epoch at batch 1
    "memory": 200.0,  # MiB peak resident memory of `backproplab train`
    "dashboard": 0.90,  # dashboard throughput / headless
    "frame": 0.040,  # seconds to draw the dashboard's four figures
    "click": 0.100,  # seconds per step-through click
}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="tiny subsets, a few seconds (numbers mean nothing)")
    p.add_argument("--output", type=Path, default=HERE / "RESULTS.md", help="where to write the report "
                   "(default: benchmarks/RESULTS.md)")
    p.add_argument("--data-dir", type=Path, help="MNIST folder (default: $BACKPROPLAB_DATA_DIR, else the bundled copy)")
    p.add_argument("--no-peers", action="store_true", help="skip PyTorch and scikit-learn even if installed")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    cfg = QUICK if args.quick else FULL
    started = time.perf_counter()
    r = measure(cfg, data_dir=args.data_dir, use_peers=not args.no_peers, log=_log)
    r["machine"]["load average"] += f" at the start; {machine.load_average()} at the end"
    r["mode"] = "quick (tiny subsets: the numbers mean nothing)" if args.quick else "full"
    r["wall"] = time.perf_counter() - started
    table = results_table(r)
    print()
    print(table)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report(r, table), encoding="utf-8")
    print(f"\nwrote {args.output} ({r['wall']:.0f} s)")
    return 0


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------- measuring
def measure(cfg: dict, *, data_dir=None, use_peers: bool = True, log=_log) -> dict:
    from backproplab.data import load_mnist

    r: dict = {"machine": machine.describe(), "cfg": cfg}
    data = load_mnist(data_dir=data_dir, n_train=cfg["n_train"], n_test=cfg["n_test"], dtype=np.uint8,
                      progress=False)
    X, y = data.x_train, data.y_train
    n = len(y)
    r["n_train"], r["scale"] = n, FULL_EPOCH / n
    r["weight_shapes"] = [(a + 1, b) for a, b in zip(training.SIZES, training.SIZES[1:])]

    log("GEMMs of one step at batch 1, 128 and 256")
    r["gemm"] = {B: training.gemm_products(B, repeats=cfg["gemm_repeats"], rounds=cfg["gemm_rounds"])
                 for B in (1, 128, 256)}
    r["flops"] = training.flops_per_epoch(FULL_EPOCH)
    r["flops_bias_rows"] = training.flops_per_epoch(FULL_EPOCH, bias_rows=True)
    r["k1"] = training.k1_product_check(repeats=cfg["gemm_repeats"] * 2, rounds=cfg["gemm_rounds"])

    found = peers.available() if use_peers else {"torch": None, "sklearn": None}
    r["peers_found"] = found
    log(f"batch 128, interleaved rounds: backproplab"
        f"{', PyTorch' if found['torch'] else ''}{', scikit-learn' if found['sklearn'] else ''}")
    runs = [training.BackproplabEpochs(X, y, batch_size=128, epochs=cfg["rounds"])]
    if found["torch"]:
        runs.append(peers.TorchEpochs(X, y, batch_size=128))
    if found["sklearn"]:
        runs.append(peers.SklearnEpochs(X, y, batch_size=128))
    times = {run.name: [] for run in runs}
    with threadpool_limits(limits=1):  # every library's BLAS / OpenMP on one thread
        try:
            for _ in range(cfg["rounds"]):
                for run in runs:
                    times[run.name].append(run.epoch() * r["scale"])
        finally:
            for run in runs:
                run.close()
    r["b128_rounds"] = times
    r["peers"] = {run.name: {"how": run.how, "seconds": statistics.median(times[run.name]),
                             "accuracy": run.accuracy(data.x_test, data.y_test),
                             "version": getattr(run, "version", ""),
                             "warnings": sorted(getattr(run, "warnings", ()))} for run in runs}
    r["epoch"] = {128: r["peers"].pop("backproplab")["seconds"]}
    r["accuracy_128"] = runs[0].accuracy(data.x_test, data.y_test)

    log("batch 256 and batch 1 epochs")
    r["epoch"][256] = statistics.median(
        t * r["scale"] for t in training.epoch_times(X, y, batch_size=256, epochs=cfg["epochs_256"]))
    b1 = training.BackproplabEpochs(X, y, batch_size=1, epochs=cfg["epochs_1"])
    b1_times = [b1.epoch() * r["scale"] for _ in range(cfg["epochs_1"])]
    b1.close()
    r["epoch"][1] = statistics.median(b1_times)
    r["accuracy_1"] = b1.accuracy(data.x_test, data.y_test)
    r["peers_batch1"] = {}
    if found["torch"] or found["sklearn"]:
        m = min(cfg["n_peer_batch1"], n)
        with threadpool_limits(limits=1):
            for name, cls in (("torch", peers.TorchEpochs), ("sklearn", peers.SklearnEpochs)):
                if found[name]:
                    run = cls(X[:m], y[:m], batch_size=1)
                    r["peers_batch1"][run.name] = (run.epoch() * FULL_EPOCH / m, m)

    log("per-step profile at batch 128 and batch 1")
    r["profile"] = {B: training.profile_steps(X, y, batch_size=B, steps=steps)
                    for B, steps in cfg["profile_steps"].items()}
    r["side"] = training.side_costs(128, repeats=cfg["gemm_repeats"], rounds=cfg["gemm_rounds"])

    log("peak memory of `backproplab train` in a child process")
    r["memory"] = training.train_peak_memory(data_dir=data_dir, **cfg["memory"])

    log("step-through panel clicks")
    r["clicks"] = panels.step_through_clicks(data.x_test, data.y_test, clicks=cfg["clicks"])

    log("dashboard frame: the four figures")
    r["frames"] = panels.frame_times(frames=cfg["frames"])

    log("live dashboard throughput")
    r["dashboard"] = panels.dashboard_throughput(data, epochs=cfg["dashboard_epochs"],
                                                  rounds=cfg["dashboard_rounds"])
    return r


# ------------------------------------------------------------- derived
def ideal(r: dict, B: int) -> float:
    """Seconds per epoch if only the 8 GEMMs took time, at their measured rate."""
    return sum(g.seconds for g in r["gemm"][B]) * FULL_EPOCH / B


def gemm_rate(r: dict, B: int) -> float:
    gs = r["gemm"][B]
    return sum(g.flops for g in gs) / sum(g.seconds for g in gs)


def breakdown(r: dict, B: int) -> list[tuple[str, float]]:
    """(what, seconds per step) at batch B; they add up to the trainer's time per step."""
    p, p1 = r["profile"][B], r["profile"][1]
    gemm = sum(g.seconds for g in r["gemm"][B])
    fb = p["forward"] + p["loss"] + p["backward"]
    overhead = max(0.0, min(p1["forward"] + p1["loss"] + p1["backward"] - sum(g.seconds for g in r["gemm"][1]),
                            fb - gemm))
    return [("GEMMs: the 8 products (timed alone)", gemm),
            ("elementwise in forward/backward: bias rows, sigmoid, softmax + CE, δ⊙H(1−H), sums",
             fb - gemm - overhead),
            ("Python + NumPy call overhead of forward/loss/backward (their batch-1 cost less GEMMs)",
             overhead),
            (training.PHASES["batch"], p["batch"]),
            (training.PHASES["update"], p["update"]),
            ("rest of the loop: accuracy count, Progress record, errstate, generator, any weight backup",
             p["step"] - sum(p[k] for k in training.PHASES))]


def verdict(value: float | None, target: float, *, at_most: bool = True, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "skipped"
    ok = value <= target if at_most else value >= target
    if ok:
        return "pass"
    off = value / target if at_most else target / value
    diff = value - target
    return f"miss by {abs(diff):.3g}{unit} ({(off - 1):.0%} {'over' if at_most else 'under'})"


def misses(r: dict) -> list[str]:
    """One paragraph per missed target, from the measurements: by how much, and where the time goes."""
    t, e, out, us = TARGETS, r["epoch"], [], 1e6
    p128, p1 = r["profile"][128], r["profile"][1]
    gemm128, gemm1 = (sum(g.seconds for g in r["gemm"][B]) for B in (128, 1))
    data_moving = p128["batch"] + p128["update"]
    if e[128] > t["ideal"] * ideal(r, 128):
        out.append(
            f"- **Epoch vs ideal (batch 128)**: {e[128] / ideal(r, 128):.2f}× the GEMM-bound ideal, "
            f"{e[128] / (t['ideal'] * ideal(r, 128)) - 1:.0%} over the 1.3× target. A step takes "
            f"{p128['step'] * us:.0f} µs, the GEMMs {gemm128 * us:.0f} µs of it; 1.3× leaves "
            f"{(t['ideal'] - 1) * gemm128 * us:.0f} µs for everything else. Moving data that the GEMMs do "
            f"not count takes {data_moving * us:.0f} µs of that by itself (the batch gather and uint8→float "
            f"{p128['batch'] * us:.0f} µs: random rows of a 47 MB array; the momentum update "
            f"{p128['update'] * us:.0f} µs: several passes over all weights), before the elementwise ops "
            f"and the NumPy call overhead (see the profile).")
    torch = r["peers"].get("PyTorch")
    if torch and e[128] > t["torch"] * torch["seconds"]:
        half = t["torch"] * torch["seconds"]
        out.append(
            f"- **vs PyTorch (batch 128)**: {e[128] / torch['seconds']:.2f}× PyTorch's epoch, "
            f"{e[128] / half - 1:.0%} over the 0.5× target ({half:.3f} s). The GEMM-only ideal is "
            f"{ideal(r, 128):.3f} s, so the target leaves {half - ideal(r, 128):.3f} s per epoch "
            f"({(half - ideal(r, 128)) / (FULL_EPOCH / 128) * us:.0f} µs per step) for all non-GEMM work, "
            f"which measures {(p128['step'] - gemm128) * us:.0f} µs per step.")
    if e[1] > t["batch1"]:
        fb_overhead = p1["forward"] + p1["loss"] + p1["backward"] - gemm1
        n_weights = sum(a * b for a, b in r["weight_shapes"])
        out.append(
            f"- **Batch 1**: {e[1]:.2f} s per epoch, {e[1] - t['batch1']:.2f} s ({e[1] / t['batch1'] - 1:.0%}) "
            f"over 4 s, which allows {t['batch1'] / FULL_EPOCH * us:.0f} µs per step; a step takes "
            f"{p1['step'] * us:.0f} µs. Work on all {n_weights:,} weights every step, whatever the batch: "
            f"the momentum update {p1['update'] * us:.0f} µs ({p1['update'] * FULL_EPOCH:.1f} s per epoch) "
            f"and the outer product xᵀ·δ1 (one of the GEMMs, {gemm1 * us:.0f} µs in all); the rest of "
            f"forward, loss and backward is NumPy call overhead on 1-row arrays, {fb_overhead * us:.0f} µs "
            f"({fb_overhead * FULL_EPOCH:.1f} s per epoch). `np.dot` already takes BLAS for the k = 1 "
            "product (see GEMMs: `@` would be slower).")
    if r["memory"].peak_mib > t["memory"]:
        out.append(f"- **Memory**: {r['memory'].peak_mib:.0f} MiB, over {t['memory']:.0f} MiB.")
    d = r["dashboard"]
    if d.ratio is not None and d.ratio < t["dashboard"]:
        out.append(f"- **Dashboard**: {d.ratio:.0%} of headless, under {t['dashboard']:.0%}. Its figures are "
                   "drawn in the kernel, a frame at each tick: any other load on the machine (see the load "
                   f"average above) slows training or drawing. {d.note}")
    if r["frames"].fast > t["frame"]:
        out.append(f"- **Frame**: {r['frames'].fast * 1e3:.0f} ms for the four figures, over "
                   f"{t['frame'] * 1e3:.0f} ms.")
    if r["clicks"].median > t["click"]:
        out.append(f"- **Click**: median {r['clicks'].median * 1e3:.0f} ms, over {t['click'] * 1e3:.0f} ms.")
    return out or ["- None: every target with a measurement passed."]


# -------------------------------------------------------------- reports
def _ms(seconds: float) -> str:
    return "none" if math.isnan(seconds) else f"{seconds * 1e3:.2f} ms"


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def results_table(r: dict) -> str:
    e, t = r["epoch"], TARGETS
    ratio = e[128] / ideal(r, 128)
    torch = r["peers"].get("PyTorch")
    sk = r["peers"].get("scikit-learn")
    d, c, mem = r["dashboard"], r["clicks"], r["memory"]
    rows = [
        ["backproplab epoch, batch 128 (s)", f"{e[128]:.3f}", f"≤ {t['ideal'] * ideal(r, 128):.3f} "
         f"(1.3 × ideal)", verdict(e[128], t["ideal"] * ideal(r, 128), unit=" s")],
        ["ideal epoch at the measured GEMM rate, batch 128 (s)", f"{ideal(r, 128):.3f}",
         f"{r['flops'] / 1e9:.2f} GFLOP at {gemm_rate(r, 128) / 1e9:.1f} GFLOP/s", ""],
        ["actual / ideal, batch 128", f"{ratio:.3f}", f"≤ {t['ideal']:.2f}", verdict(ratio, t["ideal"])],
        ["backproplab epoch, batch 256 (s)", f"{e[256]:.3f}", f"ideal {ideal(r, 256):.3f} "
         f"({e[256] / ideal(r, 256):.2f}×)", ""],
        ["backproplab epoch, batch 1 (s)", f"{e[1]:.2f}", f"< {t['batch1']:.0f}",
         verdict(e[1], t["batch1"], unit=" s")],
        ["PyTorch epoch, batch 128 (s)", f"{torch['seconds']:.3f}" if torch else "not installed", "", ""],
        ["backproplab / PyTorch, batch 128", f"{e[128] / torch['seconds']:.3f}" if torch else "skipped",
         f"≤ {t['torch']}", verdict(e[128] / torch["seconds"], t["torch"]) if torch else "skipped"],
        ["scikit-learn epoch, batch 128 (s)", f"{sk['seconds']:.3f}" if sk else "not installed", "", ""],
        ["backproplab / scikit-learn, batch 128", f"{e[128] / sk['seconds']:.3f}" if sk else "skipped",
         "", ""],
        ["peak memory of `backproplab train` (MiB)", f"{mem.peak_mib:.0f}", f"≤ {t['memory']:.0f}",
         verdict(mem.peak_mib, t["memory"], unit=" MiB")],
        ["dashboard throughput / headless", f"{d.ratio:.0%}" if d.ratio is not None else "skipped",
         f"≥ {t['dashboard']:.0%}", verdict(d.ratio, t["dashboard"], at_most=False)],
        ["step-through click, median (ms)", f"{c.median * 1e3:.1f}", f"≤ {t['click'] * 1e3:.0f}",
         verdict(c.median, t["click"])],
        ["dashboard frame, four figures (ms)", f"{r['frames'].fast * 1e3:.1f}", f"≤ {t['frame'] * 1e3:.0f}",
         verdict(r["frames"].fast, t["frame"])],
        ["same frame drawn with matplotlib (ms)", f"{r['frames'].matplotlib * 1e3:.1f}", "", ""],
    ]
    return _md_table(["measure", "value", "target", "verdict"], rows)


def report(r: dict, table: str) -> str:
    m, cfg = r["machine"], r["cfg"]
    out = ["# backproplab benchmarks", "",
           "Written by `.venv/bin/python -m benchmarks` (run from the repository root; "
           "`--quick` for a few-second smoke run, `--output PATH` to write elsewhere). "
           f"Mode: {r['mode']}; {r['n_train']:,} training images; took {r['wall']:.0f} s. "
           "Seconds per epoch are for 60,000 images, float32, one BLAS thread; medians.", "",
           "## Machine", ""]
    out += [f"- {k}: {v}" for k, v in m.items()]
    out += ["", "## Results", "", table, ""]
    out += ["## Why the misses", "", *misses(r), ""]

    out += ["## GEMMs", "",
            "The 8 matrix products of one step, timed alone with `np.dot` on the core's operands "
            "(`W[1:]` slices, transposed views, `out=dW[1:]`), one BLAS thread, batch 128; best of "
            f"{cfg['gemm_rounds']} rounds of {cfg['gemm_repeats']} calls:", ""]
    rows = [[g.name, f"{g.flops / 1e6:.2f}", f"{g.seconds * 1e6:.1f}", f"{g.flops / g.seconds / 1e9:.1f}"]
            for g in r["gemm"][128]]
    g128 = r["gemm"][128]
    rows.append(["**all 8**", f"{sum(g.flops for g in g128) / 1e6:.2f}",
                 f"{sum(g.seconds for g in g128) * 1e6:.1f}", f"{gemm_rate(r, 128) / 1e9:.1f}"])
    out += [_md_table(["product", "MFLOP", "µs", "GFLOP/s"], rows), ""]
    out += [f"FLOPs per epoch: {r['flops'] / 1e9:.3f} GFLOP for these products (per sample "
            f"2·(784·100 + 100·10 + 10·10) forward, the same for the Hᵀ·δ products, and "
            f"2·(10·100 + 10·10) for δ·W[1:]ᵀ); {r['flops_bias_rows'] / 1e9:.2f} GFLOP if the bias "
            "rows are counted inside the products ([1 H]·W with 785, 101 and 11 rows), which is "
            "where the figure 19.24 comes from. The bias rows are a broadcast add and a column sum "
            "in the core, not GEMM work.", ""]
    rows = [[str(B), f"{sum(g.seconds for g in r['gemm'][B]) * 1e6:.1f}",
             f"{gemm_rate(r, B) / 1e9:.1f}", f"{ideal(r, B):.3f}", f"{r['epoch'][B]:.3f}",
             f"{r['epoch'][B] / ideal(r, B):.2f}"] for B in (1, 128, 256)]
    out += [_md_table(["batch", "GEMMs per step (µs)", "GFLOP/s", "ideal epoch (s)", "actual epoch (s)",
                       "actual / ideal"], rows), ""]
    k1 = r["k1"]
    out += [f"Batch 1's outer product xᵀ·δ1 (784×1 · 1×100): `np.dot` {k1['np.dot'] * 1e6:.1f} µs "
            f"(BLAS), `@` {k1['@'] * 1e6:.1f} µs ({k1['@'] / k1['np.dot']:.1f}× slower: NumPy's "
            "matmul skips BLAS for this shape). The core uses `np.dot` throughout.", ""]

    out += ["## Epochs and peers", ""]
    rounds = r["b128_rounds"]
    rows = [[name, ", ".join(f"{s:.3f}" for s in secs), f"{statistics.median(secs):.3f}", f"{min(secs):.3f}"]
            for name, secs in rounds.items()]
    out += [f"Batch 128, {cfg['rounds']} interleaved rounds (one epoch of each library per round, "
            "same process, every library on one thread), seconds per epoch:", "",
            _md_table(["library", "rounds", "median", "fastest"], rows), ""]
    out += [f"- backproplab: {training.BackproplabEpochs.how}; test accuracy after "
            f"{cfg['rounds']} epochs {r['accuracy_128']:.2%}."]
    for name, p in r["peers"].items():
        warn = "; warnings: " + " | ".join(p["warnings"]) if p["warnings"] else "; no warnings"
        out.append(f"- {name} {p['version']}: {p['how']}; test accuracy after {cfg['rounds']} epochs "
                   f"{p['accuracy']:.2%}{warn}.")
    for name, installed in r["peers_found"].items():
        if not installed:
            out.append(f"- {name}: skipped (not installed, or --no-peers). Install it in the venv to "
                       f"compare: `pip install {'torch==2.13.0' if name == 'torch' else 'scikit-learn'}`.")
    out += ["", f"Batch 256: median of {cfg['epochs_256']} epochs. Batch 1: median of "
            f"{cfg['epochs_1']} epochs (test accuracy after them {r['accuracy_1']:.2%} with the "
            "default lr 0.1 and momentum 0.9)."]
    for name, (secs, m) in r["peers_batch1"].items():
        out.append(f"- {name} at batch 1 for context: {secs:.1f} s per 60,000 images "
                   f"(one epoch of {m:,} images, scaled).")
    out.append("")

    out += ["## Per-step profile", "",
            "Where one step's time goes. The trainer's own calls are timed while it trains "
            "(forward, loss, backward, update, the batch conversion); the GEMMs are the products "
            "timed alone (above), the rest of forward/loss/backward is split into call overhead "
            "(their batch-1 time less batch 1's GEMMs) and elementwise work; the last row is the "
            "step's wall time less the timed calls. Means over the steps, the slowest 5 % of steps "
            "(interruptions) left out.", ""]
    for B in r["profile"]:
        rows_b = breakdown(r, B)
        total = r["profile"][B]["step"]
        steps = FULL_EPOCH / B
        rows = [[what, f"{s * 1e6:.1f}", f"{s / total:.0%}", f"{s * steps:.3f}"] for what, s in rows_b]
        rows.append(["**trainer, per step**", f"{total * 1e6:.1f}", "100%", f"{total * steps:.3f}"])
        out += [f"Batch {B}:", "", _md_table(["where", "µs per step", "share", "s per epoch"], rows), ""]
    side = r["side"]
    out += [f"Measured alone, batch 128: converting one gathered uint8 batch to float32 (astype, ×1/255) "
            f"{side['convert'] * 1e6:.1f} µs; copying all weights once (what a per-step backup copy of "
            f"the weights costs) {side['backup'] * 1e6:.1f} µs.", ""]

    mem = r["memory"]
    out += ["## Memory", "",
            f"`{mem.command}` in a child process: peak resident memory (ru_maxrss from os.wait4) "
            f"{mem.peak_mib:.0f} MiB, {mem.seconds:.1f} s wall. It printed: “{mem.tail}”.", ""]
    c, d = r["clicks"], r["dashboard"]
    out += ["## Panels", "",
            f"Step-through panel (classic net, one sample, quiz off), kernel side: {c.count} "
            f"Next/Previous clicks over its {c.steps} steps, median {c.median * 1e3:.2f} ms; first "
            f"visits (the step's heatmap is drawn) {_ms(c.first_visits)}; revisits "
            f"{_ms(c.revisits)}; worst {_ms(c.worst)}.", ""]
    f = r["frames"]
    out += [f"Dashboard frame (the W1 filters, the loss and accuracy curves at 2,000 points, the "
            f"confusion matrix; new data each frame), median of {f.frames - 1}: "
            f"{f.fast * 1e3:.1f} ms as drawn now (indexed PNG, SVG, HTML), "
            f"{f.matplotlib * 1e3:.1f} ms as matplotlib figures to PNG.", ""]
    if d.ratio is None:
        out += [f"Live dashboard: {d.note}.", ""]
    else:
        out += [f"Live dashboard: {d.dashboard_sps:,.0f} samples/s against {d.headless_sps:,.0f} headless "
                f"({d.ratio:.0%}). {d.note}", ""]
    return "\n".join(out)
