"""The Python API: what the CLI does, as functions that return report objects.

    import imcsim
    arch = imcsim.load_arch("rram_128", set={"adc.bits": 6})
    net = imcsim.load_model("models/resnet18.onnx")
    rep = imcsim.compile(net, arch)
    rep.energy.tops_per_w, rep.layers, rep.to_json(), rep.to_dataframe()
    imcsim.peak(arch).performance.peak_tops
    imcsim.accuracy(net, arch, data=(x, y)).accuracy.hw_top1

    imcsim.sparse("m.mtx", arch, strategy="all").strategies
    imcsim.solve(A, b, arch, method="refine").x;  imcsim.pagerank(G, arch).x
    imcsim.compare([net, "models/tiny_cnn.onnx"], ["isaac", arch]).metrics

The CLI's ``compile``, ``arch``, ``accuracy``, ``sparse``, ``solve``, ``pagerank`` and
``compare`` commands are these functions plus printing: one code path. A report is a read-only mapping of the JSON report's sections
(attribute access for sections, ``rep["energy"]["total_j"]`` as well); it prints as the
CLI's tables in a terminal and as HTML in Jupyter. Errors are
:class:`imcsim.errors.ImcsimError` (one line). Heavy modules (onnx, networkx, scipy,
numba) load on first use, not on ``import imcsim``.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO

from imcsim.errors import ImcsimError

if TYPE_CHECKING:
    from imcsim.compiler.ir import Network
    from imcsim.config import Arch

Overrides = Mapping[str, Any] | Sequence[str] | None
MAX_BATCH = 1_000_000  # inferences in one run of a graph with a symbolic batch axis


class Section(Mapping[str, Any]):
    """A section of a report: a read-only mapping whose keys are also attributes."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return _wrap(self._data[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __getattr__(self, name: str) -> Any:
        try:
            return _wrap(self._data[name])
        except KeyError:
            raise AttributeError(f"no '{name}' here (has: {', '.join(self._data)})") from None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({json.dumps(self._data, default=str)[:200]})"

    def to_dict(self) -> dict[str, Any]:
        """A plain deep copy (JSON types only)."""
        return json.loads(json.dumps(self._data))


def _wrap(value: Any) -> Any:
    return Section(value) if isinstance(value, dict) else value


class Report(Section):
    """One command's report: ``kind`` (compile, arch), the sections of its JSON, the
    warnings the CLI prints, and renderers."""

    __slots__ = ("inputs", "kind", "warnings", "_render")

    def __init__(self, kind: str, data: dict[str, Any], render: Callable[..., None],
                 warnings: Sequence[str] = (), inputs: Sequence[str | None] = ()) -> None:
        super().__init__(data)
        self.kind = kind
        self.warnings = tuple(warnings)
        self.inputs = tuple(p for p in inputs if p)  # files read: to_json never writes there
        self._render = render

    def to_json(self, path: str | os.PathLike[str] | None = None) -> str:
        """The JSON the CLI's ``--json`` writes; also written to ``path`` (atomically, never
        onto a link, a device or a file the report was made from) when given."""
        text = json.dumps(self._data, indent=2) + "\n"
        if path is not None:
            from imcsim.report import check_json_target, write_json

            check_json_target(str(path), "to_json", inputs=self.inputs)
            write_json(self._data, str(path))
        return text

    def to_dataframe(self) -> Any:
        """The per-layer rows (compile) as a pandas DataFrame; pandas is optional."""
        if "layers" not in self._data:
            raise ImcsimError(f"a {self.kind} report has no per-layer rows")
        try:
            import pandas as pd
        except ImportError:
            raise ImcsimError("pandas is not installed: pip install 'imcsim[pandas]', or use "
                              "report.layers (a list of dicts)") from None
        rows = [{k: v for k, v in r.items() if k != "energy_breakdown"}
                | {f"energy.{c}": e for c, e in r["energy_breakdown"].items()}
                for r in self._data["layers"]]
        return pd.DataFrame(rows)

    def render(self, console: Any = None, **options: Any) -> None:
        """Print the CLI's tables (to ``console``, a rich Console; default stdout);
        ``options``: compile's ``max_layers`` (40)."""
        from imcsim.cli import _console

        self._render(console if console is not None else _console(False), **options)

    def _recorded(self, width: int = 120) -> Any:
        from rich.console import Console

        console = Console(record=True, width=width, file=io.StringIO(), markup=False)
        self._render(console)
        return console

    def __str__(self) -> str:
        return self._recorded().export_text()

    def _repr_html_(self) -> str:
        return self._recorded().export_html(inline_styles=True)

    def __repr__(self) -> str:
        return f"<imcsim {self.kind} report: {', '.join(self._data)}>"


