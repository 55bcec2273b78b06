"""The ``backproplab`` command line: train, data, trace, lab.

Wrong arguments exit with status 2 and a message that names the fix; a problem
with the data or a model file exits with status 1.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager
import time
from pathlib import Path

import numpy as np

from . import __version__
from . import _arguments as A
from .errors import BackproplabError, ConfigError, DivergenceError, ModelFileError


# ------------------------------------------------------------------ parser
class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line (with where to get help), not the usage text."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}. See: {self.prog} --help\n")


DATA_HELP = "folder with the four MNIST files (default: $BACKPROPLAB_DATA_DIR, else the cache, else download)"


def build_parser() -> argparse.ArgumentParser:
    """The ``backproplab`` parser; each command's options are added by its own function below."""
    parser = _Parser(
        prog="backproplab", description="See backpropagation: train, trace and explore a NumPy MLP on MNIST.")
    parser.add_argument("--version", action="version", version=f"backproplab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in (_add_train, _add_data, _add_trace, _add_lab):
        add(sub)
    return parser


def _add_train(sub) -> None:
    from .core.ops import ACTIVATIONS

    train = sub.add_parser("train", help="train the network on MNIST and report the test accuracy")
    train.add_argument("--epochs", type=A.positive_int, default=10, help="passes over the training set (10)")
    train.add_argument("--batch-size", type=A.positive_int, default=32, help="samples per SGD step (32)")
    train.add_argument("--lr", type=A.learning_rate, default=0.1,
                       help="learning rate of the first epoch (0.1, tuned with momentum 0.9 for batch 32; "
                            "for --batch-size 1 try --lr 0.01 --momentum 0)")
    train.add_argument("--lr-decay", type=A.lr_decay, default=0.8,
                       help="factor in (0, 1] applied to the learning rate after each epoch (0.8; 1 keeps it)")
    train.add_argument("--momentum", type=A.momentum, default=0.9, help="momentum in [0, 1) (0.9)")
    train.add_argument("--seed", type=A.non_negative_int, default=0,
                       help="seed of the weights and the shuffling, a whole number ≥ 0 (0)")
    train.add_argument("--hidden", type=A.hidden_sizes, default=(100, 10),
                       help="hidden layer widths, comma-separated (100,10)")
    train.add_argument("--activation", choices=sorted(ACTIVATIONS), default="sigmoid",
                       help="hidden-layer activation (sigmoid)")
    train.add_argument("--n-train", type=A.n_train,
                       help=f"train on a class-balanced subset of this size (1..{A.N_TRAIN})")
    train.add_argument("--n-test", type=A.n_test, help=f"test on a class-balanced subset of this size (1..{A.N_TEST})")
    train.add_argument("--blas-threads", type=A.positive_int, default=1,
                       help="BLAS threads while training (1: fastest on small machines)")
    train.add_argument("--data-dir", type=Path, help=DATA_HELP)
    train.add_argument("--report", type=Path, metavar="DIR",
                       help="write filters.png, confusion.png, curves.png and metrics.json here")
    train.add_argument("--save", type=Path, metavar="MODEL.npz", help="save the trained network here")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.set_defaults(run=_train, check=_check_train)


def _add_data(sub) -> None:
    data = sub.add_parser("data", help="fetch or verify MNIST and print where it is")
    data.add_argument("--data-dir", type=Path, help=DATA_HELP)
    data.set_defaults(run=_data)


def _add_trace(sub) -> None:
    trace = sub.add_parser("trace", help="print every quantity and Jacobian shape for one test image")
    trace.add_argument("--sample", type=A.non_negative_int, default=0, help="index of the test image (0)")
    trace.add_argument("--model", type=Path, metavar="MODEL.npz", help="a trained network (default: untrained)")
    trace.add_argument("--format", choices=("text", "markdown", "latex"), default="text", help="output format")
    trace.add_argument("--ledger", action="store_true", help="also print each backward step's chain-rule ledger")
    trace.add_argument("--data-dir", type=Path, help=DATA_HELP)
    trace.set_defaults(run=_trace, check=_check_trace)


def _add_lab(sub) -> None:
    lab = sub.add_parser("lab", help="open the tutorial notebooks in JupyterLab, or the classroom page in Voilà")
    lab.add_argument("--classroom", action="store_true",
                     help="serve notebooks/05_classroom.ipynb with Voilà: the panels without code")
    lab.add_argument("--port", type=A.port, help="port to serve on, 1..65535 (default: the server's own)")
    lab.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    lab.add_argument("--notebook-dir", type=Path, metavar="DIR",
                     help="folder with the notebooks (default: notebooks/ of this checkout)")
    lab.add_argument("--data-dir", type=Path, help=DATA_HELP)
    lab.set_defaults(run=_lab)


def main(argv: list[str] | None = None) -> int:
    """Run ``backproplab``; the exit status: 0 done, 1 a data, model or training problem,
    2 bad arguments (argparse exits), 130 interrupted. Errors are one line, never a traceback."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 0
    prefix = f"backproplab {args.command}: error:"
    try:
        if getattr(args, "check", None):
            args.check(args)  # refuse unusable arguments before any long work
    except (BackproplabError, OSError) as exc:
        parser.exit(2, f"{parser.prog} {args.command}: error: {_one_line(exc)}\n")
    try:
        return args.run(args)
    except BackproplabError as exc:
        print(f"{prefix} {_one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"backproplab {args.command}: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print(f"{prefix} out of memory. Use fewer or narrower layers, a smaller --batch-size "
              f"or --n-train, or close other programs.", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"{prefix} {_one_line(exc)}. Check the path, its permissions and the free disk space.",
              file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - a bug: still one line, no traceback for the user
        print(f"{prefix} internal error ({type(exc).__name__}: {_one_line(exc)}). This is a bug in "
              f"backproplab; please report it with the command you ran.", file=sys.stderr)
        return 1


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and not isinstance(exc, BackproplabError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return " ".join(str(exc).split()) or type(exc).__name__


# ------------------------------------------------------ checks before the work
def _check_train(args) -> None:
    """Output paths and the batch's memory, checked before the data is loaded or a step taken."""
    from ._files import check_output_file
    from .report import check_report_folder
    from .core.validation import check_batch_size

    check_batch_size(min(args.batch_size, args.n_train or A.N_TRAIN), (784, *args.hidden, 10),
                     name="--batch-size")
    if args.save:  # checked, not yet created: a run that fails leaves no empty folders behind
        args.save = check_output_file(_npz(args.save), create_folder=None)
    if args.report:
        args.report = check_report_folder(args.report, create=None)


def _check_trace(args) -> None:
    if args.model and not args.model.is_file():
        what = "a folder" if args.model.is_dir() else "missing"
        raise ConfigError(f"--model {args.model} is {what}; name a model file saved by "
                          f"backproplab train --save MODEL.npz")


def _npz(path: Path) -> Path:
    """The path MLP.save writes: ``.npz`` appended when missing."""
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


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
    with tqdm(total=total, unit="step", disable=args.quiet, leave=False, file=sys.stderr) as bar, \
            _diverged_in_words(args):
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
                    if k not in ("command", "quiet") and not callable(v)}
        paths = write_report(args.report, net, history, settings=settings)
        print(f"wrote {', '.join(p.name for p in paths)} to {args.report}")
    return 0


