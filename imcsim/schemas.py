"""JSON Schemas (draft 2020-12) of the architecture config and of every JSON output.

The ``config`` schema is generated from the dataclasses of :mod:`imcsim.config`: types,
enums, defaults, units (in each description) and bounds (``gt`` → ``exclusiveMinimum``,
``ge`` → ``minimum``, ``le`` → ``maximum``) come from the fields themselves, so the schema
cannot drift from the loader. What a schema cannot say — r_off above r_on, cell bits at
most the weight bits and the other relations between fields (``config.cross_checks``),
a float that YAML 1.1 reads as text (``1e-8``) — the loader still checks or accepts.

The output schemas (``compile``, ``arch``, ``accuracy``, ``sparse``, ``solve``,
``pagerank``, ``compare``) follow the documented reports (:mod:`imcsim.report`,
:mod:`imcsim.accuracy_report`, :func:`imcsim.spmv.sparse_report`, the solve report of
:mod:`imcsim.cli`, :mod:`imcsim.comparison`). Each holds the ``imcsim`` provenance block,
whose ``config`` is the resolved configuration (the config schema with every key present;
``compare`` has one per architecture, in ``archs``), and reuses the config
fields' schemas where a report repeats a config value. Every schema's ``$id`` carries
:data:`imcsim.report.SCHEMA_VERSION`, and every output's ``imcsim.schema_version`` must
equal it.

``imcsim schema --json-schema NAME`` prints one; :func:`schema` returns it.
"""

from __future__ import annotations

import copy
import dataclasses
import typing
from enum import Enum
from typing import Any

NAMES = ("config", "compile", "arch", "accuracy", "sparse", "solve", "pagerank", "compare",
         "app")
DIALECT = "https://json-schema.org/draft/2020-12/schema"

Schema = dict[str, Any]


def schema_id(name: str) -> str:
    from imcsim.report import SCHEMA_VERSION

    return f"urn:imcsim:schema:{name}:v{SCHEMA_VERSION}"


def schema(name: str) -> Schema:
    """The JSON Schema of the config (``config``) or of a command's JSON output."""
    builders = {"config": _config, "compile": _compile, "arch": _arch, "accuracy": _accuracy,
                "sparse": _sparse, "solve": _solve, "pagerank": _pagerank, "compare": _compare,
                "app": _app}
    if name not in builders:
        raise ValueError(f"no JSON Schema named {name!r}; choose one of {', '.join(NAMES)}")
    body = builders[name]()
    return {"$schema": DIALECT, "$id": schema_id(name), **body}


# ---------------------------------------------------------------- config (generated)


# A float written as YAML 1.1 reads it as text (1.0e9, 1e-8: an exponent without a sign):
# the loader converts it, so a config file may hold it; its bounds are then the loader's.
_FLOAT_TEXT = r"^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$"


def _scalar(owner: str, f: dataclasses.Field[Any], tp: Any, float_text: bool) -> Schema:
    """A config field's schema from its type and metadata (doc, unit, gt/ge/le, default);
    ``float_text``: a float may also be the text of a number (see :data:`_FLOAT_TEXT`)."""
    from imcsim.config import _optional

    nullable = _optional(tp)
    if nullable:
        tp = next(a for a in typing.get_args(tp) if a is not type(None))
    out: Schema
    if isinstance(tp, type) and issubclass(tp, Enum):
        out = {"type": "string", "enum": [e.value for e in tp]}
    elif tp is bool:
        out = {"type": "boolean"}
    elif tp is int:
        out = {"type": "integer"}
    elif tp is float:
        out = {"type": ["number", "string"], "pattern": _FLOAT_TEXT} if float_text else {
            "type": "number"}
    elif tp is str:
        out = {"type": "string"}
    else:  # a new kind of field needs a rule here, not a silent pass
        raise TypeError(f"{owner}.{f.name}: no JSON Schema type for {tp!r}")
    meta = f.metadata
    for key, keyword in (("gt", "exclusiveMinimum"), ("ge", "minimum"), ("le", "maximum")):
        if meta.get(key) is not None:
            out[keyword] = meta[key]
    doc, unit = meta.get("doc", ""), meta.get("unit", "")
    if doc or unit:
        out["description"] = f"{doc} [{unit}]" if unit else doc
    if f.default is not dataclasses.MISSING:
        out["default"] = f.default.value if isinstance(f.default, Enum) else f.default
    if nullable:
        kinds = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = [*kinds, "null"]
        if "enum" in out:
            out["enum"].append(None)
    return out


