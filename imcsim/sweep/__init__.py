"""Design-space sweeps: grids and random samples of config keys, resumable result files,
plots and an HTML report, on local worker processes or a Dask cluster.

``imcsim.sweep(...)`` (:func:`imcsim.sweep.api.sweep`) is the Python entry point;
``imcsim sweep`` and ``imcsim report`` the command-line ones (:mod:`imcsim.sweep.cli`).
"""

from imcsim.sweep.api import SweepResults, sweep

__all__ = ["SweepResults", "sweep"]
