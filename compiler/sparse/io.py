"""Read matrices: Matrix Market (.mtx: real, integer, pattern; general, symmetric,
skew-symmetric), SciPy sparse .npz and dense .npy — or take a scipy.sparse / NumPy object.

Everything becomes a float64 CSR matrix with explicit zeros removed. Every problem is a
one-line :class:`MatrixError` naming the file.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import BinaryIO

import numpy as np
import scipy.io
import scipy.sparse as sp
from imcsim.compiler.errors import MatrixError

# |a| up to 1e150 keeps A·x and squared norms of any realistic size inside float64 (1.8e308)
MAX_MAGNITUDE = 1e150


def as_csr(matrix: object, name: str = "matrix") -> sp.csr_matrix:
    """A scipy.sparse matrix or a 2-D NumPy array as a finite float64 CSR matrix."""
    if sp.issparse(matrix):
        a = sp.csr_matrix(matrix)
    elif isinstance(matrix, np.ndarray):
        if matrix.ndim != 2:
            raise MatrixError(f"{name}: expected a 2-D array, got {matrix.ndim}-D")
        if matrix.dtype.kind not in "biufc":
            raise MatrixError(f"{name}: values of type {matrix.dtype} are not numbers; "
                              "give a real matrix")
        if matrix.dtype == np.float16:  # scipy.sparse has no float16
            matrix = matrix.astype(np.float32)
        a = sp.csr_matrix(matrix)
    else:
        raise MatrixError(f"{name}: expected a scipy.sparse matrix or a 2-D NumPy array, "
                          f"got {type(matrix).__name__}")
    if np.iscomplexobj(a.data):
        raise MatrixError(f"{name}: complex values are not supported; give a real matrix")
    a = a.astype(np.float64)
    if a.nnz and not np.all(np.isfinite(a.data)):
        raise MatrixError(f"{name}: contains NaN or infinite values")
    if a.nnz and (peak := float(np.abs(a.data).max())) > MAX_MAGNITUDE:
        raise MatrixError(f"{name}: holds a value of magnitude {peak:.3g}; products and norms "
                          f"beyond {MAX_MAGNITUDE:.0e} overflow float64 — rescale the matrix "
                          "(e.g. divide it by its largest entry)")
    a.eliminate_zeros()
    a.sort_indices()
    if a.nnz == 0:
        raise MatrixError(f"{name}: the matrix has no non-zero entry; nothing to map")
    return a


def memory_budget() -> int:
    """Bytes a matrix may need, checked before anything is allocated: half the machine's
    physical memory, or IMCSIM_MAX_MEMORY in bytes when set (``imcsim --max-memory`` sets
    it)."""
    env = os.environ.get("IMCSIM_MAX_MEMORY", "")
    if env.isascii() and env.isdigit():
        return int(env)
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def _check_size(p: Path, what: str, nbytes: int) -> None:
    budget = memory_budget()
    if nbytes > budget:
        raise MatrixError(f"{p}: {what} needs {nbytes / 2**30:.3g} GiB, over the memory budget of "
                          f"{budget / 2**30:.3g} GiB (half the machine's memory; imcsim "
                          "--max-memory SIZE changes it)")


def _check_structure(p: Path, matrix: sp.spmatrix) -> None:
    """Indices inside the shape and consistent pointers (a hand-made .npz may lie: compiled
    kernels would read out of bounds), and a shape whose tiling is countable."""
    try:
        if matrix.format == "coo":
            m = matrix
            if m.nnz and (m.row.min() < 0 or m.col.min() < 0 or m.row.max() >= m.shape[0]
                          or m.col.max() >= m.shape[1]):
                raise ValueError("an index is outside the matrix")
        else:
            matrix.check_format(full_check=True)
    except ValueError as e:
        raise MatrixError(f"{p}: inconsistent sparse structure ({str(e).splitlines()[0]}); "
                          "the file is corrupt") from None


def _check_nul(p: Path) -> None:
    """A NUL byte in a Matrix Market file crashes the C++ reader; refuse it first."""
    with p.open("rb") as f:
        for n, block in enumerate(iter(lambda: f.read(1 << 22), b"")):
            at = block.find(b"\0")
            if at >= 0:
                raise MatrixError(f"{p}: holds a NUL byte at offset {n * (1 << 22) + at}; "
                                  "not a Matrix Market text file")


def npy_header(f: BinaryIO) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype from a .npy file's header, reading nothing else."""
    version = np.lib.format.read_magic(f)
    read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
            else np.lib.format.read_array_header_2_0)
    shape, _, dtype = read(f)
    return shape, dtype


def npz_headers(z: zipfile.ZipFile) -> dict[str, tuple[tuple[int, ...], np.dtype] | None]:
    """Each member of an .npz archive → its array's (shape, dtype) from the member's own
    .npy header (None for a member that is not .npy), decompressing nothing else."""
    headers: dict[str, tuple[tuple[int, ...], np.dtype] | None] = {}
    for info in z.infolist():
        if not info.filename.endswith(".npy"):
            headers[info.filename] = None
            continue
        with z.open(info) as f:
            headers[info.filename] = npy_header(f)
    return headers


