"""Hostile and extreme matrices for ``imcsim sparse``, ``solve`` and ``pagerank``: Matrix
Market text, ``.npy`` and ``.npz`` files, and ``--rhs`` vectors."""

from __future__ import annotations

import io
import zipfile
import zlib

import numpy as np
import scipy.sparse as sp

from fuzz.cases import FIFO_TIMEOUT, Case, Fifo, matrix

KIND = "matrix"
BANNER = "%%MatrixMarket matrix coordinate real general\n"
SOLVE_RC = (0, 1)  # solve and pagerank exit 1 when they do not converge


def _mm(entries: list[str], rows: int = 4, cols: int = 4, nnz: int | None = None,
        banner: str = BANNER) -> str:
    n = len(entries) if nnz is None else nnz
    return banner + f"{rows} {cols} {n}\n" + "".join(e + "\n" for e in entries)


_GOOD = ["1 1 4.0", "2 2 4.0", "3 3 4.0", "4 4 4.0", "1 2 1.0", "2 1 1.0"]


def _sparse(id_: str, data: str | bytes, expect: str = "bad", *, name: str = "a.mtx",
            ci: bool = False, extra: tuple[str, ...] = (), timeout: float = 60.0,
            env=None, note: str = "") -> Case:
    return Case(id=f"matrix-{id_}", kind=KIND, argv=("sparse", name, "--arch", "rram_128", *extra),
                files={name: data}, expect=expect, ci=ci, timeout=timeout, env=env or {},
                note=note)


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def _npy_header(shape: tuple[int, ...], descr: str = "<f8") -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False,
                                               "shape": shape})
    return buf.getvalue()


def _npz(a: sp.spmatrix) -> bytes:
    buf = io.BytesIO()
    sp.save_npz(buf, sp.csr_matrix(a))
    return buf.getvalue()


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _bomb(nbytes: int) -> bytes:
    """A scipy .npz whose data.npy unpacks to ``nbytes`` of zeros (a few hundred kB packed)."""
    n = nbytes // 8
    header = _npy_header((n,))
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(1 << 24)
    body = [comp.compress(header)]
    left = n * 8
    while left:
        step = min(left, len(chunk))
        body.append(comp.compress(chunk[:step]))
        left -= step
    body.append(comp.flush())
    packed = b"".join(body)
    # write the zip by hand: zipfile would need the whole plain text in memory
    crc = zlib.crc32(header)
    left = n * 8
    while left:
        step = min(left, len(chunk))
        crc = zlib.crc32(chunk[:step], crc)
        left -= step
    plain = len(header) + n * 8
    return _raw_zip([("data.npy", packed, crc, plain)] + [
        (name, data, zlib.crc32(data), len(data)) for name, data in (
            ("indices.npy", _npy(np.zeros(1, np.int32))),
            ("indptr.npy", _npy(np.array([0, 1], np.int32))),
            ("format.npy", _npy(np.array("csr"))),
            ("shape.npy", _npy(np.array([1, 1], np.int64))))], stored_last=4)


def _write_bomb(nbytes: int):
    """A setup step writing the bomb (built when the case runs, not when it is listed)."""
    def setup(root) -> None:  # noqa: ANN001
        (root / "a.npz").write_bytes(_bomb(nbytes))
    return setup


def _raw_zip(members, stored_last: int = 0) -> bytes:
    """A zip with ZIP64 sizes where needed; the first member deflated (raw packed bytes
    given), the last ``stored_last`` stored."""
    import struct

    out = io.BytesIO()
    central = []
    for i, (name, data, crc, plain) in enumerate(members):
        deflated = i < len(members) - stored_last
        method = 8 if deflated else 0
        offset = out.tell()
        zip64 = plain >= 0xFFFFFFFF or len(data) >= 0xFFFFFFFF
        extra = struct.pack("<HHQQ", 1, 16, plain, len(data)) if zip64 else b""
        csize, usize = (0xFFFFFFFF, 0xFFFFFFFF) if zip64 else (len(data), plain)
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 45 if zip64 else 20, 0, method, 0, 0,
                              crc, csize, usize, len(name), len(extra)))
        out.write(name.encode())
        out.write(extra)
        out.write(data)
        central.append((name, method, crc, csize, usize, offset, zip64, plain, len(data)))
    start = out.tell()
    for name, method, crc, csize, usize, offset, zip64, plain, clen in central:
        extra = struct.pack("<HHQQ", 1, 16, plain, clen) if zip64 else b""
        out.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45 if zip64 else 20, 0,
                              method, 0, 0, crc, csize, usize, len(name), len(extra), 0, 0, 0,
                              0, offset))
        out.write(name.encode())
        out.write(extra)
    end = out.tell()
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central),
                          end - start, start, 0))
    return out.getvalue()