@contextmanager
def _diverged_in_words(args):
    """Say a diverged run's fix with the command's own options; nothing was saved."""
    try:
        yield
    except DivergenceError as exc:
        fix = (f" Run again with --lr {exc.suggested_lr:g}." if exc.suggested_lr else "")
        saved = " Nothing was saved." if args.save or args.report else ""
        raise DivergenceError(f"{exc}{saved}{fix}", epoch=exc.epoch, step=exc.step, loss=exc.loss,
                              start_loss=exc.start_loss, cause=exc.cause, suggested_lr=exc.suggested_lr,
                              restored_step=exc.restored_step) from None


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

    net = MLP.load(args.model) if args.model else MLP()
    if net.n_features != 784 or net.n_classes != 10:
        raise ModelFileError(f"the model {args.model} takes {net.n_features} inputs and {net.n_classes} classes "
                             f"({net!r}), so it does not take 28×28 MNIST images and their 10 digits. Trace a "
                             f"model trained on MNIST: backproplab train --save model.npz")
    data = load_mnist(data_dir=args.data_dir, dtype=np.uint8)
    if args.sample >= len(data.y_test):
        print(f"backproplab trace: error: --sample must be below {len(data.y_test)}, the number of "
              f"test images; got {args.sample}", file=sys.stderr)
        return 2
    trace = net.trace(data.x_test[args.sample:args.sample + 1], data.y_test[args.sample:args.sample + 1])
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