# ---------------------------------------------------------------- loading


def load_arch(arch: str | os.PathLike[str] | Arch = "rram_128", set: Overrides = None) -> Arch:
    """A preset name or YAML file, with overrides: ``{"adc.bits": 6}`` (Python values) or
    ``["adc.bits=6"]`` (text, as ``--set`` reads it). An :class:`Arch` passes through
    (with ``set`` refused: build it from its file instead)."""
    from imcsim import config

    if isinstance(arch, config.Arch):
        if set:
            raise ImcsimError("load_arch: overrides need a preset name or file, not a built Arch")
        return arch
    if set is None:
        return config.load_arch(arch)
    if isinstance(set, Mapping):
        return config.load_arch(arch, values=set)
    if isinstance(set, str):
        raise ImcsimError("load_arch: set= takes a mapping {key: value} or a list of "
                          "'key=value' strings, not one string")
    return config.load_arch(arch, list(set))


def load_model(path: str | os.PathLike[str], *, batch: int | None = None,
               allow_unknown_ops: bool = False) -> Network:
    """An ONNX file as imcsim's layer graph (validated, shapes fixed, canonicalised)."""
    from imcsim.compiler.frontend import import_onnx
    from imcsim.compiler.passes import canonicalize

    if batch is not None and not 1 <= batch <= MAX_BATCH:
        raise ImcsimError(f"--batch {batch}: must be in 1–{MAX_BATCH:,}")
    return canonicalize(import_onnx(path, batch=batch, allow_unknown_ops=allow_unknown_ops))


# ---------------------------------------------------------------- commands


def compile(model: str | os.PathLike[str] | Network, arch: str | os.PathLike[str] | Arch =
            "rram_128", *, set: Overrides = None, duplication: str | int = "auto",
            batch: int | None = None, allow_unknown_ops: bool = False,
            activity_from: str | None = None, samples: int = 8, seed: int = 0,
            cycle: bool = False, contention: bool = True,
            timeline: str | os.PathLike[str] | None = None) -> Report:
    """Map ``model`` onto ``arch`` and simulate its cost: the report ``imcsim compile``
    prints (``--json``'s sections). ``activity_from`` (digits | random | FILE.npz) measures
    the data's activity on ``samples`` inputs first. ``cycle``: also run the cycle-level
    simulator on the same workload (the ``cycle`` section; ``contention=False``: unbounded
    buffers), and with ``timeline`` write its Gantt chart there (.png or .svg)."""
    from imcsim.compiler.mapping import map_network, parse_duplication
    from imcsim.cost import build_components
    from imcsim.report import compile_report, provenance, render_compile
    from imcsim.sim import count_actions, simulate
    from imcsim.sim.analytical import check_units

    dup = parse_duplication(str(duplication))
    if timeline is not None:
        from imcsim.report import check_json_target
        from imcsim.sim.timeline import check_target

        if not cycle:
            raise ImcsimError("--timeline: only with --cycle (the timeline is the cycle-level "
                              "run's)")
        check_target(os.fspath(timeline))
        read = (model if isinstance(model, str | os.PathLike) else None, _arch_file(arch),
                activity_from)
        check_json_target(os.fspath(timeline), "--timeline",
                          inputs=tuple(p for p in read if p is not None))
    arch_obj = load_arch(arch, set)
    if isinstance(model, str | os.PathLike):
        net = load_model(model, batch=batch, allow_unknown_ops=allow_unknown_ops)
    else:
        if batch is not None or allow_unknown_ops:
            raise ImcsimError("compile: batch and allow_unknown_ops apply when loading; pass "
                              "them to load_model")
        net = model
    warnings: list[str] = []
    if net.unknown_ops:
        warnings.append(f"counted {len(net.unknown_ops)} unsupported op(s) as zero-cost: "
                        + ", ".join(net.unknown_ops))
    mapping = map_network(net, arch_obj.array_spec(), dup)
    if mapping.chips > 1:
        warnings.append(f"model needs {mapping.arrays:,} arrays and spans {mapping.chips} "
                        f"chips ({arch_obj.array_spec().arrays_per_chip:,} arrays per chip)")
        if not arch_obj.chip.io_links:
            warnings.append("chip.io_links = 0: the traffic between chips is neither timed nor "
                            "costed; set chip.io_links to model it")
    check_units(net, count_actions(net, mapping, arch_obj), build_components(arch_obj))
    activity = None
    if activity_from:
        from imcsim.functional.activity import measure_activity

        source = net.source
        if source is None:
            raise ImcsimError("compile: activity_from needs the model's file; pass its path or "
                              "a network from load_model")
        if samples < 1:
            raise ImcsimError(f"--samples {samples}: must be ≥ 1")
        activity = measure_activity(source, arch_obj, activity_from, samples, seed)
    sim = simulate(net, mapping, arch_obj, activity)
    run = None
    if cycle:
        from imcsim.sim.cycle import simulate_cycles

        assert sim.workload is not None
        run = simulate_cycles(sim.workload, contention, keep_rows=timeline is not None)
        if timeline is not None:
            from imcsim.sim.timeline import timeline as draw

            draw(sim.workload, run, os.fspath(timeline))
    data = compile_report(net, mapping, sim, arch_obj, run)
    data["imcsim"] = provenance(arch_obj, (net.source, _arch_file(arch), activity_from),
                                seed if activity_from else None)
    return Report("compile", data, lambda console, **kw: render_compile(data, console, **kw),
                  warnings, inputs=(net.source, _arch_file(arch), activity_from))