def _lying_npz(shape: tuple[int, ...]) -> bytes:
    """A scipy .npz whose data.npy header promises ``shape`` float64, with no data: the zip
    declares a few bytes, the array header a huge allocation."""
    return _zip({"data.npy": _npy_header(shape), "indices.npy": _npy(np.zeros(1, np.int32)),
                 "indptr.npy": _npy(np.array([0, 1], np.int32)),
                 "format.npy": _npy(np.array("csr")),
                 "shape.npy": _npy(np.array([1, 1], np.int64))})


def _mm_cases() -> list[Case]:
    good = _mm(_GOOD)
    out = [
        _sparse("valid-4x4", good, "valid", ci=True),
        _sparse("header-1e9x1e9", _mm(["1 1 1.0"], 10**9, 10**9), ci=True),
        _sparse("header-1e8x1e8", _mm(["1 1 1.0"], 10**8, 10**8), "either", timeout=120,
                note="fits the 2 GiB budget by its header, then has to be mapped"),
        _sparse("header-1x1e12", _mm(["1 1 1.0"], 1, 10**12)),
        _sparse("header-nnz-1e15", _mm(["1 1 1.0"], 4, 4, 10**15)),
        _sparse("header-5000-digits", BANNER + "9" * 5000 + " 4 1\n1 1 1.0\n"),
        _sparse("dense-header-huge", "%%MatrixMarket matrix array real general\n1000000 1000000\n"
                "1.0\n"),
        _sparse("dense-header-short", "%%MatrixMarket matrix array real general\n4 4\n1.0\n"),
        _sparse("dense-valid", "%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n",
                "valid"),
        _sparse("truncated-entries", _mm(_GOOD[:3], nnz=6), ci=True),
        _sparse("truncated-mid-line", good[:-5]),
        _sparse("too-many-entries", _mm(_GOOD, nnz=3)),
        _sparse("entry-one-token", _mm(["1"])),
        _sparse("entry-no-value", _mm(["1 1"])),
        _sparse("index-zero", _mm(["0 0 1.0"])),
        _sparse("index-negative", _mm(["-1 1 1.0"])),
        _sparse("index-past-end", _mm(["5 1 1.0"])),
        _sparse("index-huge", _mm(["99999999999999999999 1 1.0"])),
        _sparse("index-float", _mm(["1.5 1 1.0"])),
        _sparse("index-unicode-digit", _mm(["١ 1 1.0"]), "either"),
        _sparse("value-nan", _mm(["1 1 nan", "2 2 1.0"]), ci=True),
        _sparse("value-inf", _mm(["1 1 inf"])),
        _sparse("value-1e309", _mm(["1 1 1e309"])),
        _sparse("value-plus-minus-1e308", _mm(["1 1 1e308", "2 2 -1e308", "1 2 1e308",
                                               "2 1 -1e308"]), "either", ci=True),
        _sparse("value-5e-324", _mm(["1 1 5e-324", "2 2 5e-324"]), "either"),
        _sparse("value-non-numeric", _mm(["1 1 abc"])),
        _sparse("value-hex", _mm(["1 1 0x10"])),
        _sparse("tokens-garbage", _mm(["a b c"])),
        _sparse("all-zero-values", _mm(["1 1 0", "2 2 0.0"])),
        _sparse("no-entries", _mm([], nnz=0)),
        _sparse("complex-field", _mm(["1 1 1.0 2.0"], banner=BANNER.replace("real", "complex"))),
        _sparse("hermitian", _mm(["1 1 1.0"], banner=BANNER.replace("general", "hermitian"))),
        _sparse("pattern-symmetric-upper", _mm(["1 2"], banner=BANNER.replace(
            "real general", "pattern symmetric")), "either"),
        _sparse("wrong-banner", "%%NotMatrixMarket\n4 4 1\n1 1 1\n", ci=True),
        _sparse("no-banner", "4 4 1\n1 1 1\n"),
        _sparse("banner-only", BANNER),
        _sparse("empty-file", ""),
        _sparse("size-line-words", BANNER + "four four one\n1 1 1\n"),
        _sparse("size-line-unicode-digits", BANNER + "٤ ٤ ١\n1 1 1\n", "either"),
        _sparse("comment-flood", BANNER + "%\n" * 200_000 + "4 4 1\n1 1 1\n", "either"),
        _sparse("binary-garbage", np.random.default_rng(7).bytes(4096)),
        _sparse("non-utf8", BANNER.encode() + b"4 4 1\n1 1 \xff\xfe\n"),
        _sparse("nul-bytes", BANNER.encode() + b"4 4 1\n1 1 1\x00\n", ci=True),
        _sparse("crlf", good.replace("\n", "\r\n"), "either"),
        _sparse("unknown-suffix", good, name="a.txt"),
        _sparse("no-suffix", good, name="a"),
        _sparse("nonsquare-1x1000000", _mm(["1 1 1.0", "1 1000000 2.0"], 1, 10**6), "either",
                timeout=120),
        _sparse("dense-1000x1000-as-coordinate",
                _mm([f"{i} {j} 1.0" for i in range(1, 301) for j in range(1, 301)], 300, 300),
                "either", timeout=120),
        Case(id="matrix-file-is-fifo", kind=KIND, argv=("sparse", "a.mtx", "--arch", "rram_128"),
             files={"a.mtx": Fifo()}, timeout=FIFO_TIMEOUT, ci=True),
        Case(id="matrix-file-is-dir", kind=KIND, argv=("sparse", "a.mtx", "--arch", "rram_128"),
             files={"a.mtx/x": "1"}),
        Case(id="matrix-file-name-300-bytes", kind=KIND,
             argv=("sparse", "a" * 300 + ".mtx", "--arch", "rram_128"), ci=True),
        Case(id="matrix-strategy-markup", kind=KIND,
             argv=("sparse", "a.mtx", "--arch", "rram_128", "--strategy", "[bold]\x1b[31m\nx"),
             files={"a.mtx": good}),
    ]
    return out


