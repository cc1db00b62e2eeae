"""Reports of the analog solvers (``imcsim solve``, ``imcsim pagerank``; ``imcsim.solve``,
``imcsim.pagerank``): the JSON dict, its terminal tables, and the right-hand side read from
a ``.npy`` file (its header checked before any data is read)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from imcsim.config import Arch
from imcsim.errors import ImcsimError


def load_rhs(path: str, n: int) -> np.ndarray:
    """A .npy vector of n finite numbers; a file declaring a huge array allocates nothing."""
    from imcsim.compiler.sparse.io import npy_header

    if Path(path).exists() and not Path(path).is_file():
        raise ImcsimError(f"--rhs {path}: is not a regular file (a folder, FIFO or device); "
                          "give a .npy file")
    try:
        with open(path, "rb") as f:
            if f.read(2) == b"PK":
                raise ImcsimError(f"--rhs {path}: is an .npz archive; give a .npy file "
                                  "holding one vector (np.save)")
            f.seek(0)
            shape, dtype = npy_header(f)
            if dtype.kind not in "biuf":
                raise ImcsimError(f"--rhs {path}: holds {dtype} values; give a vector of "
                                  "real numbers")
            if math.prod(shape) != n:
                raise ImcsimError(f"--rhs {path}: has {math.prod(shape)} values, the matrix "
                                  f"has {n} rows")
            f.seek(0)
            b = np.load(f, allow_pickle=False)
    except (OSError, ValueError, EOFError) as e:
        raise ImcsimError(f"--rhs {path}: cannot read a NumPy array "
                          f"({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None
    return check_rhs(b, n, f"--rhs {path}")


def check_rhs(b: Any, n: int, what: str = "b") -> np.ndarray:
    b = np.asarray(b, dtype=np.float64).ravel()
    if b.size != n:
        raise ImcsimError(f"{what}: has {b.size} values, the matrix has {n} rows")
    if not np.all(np.isfinite(b)):
        raise ImcsimError(f"{what}: contains NaN or infinite values")
    return b


def _matrix_block(name: str, a: sp.csr_matrix) -> dict[str, Any]:
    return {"name": name, "rows": a.shape[0], "nnz": int(a.nnz)}


def solve_report(name: str, a: sp.csr_matrix, arch: Arch, result: Any, rhs_note: str,
                 seed: int) -> dict[str, Any]:
    return {
        "matrix": _matrix_block(name, a),
        "arch": {"name": arch.name, "source": arch.source, "cell_bits": arch.array.cell_bits,
                 "value_bits": arch.precision.weight_bits, "adc_bits": arch.adc.bits,
                 "adc_range": arch.adc.range.value},
        "method": result.method, "rhs": rhs_note, "converged": result.converged,
        "iterations": result.iterations, "rel_residual": result.rel_residual,
        "rel_error": result.rel_error, "analog_mvms": result.analog_mvms,
        "energy_j": result.energy_j, "time_s": result.time_s, "reason": result.reason,
        "history": result.history, "details": result.details, "seed": seed,
    }


def bitslice_report(name: str, a: sp.csr_matrix, arch: Arch,
                    rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"matrix": _matrix_block(name, a), "method": "bitslice",
            "cell_bits": arch.array.cell_bits, "slices": rows}


def render_solve(report: dict[str, Any], console: Any) -> None:
    from imcsim.report import _si, printable
    from imcsim.tables import Table

    report = printable(report)
    if report["method"] == "bitslice":
        t = Table(title=f"SpMV error against bit slices of {report['cell_bits']}-bit cells")
        for col in ("slices", "value bits", "cells", "SpMV rel. error"):
            t.add_column(col, justify="right")
        for r in report["slices"]:
            t.add_row(str(r["slices"]), str(r["value_bits"]), f"{r['cells_programmed']:,}",
                      f"{r['spmv_rel_error']:.3g}")
        console.print(t)
        return
    t = Table(title=f"{report['method']} on {report['matrix']['name']} "
                    f"({report['matrix']['rows']:,} unknowns)", show_header=False)
    t.add_row("converged", "yes" if report["converged"] else "no")
    t.add_row("iterations", str(report["iterations"]))
    t.add_row("relative residual ‖b − Ax‖/‖b‖", f"{report['rel_residual']:.3g}")
    if report["rel_error"] is not None:
        t.add_row("error vs exact solution", f"{report['rel_error']:.3g}")
    t.add_row("analog MVMs", f"{report['analog_mvms']:,}")
    t.add_row("energy / time", f"{_si(report['energy_j'], 'J')} / {_si(report['time_s'], 's')}")
    t.add_row("right-hand side", report["rhs"])
    console.print(t)
