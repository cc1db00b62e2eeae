"""Sparse matrices → crossbar mappings (matrix-slice, CSR/CSC, block) for SpMV and solvers."""

from compiler.sparse.io import as_csr, load_matrix, require_square
from compiler.sparse.strategies import STRATEGIES, SparseMapping, SparseSpec, map_matrix

__all__ = ["STRATEGIES", "SparseMapping", "SparseSpec", "as_csr", "load_matrix", "map_matrix",
           "require_square"]