def _config_defs(resolved: bool) -> dict[str, Schema]:
    """One ``$defs`` entry per config dataclass. ``resolved``: the configuration after
    loading (every key present, no empty sections), as the outputs' provenance holds it;
    otherwise what a config file may hold (keys with defaults optional, a section may be
    empty)."""
    from imcsim.config import COMPONENTS, Arch, Override

    defs: dict[str, Schema] = {}

    def section(cls: Any) -> None:
        if cls.__name__ in defs:
            return
        defs[cls.__name__] = {}  # claimed: a section that recurs is built once
        hints = typing.get_type_hints(cls)
        props: dict[str, Schema] = {}
        for f in dataclasses.fields(cls):
            if f.name == "source":  # where the config came from: not a config key
                continue
            tp, doc = hints[f.name], f.metadata.get("doc", "")
            if dataclasses.is_dataclass(tp):
                section(tp)
                props[f.name] = {"$ref": f"#/$defs/{tp.__name__}"}
            elif typing.get_origin(tp) is dict:
                key, value = typing.get_args(tp)
                if key is not str or value is not Override:
                    raise TypeError(f"{cls.__name__}.{f.name}: no JSON Schema rule for {tp!r}")
                section(Override)
                props[f.name] = {
                    "type": "object" if resolved else ["object", "null"], "description": doc,
                    "properties": {c: {"$ref": "#/$defs/Override"} for c in COMPONENTS},
                    "additionalProperties": False}
            else:
                props[f.name] = _scalar(cls.__name__, f, tp, float_text=not resolved)
        required = [f.name for f in dataclasses.fields(cls) if f.name in props and (
            resolved or (f.default is dataclasses.MISSING
                         and f.default_factory is dataclasses.MISSING))]
        root = cls is Arch
        body: Schema = {"type": "object" if resolved or root else ["object", "null"]}
        doc = cls.__doc__ or ""
        if doc and not doc.startswith(f"{cls.__name__}("):  # not dataclass's generated one
            body["description"] = " ".join(doc.split())
        elif not root and not resolved:
            body["description"] = "empty or absent: every default"
        body.update({"properties": props, "additionalProperties": False})
        if required:
            body["required"] = required
        defs[cls.__name__] = body

    section(Arch)
    return defs


def _config() -> Schema:
    return {
        "title": "imcsim architecture config",
        "description": "An architecture file (YAML, read with yaml.safe_load) or the resolved "
                       "configuration of an output's provenance. Units are in brackets in "
                       "each description; `imcsim schema` lists the same fields. The loader "
                       "also checks the relations between fields (e.g. array.r_off_ohm > "
                       "array.r_on_ohm, array.cell_bits ≤ precision.weight_bits). A float "
                       "may be the text of a number: YAML 1.1 (PyYAML) reads 1.0e9 and 1e-8 "
                       "as text, which the loader converts and then checks against the "
                       "bounds.",
        "$ref": "#/$defs/Arch",
        "$defs": _config_defs(resolved=False),
    }


# ---------------------------------------------------------------- outputs (written here)


def _obj(props: dict[str, Schema], *, optional: typing.Iterable[str] = (),
         description: str = "") -> Schema:
    """An object with exactly these keys (all required unless ``optional``)."""
    skip = set(optional)
    out: Schema = {"type": "object"}
    if description:
        out["description"] = description
    out.update({"properties": props, "required": [k for k in props if k not in skip],
                "additionalProperties": False})
    return out


