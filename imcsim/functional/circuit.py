"""IR drop by solving the crossbar's resistive network (``nonideal.ir_drop_model: circuit``).

The network of one array read: row i is driven by an ideal source V_i through the driver
resistance and one wire segment into its first cell; along a row, cells are one wire
segment (``wire_resistance_ohm``) apart; cell (i, j) joins row node (i, j) to column node
(i, j) with its conductance G_ij; along a column, cells are one segment apart, and the
bottom cell reaches the sense amplifier — a virtual ground — through the segments below it
and the sense resistance. Rows that are not driven sit at 0 V.

Modelled are the cells a layer's block occupies: rows of the array the layer does not use
(driven at 0 V) and its unused columns are left out — their cells draw little current from
wires near 0 V, but this is where the solve stops being exact for a partly filled array.

The network is linear, so the column currents are I = Vᵀ·G_eff for an effective
conductance matrix G_eff: column i of the solution for a unit source on row i. One sparse
LU factorisation of the nodal matrix (scipy.sparse.linalg.splu) serves every row's solve,
and G_eff is computed once per programmed block — every read afterwards is a matrix
product, as exact as the nodal solve of the modelled cells (current sharing along the
wires and all).

With no wire resistance the rows and columns are single nodes; with no driver or sense
resistance either, the read is ideal and G_eff = G.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla


def effective_conductances(g: np.ndarray, wire_r: float, driver_r: float, sense_r: float,
                           rows_below: int = 1, first_col: int = 0) -> np.ndarray:
    """G_eff (R × C) of cells ``g`` (R × C, siemens) read as described above.

    ``rows_below``: wire segments from the last modelled row to the sense amplifier (1 for
    the array's bottom row); ``first_col``: segments before the first modelled column, less
    one (its position in the array: the driver reaches it through first_col + 1 segments).
    """
    r_n, c_n = g.shape
    if wire_r == 0:
        return _lumped(g, driver_r, sense_r)
    n = r_n * c_n
    row = np.arange(n).reshape(r_n, c_n)  # row-wire node of cell (i, j)
    col = n + row  # column-wire node of cell (i, j)
    gw = 1.0 / wire_r
    entries: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def link(a: np.ndarray, b: np.ndarray, cond: np.ndarray | float) -> None:
        cond = np.broadcast_to(np.asarray(cond, dtype=np.float64), a.shape).ravel()
        a, b = a.ravel(), b.ravel()
        entries.append((np.concatenate([a, b, a, b]), np.concatenate([a, b, b, a]),
                        np.concatenate([cond, cond, -cond, -cond])))

    link(row[:, :-1], row[:, 1:], gw)  # row wire segments
    link(col[:-1, :], col[1:, :], gw)  # column wire segments
    link(row, col, g)  # the cells
    to_source = 1.0 / (driver_r + wire_r * (first_col + 1))  # row i's first node ↔ V_i
    to_sense = 1.0 / (sense_r + wire_r * rows_below)  # column j's last node ↔ 0 V
    diag = np.zeros(2 * n)
    diag[row[:, 0]] += to_source
    diag[col[-1, :]] += to_sense
    i, j, v = (np.concatenate(parts) for parts in zip(*entries, strict=True))
    y = sp.csc_matrix((v, (i, j)), shape=(2 * n, 2 * n)) + sp.diags(diag, format="csc")
    rhs = np.zeros((2 * n, r_n))
    rhs[row[:, 0], np.arange(r_n)] = to_source  # a unit source on row i, one column each
    volts = spla.splu(y).solve(rhs)
    return (volts[col[-1, :], :] * to_sense).T  # (R, C): current into each sense amp


def _lumped(g: np.ndarray, driver_r: float, sense_r: float) -> np.ndarray:
    """Ideal wires: row i is one node behind the driver, column j one node before the
    sense amplifier; nodal analysis on R + C nodes (dense)."""
    if driver_r == 0 and sense_r == 0:
        return g.copy()
    r_n, c_n = g.shape
    if driver_r == 0:  # rows held at their source voltages: only the columns are unknown
        v_col = g / (g.sum(axis=0) + 1.0 / sense_r)  # (R, C): column voltage per unit row
        return v_col / sense_r
    g_s = np.inf if sense_r == 0 else 1.0 / sense_r
    if np.isinf(g_s):  # columns at 0 V: each row sees its cells in parallel behind r_d
        v_row = (1.0 / driver_r) / (1.0 / driver_r + g.sum(axis=1))
        return g * v_row[:, None]
    y = np.block([[np.diag(1.0 / driver_r + g.sum(axis=1)), -g],
                  [-g.T, np.diag(g.sum(axis=0) + g_s)]])
    rhs = np.vstack([np.eye(r_n) / driver_r, np.zeros((c_n, r_n))])
    volts = np.linalg.solve(y, rhs)
    return (volts[r_n:, :] * g_s).T
