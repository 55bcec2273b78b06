"""The ``backproplab`` command line: train, data, trace, lab.

Wrong arguments exit with status 2 and a message that names the fix; a problem
with the data or a model file exits with status 1.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from . import __version__
from .errors import BackproplabError


# ------------------------------------------------------------ argument types
def _int_at_least(low: int):
    """An argparse type: a whole number ≥ low."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < low:
            raise argparse.ArgumentTypeError(f"expected a whole number ≥ {low}, got {text}")
        return value

    return parse


_positive_int = _int_at_least(1)
_non_negative_int = _int_at_least(0)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text}")
    return value


def _hidden_sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"expected hidden layer widths separated by commas, such as 100,10; got {text!r}")
    return sizes


# ------------------------------------------------------------------ parser
def build_parser() -> argparse.ArgumentParser:
    from .core.ops import ACTIVATIONS

    parser = argparse.ArgumentParser(
        prog="backproplab", description="See backpropagation: train, trace and explore a NumPy MLP on MNIST.")
    parser.add_argument("--version", action="version", version=f"backproplab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    data_help = "folder with the four MNIST files (default: $BACKPROPLAB_DATA_DIR, else the cache, else download)"
    train = sub.add_parser("train", help="train the network on MNIST and report the test accuracy")
    train.add_argument("--epochs", type=_positive_int, default=10, help="passes over the training set (10)")
    train.add_argument("--batch-size", type=_positive_int, default=32, help="samples per SGD step (32)")
    train.add_argument("--lr", type=_positive_float, default=0.1,
                       help="learning rate of the first epoch (0.1, tuned with momentum 0.9 for batch 32; "
                            "for --batch-size 1 try --lr 0.01 --momentum 0)")
    train.add_argument("--lr-decay", type=_positive_float, default=0.8,
                       help="factor applied to the learning rate after each epoch (0.8; 1 keeps it)")
    train.add_argument("--momentum", type=_fraction, default=0.9, help="momentum in [0, 1) (0.9)")
    train.add_argument("--seed", type=int, default=0, help="seed of the weights and the shuffling (0)")
    train.add_argument("--hidden", type=_hidden_sizes, default=(100, 10),
                       help="hidden layer widths, comma-separated (100,10)")
    train.add_argument("--activation", choices=sorted(ACTIVATIONS), default="sigmoid",
                       help="hidden-layer activation (sigmoid)")
    train.add_argument("--n-train", type=_positive_int, help="train on a class-balanced subset of this size")
    train.add_argument("--n-test", type=_positive_int, help="test on a class-balanced subset of this size")
    train.add_argument("--blas-threads", type=_positive_int, default=1,
                       help="BLAS threads while training (1: fastest on small machines)")
    train.add_argument("--data-dir", type=Path, help=data_help)
    train.add_argument("--report", type=Path, metavar="DIR",
                       help="write filters.png, confusion.png, curves.png and metrics.json here")
    train.add_argument("--save", type=Path, metavar="MODEL.npz", help="save the trained network here")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.set_defaults(run=_train)

    data = sub.add_parser("data", help="fetch or verify MNIST and print where it is")
    data.add_argument("--data-dir", type=Path, help=data_help)
    data.set_defaults(run=_data)

    trace = sub.add_parser("trace", help="print every quantity and Jacobian shape for one test image")
    trace.add_argument("--sample", type=_non_negative_int, default=0, help="index of the test image (0)")
    trace.add_argument("--model", type=Path, metavar="MODEL.npz", help="a trained network (default: untrained)")
    trace.add_argument("--format", choices=("text", "markdown", "latex"), default="text", help="output format")
    trace.add_argument("--ledger", action="store_true", help="also print each backward step's chain-rule ledger")
    trace.add_argument("--data-dir", type=Path, help=data_help)
    trace.add_argument("--check", metavar="DERIVATION",
                       help='check your own derivation, e.g. "dL/dW2 = [1 H1]^T δ2" (exit 0 if right, 1 if not)')
    trace.add_argument("--target", metavar="NAME", help="what --check's expression is, if it has no left side")
    trace.add_argument("--convention", choices=("row-folded", "row-separate", "column"), default="row-folded",
                       help="the notation of --check (row-folded: z = [1 H]·W, the package's own)")
    trace.add_argument("--dialect", choices=("math", "numpy"), help="read --check as math or NumPy code "
                                                                     "(default: detected)")
    trace.set_defaults(run=_trace)

    lab = sub.add_parser("lab", help="open the tutorial notebooks in JupyterLab, or the classroom page in Voilà")
    lab.add_argument("--classroom", action="store_true",
                     help="serve notebooks/05_classroom.ipynb with Voilà: the panels without code")
    lab.add_argument("--port", type=_positive_int, help="port to serve on (default: the server's own)")
    lab.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    lab.add_argument("--notebook-dir", type=Path, metavar="DIR",
                     help="folder with the notebooks (default: notebooks/ of this checkout)")
    lab.add_argument("--data-dir", type=Path, help=data_help)
    lab.set_defaults(run=_lab)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 0
    try:
        return args.run(args)
    except BackproplabError as exc:
        print(f"backproplab {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"backproplab {args.command}: interrupted", file=sys.stderr)
        return 130


# ----------------------------------------------------------------- commands
def _train(args) -> int:
    from tqdm import tqdm

    from .core.history import History
    from .core.network import MLP
    from .core.training import Trainer
    from .data import load_mnist

    data = load_mnist(data_dir=args.data_dir, n_train=args.n_train, n_test=args.n_test,
                      dtype=np.uint8, progress=not args.quiet)
    net = MLP((784, *args.hidden, 10), activation=args.activation, seed=args.seed)
    trainer = Trainer(net, epochs=args.epochs, lr=args.lr, lr_decay=args.lr_decay, batch_size=args.batch_size,
                      momentum=args.momentum, seed=args.seed, blas_threads=args.blas_threads,
                      confusion=True)
    print(f"training {net!r} on {len(data.y_train):,} images, testing on {len(data.y_test):,}")
    history = History()
    total = args.epochs * -(-len(data.y_train) // args.batch_size)
    started = time.perf_counter()
    with tqdm(total=total, unit="step", disable=args.quiet, leave=False, file=sys.stderr) as bar:
        for record in trainer.run(data.x_train, data.y_train, data.x_test, data.y_test):
            history.add(record)
            bar.update(1)
            if record.step % 50 == 0 or record.epoch_end:
                bar.set_postfix(epoch=record.epoch, loss=f"{record.train_loss:.3f}",
                                acc=f"{record.train_accuracy:.3f}", refresh=False)
            if record.epoch_end:
                bar.clear()
                print(f"epoch {record.epoch:>2}: train loss {record.train_loss:.4f}, train accuracy "
                      f"{record.train_accuracy:.2%}, test accuracy {record.test_accuracy:.2%} "
                      f"({record.epoch_seconds:.2f} s)")
    wall = time.perf_counter() - started
    epochs = f"{args.epochs} epoch{'s' if args.epochs != 1 else ''}"
    print(f"test accuracy: {history.test_accuracy[-1]:.2%} after {epochs} "
          f"({wall:.1f} s in all, {sum(history.seconds_per_epoch):.1f} s training)")
    if args.save:
        print(f"saved the network to {net.save(args.save)}")
    if args.report:
        from .report import write_report

        settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
                    if k not in ("run", "command", "quiet")}
        paths = write_report(args.report, net, history, settings=settings)
        print(f"wrote {', '.join(p.name for p in paths)} to {args.report}")
    return 0


def _data(args) -> int:
    from .data import locate_mnist, verify_mnist

    folder = locate_mnist(data_dir=args.data_dir)
    files = verify_mnist(folder)
    print(f"MNIST is in {folder}")
    for name, path in files.items():
        print(f"  {path.name}: verified (SHA-256 of the decompressed bytes)")
    return 0


def _trace(args) -> int:
    from .core.network import MLP
    from .data import load_mnist

    data = load_mnist(data_dir=args.data_dir, dtype=np.uint8)
    if args.sample >= len(data.y_test):
        print(f"backproplab trace: error: --sample must be below {len(data.y_test)}, the number of "
              f"test images; got {args.sample}", file=sys.stderr)
        return 2
    net = MLP.load(args.model) if args.model else MLP()
    trace = net.trace(data.x_test[args.sample:args.sample + 1], data.y_test[args.sample:args.sample + 1])
    if args.check is not None:
        check = trace.check_derivation(args.check, args.target, convention=args.convention, dialect=args.dialect)
        print(check.to_markdown() if args.format == "markdown" else check.message)
        return 0 if check.ok else 1
    if args.format == "markdown":
        print(trace.to_markdown())
    elif args.format == "latex":
        print(trace.to_latex())
    else:
        print(trace)
        predicted = int(np.argmax(trace["y_hat"].value))
        print(f"\ntest image {args.sample}: label {int(data.y_test[args.sample])}, predicted {predicted}, "
              f"loss {float(trace['L'].value):.4f}")
    if args.ledger:
        for step in trace:
            if step.phase == "backward":
                print(f"\n{step.name} ({'×'.join(map(str, step.shape))})")
                print("\n".join(f"  {line}" for line in step.ledger()))
    return 0


def _lab(args) -> int:
    from .lab import main as lab_main

    return lab_main(args)


if __name__ == "__main__":
    sys.exit(main())
