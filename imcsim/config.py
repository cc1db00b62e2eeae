"""Architecture configs: parse (yaml.safe_load) → validate everything → frozen typed objects.

The schema is the dataclasses below; every field carries its unit and meaning in its
metadata, which :func:`schema_rows` turns into the documentation (``imcsim schema``).
Loading collects *every* problem (unknown key, wrong type, out-of-range value, …) and
raises one :class:`ConfigError` that lists them with the file and key path.
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import math
import os
import types
import typing
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import yaml

from imcsim import yamlsafe
from imcsim.compiler.mapping import ArraySpec, SignedScheme
from imcsim.errors import ConfigError

DEFAULT_PRESET = "rram_128"
# Upper bounds far beyond any real design, so that arithmetic on a config cannot overflow.
_MAX_COUNT = 2**20  # rows, columns, arrays, cores, tiles, units per level
_MAX_BYTES = 2**32  # register and buffer sizes (B)


def _f(doc: str, unit: str = "", *, gt: float | None = None, ge: float | None = None,
       le: float | None = None, default: Any = dataclasses.MISSING) -> Any:
    meta = {"doc": doc, "unit": unit, "gt": gt, "ge": ge, "le": le}
    return field(default=default, metadata=meta)


class AdcModel(Enum):
    """ADC cost models (one class each in :mod:`imcsim.cost.adc`, which cites the sources)."""

    TABLE = "table"  # a published design point, scaled off its bits with the SAR shape
    SURVEY = "survey"  # Murmann ADC-survey fit (as in Accelergy / CiMLoop), ≥ 4 bits
    SAR = "sar"  # successive approximation: B bit cycles + a thermal-noise (Schreier) term
    FLASH = "flash"  # 2^B − 1 comparators
    CIM = "cim"  # compact column ADC fitted to published compute-in-memory macros
    LINEAR = "linear"  # one step per bit, energy ∝ bits (binary-search neuron) from a point
    RAMP = "ramp"  # integrate-and-fire / single-slope counter: 2^B steps (NeuRRAM's neuron)
    SENSE_AMP = "sense_amp"  # one sense-amplifier decision per bit (NVM macros' current/voltage SA)


class IrDropModel(Enum):
    FIRST_ORDER = "first_order"  # each cell in series with its wire path (no current sharing)
    CIRCUIT = "circuit"  # the array's resistive network solved exactly (scipy.sparse)


class Reference(Enum):
    IDEAL = "ideal"  # the subtracted G_off reference never changes
    PROGRAMMED = "programmed"  # reference cells are programmed like the array: noise, drift


class ReadoutStyle(Enum):
    PER_BIT = "per_bit"  # convert every input-bit cycle, shift-add the results digitally
    INTEGRATE = "integrate"  # integrate all input-bit cycles in analog, convert once per MVM


class Periphery(Enum):
    NEUROSIM = "neurosim"  # per-row and per-column access/write circuits, NeuroSim V1.4 areas
    NONE = "none"  # the preset's own component areas already hold them (ISAAC, NeuRRAM)


class AdcRange(Enum):
    FULL_SCALE = "full_scale"  # every row the ADC reads at the top level: a fixed-range chip
    WEIGHT_AWARE = "weight_aware"  # each column's programmed Σ|level|: known without data
    CALIBRATED = "calibrated"  # a percentile of column values seen on calibration data


@dataclass(frozen=True, slots=True)
class Technology:
    node_nm: float = _f("process node", "nm", gt=0, le=1000, default=32.0)
    vdd_v: float = _f("digital supply voltage", "V", gt=0, le=10, default=1.0)
    clock_hz: float = _f("digital clock (shift-add, digital units, buffers)", "Hz", gt=0,
                         le=1e12, default=1.0e9)


@dataclass(frozen=True, slots=True)
class Array:
    rows: int = _f("crossbar rows (word lines); inputs summed per column", "",
                   ge=1, le=_MAX_COUNT, default=128)
    cols: int = _f("crossbar columns (bit lines)", "", ge=1, le=_MAX_COUNT, default=128)
    cell_bits: int = _f("bits stored per cell (2^cell_bits levels)", "bit", ge=1, le=8, default=2)
    r_on_ohm: float = _f("low-resistance (high-conductance) state", "Ω",
                         ge=1, le=1e15, default=1.0e4)
    r_off_ohm: float = _f("high-resistance (low-conductance) state; finite → zero still conducts",
                          "Ω", ge=1, le=1e15, default=1.0e5)
    read_voltage_v: float = _f("read pulse amplitude on a driven row", "V",
                               gt=0, le=10, default=0.2)
    read_time_s: float = _f("duration of one array read (one input-bit cycle)", "s", gt=0,
                            le=1, default=1.0e-8)
    input_activity: float = _f("fraction of input pulses that are high (drive current) when no "
                               "measured activity is given (--activity-from)", "",
                               ge=0, le=1, default=0.5)
    rows_per_read: int = _f("word lines activated together in one read (partial activation); "
                            "0 = all rows. Each group of rows is read and converted on its "
                            "own, its partial sums added digitally", "", ge=0,
                            le=_MAX_COUNT, default=0)
    wordline_voltage_v: float = _f("swing of the access-transistor gate line a 1T1R row toggles "
                                   "once per input cycle; 0 = word lines stay on during "
                                   "inference (no word-line component)", "V", ge=0, le=10,
                                   default=0.0)
    wordline_cap_per_cell_f: float = _f("gate + coupling capacitance per cell on a word line "
                                        "(NeuRRAM: 1.5 fF access transistor + 0.6 fF "
                                        "coupling at 130 nm)", "F", ge=0, le=1e-9,
                                        default=2.1e-15)
    line_cap_per_cell_f: float = _f("capacitance a row driver charges per cell on its line "
                                    "(wire segment + access-device junction; NeuroSim-style "
                                    "0.2 fF/µm wire × ~0.1 µm pitch + ~0.03 fF junction)", "F",
                                    ge=0, le=1e-9, default=5.0e-17)
    cell_area_f2: float = _f("cell footprint (1T1R ≈ 12 F², crosspoint 4 F²)", "F²", gt=0,
                             le=1e6, default=12.0)
    periphery: Periphery = _f(
        "area of the circuits every array needs around its cells: neurosim (row and column "
        "switch matrices, column mux and its decoder, write level shifters; NeuroSim V1.4's "
        "transistor sizing) or none (a preset whose component areas hold them)", "",
        default=Periphery.NEUROSIM)
    write_voltage_v: float = _f("SET/RESET voltage the write path delivers; above 1.5 V every "
                                "row and column needs high-voltage level shifters "
                                "(NeuroSim's rule; RRAM: 1.2–3.6 V)", "V", ge=0, le=10,
                                default=2.0)

    @property
    def g_ref_s(self) -> float:
        """The conductance crossbar energy is quoted at: (G_on + G_off) / 2."""
        return (self.g_on_s + self.g_off_s) / 2

    @property
    def g_on_s(self) -> float:
        return 1.0 / self.r_on_ohm

    @property
    def g_off_s(self) -> float:
        return 1.0 / self.r_off_ohm


@dataclass(frozen=True, slots=True)
class Precision:
    weight_bits: int = _f("weight precision", "bit", ge=1, le=32, default=8)
    input_bits: int = _f("input activation precision", "bit", ge=1, le=32, default=8)
    output_bits: int = _f("activation precision written back to buffers", "bit", ge=1, le=32,
                          default=8)
    dac_bits: int = _f("input bits applied per array read (1 = bit-serial pulses); a DAC wider "
                       "than the inputs applies them in one read", "bit", ge=1, le=16, default=1)
    signed_scheme: SignedScheme = _f(
        "signed weights: differential (G+ − G− column pairs), offset (w + 2^(b−1), digital "
        "correction), twos_complement (negative-weighted MSB slice)", "",
        default=SignedScheme.DIFFERENTIAL)

    @property
    def applied_dac_bits(self) -> int:
        """Input bits applied per read: the DAC's, or all of a narrower input's."""
        return min(self.dac_bits, self.input_bits)


@dataclass(frozen=True, slots=True)
class Adc:
    bits: int = _f("ADC operating resolution", "bit", ge=1, le=16, default=8)
    design_bits: int = _f("resolution the ADC is built for (area); 0 = bits. A reconfigurable "
                          "ADC run at fewer bits keeps the area of its designed bits", "bit",
                          ge=0, le=16, default=0)
    model: AdcModel = _f("cost model: cim | sar | table | survey | flash | linear | ramp | sense_amp", "",
                         default=AdcModel.CIM)
    sample_rate_hz: float = _f("conversions per second of one ADC at its designed bits (a SAR "
                               "run at fewer bits is faster: (bits+1)/(design_bits+1) of the "
                               "time)", "Hz", gt=0, le=1e12, default=1.0e9)
    cols_per_adc: int = _f("columns multiplexed onto one ADC (ADCs per array = ceil(cols / this))",
                           "", ge=1, le=_MAX_COUNT, default=8)
    arrays_per_adc: int = _f("arrays sharing each ADC (time-multiplexed): ADCs per array = "
                             "ceil(cols / cols_per_adc) / arrays_per_adc", "", ge=1,
                             le=_MAX_COUNT, default=1)
    table_bits: int = _f("table / ramp / linear models: resolution of the published point", "bit",
                         ge=1, le=16, default=8)
    conversion_overhead_pj: float = _f("energy per conversion whatever the bits (sampling, "
                                       "reset), added to the model's", "pJ", ge=0, le=1e9,
                                       default=0.0)
    range: AdcRange = _f("functional simulation: full_scale (every row the ADC reads at the "
                         "top conductance and input: a fixed-range chip, whatever rows a layer "
                         "uses), weight_aware (each column's programmed Σ|level|: known at "
                         "programming time without data) or calibrated (a percentile of "
                         "column values on the first batch, per group)", "",
                         default=AdcRange.FULL_SCALE)
    percentile: float = _f("calibrated range: percentile of column values kept inside the range",
                           "%", gt=50, le=100, default=99.99)
    table_energy_pj: float = _f("table / ramp / linear: energy per conversion at table_bits "
                                "(default: ISAAC's ADC after Kull 2013, 2 mW / 1.28 GS/s)", "pJ",
                                gt=0, le=1e9, default=1.5625)
    table_area_um2: float = _f("table: area at table_bits (ISAAC: 0.0012 mm²); ramp / linear: "
                               "area whatever the bits", "µm²",
                               gt=0, le=1e12, default=1200.0)


def integration_phases(cycles: int, integrate: bool, two_phase_above: int) -> list[int]:
    """Input cycles per conversion, LSB first: one each (per_bit), all of them (integrate),
    or two phases of ceil(c/2) and floor(c/2) above ``two_phase_above`` (NeuRRAM)."""
    if not integrate:
        return [1] * cycles
    if two_phase_above and cycles > two_phase_above:
        return [(cycles + 1) // 2, cycles // 2]
    return [cycles]


@dataclass(frozen=True, slots=True)
class Readout:
    style: ReadoutStyle = _f(
        "per_bit: convert every input-bit cycle and shift-add digitally; integrate: each "
        "input-bit cycle j drives 2^(j·dac_bits) unit pulses whose charge the column integrates "
        "(binary-weighted pulse counts), converted once per MVM", "",
        default=ReadoutStyle.PER_BIT)
    differential: bool = _f("sense G+ − G− of a differential column pair before one conversion "
                            "(only with precision.signed_scheme=differential); false: convert "
                            "both columns and subtract digitally", "", default=False)
    combine_slices: bool = _f("sum a weight's slice columns in the analog domain, weighted "
                              "2^(slice·cell_bits) (current stacking), before one conversion; "
                              "false: convert each slice and shift-add digitally", "",
                              default=False)
    current_mode: bool = _f("the bit line is clamped at the read voltage by a current-mode "
                            "sense path supplied from V_dd (current sense amplifier, current "
                            "mirror, most Mb-level NVM macros): each cell's current is drawn "
                            "from V_dd, E = G·V_read·V_dd·t per cell pulse; false: from a "
                            "read-voltage source, E = G·V_read²·t", "", default=False)
    two_phase_above_bits: int = _f("integrate: inputs with more input cycles (magnitude bits "
                                   "with 1-bit pulses) than this are integrated in two phases "
                                   "of ceil(n/2) and floor(n/2) cycles, "
                                   "each converted once (NeuRRAM's two-phase mode); 0 = one "
                                   "phase", "bit", ge=0, le=32, default=0)

    def phases(self, cycles: int) -> list[int]:
        """Input cycles integrated per conversion, LSB phase first."""
        return integration_phases(cycles, self.style is ReadoutStyle.INTEGRATE,
                                  self.two_phase_above_bits)

    @property
    def describe(self) -> str:
        diff = (", differential sensing" if self.differential else "") + (
            ", slices combined in analog" if self.combine_slices else "") + (
            ", current-mode sensing" if self.current_mode else "")
        two = (f", two phases above {self.two_phase_above_bits} bits"
               if self.two_phase_above_bits and self.style is ReadoutStyle.INTEGRATE else "")
        return f"{self.style.value}{diff}{two}"


@dataclass(frozen=True, slots=True)
class Hierarchy:
    arrays_per_core: int = _f("arrays per core (ISAAC: IMA); a core runs one layer", "", ge=1,
                              le=_MAX_COUNT, default=8)
    cores_per_tile: int = _f("cores per tile (tiles share a buffer and a router)", "", ge=1,
                             le=_MAX_COUNT, default=12)
    tiles_per_chip: int = _f("tiles per chip", "", ge=1, le=_MAX_COUNT, default=168)


@dataclass(frozen=True, slots=True)
class Core:
    shift_adds: int = _f("shift-and-add units per core", "", ge=0, le=_MAX_COUNT, default=4)
    input_register_bytes: int = _f("input register per core", "B",
                                   ge=0, le=_MAX_BYTES, default=2048)
    output_register_bytes: int = _f("output register per core", "B",
                                    ge=0, le=_MAX_BYTES, default=256)


@dataclass(frozen=True, slots=True)
class Tile:
    buffer_bytes: int = _f("activation buffer per tile (eDRAM or SRAM); 0 = none (a macro)", "B",
                           ge=0, le=_MAX_BYTES, default=65536)
    bus_width_bits: int = _f("buffer-to-core bus width", "bit", ge=1, le=_MAX_COUNT, default=384)
    routers: float = _f("routers per tile (ISAAC: one per 4 tiles → 0.25)", "", ge=0,
                        le=_MAX_COUNT, default=0.25)
    accumulators: int = _f("shift-and-add/accumulate units per tile (merge partial sums, bias)",
                           "", ge=0, le=_MAX_COUNT, default=1)
    activation_units: int = _f("special-function units per tile (sigmoid, tanh, exp, …)", "",
                               ge=0, le=_MAX_COUNT, default=2)
    pooling_units: int = _f("max/avg pooling units per tile", "", ge=0, le=_MAX_COUNT, default=1)
    alus: int = _f("general ALUs per tile (elementwise, reductions, norms)", "",
                   ge=0, le=_MAX_COUNT, default=1)
    digital_macs: int = _f("digital MAC units per tile (activation × activation MatMul)", "",
                           ge=0, le=_MAX_COUNT, default=1)
    output_register_bytes: int = _f("tile output register", "B", ge=0, le=_MAX_BYTES, default=3072)


@dataclass(frozen=True, slots=True)
class Chip:
    io_bandwidth_bytes_per_s: float = _f("off-chip link bandwidth (ISAAC: HyperTransport)", "B/s",
                                         gt=0, le=1e15, default=6.4e9)
    io_links: int = _f("off-chip links per chip", "", ge=0, le=_MAX_COUNT, default=4)


@dataclass(frozen=True, slots=True)
class Noc:
    """The network-on-chip between tiles, for the cycle-level simulator: a mesh of the
    chip's routers (``tile.routers`` per tile: 0.25 is ISAAC's concentrated mesh, four
    tiles to a router), XY routing, one flit per link per clock cycle."""

    flit_bits: int = _f("link width: one flit per clock cycle per direction (ISAAC Table 2: "
                        "32-bit flits)", "bit", ge=1, le=_MAX_COUNT, default=32)
    hop_cycles: int = _f("cycles for a flit to cross one router and its link (2: a one-cycle "
                         "router and a one-cycle link, gem5 Garnet's defaults; ISAAC gives no "
                         "figure)", "", ge=0, le=_MAX_COUNT, default=2)


@dataclass(frozen=True, slots=True)
class NonIdeal:
    """Device non-idealities for functional simulation; all off by default."""

    prog_noise: float = _f("programming error σ (write-verify residue), relative: σ·G when "
                           "state-dependent, else σ·G_on for every level", "",
                           ge=0, le=10, default=0.0)
    prog_noise_state_dependent: bool = _f("programming error proportional to the programmed "
                                          "conductance (true) or level-independent (false)", "",
                                          default=True)
    read_noise: float = _f("read noise σ per read, relative to the cell conductance", "", ge=0,
                           le=10, default=0.0)
    stuck_off_fraction: float = _f("fraction of cells stuck at G_off", "", ge=0, le=1, default=0.0)
    stuck_on_fraction: float = _f("fraction of cells stuck at G_on", "", ge=0, le=1, default=0.0)
    drift_nu: float = _f("conductance drift exponent ν in G(t) = G0·(t/t0)^-ν (PCM ≈ 0.05)", "",
                         ge=0, le=1, default=0.0)
    drift_time_s: float = _f("time t since programming at which the model runs", "s", gt=0,
                             le=1e12, default=1.0)
    drift_t0_s: float = _f("reference time t0 of the drift law", "s", gt=0, le=1e12, default=1.0)
    wire_resistance_ohm: float = _f("wire resistance per cell pitch (row and column wires), "
                                    "for IR drop", "Ω", ge=0, le=1e15, default=0.0)
    driver_resistance_ohm: float = _f("output resistance of a row driver, for IR drop", "Ω",
                                      ge=0, le=1e15, default=0.0)
    sense_resistance_ohm: float = _f("input resistance of a column's sense amplifier (virtual "
                                     "ground), for IR drop", "Ω", ge=0, le=1e15, default=0.0)
    adc_noise_lsb: float = _f("input-referred noise σ of every ADC conversion", "LSB", ge=0,
                              le=1e3, default=0.0)
    adc_offset_lsb: float = _f("σ of each ADC's offset, drawn once per chip from the seed",
                               "LSB", ge=0, le=1e3, default=0.0)
    adc_gain_error: float = _f("σ of each ADC's relative gain error, drawn once per chip", "",
                               ge=0, le=1, default=0.0)
    adc_inl_lsb: float = _f("integral nonlinearity: a bow of this many LSB at mid-scale, "
                            "inl·4u(1 − u) at relative input u, 0 at both ends", "LSB",
                            ge=0, le=1e3, default=0.0)
    reference: Reference = _f(
        "the G_off reference column subtracted from every column: programmed (real cells, one "
        "per row: they get programming noise and drift with the array) or ideal", "",
        default=Reference.PROGRAMMED)
    ir_drop_model: IrDropModel = _f(
        "first_order: each cell in series with its driver + row-wire + column-wire + sense "
        "path, no current sharing — valid while wire_resistance_ohm · G_on · rows · cols ≪ 1 "
        "(the CLI warns above 0.01); circuit: the array's whole resistive network solved "
        "with a sparse LU per programmed array (exact; slower to program)", "",
        default=IrDropModel.FIRST_ORDER)


@dataclass(frozen=True, slots=True)
class Override:
    energy_pj: float | None = _f("energy per action (see `imcsim schema` for each action)", "pJ",
                                 ge=0, le=1e9, default=None)
    area_um2: float | None = _f("area per unit", "µm²", ge=0, le=1e12, default=None)
    latency_ns: float | None = _f("latency per action", "ns", ge=0, le=1e9, default=None)
    static_mw: float | None = _f("static (leakage) power per unit", "mW", ge=0, le=1e9,
                                 default=None)


COMPONENTS = (
    "crossbar", "wordline", "dac", "row_periphery", "column_periphery", "sample_hold", "adc",
    "shift_add", "input_register", "output_register",
    "buffer", "bus", "router", "accumulator", "activation", "pooling", "alu", "digital_mac",
    "tile_output_register", "io",
)


@dataclass(frozen=True, slots=True)
class Arch:
    name: str = _f("design name shown in reports", "")
    description: str = _f("free text", "", default="")
    technology: Technology = field(default_factory=Technology, metadata={"doc": "", "unit": ""})
    array: Array = field(default_factory=Array, metadata={"doc": "", "unit": ""})
    precision: Precision = field(default_factory=Precision, metadata={"doc": "", "unit": ""})
    adc: Adc = field(default_factory=Adc, metadata={"doc": "", "unit": ""})
    readout: Readout = field(default_factory=Readout, metadata={"doc": "", "unit": ""})
    hierarchy: Hierarchy = field(default_factory=Hierarchy, metadata={"doc": "", "unit": ""})
    core: Core = field(default_factory=Core, metadata={"doc": "", "unit": ""})
    tile: Tile = field(default_factory=Tile, metadata={"doc": "", "unit": ""})
    chip: Chip = field(default_factory=Chip, metadata={"doc": "", "unit": ""})
    noc: Noc = field(default_factory=Noc, metadata={"doc": "", "unit": ""})
    nonideal: NonIdeal = field(default_factory=NonIdeal, metadata={"doc": "", "unit": ""})
    overrides: dict[str, Override] = field(default_factory=dict, metadata={
        "doc": f"per-component energy/area/latency overrides; components: {', '.join(COMPONENTS)}",
        "unit": ""})
    source: str = field(default="", metadata={"doc": "file the config came from", "unit": ""})

    def array_spec(self) -> ArraySpec:
        """The array facts the compiler needs."""
        p, a, h = self.precision, self.array, self.hierarchy
        return ArraySpec(
            rows=a.rows, cols=a.cols, cell_bits=a.cell_bits, weight_bits=p.weight_bits,
            input_bits=p.input_bits, dac_bits=p.applied_dac_bits, scheme=p.signed_scheme,
            rows_per_read=a.rows_per_read, differential_sensing=self.readout.differential,
            combine_slices=self.readout.combine_slices,
            arrays_per_core=h.arrays_per_core, cores_per_tile=h.cores_per_tile,
            tiles_per_chip=h.tiles_per_chip,
        )


# ---------------------------------------------------------------- loading


def resolve(arch: str | os.PathLike[str] | None) -> tuple[str, Path | None]:
    """A path, a preset name, or None (→ the default preset); returns (label, path or None)."""
    if arch is None:
        arch = DEFAULT_PRESET
    p = Path(arch)
    if p.suffix in (".yaml", ".yml") or p.exists() or os.sep in str(arch):
        return str(p), p
    return str(arch), None


def preset_root() -> Any:
    """arch_configs/ of a source checkout, else the copy installed as ``imcsim.presets``."""
    checkout = Path(__file__).resolve().parent.parent / "arch_configs"
    if checkout.is_dir():
        return checkout
    return importlib.resources.files("imcsim.presets")


def preset_names() -> list[str]:
    return sorted(e.name[:-5] for e in preset_root().iterdir() if e.name.endswith(".yaml"))


def load_arch(arch: str | os.PathLike[str] | None = None,
              overrides: typing.Sequence[str] = (),
              values: typing.Mapping[str, Any] | None = None) -> Arch:
    """Load a config file or preset, apply ``key.path=value`` overrides (text, as ``--set``
    reads it) and then ``values`` (``{key.path: Python value}``), validate, build."""
    label, path = resolve(arch)
    if path is None:
        if label not in preset_names():
            raise ConfigError(
                f"--arch {label}: no such file or preset; presets: {', '.join(preset_names())}"
            )
        text = (preset_root() / f"{label}.yaml").read_text(encoding="utf-8")
    else:
        if not path.is_file():
            raise ConfigError(f"{path}: no such config file; give a YAML path or a preset name "
                              f"({', '.join(preset_names())})")
        text = path.read_text(encoding="utf-8", errors="replace")
    try:
        raw = yamlsafe.load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f": line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        ctx, ctx_mark = getattr(e, "context", None), getattr(e, "context_mark", None)
        if ctx and ctx_mark and (not mark or ctx_mark.line != mark.line):
            problem += f", {ctx} at line {ctx_mark.line + 1}"  # where an unclosed [ { or ' began
        raise ConfigError(f"{label}{where}: invalid YAML ({problem}); fix the syntax") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{label}: expected a mapping of sections at the top level")
    errors: list[str] = []
    for item in overrides:
        apply_override(raw, item, errors)
    for key, value in (values or {}).items():
        set_value(raw, str(key), value, errors)
    arch_obj = build_section(Arch, raw, "", errors)
    if not errors:
        errors.extend(cross_checks(arch_obj))
    if errors:
        raise ConfigError(f"{label}: {len(errors)} problem(s): " + "; ".join(errors))
    return dataclasses.replace(arch_obj, source=label)


def apply_override(raw: dict[str, Any], item: str, errors: list[str]) -> None:
    """Set ``key.path=value`` in the raw mapping after checking the path against the schema."""
    if "=" not in item:
        errors.append(f"--set {item}: expected key.path=value")
        return
    key, text = (s.strip() for s in item.split("=", 1))
    try:
        value = yamlsafe.load(text) if text else None
    except yaml.YAMLError:
        value = text  # not YAML (e.g. "[1"): keep the text; type checks report it
    set_value(raw, key, value, errors)


def set_value(raw: dict[str, Any], key: str, value: Any, errors: list[str]) -> None:
    """Set ``key.path`` to ``value`` in the raw mapping after checking the path against the
    schema (the value's type is checked when the config is built)."""
    parts = key.split(".")
    cls: Any = Arch
    for i, part in enumerate(parts):
        here = ".".join(parts[: i + 1])
        if cls is dict:  # inside `overrides`: the part names a component
            if part not in COMPONENTS:
                errors.append(f"--set {key}: unknown component '{here}' "
                              f"(valid: {', '.join(COMPONENTS)})")
                return
            cls = Override
            continue
        if cls is None:
            errors.append(f"--set {key}: '{'.'.join(parts[:i])}' is a value, not a section")
            return
        hints = {k: v for k, v in typing.get_type_hints(cls).items() if k != "source"}
        if part not in hints:
            errors.append(f"--set {key}: no such key '{here}' (valid here: {', '.join(hints)})")
            return
        tp = hints[part]
        cls = tp if dataclasses.is_dataclass(tp) else dict if _origin(tp) is dict else None
    if cls is not None:
        errors.append(f"--set {key}: is a section; set one of its keys, e.g. {key}.<key>=value")
        return
    node = raw
    for part in parts[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[parts[-1]] = value


def _origin(tp: Any) -> Any:
    return typing.get_origin(tp)


def build_section(cls: Any, raw: Any, path: str, errors: list[str]) -> Any:
    where = path or "top level"
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        errors.append(f"{where}: expected a mapping, got {type(raw).__name__}")
        return cls() if _all_defaults(cls) else None
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name != "source"}
    errors.extend(f"{_join(path, str(key))}: unknown key (valid: {', '.join(fields)})"
                  for key in raw if key not in fields)
    values: dict[str, Any] = {}
    for name, f in fields.items():
        key_path = _join(path, name)
        tp = hints[name]
        if name not in raw:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                errors.append(f"{key_path}: missing (required)")
            continue
        value = raw[name]
        if dataclasses.is_dataclass(tp):
            values[name] = build_section(tp, value, key_path, errors)
        elif _origin(tp) is dict:
            values[name] = _build_overrides(value, key_path, errors)
        else:
            values[name] = _check_scalar(tp, value, key_path, f.metadata, errors)
    try:
        return cls(**{k: v for k, v in values.items() if v is not None or _optional(hints[k])})
    except TypeError:
        return None


def _build_overrides(raw: Any, path: str, errors: list[str]) -> dict[str, Override]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        errors.append(f"{path}: expected a mapping of component → overrides")
        return {}
    out: dict[str, Override] = {}
    for comp, body in raw.items():
        if comp not in COMPONENTS:
            errors.append(f"{path}.{comp}: unknown component (valid: {', '.join(COMPONENTS)})")
            continue
        built = build_section(Override, body, f"{path}.{comp}", errors)
        if built is not None:
            out[comp] = built
    return out


def _optional(tp: Any) -> bool:
    return _origin(tp) in (typing.Union, types.UnionType) and type(None) in typing.get_args(tp)


def _check_scalar(tp: Any, value: Any, path: str, meta: Any, errors: list[str]) -> Any:
    if _optional(tp):
        if value is None:
            return None
        tp = next(a for a in typing.get_args(tp) if a is not type(None))
    if isinstance(tp, type) and issubclass(tp, Enum):
        valid = [e.value for e in tp]
        if value not in valid:
            errors.append(f"{path}: '{value}' is not one of {', '.join(valid)}")
            return None
        return tp(value)
    if tp is bool:
        if not isinstance(value, bool):
            errors.append(f"{path}: expected true or false, got {value!r}")
            return None
        return value
    if tp is str:
        if not isinstance(value, str):
            errors.append(f"{path}: expected text, got {value!r}")
            return None
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int | float) or (
            isinstance(value, float) and not value.is_integer()
        ):
            errors.append(f"{path}: expected an integer, got {value!r}")
            return None
        value = int(value)
    elif tp is float:
        if isinstance(value, str):
            try:
                value = float(value)  # YAML 1.1 reads "1e-8" as a string
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            errors.append(f"{path}: expected a finite number, got {value!r}")
            return None
        value = float(value)
    unit = f" {meta['unit']}" if meta.get("unit") else ""
    if meta.get("gt") is not None and not value > meta["gt"]:
        errors.append(f"{path}: must be > {meta['gt']}{unit}, got {value}")
        return None
    if meta.get("ge") is not None and not value >= meta["ge"]:
        errors.append(f"{path}: must be ≥ {meta['ge']}{unit}, got {value}")
        return None
    if meta.get("le") is not None and not value <= meta["le"]:
        errors.append(f"{path}: must be ≤ {meta['le']}{unit}, got {value}")
        return None
    return value