def _npy_cases() -> list[Case]:
    return [
        _sparse("npy-valid", _npy(np.eye(4)), "valid", name="a.npy"),
        _sparse("npy-header-huge", _npy_header((1_000_000, 1_000_000)), name="a.npy", ci=True),
        _sparse("npy-header-huge-int8", _npy_header((100_000, 100_000), "|i1"), name="a.npy"),
        _sparse("npy-header-negative", _npy_header((-1, 4)), name="a.npy"),
        _sparse("npy-header-3d", _npy(np.ones((2, 2, 2))), name="a.npy"),
        _sparse("npy-header-0d", _npy(np.array(1.0)), name="a.npy"),
        _sparse("npy-object-dtype", _npy_header((2, 2), "|O"), name="a.npy"),
        _sparse("npy-string-dtype", _npy(np.array([["a", "b"], ["c", "d"]])), name="a.npy"),
        _sparse("npy-complex", _npy(np.eye(2) * (1 + 1j)), name="a.npy"),
        _sparse("npy-float16", _npy(np.eye(4, dtype=np.float16)), "valid", name="a.npy", ci=True),
        _sparse("npy-truncated", _npy(np.eye(64))[:200], name="a.npy"),
        _sparse("npy-bad-magic", b"\x93NUMPY\x09\x00" + b"x" * 100, name="a.npy"),
        _sparse("npy-header-garbage", b"\x93NUMPY\x01\x00\x20\x00{'descr': os.system('x')}  \n",
                name="a.npy"),
        _sparse("npy-nan", _npy(np.array([[np.nan, 1], [1, 1]])), name="a.npy"),
    ]