def _num(description: str = "", *, minimum: float | None = 0, exclusive: bool = False,
         maximum: float | None = None, null: bool = False, integer: bool = False) -> Schema:
    """A number (≥ 0 unless ``minimum`` says otherwise)."""
    kind = "integer" if integer else "number"
    out: Schema = {"type": [kind, "null"] if null else kind}
    if minimum is not None:
        out["exclusiveMinimum" if exclusive else "minimum"] = minimum
    if maximum is not None:
        out["maximum"] = maximum
    if description:
        out["description"] = description
    return out


def _int(description: str = "", *, minimum: int | None = 0, maximum: int | None = None) -> Schema:
    return _num(description, minimum=minimum, maximum=maximum, integer=True)


def _frac(description: str = "", *, null: bool = False) -> Schema:
    return _num(description, minimum=0, maximum=1, null=null)


def _text(description: str = "") -> Schema:
    return {"type": "string", "description": description} if description else {"type": "string"}


def _enum(values: typing.Iterable[Any], description: str = "") -> Schema:
    out: Schema = {"type": "string", "enum": list(values)}
    if description:
        out["description"] = description
    return out


def _flag(description: str = "") -> Schema:
    return {"type": "boolean", "description": description} if description else {"type": "boolean"}


def _array(items: Schema, description: str = "", min_items: int = 0) -> Schema:
    out: Schema = {"type": "array", "items": items}
    if min_items:
        out["minItems"] = min_items
    if description:
        out["description"] = description
    return out


def _breakdown(unit: str) -> Schema:
    """Component → value: the keys are the config's component names."""
    from imcsim.config import COMPONENTS

    return {"type": "object", "description": f"component → {unit}",
            "propertyNames": {"enum": list(COMPONENTS)}, "additionalProperties": _num()}


def _field(section: str, name: str, description: str = "") -> Schema:
    """The schema of config field ``section.name`` (its type, enum and bounds)."""
    defs = _config_defs(resolved=True)
    cls = {"technology": "Technology", "array": "Array", "precision": "Precision",
           "adc": "Adc", "readout": "Readout"}[section]
    out = copy.deepcopy(defs[cls]["properties"][name])
    out.pop("default", None)
    out["description"] = description or f"config {section}.{name}: {out.get('description', '')}"
    return out