def cross_checks(a: Arch) -> list[str]:
    errors = []
    if a.array.r_off_ohm <= a.array.r_on_ohm:
        errors.append(f"array.r_off_ohm ({a.array.r_off_ohm}) must exceed array.r_on_ohm "
                      f"({a.array.r_on_ohm})")
    if a.array.cell_bits > a.precision.weight_bits:
        errors.append(f"array.cell_bits ({a.array.cell_bits}) exceeds precision.weight_bits "
                      f"({a.precision.weight_bits})")
    if a.precision.weight_bits < 2:
        errors.append(f"precision.weight_bits ({a.precision.weight_bits}) must be ≥ 2: a signed "
                      "weight needs a sign and at least one magnitude bit")
    if a.nonideal.stuck_off_fraction + a.nonideal.stuck_on_fraction > 1:
        errors.append("nonideal.stuck_off_fraction + nonideal.stuck_on_fraction exceed 1")
    if a.adc.cols_per_adc > a.array.cols:
        errors.append(f"adc.cols_per_adc ({a.adc.cols_per_adc}) exceeds array.cols ({a.array.cols})")
    if a.hierarchy.arrays_per_core % a.adc.arrays_per_adc:
        errors.append(f"adc.arrays_per_adc ({a.adc.arrays_per_adc}) does not divide "
                      f"hierarchy.arrays_per_core ({a.hierarchy.arrays_per_core}): ADCs are "
                      "shared by whole groups of a core's arrays")
    if a.adc.design_bits and a.adc.design_bits < a.adc.bits:
        errors.append(f"adc.design_bits ({a.adc.design_bits}) is below adc.bits "
                      f"({a.adc.bits}): an ADC cannot run above its designed resolution")
    if a.array.rows_per_read > a.array.rows:
        errors.append(f"array.rows_per_read ({a.array.rows_per_read}) exceeds array.rows "
                      f"({a.array.rows})")
    if a.readout.two_phase_above_bits and a.readout.style is not ReadoutStyle.INTEGRATE:
        errors.append("readout.two_phase_above_bits needs readout.style=integrate (per_bit "
                      "readout converts every cycle anyway)")
    if a.readout.differential and a.precision.signed_scheme is not SignedScheme.DIFFERENTIAL:
        errors.append("readout.differential needs precision.signed_scheme=differential "
                      f"(got {a.precision.signed_scheme.value})")
    from imcsim.cost.adc import adc_problem  # the cost models own their valid ranges

    problem = adc_problem(a.adc)
    if problem:
        errors.append(problem)
    return errors


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _all_defaults(cls: Any) -> bool:
    return all(f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
               for f in dataclasses.fields(cls))


