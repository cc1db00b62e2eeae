"""Sparse matrices → crossbar mappings (matrix-slice, CSR/CSC, block) for SpMV and solvers."""

from imcsim.compiler.sparse.io import as_csr, load_matrix, require_square
from imcsim.compiler.sparse.strategies import STRATEGIES, SparseMapping, SparseSpec, map_matrix

__all__ = ["STRATEGIES", "SparseMapping", "SparseSpec", "as_csr", "load_matrix", "map_matrix",
           "require_square"]