def load_matrix(path: str | os.PathLike[str]) -> sp.csr_matrix:
    p = Path(path)
    if not p.is_file():
        raise MatrixError(f"{p}: no such file; give a .mtx, .npz or .npy matrix")
    suffix = p.suffix.lower()
    try:
        if suffix == ".mtx":
            _check_mm_header(p)
            _check_nul(p)
            matrix = scipy.io.mmread(str(p))
        elif suffix == ".npz":
            with zipfile.ZipFile(p) as z:  # a zip bomb is refused by its declared sizes
                _check_size(p, "unpacking", sum(i.file_size for i in z.infolist()))
                for name, header in npz_headers(z).items():  # …and each by its own header
                    if header is not None:
                        shape, dtype = header
                        _check_size(p, f"member {name[:40]}",
                                    int(np.prod(shape, dtype=object)) * max(8, dtype.itemsize))
            matrix = sp.load_npz(str(p))
            if sp.issparse(matrix) and matrix.format in ("csr", "csc", "coo"):
                _check_structure(p, matrix)
        elif suffix == ".npy":
            with p.open("rb") as f:  # the header alone says how much the array needs
                shape, dtype = npy_header(f)
            count = int(np.prod(shape, dtype=object))
            _check_size(p, f"a {' × '.join(map(str, shape))} {dtype} array",
                        count * max(8, dtype.itemsize))
            matrix = np.load(str(p), allow_pickle=False)
        else:
            raise MatrixError(f"{p}: unknown matrix format '{suffix}'; use .mtx, .npz or .npy")
    except MatrixError:
        raise
    except (ValueError, OSError, IndexError, EOFError, KeyError, TypeError,
            zipfile.BadZipFile) as e:
        first = str(e).splitlines()[0] if str(e) else e.__class__.__name__
        raise MatrixError(f"{p}: corrupt or unsupported matrix file ({first}); check the file") from None
    return as_csr(matrix, str(p))


def _check_mm_header(p: Path) -> None:
    """Fail clearly on what scipy would reject obscurely or accept silently."""
    with p.open("r", encoding="utf-8", errors="replace") as f:
        banner = f.readline().strip().lower().split()
        if len(banner) != 5 or banner[0] != "%%matrixmarket" or banner[1] != "matrix":
            raise MatrixError(f"{p}: not a Matrix Market file (bad banner line); expected "
                              "'%%MatrixMarket matrix coordinate real general' or similar")
        fmt, field, symmetry = banner[2:]
        if field == "complex":
            raise MatrixError(f"{p}: complex matrices are not supported; give a real matrix")
        if fmt not in ("coordinate", "array") or field not in ("real", "integer", "pattern",
                                                                "double"):
            raise MatrixError(f"{p}: unsupported Matrix Market type '{fmt} {field}'")
        if symmetry not in ("general", "symmetric", "skew-symmetric"):
            raise MatrixError(f"{p}: unsupported Matrix Market symmetry '{symmetry}'")
        line = f.readline()
        while line.startswith("%"):
            line = f.readline()
        size = line.split()
        if fmt == "array":  # dense: every entry is stored
            if len(size) != 2 or not all(s.isdigit() for s in size):
                raise MatrixError(f"{p}: bad size line '{line.strip()}'; expected 'rows cols'")
            _check_size(p, f"a dense {size[0]} × {size[1]} matrix", int(size[0]) * int(size[1]) * 8)
        if fmt == "coordinate":
            if len(size) != 3 or not all(s.isdigit() for s in size):
                raise MatrixError(f"{p}: bad size line '{line.strip()}'; expected 'rows cols nnz'")
            rows, cols, nnz = (int(s) for s in size)
            # the CSR index has rows + 1 entries; COO triplets 3 × nnz (×2 if symmetric)
            _check_size(p, f"a {rows} × {cols} matrix with {nnz} entries",
                        8 * (rows + 1) + 8 * (cols + 1) + 48 * nnz)
            count = 0
            for entry in f:
                if not entry.strip() or entry.startswith("%"):
                    continue
                parts = entry.split()
                i, j = int(parts[0]), int(parts[1])
                if not (1 <= i <= rows and 1 <= j <= cols):
                    raise MatrixError(f"{p}: entry {count + 1} has index ({i}, {j}) outside the "
                                      f"{rows} × {cols} matrix")
                count += 1
            if count != nnz:
                raise MatrixError(f"{p}: header promises {nnz} entries but the file has {count}; "
                                  "the file is truncated or corrupt")


def require_square(a: sp.csr_matrix, name: str, why: str) -> None:
    if a.shape[0] != a.shape[1]:
        raise MatrixError(f"{name}: {why} needs a square matrix, got {a.shape[0]} × {a.shape[1]}")