def peak(arch: str | os.PathLike[str] | Arch = "rram_128", *, set: Overrides = None) -> Report:
    """An architecture's peak figures and area (``imcsim arch``), no model needed."""
    from imcsim.report import arch_report, provenance, render_arch
    from imcsim.sim import peak as peak_figures

    arch_obj = load_arch(arch, set)
    data = arch_report(arch_obj, peak_figures(arch_obj))
    data["imcsim"] = provenance(arch_obj, (_arch_file(arch),))
    return Report("arch", data, lambda console, **kw: render_arch(data, console, **kw),
                  inputs=(_arch_file(arch),))


class AccuracyReport(Report):
    """The report of :func:`accuracy`, plus its arrays: :meth:`outputs` and
    :meth:`save_outputs` (the CLI's ``--outputs``)."""

    __slots__ = ("_result",)

    def __init__(self, data: dict[str, Any], render: Callable[..., None],
                 warnings: Sequence[str], inputs: Sequence[str | None], result: Any) -> None:
        super().__init__("accuracy", data, render, warnings, inputs)
        self._result = result

    def outputs(self) -> dict[str, Any]:
        """NumPy arrays: ``inputs`` (``inputs_<name>`` for several), ``hw`` and ``float``
        (the first output), and where known ``labels`` and ``index`` (each sample's position
        in the data)."""
        from imcsim.accuracy_report import output_arrays

        return output_arrays(self._result)

    def save_outputs(self, path: str | os.PathLike[str]) -> None:
        """:meth:`outputs` as an .npz (atomically; never onto a file the run read)."""
        from imcsim.accuracy_report import write_outputs
        from imcsim.report import check_json_target

        check_json_target(str(path), "--outputs", inputs=self.inputs)
        write_outputs(self._result, str(path))

    def to_dataframe(self) -> Any:
        """The per-layer error rows as a pandas DataFrame; pandas is optional."""
        try:
            import pandas as pd
        except ImportError:
            raise ImcsimError("pandas is not installed: pip install 'imcsim[pandas]', or use "
                              "report.layers (a list of dicts)") from None
        return pd.DataFrame(self._data["layers"])


