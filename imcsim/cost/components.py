"""Per-component costs: energy per action, area per unit, latency, and how many per level.

Defaults (used unless ``overrides:`` in the config says otherwise):

- crossbar: physics. One action is one cell conducting for one unit read pulse at the
  reference conductance G_ref = (G_on + G_off)/2: E = G_ref · V_read² · t_read; area =
  rows·cols·cell_area_f2·F². With ``readout.current_mode`` the cell current is drawn
  from V_dd through the sense path: E = G_ref · V_read · V_dd · t_read. The action counts carry the data: only pulses that are high
  count (the input activity of each input-bit position), weighted by the mean conductance
  of the cells read relative to G_ref (:mod:`imcsim.sim.actions`).
- DAC / row driver: one action is one row driven high for one input cycle (an integrating
  readout holds the level while the column counts its pulses). It charges the row's line,
  cols · line_cap_per_cell, to the read voltage (E = C·V_read², the swing it drives, not
  V_dd²), plus its own logic: (2^dac_bits − 1) driver stages of 2 fF at 28 nm switched at
  V_dd (∝ node).
- word line (1T1R designs that switch their access transistors per input cycle;
  ``array.wordline_voltage_v`` > 0): one action is one row's gate line toggled once per
  input cycle, whatever the data: E = cols · wordline_cap_per_cell · V_wl².
- ADC: the configured model (:mod:`imcsim.cost.adc`).
- row and column periphery (``array.periphery: neurosim``): area only (their switching is
  in the row driver's and the readout's energy). The transistor sizing of NeuroSim V1.4
  (DNN_NeuroSim, SubArray.cpp for a 1T1R array in parallel read; block areas from its own
  CalculateArea at 22 nm, in F² so they scale with the node):

  * per row: the word-line switch matrix and its flip-flop, 4,864 F² (NewSwitchMatrix.cpp:
    transmission gate of 28 F NMOS / 36.9 F PMOS, DFF.cpp);
  * per column: the source-line switch matrix and its flip-flop, 2,883 F²
    (SwitchMatrix.cpp); with ``cols_per_adc`` > 1 a column-mux transmission gate sized to
    the current of the rows read together, 2,688 F² up to 256 rows, 3,068 F² at 512,
    6,050 F² at 1,024 (Mux.cpp; interpolated), and one mux decoder of 98,000 F² per array
    (RowDecoder.cpp, MUX mode);
  * with ``array.write_voltage_v`` > 1.5 V (NeuroSim's threshold; RRAM sets and resets at
    1.2–3.6 V) a high-voltage level shifter of 20,684 F² on each word line, each bit line
    (per row: NeuroSim's WL and BL shifters) and each source line (per column)
    (LevelShifter.cpp: thick-oxide latch and pull-ups, ×1.44 wiring).

  The sum of the blocks is NeuroSim's "used area", not its bounding box (which adds the
  empty space of shifters stretched along the array). Silicon has more: write drivers,
  charge pumps, reference generators, control and test modes, which NeuroSim does not
  model either — published 22 nm RRAM CIM macros are ≈ 25× their cell area (README).
- everything else: ISAAC's published component powers and areas (Shafiee et al., ISCA
  2016, 32 nm; PRIMER §5) turned into energy per action at ISAAC's peak activity, then
  scaled to the configured node and supply: energy ∝ (T/32 nm)·(V_dd/1 V)², area ∝
  (T/32 nm)². Registers and buffers scale their area with their size in bytes.

A component sized 0 (no units, or 0 bytes) is absent: it has no area, no energy and no
line in any report. Static (leakage) power is 0 unless a config gives
``overrides.<component>.static_mw`` (per unit); the simulator charges it for the
inference's latency as its own energy line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

import numpy as np

from imcsim.config import Arch, Periphery
from imcsim.cost.adc import adc_cost


class Level(Enum):
    ARRAY = "array"
    CORE = "core"
    TILE = "tile"
    CHIP = "chip"


@dataclass(frozen=True, slots=True)
class Component:
    name: str
    level: Level
    count: float  # units per instance of its level (a fraction for shared routers)
    action: str  # what one action is (for reports and the schema)
    energy_j: float  # per action
    area_m2: float  # per unit
    latency_s: float  # per action
    static_w: float = 0.0  # leakage per unit


# Reference energies per action and areas per unit at 32 nm, 1 V (ISAAC, derived in
# arch_configs/isaac.yaml from the paper's component powers at peak activity).
_REF_ENERGY_PJ = {
    "dac": 0.390625, "sample_hold": 0.0009765625, "shift_add": 0.01953125,
    "input_register": 0.96875, "output_register": 0.0224609375, "buffer": 5.390625,
    "bus": 1.8229166667, "router": 5.46875, "accumulator": 0.0520833333,
    "activation": 0.5416666667, "pooling": 0.4166666667, "alu": 0.0520833333,
    "digital_mac": 0.25, "tile_output_register": 0.875, "io": 406.25,
}
_REF_AREA_UM2 = {
    "dac": 0.166015625, "sample_hold": 0.0390625, "shift_add": 60.0, "router": 150000.0,
    "accumulator": 60.0, "activation": 300.0, "pooling": 240.0, "alu": 60.0,
    "digital_mac": 400.0, "bus": 90000.0, "io": 5.72e6,
}
_REF_AREA_UM2_PER_BYTE = {
    "input_register": 2100.0 / 2048, "output_register": 770.0 / 256,
    "buffer": 83000.0 / 65536, "tile_output_register": 3200.0 / 3072,
}
ACTIONS = {
    "crossbar": "cell pulse (one cell at G_ref conducting for one unit read pulse)",
    "wordline": "word-line toggle (one row's access-transistor gate line, once per input cycle)",
    "dac": "row drive (one row driven to the read voltage for one input cycle)",
    "row_periphery": "none (area only: word-line switch matrix, write level shifters)",
    "column_periphery": "none (area only: source-line switch matrix, column mux, level shifter)",
    "sample_hold": "column sample (per_bit: one per conversion; integrate: one per unit pulse)",
    "adc": "conversion",
    "shift_add": "shift-and-add of one ADC result",
    "input_register": "byte read into the array drivers",
    "output_register": "byte of ADC result written",
    "buffer": "byte read or written",
    "bus": "byte moved buffer ↔ core",
    "router": "byte through the network-on-chip",
    "accumulator": "add of one output (partial sums, bias, offset correction)",
    "activation": "special-function op (sigmoid, tanh, exp, erf, softmax element)",
    "pooling": "compare/add of one pooling window element",
    "alu": "elementwise/reduction/normalisation op",
    "digital_mac": "multiply-accumulate of activation × activation",
    "tile_output_register": "byte written to the tile output register",
    "io": "byte in or out of the chip",
}


def build_components(arch: Arch) -> dict[str, Component]:
    t, a = arch.technology, arch.array
    e_scale = (t.node_nm / 32.0) * t.vdd_v**2
    a_scale = (t.node_nm / 32.0) ** 2
    cycle = 1.0 / t.clock_hz

    def ref(name: str, level: Level, count: float, energy_mult: float = 1.0,
            size_bytes: int | None = None, latency: float = cycle) -> Component:
        area_um2 = (_REF_AREA_UM2_PER_BYTE[name] * size_bytes if size_bytes is not None
                    else _REF_AREA_UM2[name])
        return Component(name, level, count, ACTIONS[name],
                         _REF_ENERGY_PJ[name] * energy_mult * e_scale * 1e-12,
                         area_um2 * a_scale * 1e-12, latency)

    feature = t.node_nm * 1e-9
    adc = adc_cost(arch.adc, t.node_nm, t.vdd_v)
    dac_levels = 2**arch.precision.applied_dac_bits - 1  # the levels a read uses
    line = a.cols * a.line_cap_per_cell_f * a.read_voltage_v**2
    driver_logic = dac_levels * 2e-15 * (t.node_nm / 28.0) * t.vdd_v**2
    supply = t.vdd_v if arch.readout.current_mode else a.read_voltage_v
    comps = [
        Component("crossbar", Level.ARRAY, 1, ACTIONS["crossbar"],
                  a.g_ref_s * a.read_voltage_v * supply * a.read_time_s,
                  a.rows * a.cols * a.cell_area_f2 * feature**2, a.read_time_s),
        Component("wordline", Level.ARRAY, a.rows if a.wordline_voltage_v else 0,
                  ACTIONS["wordline"], a.cols * a.wordline_cap_per_cell_f * a.wordline_voltage_v**2,
                  0.0, a.read_time_s),
        Component("dac", Level.ARRAY, a.rows, ACTIONS["dac"], line + driver_logic,
                  _REF_AREA_UM2["dac"] * a_scale * 1e-12, a.read_time_s),
        *periphery(arch),
        ref("sample_hold", Level.ARRAY, a.cols, latency=a.read_time_s),
        Component("adc", Level.ARRAY, adcs_per_array(arch), ACTIONS["adc"],
                  adc.energy_j, adc.area_m2, adc.latency_s),
        ref("shift_add", Level.CORE, arch.core.shift_adds),
        ref("input_register", Level.CORE, 1 if arch.core.input_register_bytes else 0,
            size_bytes=arch.core.input_register_bytes),
        ref("output_register", Level.CORE, 1 if arch.core.output_register_bytes else 0,
            size_bytes=arch.core.output_register_bytes),
        ref("buffer", Level.TILE, 1 if arch.tile.buffer_bytes else 0,
            size_bytes=arch.tile.buffer_bytes),
        ref("bus", Level.TILE, 1 if arch.tile.buffer_bytes else 0),
        ref("router", Level.TILE, arch.tile.routers),
        ref("accumulator", Level.TILE, arch.tile.accumulators),
        ref("activation", Level.TILE, arch.tile.activation_units),
        ref("pooling", Level.TILE, arch.tile.pooling_units),
        ref("alu", Level.TILE, arch.tile.alus),
        ref("digital_mac", Level.TILE, arch.tile.digital_macs),
        ref("tile_output_register", Level.TILE, 1 if arch.tile.output_register_bytes else 0,
            size_bytes=arch.tile.output_register_bytes),
        ref("io", Level.CHIP, arch.chip.io_links, latency=0.0),
    ]
    out = {}
    for c in comps:
        if not c.count:
            continue  # absent: no area, no energy, no report line
        o = arch.overrides.get(c.name)
        if o is not None:
            c = Component(
                c.name, c.level, c.count, c.action,
                c.energy_j if o.energy_pj is None else o.energy_pj * 1e-12,
                c.area_m2 if o.area_um2 is None else o.area_um2 * 1e-12,
                c.latency_s if o.latency_ns is None else o.latency_ns * 1e-9,
                c.static_w if o.static_mw is None else o.static_mw * 1e-3,
            )
        out[c.name] = c
    return out


# NeuroSim V1.4 block areas at 22 nm, per unit, in F² (see the module docstring)
_ROW_SWITCH_F2 = 4_864.0
_COL_SWITCH_F2 = 2_883.0
_LEVEL_SHIFTER_F2 = 20_684.0
_MUX_DECODER_F2 = 98_000.0
_MUX_F2 = ((256, 2_688.0), (512, 3_068.0), (1024, 6_050.0))  # rows read together → F²
_LEVEL_SHIFT_ABOVE_V = 1.5


def periphery(arch: Arch) -> list[Component]:
    """Area-only row and column periphery of one array (none unless ``neurosim``)."""
    a = arch.array
    if a.periphery is not Periphery.NEUROSIM:
        return []
    f2 = (arch.technology.node_nm * 1e-9) ** 2
    shifters = a.write_voltage_v > _LEVEL_SHIFT_ABOVE_V
    row = _ROW_SWITCH_F2 + (2 * _LEVEL_SHIFTER_F2 if shifters else 0.0)
    col = _COL_SWITCH_F2 + (_LEVEL_SHIFTER_F2 if shifters else 0.0)
    if arch.adc.cols_per_adc > 1:
        rows_read = arch.array_spec().read_rows
        x, y = zip(*_MUX_F2, strict=True)
        col += float(np.interp(rows_read, x, y)) + _MUX_DECODER_F2 / a.cols
    return [Component("row_periphery", Level.ARRAY, a.rows, ACTIONS["row_periphery"], 0.0,
                      row * f2, 0.0),
            Component("column_periphery", Level.ARRAY, a.cols, ACTIONS["column_periphery"],
                      0.0, col * f2, 0.0)]


def adcs_per_array(arch: Arch) -> float:
    """ADCs per array: one per ``cols_per_adc`` columns, shared by ``arrays_per_adc`` arrays."""
    return math.ceil(arch.array.cols / arch.adc.cols_per_adc) / arch.adc.arrays_per_adc


def adc_model_name(arch: Arch) -> str:
    return adc_cost(arch.adc, arch.technology.node_nm, arch.technology.vdd_v).model