def numeric_fields(cls: Any = None, prefix: str = "") -> list[tuple[str, type, dict[str, Any]]]:
    """(key path, int or float, metadata with the bounds gt/ge/le) of every numeric config
    field, nested sections walked."""
    cls = Arch if cls is None else cls
    hints = typing.get_type_hints(cls)
    rows: list[tuple[str, type, dict[str, Any]]] = []
    for f in dataclasses.fields(cls):
        tp, key = hints[f.name], _join(prefix, f.name)
        if dataclasses.is_dataclass(tp):
            rows += numeric_fields(tp, key)
        elif tp in (int, float):
            rows.append((key, tp, dict(f.metadata)))
    return rows


def schema_rows() -> list[tuple[str, str, str, str]]:
    """(key path, type, unit, meaning + default) for every config field: the documentation."""
    rows: list[tuple[str, str, str, str]] = []

    def walk(cls: Any, prefix: str) -> None:
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if f.name == "source":
                continue
            tp = hints[f.name]
            key = _join(prefix, f.name)
            if dataclasses.is_dataclass(tp):
                walk(tp, key)
                continue
            if _origin(tp) is dict:
                walk(Override, f"{key}.<component>")
                rows.append((key, "mapping", "", f.metadata.get("doc", "")))
                continue
            default = "" if f.default is dataclasses.MISSING else f.default
            if isinstance(default, Enum):
                default = default.value
            tname = tp.__name__ if isinstance(tp, type) else str(tp).replace("typing.", "")
            doc = f.metadata.get("doc", "")
            rows.append((key, tname, f.metadata.get("unit", ""),
                         f"{doc} (default {default})" if default != "" else doc))

    walk(Arch, "")
    return rows