def accuracy(model: str | os.PathLike[str] | Network, arch: str | os.PathLike[str] | Arch =
             "rram_128", *, data: Any = None, dataset: str | None = None, set: Overrides = None,
             samples: int | None = None, seed: int = 0, batch_size: int = 32,
             ideal: bool = False, layers: str | Sequence[str] | None = None,
             resize: int | None = None, mean: Sequence[float] | None = None,
             std: Sequence[float] | None = None, workers: int | None = None,
             scheduler: str | None = None, kernel: str = "auto") -> AccuracyReport:
    """Run ``model`` on the simulated crossbars of ``arch`` and on float, and compare: the
    report ``imcsim accuracy`` prints (top-1 and top-5 against labels, top-1 agreement with
    float, output error, per-layer error).

    ``data``: your own data — a path (.npz with ``x`` and optional ``y``, .npy, a folder of
    PNG/JPEG images with one sub-folder per class), an array ``x``, ``(x, y)``, or an
    iterable of ``(x, y)`` batches (a torch DataLoader works); see
    :mod:`imcsim.functional.userdata`. Or ``dataset``: ``digits`` | ``random`` (the default
    without ``data``). ``samples`` (default: all of ``data``, the 359 digits test images, or
    16 random) are drawn with ``seed``, which also seeds programming, faults and reads.
    ``resize``, ``mean``, ``std``: an image folder's preprocessing. ``layers``: only these
    crossbar layers on hardware (names, or one comma-separated string). A network from
    :func:`load_model` is re-read from its file (the run sets its batch to ``batch_size``
    and keeps its views). ``workers``: run the batches in that many local processes;
    ``scheduler``: on the Dask cluster at this address (``tcp://HOST:PORT``, the
    ``imcsim[dask]`` extra) — either way the numbers of one process, for the same seed.
    ``kernel``: how partial sums are computed — ``auto`` (one integer product where no
    conversion can clip or round, popcounts of packed bits where inputs enter 1 bit at a
    time and cells hold exact levels, else float GEMMs), ``float`` or ``bitplane``: the
    same results (read noise excepted, which may move a rare conversion by one code), at
    different speeds; each layer's ``path`` says which ran."""
    from imcsim.accuracy_report import accuracy_report, render_accuracy
    from imcsim.compiler.frontend import import_onnx
    from imcsim.compiler.passes import canonicalize
    from imcsim.functional import datasets, userdata
    from imcsim.functional.accuracy import evaluate, hardware_warnings, output_classes
    from imcsim.report import provenance

    if isinstance(dataset, str) and dataset.endswith(".npz") and data is None:
        data, dataset = dataset, None  # --dataset FILE.npz: the same as --data FILE.npz
    if data is not None and dataset is not None:
        raise ImcsimError("accuracy: give data (your own) or dataset (digits | random), not both")
    if isinstance(data, str) and data in datasets.DATASETS and not os.path.exists(data):
        raise ImcsimError(f"data={data!r}: a built-in data set; pass dataset={data!r} "
                          f"(--dataset {data})")
    if dataset is not None and dataset not in datasets.DATASETS:
        raise ImcsimError(f"--dataset {dataset}: unknown data set; choose one of "
                          f"{', '.join(datasets.DATASETS)}, or give your own with --data FILE")
    preprocess = None
    if any(v is not None for v in (resize, mean, std)):
        if data is None:
            raise ImcsimError("--resize, --mean and --std apply to --data FOLDER (images)")
        preprocess = userdata.Preprocess(resize, tuple(mean) if mean is not None else None,
                                         tuple(std) if std is not None else None)
    if workers is not None and scheduler is not None:
        raise ImcsimError("accuracy: give workers (local processes) or scheduler (a Dask "
                          "cluster), not both")
    from imcsim.functional.crossbar import KERNELS

    if kernel not in KERNELS:
        raise ImcsimError(f"--kernel {kernel}: choose one of {', '.join(KERNELS)}")
    for option, value in (("--samples", samples), ("--batch-size", batch_size),
                          ("--workers", workers)):
        if value is not None and value < 1:
            raise ImcsimError(f"{option} {value}: must be ≥ 1")
    arch_obj = load_arch(arch, set)
    if isinstance(model, str | os.PathLike):
        path = str(model)
    elif model.source is None:
        raise ImcsimError("accuracy: the network has no file; pass its path or a network from "
                          "load_model")
    else:
        path = model.source
    net = import_onnx(path)
    source: str | userdata.Data = dataset or "random"
    preprocessed = None
    if data is not None:
        source = userdata.load(data, net.inputs, net.input_dtypes, output_classes(net), samples,
                               seed, preprocess)
        count, label, preprocessed = source.samples, source.label, source.preprocess
    else:
        count = samples or (len(datasets.digits_split()[3]) if source == "digits" else 16)
        label = str(source)
    if net.batch_symbolic:
        net = import_onnx(path, batch=min(batch_size, count))
    net = canonicalize(net, drop_views=False)
    if isinstance(layers, str):
        layers = [s.strip() for s in layers.split(",") if s.strip()]
    result = evaluate(net, arch_obj, source, count, seed, ideal=ideal,
                      hw_layers=list(layers) if layers else None, workers=workers,
                      scheduler=scheduler, kernel=kernel)
    report = accuracy_report(net.name, net.batch, arch_obj, result, label, ideal, preprocessed)
    files = (path, _arch_file(arch), data if isinstance(data, str | os.PathLike) else None)
    report["imcsim"] = provenance(arch_obj, files, seed)
    return AccuracyReport(report, lambda console, **kw: render_accuracy(report, console, **kw),
                          hardware_warnings(arch_obj), files, result)