def _npz_cases() -> list[Case]:
    small = 64 << 20  # a tighter budget, so that a modest bomb already exceeds it
    return [
        _sparse("npz-valid", _npz(sp.eye(4)), "valid", name="a.npz"),
        Case(id="matrix-npz-zip-bomb", kind=KIND, argv=("sparse", "a.npz", "--arch", "rram_128"),
             setup=_write_bomb(256 << 20), env={"IMCSIM_MAX_MEMORY": str(small)}, ci=True,
             note="256 MiB of zeros in ~250 kB, over a 64 MiB budget"),
        Case(id="matrix-npz-zip-bomb-3g", kind=KIND, argv=("sparse", "a.npz", "--arch", "rram_128"),
             setup=_write_bomb(3 << 30), timeout=120,
             note="3 GiB of zeros in ~3 MB, over the 2 GiB budget"),
        _sparse("npz-lying-member-header", _lying_npz((30_000, 30_000)), name="a.npz", ci=True,
                note="the zip declares a few bytes; data.npy's header says 7.2 GB"),
        _sparse("npz-lying-member-header-8tb", _lying_npz((1_000_000, 1_000_000)), name="a.npz"),
        _sparse("npz-truncated", _npz(sp.eye(4))[:100], name="a.npz"),
        _sparse("npz-truncated-central-dir", _npz(sp.eye(4))[:-10], name="a.npz"),
        _sparse("npz-not-zip", b"PK\x03\x04 not a zip at all", name="a.npz"),
        _sparse("npz-dense-savez", _zip({"arr_0.npy": _npy(np.eye(4))}), name="a.npz"),
        _sparse("npz-empty-zip", _zip({}), name="a.npz"),
        _sparse("npz-wrong-format", _zip({"data.npy": _npy(np.ones(1)),
                                          "indices.npy": _npy(np.zeros(1, np.int32)),
                                          "indptr.npy": _npy(np.array([0, 1], np.int32)),
                                          "format.npy": _npy(np.array("xyz")),
                                          "shape.npy": _npy(np.array([1, 1], np.int64))}),
                name="a.npz"),
        _sparse("npz-shape-huge", _zip({"data.npy": _npy(np.ones(1)),
                                        "indices.npy": _npy(np.zeros(1, np.int32)),
                                        "indptr.npy": _npy(np.array([0, 1], np.int32)),
                                        "format.npy": _npy(np.array("csr")),
                                        "shape.npy": _npy(np.array([1, 10**15], np.int64))}),
                name="a.npz", ci=True),
        _sparse("npz-indices-out-of-range", _zip({
            "data.npy": _npy(np.ones(1)), "indices.npy": _npy(np.array([99], np.int32)),
            "indptr.npy": _npy(np.array([0, 1], np.int32)), "format.npy": _npy(np.array("csr")),
            "shape.npy": _npy(np.array([1, 4], np.int64))}), name="a.npz", ci=True),
        _sparse("npz-indptr-garbage", _zip({
            "data.npy": _npy(np.ones(1)), "indices.npy": _npy(np.array([0], np.int32)),
            "indptr.npy": _npy(np.array([5, -3], np.int32)), "format.npy": _npy(np.array("csr")),
            "shape.npy": _npy(np.array([1, 4], np.int64))}), name="a.npz"),
        _sparse("npz-object-member", _zip({"data.npy": _npy_header((1,), "|O") + b"\x80\x04N.",
                                           "format.npy": _npy(np.array("csr"))}), name="a.npz"),
    ]