def _provenance(seed: str) -> Schema:
    """The ``imcsim`` block (:func:`imcsim.report.provenance`); ``seed``: integer | null |
    either, as the command sets it."""
    from imcsim.report import SCHEMA_VERSION

    seed_schema = {"integer": _int(), "null": {"type": "null"},
                   "either": _num(null=True, integer=True)}[seed]
    if seed != "null":
        seed_schema["maximum"] = 2**63 - 1
    seed_schema["description"] = "the run's seed (null: the command draws nothing)"
    return _obj({
        "version": _text("imcsim version"),
        "schema_version": {"const": SCHEMA_VERSION,
                           "description": "version of the output's structure"},
        "command": _array(_text(), "the command line, from 'imcsim' on", min_items=1),
        "seed": seed_schema,
        "inputs": _array(_obj({
            "path": _text(), "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "bytes": _int()}), "every file the run read"),
        "config": {"$ref": "#/$defs/Arch",
                   "description": "the configuration resolved after every --set"},
    }, optional=("command",), description="what reproduces the result ('command' is absent "
                                          "when the report was made through the Python API)")


def _output(title: str, props: dict[str, Schema], seed: str, optional: typing.Iterable[str] = (),
            **extra: Any) -> Schema:
    """An output document: ``props`` and the provenance block, the resolved config in $defs."""
    body = _obj({**props, "imcsim": _provenance(seed)}, optional=optional)
    return {"title": title, **body, **extra, "$defs": _config_defs(resolved=True)}


def _arch_summary() -> dict[str, Schema]:
    """The ``arch`` block of compile, arch and accuracy (``imcsim.report._arch_block``)."""
    from imcsim.compiler.mapping import SignedScheme

    return {
        "name": _text("design name"), "source": _text("preset name or file"),
        "adc_model": _text("ADC cost model and its source"),
        "adc_bits": _field("adc", "bits"),
        "adc_design_bits": _int("resolution the ADC is built for", minimum=1, maximum=16),
        "adcs_per_array": _num("ADCs per array (fractional when arrays share one)",
                               exclusive=True),
        "readout": _text("readout style and sensing, in words"),
        "rows_per_read": _field("array", "rows_per_read"), "rows": _field("array", "rows"),
        "cols": _field("array", "cols"), "cell_bits": _field("array", "cell_bits"),
        "weight_bits": _field("precision", "weight_bits"),
        "input_bits": _field("precision", "input_bits"),
        "signed_scheme": _enum(e.value for e in SignedScheme),
    }


def _compile() -> Schema:
    from imcsim.compiler.ir import LayerKind

    per_inf = "per inference"
    return _output("imcsim compile --json", {
        "model": _obj({
            "name": _text(), "macs": _num(f"MACs mapped to crossbars, {per_inf}"),
            "weights": _int("crossbar weight elements"),
            "parameters": _int("all trained parameters incl. biases and norms"),
            "digital_ops": _num(f"digital unit ops + digital MACs, {per_inf}"),
            "digital_macs": _num(per_inf), "batch": _int("inferences per run", minimum=1),
            "unknown_ops": _array(_text(), "ops counted as zero-cost digital ops"),
        }),
        "arch": _obj(_arch_summary()),
        "mapping": _obj({
            "arrays": _int(), "chips": _int(minimum=1), "cores": _int(),
            "utilization": _frac("cells holding weights / cells allocated"),
            "duplication": _text("duplication mode: auto, none or N"),
            "fits_one_chip": _flag(),
        }),
        "performance": _obj({
            "latency_s": _num("the whole batch through the layer pipeline [s]"),
            "throughput_inf_per_s": _num("batch / slowest stage [1/s]"),
            "tops": _num("achieved: 2 · macs · throughput / 1e12 [TOPS]"),
            "peak_tops": _num("all chips used [TOPS]", exclusive=True),
            "bottleneck": _text("layer name of the slowest stage"),
        }),
        "energy": _obj({
            "total_j": _num(f"{per_inf} [J]"), "tops_per_w": _num("[TOPS/W]"),
            "breakdown": _breakdown(f"J {per_inf}"),
            "activity": _text("where input activity and cell conductances came from"),
            "static_j": _num(f"leakage over the latency, {per_inf} [J]"),
            "io_j": _num(f"model inputs and outputs, {per_inf} [J]"),
        }),
        "area": _obj({"total_mm2": _num("[mm²]", exclusive=True),
                      "breakdown": _breakdown("mm²"), "tops_per_mm2": _num("[TOPS/mm²]")}),
        "adc": _obj({"energy_fraction": _frac(), "area_fraction": _frac()}),
        "layers": _array(_obj({
            "name": _text(), "op": _text("ONNX op ('' for the model I/O and static lines)"),
            "kind": _enum([*(k.value for k in LayerKind), "other"],
                          "other: the 'model I/O' and 'static' lines"),
            "macs": _num(per_inf), "weights": _int(), "arrays": _int(),
            "duplication": _int("copies of the layer's weights"),
            "utilization": _frac("null for digital layers and other lines", null=True),
            "latency_s": _num("stage time for the whole batch [s]"),
            "start_s": _num("[s]"), "finish_s": _num("[s]"),
            "energy_j": _num(f"{per_inf} [J]; all lines add up to energy.total_j"),
            "energy_breakdown": _breakdown(f"J {per_inf}"),
            "cycle": _obj({
                "start_s": _num("first row started [s]"), "end_s": _num("last row done [s]"),
                "busy_s": _num("computing [s]"), "stall_s": _num("waiting, every reason [s]"),
                "stalls": _stalls(),
            }, description="with --cycle: the layer in the cycle-level run"),
        }, optional=("cycle",)), "per layer, then the 'model I/O' and 'static' lines"),
        "cycle": _obj({
            "latency_s": _num("the whole batch, cycle-level [s]"),
            "throughput_inf_per_s": _num("batch / the busiest stage's occupied time [1/s]"),
            "stalls": _stalls(),
            "utilization": _obj({"arrays": _frac("array-seconds computing / (arrays × "
                                                 "latency)"),
                                 "adcs": _frac("conversions × conversion time / (ADCs of "
                                               "the arrays in use × latency)"),
                                 "buses": _frac("bytes over the tile buses / (bus bandwidth "
                                                "of the tiles in use × latency)"),
                                 "chip_links": _frac("time the chip links carry data / "
                                                     "latency (when the model spans chips)"),
                                 "noc_links": _frac("time the mesh links carry data / (links "
                                                    "of the chips in use × latency)"),
                                 "noc_link_peak": _frac("the busiest mesh link's time carrying "
                                                        "data / latency")},
                                optional=("adcs", "chip_links", "noc_links", "noc_link_peak")),
            "events": _int("rows simulated"),
            "buffers": _enum(["finite", "unbounded"]),
            "critical_path": _array(_text(), "layers whose rows set the latency, in order"),
            "analytical_latency_s": _num("performance.latency_s, for comparison [s]"),
            "analytical_throughput_inf_per_s": _num("performance.throughput_inf_per_s [1/s]"),
            "static_j": _num(f"leakage over the cycle-level latency, {per_inf} [J]"),
            "energy_j": _num(f"dynamic energy + static_j, {per_inf} [J]"),
        }, description="with --cycle: the cycle-level run of the same workload"),
    }, seed="either", optional=("cycle",))


def _stalls() -> Schema:
    return _obj({"input_wait": _num("waiting for producer rows, after the first row [s]"),
                 "output_full": _num("a finished row waiting for buffer room [s]"),
                 "chip_link": _num("waiting for input rows to cross the shared chip links "
                                   "[s]"),
                 "noc": _num("waiting for input rows to cross the mesh between tiles [s]"),
                 "bus": _num("waiting for a row's data on the tile buses [s]"),
                 "digital_unit": _num("waiting for a digital unit other layers hold [s]")},
                description="stall time by reason (layer-seconds)")


def _arch() -> Schema:
    from imcsim.cost.components import Level

    return _output("imcsim arch --json", {
        "arch": _obj(_arch_summary()),
        "performance": _obj({"peak_tops": _num("one chip [TOPS]", exclusive=True)}),
        "energy": _obj({"peak_tops_per_w": _num("[TOPS/W]", exclusive=True)}),
        "power": _obj({"total_w": _num("at peak [W]", exclusive=True),
                       "breakdown": _breakdown("W at peak")}),
        "area": _obj({"total_mm2": _num("[mm²]", exclusive=True),
                      "tops_per_mm2": _num("[TOPS/mm²]"), "breakdown": _breakdown("mm²")}),
        "adc": _obj({"power_fraction": _frac("of the chip"), "area_fraction": _frac("of the chip"),
                     "tile_power_fraction": _frac("of the tiles (chip-level components "
                                                  "excluded)"),
                     "tile_area_fraction": _frac("of the tiles")}),
        "array_cycle_s": _num("one array read cycle [s]", exclusive=True),
        "components": {
            "type": "object", "description": "per component: its unit cost and count",
            "propertyNames": _breakdown("")["propertyNames"],
            "additionalProperties": _obj({
                "level": _enum(lv.value for lv in Level), "count": _num("units per level"),
                "action": _text("what one action is"), "energy_pj": _num("per action [pJ]"),
                "area_um2": _num("per unit [µm²]"), "latency_ns": _num("per action [ns]"),
                "static_mw": _num("leakage per unit [mW]"),
            }),
        },
    }, seed="null")


def _accuracy() -> Schema:
    arch = _arch_summary()
    arch["adc_range"] = _field("adc", "range")
    arch["nonideal"] = {"$ref": "#/$defs/NonIdeal", "description": "every non-ideality setting"}
    top1 = "samples whose largest output is their label; null for unlabelled data"
    top5 = ("samples whose label is among the 5 largest outputs; null for unlabelled data or "
            "fewer than 5 outputs")
    return _output("imcsim accuracy --json", {
        "model": _obj({"name": _text(), "batch_size": _int(minimum=1)}),
        "arch": _obj(arch),
        "accuracy": _obj({
            "float_top1": _frac(top1, null=True), "hw_top1": _frac(top1, null=True),
            "float_top5": _frac(top5, null=True), "hw_top5": _frac(top5, null=True),
            "top1_agreement": _frac("samples whose hardware top-1 equals the float top-1"),
            "output_rel_error": _num("mean over samples of ‖hw − float‖/‖float‖"),
            "classes": _int("values of the first output per sample", minimum=1),
            "samples": _int(minimum=1), "seed": _int(maximum=2**63 - 1),
            "dataset": _text("digits, random, the data's path, 'arrays' or 'batches'"),
            "preprocess": {"anyOf": [{"type": "null"}, _obj({
                "resize": _int("shorter side before a centre crop [px]; null: straight to "
                               "the input size", minimum=1) | {"type": ["integer", "null"]},
                "mean": _array(_num(minimum=None), "per channel, on [0, 1] pixels",
                               min_items=1),
                "std": _array(_num(exclusive=True), "per channel", min_items=1),
            })], "description": "an image folder's preprocessing; null otherwise"},
            "ideal": _flag(),
        }),
        "layers": _array(_obj({
            "name": _text(), "op": _text(), "on_hardware": _flag(),
            "output_rel_error": _num("pooled over all samples"),
            "snr_db": _num("null when exact", minimum=None, null=True),
            "path": {"type": ["string", "null"], "pattern": "^(exact|bitplane|float)(\\+(exact|bitplane|float))*$",
                     "description": "how the layer's partial sums were computed: exact (no "
                     "conversion can clip or round and nothing is non-ideal: one integer "
                     "product), bitplane (popcounts of packed bits), float (GEMMs); joined with "
                     "+ when batches differed; null off hardware"},
        }), "layers whose output differs from float"),
    }, seed="integer")


def _matrix(cols: bool) -> Schema:
    props = {"name": _text("file stem"), "rows": _int(minimum=1)}
    if cols:
        props["cols"] = _int(minimum=1)
    props["nnz"] = _int("stored non-zeros")
    return _obj(props)


def _sparse() -> Schema:
    from imcsim.compiler.mapping import SignedScheme
    from imcsim.compiler.sparse import STRATEGIES

    return _output("imcsim sparse --json", {
        "matrix": _matrix(cols=True),
        "arch": _obj({
            "name": _text(), "source": _text(), "adc_model": _text(),
            "adc_bits": _field("adc", "bits"), "adc_range": _field("adc", "range"),
            "value_bits": _field("precision", "weight_bits"),
            "cell_bits": _field("array", "cell_bits"),
            "signed_scheme": _enum(e.value for e in SignedScheme),
        }),
        "seed": _int(maximum=2**63 - 1),
        "strategies": _array(_obj({
            "name": _enum(STRATEGIES), "arrays": _int(), "cells_programmed": _int(),
            "utilization": _frac("non-zeros / value slots of the arrays allocated"),
            "reads_per_spmv": _int("array reads, each input cycle counted"),
            "spmv_latency_s": _num("[s]"), "spmv_energy_j": _num("[J]"),
            "spmv_rel_error": _num("‖ŷ − y‖/‖y‖ for a seeded N(0, 1) input; null when not "
                                   "simulated (see note)", null=True),
            "note": _text(), "energy_breakdown": _breakdown("J per SpMV"),
        }), min_items=1),
    }, seed="integer")


def _app() -> Schema:
    from imcsim.apps import APPS

    quality = "the application's quality metric (quality_metric); null: not a number (∞)"
    return _output("imcsim app --json", {
        "app": _obj({
            "name": _enum(APPS), "quality_metric": _text("what hw and float measure"),
            "hw": _num(f"{quality}, on the simulated hardware", minimum=None, null=True),
            "float": _num(f"{quality}, the same algorithm, data and seed in float",
                          minimum=None, null=True),
            "gap": _num("float − hw; null when either is null", minimum=None, null=True),
            "analog_mvms": _int("matrix–vector products on the arrays"),
            "energy_j": _num("of those products, from the cost model [J]"),
            "time_s": _num("of those products one after another [s]"),
            "arrays": _int("arrays the largest matrix occupies"),
            "details": {"type": "object", "description": "the application's own figures",
                        "additionalProperties": {"type": ["number", "string", "null"]}},
        }),
        "arch": _obj({"name": _text("design name")}),
    }, seed="integer")


def _details(method: str) -> Schema:
    from imcsim.compiler.sparse import STRATEGIES

    krylov = {"inner_solver": _enum(["cg", "gmres"]),
              "inner_iterations": _int("Krylov steps per outer step", minimum=1),
              "jacobi_scaling": _flag(), "strategy": _enum(STRATEGIES),
              "arrays": _int()}
    props = {
        "refine": krylov,
        "gmres-ir": {**krylov, "restart": _int(minimum=1),
                     "digital_spmvs": _int(), "analog_energy_j": _num("[J]"),
                     "digital_energy_j": _num("[J]")},
        "one-step": {"conductance_levels": _int(minimum=1), "opamp_gain": _num(exclusive=True),
                     "jacobi_scaling": _flag(), "arrays": _int(), "settling_reads": _int(),
                     "circuit_stable": _flag()},
        "pagerank": {"damping": _num(exclusive=True, maximum=1), "dangling_nodes": _int(),
                     "circuit_stable": _flag(),
                     "top10_overlap": _int("top-10 nodes shared with the float PageRank",
                                           maximum=10)},
    }[method]
    return _obj(props)


def _solution(methods: typing.Sequence[str]) -> Schema:
    """The report of ``solve`` (refine, gmres-ir, one-step) and ``pagerank``."""
    return _obj({
        "matrix": _matrix(cols=False),
        "arch": _obj({"name": _text(), "source": _text(),
                      "cell_bits": _field("array", "cell_bits"),
                      "value_bits": _field("precision", "weight_bits"),
                      "adc_bits": _field("adc", "bits"), "adc_range": _field("adc", "range")}),
        "method": _enum(methods), "rhs": _text("the right-hand side, in words"),
        "converged": _flag(), "iterations": _int(),
        "rel_residual": _num("‖b − Ax‖/‖b‖ (PageRank: ‖x − G·x‖₁)"),
        "rel_error": _num("‖x − x*‖/‖x*‖ against SciPy's solution; null when unknown",
                          null=True),
        "analog_mvms": _int(), "energy_j": _num("[J]"), "time_s": _num("[s]"),
        "reason": _text("why it did not converge ('' when it did)"),
        "history": _array(_num(), "relative residual per step"),
        "details": {"type": "object", "description": "per method (see allOf)"},
        "seed": _int(maximum=2**63 - 1),
        "imcsim": _provenance("integer"),
    }) | {"allOf": [{"if": {"properties": {"method": {"const": m}}},
                     "then": {"properties": {"details": _details(m)}}} for m in methods]}


def _bitslice() -> Schema:
    return _obj({
        "matrix": _matrix(cols=False), "method": {"const": "bitslice"},
        "cell_bits": _field("array", "cell_bits"),
        "slices": _array(_obj({
            "slices": _int(minimum=1), "value_bits": _int(minimum=1),
            "spmv_rel_error": _num("‖ŷ − y‖/‖y‖"), "cells_programmed": _int(),
        }), "SpMV error against the number of bit slices", min_items=1),
        "imcsim": _provenance("integer"),
    })


def _solve() -> Schema:
    return {"title": "imcsim solve --json",
            "description": "--method bitslice writes the slice sweep; the others a solution",
            "type": "object", "required": ["method"],
            "if": {"properties": {"method": {"const": "bitslice"}}},
            "then": {"$ref": "#/$defs/bitslice"},
            "else": {"$ref": "#/$defs/solution"},
            "$defs": {"bitslice": _bitslice(),
                      "solution": _solution(["refine", "gmres-ir", "one-step"]),
                      **_config_defs(resolved=True)}}


def _pagerank() -> Schema:
    return {"title": "imcsim pagerank --json", **_solution(["pagerank"]),
            "$defs": _config_defs(resolved=True)}


def _compare() -> Schema:
    """The report of :mod:`imcsim.comparison`: its provenance holds no single config; each
    architecture's resolved config is in ``archs``."""
    from imcsim.comparison.table import METRICS

    provenance = _provenance("either")
    del provenance["properties"]["config"]
    provenance["required"].remove("config")
    nullable_int = {"type": ["integer", "null"], "minimum": 1}
    return {"title": "imcsim compare --json", **_obj({
        "models": _array(_obj({
            "name": _text("label: the file stem, or the path where two stems clash"),
            "path": {"type": ["string", "null"], "description": "null: built in memory"},
            "batch": _int("inferences per run", minimum=1),
        }), min_items=1),
        "archs": _array(_obj({
            "label": _text("the preset name or file stem given (the path where two clash)"),
            "name": _text("the config's name"), "source": _text("preset name or file"),
            "config": {"$ref": "#/$defs/Arch",
                       "description": "the configuration resolved after every --set"},
        }), min_items=1),
        "set": _array(_text(), "overrides applied on top of every architecture (key=value)"),
        "duplication": _text("auto, none or N"),
        "accuracy": {"anyOf": [{"type": "null"}, _obj({
            "dataset": {"type": ["string", "null"],
                        "description": "digits, random or FILE.npz; null: random"},
            "samples": nullable_int | {"description": "null: accuracy's default"},
            "seed": _int(maximum=2**63 - 1), "batch_size": _int(minimum=1),
        })], "description": "null: accuracy not simulated"},
        "columns": _array(_obj({
            "label": _text("MODEL @ ARCH"), "model": _text("a models[].name"),
            "arch": _text("an archs[].label"),
            "status": _enum(["ok", "failed", "accuracy failed"],
                            "failed: nothing computed; accuracy failed: the hardware "
                            "figures were"),
            "reason": {"type": ["string", "null"], "description": "the one-line error"},
            "warnings": _array(_text()),
            "layers": _array(_obj({"name": _text(), "op": _text(),
                                   "energy_j": _num("per inference [J]")}),
                             "crossbar layers; empty when failed"),
        }), "models × architectures, models outermost", min_items=2),
        "metrics": _array(_obj({
            "key": _enum([m.key for m in METRICS], "key path in the compile (or accuracy) "
                         "report"),
            "label": _text(), "unit": _text("'' for counts and fractions"),
            "direction": _enum(["min", "max"], "which value is best"),
            "values": _array(_num(minimum=None, null=True), "one per column; null: missing"),
            "best": _array(_text(), "labels of the columns holding the best value; empty "
                           "when fewer than two have a value or all are equal"),
        }), "one per row of the table", min_items=1),
        "imcsim": provenance,
    }), "$defs": _config_defs(resolved=True)}