def _arch_file(arch: Any) -> str | None:
    """The config file ``arch`` names (None for a preset or a built Arch)."""
    from imcsim import config

    if isinstance(arch, config.Arch):
        return None
    path = config.resolve(arch)[1]
    return str(path) if path is not None else None


# ---------------------------------------------------------------- sparse matrices


def _matrix(matrix: Any) -> tuple[Any, str, str | None]:
    """(CSR matrix, name for the report, file read or None)."""
    from imcsim.compiler.sparse import load_matrix
    from imcsim.compiler.sparse.io import as_csr

    if isinstance(matrix, str | os.PathLike):
        return load_matrix(matrix), os.path.splitext(os.path.basename(matrix))[0], str(matrix)
    return as_csr(matrix), "matrix", None


def sparse(matrix: Any, arch: str | os.PathLike[str] | Arch = "rram_128", *,
           set: Overrides = None, strategy: str = "all", seed: int = 0,
           error: bool = True) -> Report:
    """Map a sparse matrix (a Matrix Market/.npz/.npy path, a scipy.sparse matrix or a 2-D
    array) with one strategy or ``"all"`` (``imcsim sparse``): per strategy the arrays,
    utilisation, SpMV energy and latency, and (``error``) the SpMV error on the simulated
    hardware."""
    from imcsim.compiler.sparse import STRATEGIES
    from imcsim.progress import Steps
    from imcsim.report import provenance
    from imcsim.spmv import evaluate_strategy, render_sparse, sparse_report

    names = list(STRATEGIES) if strategy == "all" else [strategy]
    if any(n not in STRATEGIES for n in names):
        raise ImcsimError(f"--strategy {strategy}: choose one of {', '.join(STRATEGIES)} or all")
    arch_obj = load_arch(arch, set)
    a, name, path = _matrix(matrix)
    results = []
    with Steps("sparse", total=len(names), unit="strategies") as bar:
        for n in names:
            results.append(evaluate_strategy(a, arch_obj, n, seed, error=error))
            bar.advance(1, n)
    data = sparse_report(name, a, arch_obj, results, seed)
    files = (path, _arch_file(arch))
    data["imcsim"] = provenance(arch_obj, files, seed)
    return Report("sparse", data, lambda console, **kw: render_sparse(data, console), (), files)


class SolveReport(Report):
    """The report of :func:`solve` or :func:`pagerank`, plus the solution ``x`` (NumPy;
    None for ``bitslice``) and ``converged``."""

    __slots__ = ("x",)

    def __init__(self, kind: str, data: dict[str, Any], warnings: Sequence[str],
                 inputs: Sequence[str | None], x: Any) -> None:
        from imcsim.solve_report import render_solve

        super().__init__(kind, data, lambda console, **kw: render_solve(data, console),
                         warnings, inputs)
        self.x = x

    @property
    def ok(self) -> bool:
        """Converged (a bitslice sweep always is): the CLI's exit code 0."""
        return bool(self._data.get("converged", True))