def _solve_cases() -> list[Case]:
    nos4 = matrix("nos4.mtx")
    n = 100

    def solve(id_: str, files: dict, extra: tuple[str, ...] = (), expect: str = "bad",
              ci: bool = False, command: str = "solve", timeout: float = 60.0) -> Case:
        return Case(id=f"matrix-{command}-{id_}", kind=KIND, argv=(command, "a.mtx", *extra),
                    files={"a.mtx": nos4, **files}, expect=expect, ok_rc=SOLVE_RC, ci=ci,
                    timeout=timeout)

    return [
        solve("rhs-npz", {"b.npz": _npz(sp.eye(4))}, ("--rhs", "b.npz"), ci=True),
        solve("rhs-npz-savez", {"b.npz": _zip({"arr_0.npy": _npy(np.ones(n))})},
              ("--rhs", "b.npz")),
        solve("rhs-float16", {"b.npy": _npy(np.ones(n, np.float16))}, ("--rhs", "b.npy"),
              "valid", ci=True),
        solve("rhs-float16-inf", {"b.npy": _npy(np.full(n, np.inf, np.float16))},
              ("--rhs", "b.npy")),
        solve("rhs-wrong-length", {"b.npy": _npy(np.ones(n + 1))}, ("--rhs", "b.npy")),
        solve("rhs-2d", {"b.npy": _npy(np.ones((n, 2)))}, ("--rhs", "b.npy")),
        solve("rhs-column", {"b.npy": _npy(np.ones((n, 1)))}, ("--rhs", "b.npy"), "either"),
        solve("rhs-empty", {"b.npy": _npy(np.ones(0))}, ("--rhs", "b.npy")),
        solve("rhs-nan", {"b.npy": _npy(np.full(n, np.nan))}, ("--rhs", "b.npy")),
        solve("rhs-zero", {"b.npy": _npy(np.zeros(n))}, ("--rhs", "b.npy"), "either"),
        solve("rhs-1e308", {"b.npy": _npy(np.full(n, 1e308))}, ("--rhs", "b.npy"), "either"),
        solve("rhs-strings", {"b.npy": _npy(np.array(["x"] * n))}, ("--rhs", "b.npy")),
        solve("rhs-complex", {"b.npy": _npy(np.ones(n) * 1j)}, ("--rhs", "b.npy")),
        solve("rhs-object", {"b.npy": _npy_header((n,), "|O") + b"\x80\x04N."},
              ("--rhs", "b.npy")),
        solve("rhs-header-huge", {"b.npy": _npy_header((10**12,))}, ("--rhs", "b.npy"), ci=True),
        solve("rhs-header-huge-2d", {"b.npy": _npy_header((100_000, 100_000))},
              ("--rhs", "b.npy")),
        solve("rhs-truncated", {"b.npy": _npy(np.ones(n))[:90]}, ("--rhs", "b.npy")),
        solve("rhs-garbage", {"b.npy": b"not numpy"}, ("--rhs", "b.npy")),
        solve("rhs-missing", {}, ("--rhs", "b.npy")),
        solve("rhs-is-fifo", {"b.npy": Fifo()}, ("--rhs", "b.npy"), timeout=FIFO_TIMEOUT, ci=True),
        solve("rhs-is-dir", {"b.npy/x": "1"}, ("--rhs", "b.npy")),
        solve("rhs-name-300-bytes", {}, ("--rhs", "b" * 300 + ".npy")),
        Case(id="matrix-solve-nonsquare", kind=KIND, argv=("solve", "a.mtx"),
            files={"a.mtx": _mm(["1 1 1.0", "1 2 1.0"], 1, 2)}, ok_rc=SOLVE_RC),
        Case(id="matrix-solve-singular", kind=KIND, argv=("solve", "a.mtx"),
             files={"a.mtx": _mm(["1 1 1.0", "1 2 1.0", "2 1 1.0", "2 2 1.0"], 2, 2)},
             expect="either", ok_rc=SOLVE_RC),
        Case(id="matrix-solve-plus-minus-1e308", kind=KIND, argv=("solve", "a.mtx"),
             files={"a.mtx": _mm(["1 1 1e308", "2 2 -1e308", "1 2 1e308", "2 1 1e-308"], 2, 2)},
             expect="either", ok_rc=SOLVE_RC),
        Case(id="matrix-solve-tiny-values", kind=KIND, argv=("solve", "a.mtx"),
             files={"a.mtx": _mm(["1 1 5e-324", "2 2 5e-324"], 2, 2)}, expect="either",
             ok_rc=SOLVE_RC),
        Case(id="matrix-pagerank-nan", kind=KIND, argv=("pagerank", "a.mtx"),
             files={"a.mtx": _mm(["1 2 nan", "2 1 1"], 2, 2)}, ok_rc=SOLVE_RC),
        Case(id="matrix-pagerank-1e308", kind=KIND, argv=("pagerank", "a.mtx"),
             files={"a.mtx": _mm(["1 2 1e308", "2 1 -1e308"], 2, 2)}, expect="either",
             ok_rc=SOLVE_RC),
        Case(id="matrix-pagerank-header-1e9", kind=KIND, argv=("pagerank", "a.mtx"),
             files={"a.mtx": _mm(["1 1 1.0"], 10**9, 10**9)}, ok_rc=SOLVE_RC),
        Case(id="matrix-pagerank-self-loops-only", kind=KIND, argv=("pagerank", "a.mtx"),
             files={"a.mtx": _mm(["1 1 1", "2 2 1"], 2, 2)}, expect="either", ok_rc=SOLVE_RC),
        Case(id="matrix-solve-is-fifo", kind=KIND, argv=("solve", "a.mtx"),
             files={"a.mtx": Fifo()}, timeout=FIFO_TIMEOUT, ok_rc=SOLVE_RC),
    ]


def cases() -> list[Case]:
    return [*_mm_cases(), *_npy_cases(), *_npz_cases(), *_solve_cases()]
