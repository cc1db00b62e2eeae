"""The Python API: what the CLI does, as functions that return report objects.

    import imcsim
    arch = imcsim.load_arch("rram_128", set={"adc.bits": 6})
    net = imcsim.load_model("models/resnet18.onnx")
    rep = imcsim.compile(net, arch)
    rep.energy.tops_per_w, rep.layers, rep.to_json(), rep.to_dataframe()
    imcsim.peak(arch).performance.peak_tops
    imcsim.accuracy(net, arch, data=(x, y)).accuracy.hw_top1

The CLI's ``compile``, ``arch`` and ``accuracy`` commands are these functions plus
printing: one code path. A report is a read-only mapping of the JSON report's sections
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
from typing import TYPE_CHECKING, Any

from imcsim.errors import ImcsimError

if TYPE_CHECKING:
    from compiler.ir import Network
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
    from compiler.frontend import import_onnx
    from compiler.passes import canonicalize

    if batch is not None and not 1 <= batch <= MAX_BATCH:
        raise ImcsimError(f"--batch {batch}: must be in 1–{MAX_BATCH:,}")
    return canonicalize(import_onnx(path, batch=batch, allow_unknown_ops=allow_unknown_ops))


# ---------------------------------------------------------------- commands


def compile(model: str | os.PathLike[str] | Network, arch: str | os.PathLike[str] | Arch =
            "rram_128", *, set: Overrides = None, duplication: str | int = "auto",
            batch: int | None = None, allow_unknown_ops: bool = False,
            activity_from: str | None = None, samples: int = 8, seed: int = 0) -> Report:
    """Map ``model`` onto ``arch`` and simulate its cost: the report ``imcsim compile``
    prints (``--json``'s sections). ``activity_from`` (digits | random | FILE.npz) measures
    the data's activity on ``samples`` inputs first."""
    from compiler.mapping import map_network, parse_duplication
    from imcsim.cost import build_components
    from imcsim.report import compile_report, provenance, render_compile
    from imcsim.sim import count_actions, simulate
    from imcsim.sim.analytical import check_units

    dup = parse_duplication(str(duplication))
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
    data = compile_report(net, mapping, sim, arch_obj)
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
             std: Sequence[float] | None = None) -> AccuracyReport:
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
    and keeps its views)."""
    from compiler.frontend import import_onnx
    from compiler.passes import canonicalize
    from imcsim.accuracy_report import accuracy_report, render_accuracy
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
    for option, value in (("--samples", samples), ("--batch-size", batch_size)):
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
                      hw_layers=list(layers) if layers else None)
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
