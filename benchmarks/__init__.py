"""backproplab's benchmarks: ``.venv/bin/python -m benchmarks`` from the repository root.

Prints a table and writes ``benchmarks/RESULTS.md`` (or ``--output PATH``) with the
machine it ran on. ``--quick`` runs every section on tiny subsets in a few
seconds (the test suite uses it); its numbers mean nothing.

Modules: :mod:`benchmarks.run` (command line, report), :mod:`benchmarks.training`
(epochs, GEMMs, per-step profile, memory of ``backproplab train``),
:mod:`benchmarks.panels` (step-through clicks, live dashboard),
:mod:`benchmarks.peers` (PyTorch and scikit-learn, optional),
:mod:`benchmarks.machine` (CPU, BLAS, versions).
"""