METHODS = ("refine", "gmres-ir", "one-step", "bitslice")
MAX_ITER = 100_000  # each outer step costs an inner Krylov solve: bounded, plus --time-limit
MAX_INNER = 1_000  # GMRES keeps this many vectors of the matrix size


def solve(matrix: Any, b: Any = None, arch: str | os.PathLike[str] | Arch = "rram_128", *,
          set: Overrides = None, method: str = "refine", tol: float = 1e-6,
          max_iter: int = 100, inner: int = 20, time_limit_s: float = 600.0,
          scale: bool = True, slices: int | None = None, seed: int = 0) -> SolveReport:
    """Solve A·x = b on analog crossbars (``imcsim solve``). ``b``: a vector, a .npy path,
    or None for A·1 (exact solution 1). ``method``: refine (mixed-precision refinement),
    gmres-ir, one-step (the feedback circuit) or bitslice (the SpMV error against the
    number of slices, up to ``slices``). The report's ``x`` is the solution."""
    import numpy as np

    from imcsim import solvers
    from imcsim.progress import Steps
    from imcsim.report import provenance
    from imcsim.solve_report import bitslice_report, check_rhs, load_rhs

    if method not in METHODS:
        raise ImcsimError(f"--method {method}: choose refine, gmres-ir, one-step or bitslice")
    arch_obj = load_arch(arch, set)
    max_slices = -(-32 // arch_obj.array.cell_bits)  # 32-bit values: more slices add nothing
    if slices is not None and method != "bitslice":
        raise ImcsimError(f"--slices applies to --method bitslice only, not {method}")
    slices = min(8, max_slices) if slices is None else slices
    for option, value, most in (("--max-iter", max_iter, MAX_ITER), ("--inner", inner, MAX_INNER),
                                ("--slices", slices, max_slices)):
        if not 1 <= value <= most:
            raise ImcsimError(f"{option} {value}: must be in 1–{most:,}"
                              + (f" (32-bit values of {arch_obj.array.cell_bits}-bit cells)"
                                 if option == "--slices" else ""))
    if not 0 < tol < 1:
        raise ImcsimError(f"--tol {tol}: must be in (0, 1)")
    if not 0 < time_limit_s <= 1e6:
        raise ImcsimError(f"--time-limit {time_limit_s}: must be in (0, 1e6] seconds")
    a, name, path = _matrix(matrix)
    rhs_file = str(b) if isinstance(b, str | os.PathLike) else None
    files = (path, _arch_file(arch), rhs_file)
    if method == "bitslice":
        rows = solvers.slice_sweep(a, arch_obj, slices, seed=seed)
        data = bitslice_report(name, a, arch_obj, rows)
        data["imcsim"] = provenance(arch_obj, files, seed)
        return SolveReport("solve", data, (), files, None)
    from imcsim.compiler.sparse import require_square

    require_square(a, name, f"--method {method}")
    if rhs_file is not None:
        vec, rhs_note = load_rhs(rhs_file, a.shape[0]), f"b from {rhs_file}"
    elif b is not None:
        vec, rhs_note = check_rhs(b, a.shape[0]), "b given"
    else:
        vec, rhs_note = a @ np.ones(a.shape[1]), "b = A·1 (exact solution x = 1)"
    if method in ("refine", "gmres-ir"):
        run = solvers.refine if method == "refine" else solvers.gmres_ir
        with Steps(method, total=max_iter, unit="steps") as bar:
            result = run(a, vec, arch_obj, tol=tol, max_iter=max_iter, inner=inner, seed=seed,
                         scale=scale, time_limit_s=time_limit_s,
                         on_step=lambda k, r: bar.advance(1 if k else 0, f"residual {r:.2e}"))
    else:
        result = solvers.one_step(a, vec, arch_obj, seed=seed, scale=scale, tol=tol)
    return _solved("solve", name, a, arch_obj, result, rhs_note, seed, files)


def pagerank(matrix: Any, arch: str | os.PathLike[str] | Arch = "rram_128", *,
             set: Overrides = None, damping: float = 0.85, tol: float = 1e-6,
             seed: int = 0) -> SolveReport:
    """PageRank of a graph (adjacency matrix: A[i, j] ≠ 0 is an edge i → j) on the one-step
    analog circuit (``imcsim pagerank``); ``x`` is the PageRank vector."""
    from imcsim import solvers

    if not 0 < damping < 1:
        raise ImcsimError(f"--damping {damping}: must be in (0, 1)")
    if not 0 < tol < 1:
        raise ImcsimError(f"--tol {tol}: must be in (0, 1)")
    arch_obj = load_arch(arch, set)
    a, name, path = _matrix(matrix)
    result = solvers.pagerank(a, arch_obj, damping=damping, seed=seed, tol=tol)
    return _solved("pagerank", name, a, arch_obj, result,
                   "PageRank: (I − d·P)·x = (1 − d)/n·1", seed, (path, _arch_file(arch)))


def _solved(kind: str, name: str, a: Any, arch: Arch, result: Any, rhs_note: str, seed: int,
            files: Sequence[str | None]) -> SolveReport:
    from imcsim.report import provenance
    from imcsim.solve_report import solve_report

    data = solve_report(name, a, arch, result, rhs_note, seed)
    data["imcsim"] = provenance(arch, files, seed)
    warnings = [f"did not converge: {result.reason}"] if result.reason else []
    return SolveReport(kind, data, warnings, files, result.x)


# ---------------------------------------------------------------- comparison


class CompareReport(Report):
    """The report of :func:`compare`, plus :meth:`to_html` (the CLI's ``--html``)."""

    __slots__ = ()

    def __init__(self, data: dict[str, Any], warnings: Sequence[str],
                 inputs: Sequence[str | None]) -> None:
        from imcsim.comparison.table import render_compare

        super().__init__("compare", data, lambda console, **kw: render_compare(data, console),
                         warnings, inputs)

    def to_html(self, path: str | os.PathLike[str] | None = None,
                command: Sequence[str] | None = None) -> str:
        """One self-contained page (opens offline): the table with the best of each row
        highlighted, and per model the crossbar layers' energy on each architecture. Also
        written to ``path`` (atomically, never onto a file the report was made from)."""
        from imcsim.comparison.html import page
        from imcsim.report import atomic_write, check_json_target

        text = page(self._data, command)

        def write(f: BinaryIO) -> None:
            f.write(text.encode("utf-8"))

        if path is not None:
            check_json_target(str(path), "to_html", inputs=self.inputs)
            atomic_write(str(path), write, "to_html")
        return text

    def to_dataframe(self) -> Any:
        """The table as a pandas DataFrame: one row per metric (its key), one column per
        model × architecture; pandas is optional."""
        try:
            import pandas as pd
        except ImportError:
            raise ImcsimError("pandas is not installed: pip install 'imcsim[pandas]', or use "
                              "report.metrics (a list of dicts)") from None
        columns = [c["label"] for c in self._data["columns"]]
        return pd.DataFrame([m["values"] for m in self._data["metrics"]], columns=columns,
                            index=[m["key"] for m in self._data["metrics"]])


def compare(models: str | os.PathLike[str] | Network | Sequence[str | os.PathLike[str] | Network],
            archs: str | os.PathLike[str] | Arch | Sequence[str | os.PathLike[str] | Arch] =
            "rram_128", *, set: Overrides = None, duplication: str | int = "auto",
            batch: int | None = None, allow_unknown_ops: bool = False,
            accuracy: bool | Mapping[str, Any] | None = None) -> CompareReport:
    """Every model on every architecture, side by side (``imcsim compare``): one column per
    combination, one row per metric, the best of each row named. Each model is loaded
    once and each architecture once with the overrides ``set`` (applied to every one);
    each combination is :func:`compile` (and, with ``accuracy``, :func:`accuracy`: True
    for its defaults, or a mapping of ``dataset``, ``samples``, ``seed``, ``batch_size``),
    so its values are those ``imcsim compile`` reports. A combination that cannot be
    computed (an architecture lacking a unit the model needs) is a column of missing
    values with its reason, not an error."""
    from imcsim.comparison import inputs as given
    from imcsim.comparison.table import MISSING, compare_data, failures
    from imcsim.compiler.mapping import parse_duplication
    from imcsim.progress import Steps
    from imcsim.report import config_dict, provenance

    model_list, arch_list = given.as_list(models, "model"), given.as_list(archs, "arch")
    given.check_count(len(model_list), len(arch_list))
    parse_duplication(str(duplication))
    options = given.accuracy_options(accuracy)
    arch_labels = given.labels([_arch_label(a, i) for i, a in enumerate(arch_list)], "--arch")
    arch_objs = [load_arch(a, set) for a in arch_list]  # every config checked before a model
    nets = []
    for m in model_list:
        if isinstance(m, str | os.PathLike):
            nets.append(load_model(m, batch=batch, allow_unknown_ops=allow_unknown_ops))
        elif batch is not None or allow_unknown_ops:
            raise ImcsimError("compare: batch and allow_unknown_ops apply when loading; pass "
                              "them to load_model")
        else:
            nets.append(m)
    model_labels = given.labels([(n.name, n.source or n.name,
                                  given.file_identity(n.source, f"model #{i}"))
                                 for i, n in enumerate(nets)], "model")
    columns = []
    with Steps("compare", total=len(nets) * len(arch_objs), unit="combinations") as bar:
        for net, model in zip(nets, model_labels, strict=True):
            for arch_obj, label in zip(arch_objs, arch_labels, strict=True):
                columns.append(_combination(net, model, arch_obj, label, duplication, options))
                bar.advance(1, columns[-1].label)
    overrides = ([f"{k}={v}" for k, v in set.items()] if isinstance(set, Mapping)
                 else [str(s) for s in set or ()])
    data = compare_data(
        [{"name": label, "path": n.source, "batch": n.batch}
         for n, label in zip(nets, model_labels, strict=True)],
        [{"label": label, "name": a.name, "source": a.source, "config": config_dict(a)}
         for a, label in zip(arch_objs, arch_labels, strict=True)],
        columns, overrides, str(duplication), options.to_json() if options else None)
    dataset = options.dataset if options else None
    files = [*(n.source for n in nets), *(_arch_file(a) for a in arch_list),
             dataset if dataset and dataset.endswith(".npz") else None]
    data["imcsim"] = provenance(None, files, options.seed if options else None)
    warnings = [w for c in columns for w in c.warnings] + [
        line.removeprefix(f"{MISSING} ") for line in failures(data)]
    return CompareReport(data, list(dict.fromkeys(warnings)), files)


def _arch_label(arch: Any, index: int) -> tuple[str, str, str]:
    """(short label, full label, identity) of an architecture given to :func:`compare`:
    a preset's name, a file's stem (its path where stems clash; one file given twice is
    refused), a built Arch's name."""
    from imcsim import config
    from imcsim.comparison.inputs import file_identity

    if isinstance(arch, config.Arch):
        return arch.name, arch.name, f"arch #{index}"
    name, path = config.resolve(arch)
    if path is None:
        return name, name, name
    return path.stem, name, file_identity(str(path), name)


def _combination(net: Network, model: str, arch: Arch, label: str, duplication: str | int,
                 options: Any) -> Any:
    """One column: :func:`compile` (and :func:`accuracy`) of ``net`` on ``arch``, or the
    one-line reason it could not be computed."""
    from imcsim.comparison.table import Column

    def failed(e: Exception) -> str:
        if isinstance(e, ArithmeticError):  # as the CLI words it
            return (f"arithmetic failed ({e.__class__.__name__}: {e}); a config value or --set "
                    "is probably extreme, use realistic values")
        return str(e)

    try:
        compiled = compile(net, arch, duplication=duplication)
    except (ImcsimError, ArithmeticError) as e:
        return Column(model, label, None, reason=failed(e))
    warnings = [f"{model} @ {label}: {w}" for w in compiled.warnings]
    if options is None:
        return Column(model, label, compiled._data, warnings=tuple(warnings))
    try:
        measured = accuracy(net, arch, dataset=options.dataset, samples=options.samples,
                            seed=options.seed, batch_size=options.batch_size)
    except (ImcsimError, ArithmeticError) as e:
        return Column(model, label, compiled._data, reason=failed(e), warnings=tuple(warnings))
    warnings += [f"{model} @ {label}: {w}" for w in measured.warnings]
    return Column(model, label, compiled._data, measured._data, warnings=tuple(warnings))
