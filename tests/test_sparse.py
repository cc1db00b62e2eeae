"""Sparse matrices: loading (scipy is the reference), mapping strategies checked by hand and
by exact SpMV on ideal hardware, SpMV error, the CLI and bad files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp
from imcsim.compiler.errors import MatrixError
from imcsim.compiler.sparse import STRATEGIES, SparseSpec, load_matrix, map_matrix

from imcsim.config import load_arch
from imcsim.spmv import HardwareSpMV, evaluate_strategy, sparse_spec

FIXTURES = Path(__file__).parent / "fixtures" / "matrices"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "matrices"
MATRICES = sorted(FIXTURES.glob("*.mtx"))


@pytest.mark.parametrize("path", MATRICES, ids=lambda p: p.name)
def test_load_matches_scipy(path):
    ref = sp.csr_matrix(scipy.io.mmread(str(path)), dtype=np.float64)
    ref.eliminate_zeros()
    a = load_matrix(path)
    assert a.shape == ref.shape and a.nnz == ref.nnz
    assert abs(a - ref).max() == 0


@pytest.mark.parametrize("array", [np.zeros((4, 4)), np.array([["a", "b"], ["c", "d"]]),
                                   np.ones(3)])
def test_bad_arrays_are_one_line_errors(tmp_path, array):
    np.save(tmp_path / "m.npy", array)
    r = subprocess.run([sys.executable, "-m", "imcsim", "sparse", str(tmp_path / "m.npy")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


def test_npz_and_npy(tmp_path):
    a = load_matrix(FIXTURES / "west0067.mtx")
    sp.save_npz(tmp_path / "m.npz", a)
    np.save(tmp_path / "m.npy", a.toarray())
    for p in (tmp_path / "m.npz", tmp_path / "m.npy"):
        assert abs(load_matrix(p) - a).max() == 0


BAD = {
    "banner.mtx": "%%NotMatrixMarket junk\n3 3 1\n1 1 1\n",
    "complex.mtx": "%%MatrixMarket matrix coordinate complex general\n2 2 1\n1 1 1 0\n",
    "range.mtx": "%%MatrixMarket matrix coordinate real general\n3 3 1\n4 1 1.0\n",
    "short.mtx": "%%MatrixMarket matrix coordinate real general\n3 3 3\n1 1 1.0\n2 2 1.0\n",
    "size.mtx": "%%MatrixMarket matrix coordinate real general\nthree 3 1\n1 1 1\n",
    "nan.mtx": "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 nan\n",
    # finite, but A·x's squared norm overflows float64 (1e308² > 1.8e308)
    "huge.mtx": "%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1e308\n2 2 -1e308\n",
    "m.txt": "hello",
    "empty.mtx": "%%MatrixMarket matrix coordinate real general\n3 3 0\n",
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_files_are_one_line_errors(tmp_path, name):
    p = tmp_path / name
    p.write_text(BAD[name])
    with pytest.raises(MatrixError) as e:
        load_matrix(p)
    assert str(p) in str(e.value) and "\n" not in str(e.value)
    r = subprocess.run([sys.executable, "-m", "imcsim", "sparse", str(p), "--json",
                        str(tmp_path / "o.json")], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert not (tmp_path / "o.json").exists()


def _small():
    """40 × 40: a dense 8 × 8 block at (0, 0), a diagonal, and one far entry (35, 2)."""
    a = np.zeros((40, 40))
    a[:8, :8] = 1.0
    a[np.arange(40), np.arange(40)] = 2.0
    a[35, 2] = 3.0
    return sp.csr_matrix(a)


SPEC = SparseSpec(rows=8, cols=8, cell_bits=8, value_bits=8, columns_per_value=1)


def test_grid_strategies_by_hand():
    a = _small()
    dense = map_matrix(a, SPEC, "dense")
    assert dense.arrays == 25  # (40/8)² blocks of 8 outputs × 8 inputs
    # non-empty 8×8 blocks: the 5 diagonal blocks + block (4, 0) holding (35, 2)
    sliced = map_matrix(a, SPEC, "matrix-slice")
    assert sliced.arrays == 6 and sliced.cells_programmed == 6 * 64
    assert sliced.utilization == pytest.approx(a.nnz / (6 * 64))
    # every array read once per SpMV; 8 inputs driven and 8 outputs read per array
    assert sliced.reads == 6 and sliced.rows_driven == 48 and sliced.cols_read == 48
    # output rows 32–39 get two contributions (blocks (4, 0) and (4, 4)): 8 merge adds
    assert sliced.partial_sum_adds == 8


def test_compressed_strategies_by_hand():
    """Row lengths: rows 0–7 have 8 non-zeros, rows 8–39 one, row 35 two → CSR segments
    of ≤ 8 = one per row = 40 segments, 8 per array (one per output column) → 5 arrays;
    CSC: columns 0–7 hold 8 (+1 for column 2), others 1 → column 2 needs 2 segments
    (9 > 8 outputs per array) → 41 segments, 8 per array (one per row) → 6 arrays."""
    a = _small()
    csr = map_matrix(a, SPEC, "csr")
    assert csr.blocks == 40 and csr.arrays == 5
    assert csr.cells_programmed == a.nnz  # dense storage: only non-zeros
    assert csr.reads == 40 and csr.sequential_reads == 8
    csc = map_matrix(a, SPEC, "csc")
    assert csc.blocks == 41 and csc.arrays == 6 and csc.cells_programmed == a.nnz


def test_block_strategy_covers_every_nonzero_with_fewer_cells():
    a = _small()
    mp = map_matrix(a, SPEC, "block")
    covered = sp.lil_matrix(a.shape)
    for r0, h, cols in zip(mp.row0, mp.nrows, mp.block_cols, strict=True):
        assert len(cols) <= SPEC.rows and h <= SPEC.outputs_per_array
        covered[r0:r0 + h, cols] = 1
    assert (a.multiply(covered.tocsr()) != a).nnz == 0  # every non-zero inside some array
    assert mp.cells_programmed < map_matrix(a, SPEC, "matrix-slice").cells_programmed


EXACT = ["precision.weight_bits=16", "precision.input_bits=16", "adc.model=sar", "adc.bits=16",
         "array.cell_bits=2"]


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("name", ["bcsstk01.mtx", "west0067.mtx", "karate.mtx"])
def test_ideal_hardware_spmv_equals_scipy(strategy, name):
    """16-bit values and inputs, exact ADC: y_hw = A·x up to 16-bit quantisation, which
    also proves each strategy covers every non-zero exactly once."""
    a = load_matrix(FIXTURES / name)
    arch = load_arch("rram_128", EXACT)
    mp = map_matrix(a, sparse_spec(arch), strategy)
    x = np.random.default_rng(1).standard_normal(a.shape[1])
    y = HardwareSpMV(a, mp, arch)(x)
    assert np.linalg.norm(y - a @ x) / np.linalg.norm(a @ x) < 1e-3


def test_noise_raises_error_and_seed_reproduces():
    a = load_matrix(FIXTURES / "nos4.mtx")
    cal = ["adc.range=calibrated"]
    ideal = evaluate_strategy(a, load_arch("rram_128", cal), "block", seed=1)
    noisy_arch = load_arch("rram_128", [*cal, "nonideal.prog_noise=0.05", "nonideal.read_noise=0.02"])
    noisy = evaluate_strategy(a, noisy_arch, "block", seed=1)
    again = evaluate_strategy(a, noisy_arch, "block", seed=1)
    other = evaluate_strategy(a, noisy_arch, "block", seed=2)
    assert noisy.spmv_rel_error > ideal.spmv_rel_error
    assert noisy.spmv_rel_error == again.spmv_rel_error != other.spmv_rel_error


def test_cli_all_strategies_json(tmp_path):
    out = tmp_path / "sp.json"
    r = subprocess.run([sys.executable, "-m", "imcsim", "sparse", str(FIXTURES / "494_bus.mtx"),
                        "--strategy", "all", "--json", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    report = json.loads(out.read_text())
    assert report["matrix"] == {"name": "494_bus", "rows": 494, "cols": 494, "nnz": 1666}
    assert [s["name"] for s in report["strategies"]] == list(STRATEGIES)
    for s in report["strategies"]:
        assert {"name", "arrays", "cells_programmed", "utilization", "spmv_latency_s",
                "spmv_energy_j", "spmv_rel_error"} <= set(s)
    by = {s["name"]: s for s in report["strategies"]}
    assert by["matrix-slice"]["arrays"] <= by["dense"]["arrays"]
    assert by["block"]["cells_programmed"] < by["matrix-slice"]["cells_programmed"]


@pytest.mark.skipif(not (SHARED / "bcsstk25.mtx").exists(), reason="shared matrices absent")
def test_bcsstk25_block_beats_matrix_slice():
    a = load_matrix(SHARED / "bcsstk25.mtx")
    arch = load_arch("rram_128")
    block = map_matrix(a, sparse_spec(arch), "block")
    sliced = map_matrix(a, sparse_spec(arch), "matrix-slice")
    assert a.nnz == 252_241 and block.arrays < sliced.arrays


@pytest.mark.parametrize("adc_range", ["full_scale", "weight_aware", "calibrated"])
def test_one_dense_row_does_not_change_the_other_rows_results(adc_range):
    """Each block's ADC range is its own (or the array's): adding a dense row to a
    tridiagonal matrix leaves every other row's simulated CSR product unchanged."""
    n = 60
    tri = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(n, n), format="lil")
    dense = tri.copy()
    dense[n // 2, :] = np.linspace(1.0, 2.0, n)
    arch = load_arch("rram_128", [f"adc.range={adc_range}"])
    x = np.random.default_rng(3).standard_normal(n)
    ys = [HardwareSpMV(sp.csr_matrix(a), map_matrix(sp.csr_matrix(a), sparse_spec(arch), "csr"),
                       arch, seed=0)(x) for a in (tri, dense)]
    keep = np.arange(n) != n // 2
    np.testing.assert_array_equal(ys[0][keep], ys[1][keep])


def test_a_subnormal_matrix_maps_without_numeric_warnings():
    """5e-324 is a valid float64 (the smallest subnormal); its quantisation scale
    (peak / 127) underflows to 0, which must mean "an all-zero column", not 0/0."""
    import warnings

    a = sp.csr_matrix(np.array([[5e-324, 0.0], [0.0, 1.0]]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = evaluate_strategy(a, load_arch("rram_128"), "matrix-slice")
    assert r.spmv_rel_error is not None and np.isfinite(r.spmv_rel_error)
