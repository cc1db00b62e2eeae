"""Measured data statistics for the energy model (``imcsim compile --activity-from``).

The functional simulator runs the model on real inputs — a data set, random inputs or an
``.npz`` of model inputs — and records, for every crossbar layer, what its arrays actually
saw: per input-bit position the mean of (digit / (2^dac_bits − 1))² over the rows driven
(the fraction of high pulses for 1-bit pulses), the mean conductance of the cells those
pulses read relative to G_ref (activity-weighted), and whether the inputs were signed.
The analytical simulator then prices crossbar cell pulses and DAC pulses with these
figures instead of the documented defaults (:mod:`imcsim.sim.actions`).
"""

from __future__ import annotations

import os

from imcsim.compiler.frontend import import_onnx
from imcsim.compiler.passes import canonicalize
from imcsim.config import Arch
from imcsim.functional.accuracy import evaluate
from imcsim.functional.crossbar import ActivityStats
from imcsim.sim.actions import Activity


def to_activity(stats: list[ActivityStats], label: str) -> Activity:
    """Pool the sums of a layer's matrices (RNN gates share a layer) into one record."""
    entries = sum(s.entries for s in stats)
    cycles = max(len(s.cycle_sums) for s in stats)
    sums = [sum(float(s.cycle_sums[j]) for s in stats if j < len(s.cycle_sums))
            for j in range(cycles)]
    pulses = sum(s.pulse_weighted for s in stats)
    g = sum(s.g_weighted for s in stats) / pulses if pulses > 0 else 1.0
    return Activity(bits=tuple(v / entries if entries else 0.0 for v in sums), g_ratio=g,
                    signed=any(s.signed for s in stats), source=label)


def measure_activity(model: str | os.PathLike[str], arch: Arch, source: str, samples: int,
                     seed: int = 0, batch_size: int = 32) -> dict[str, Activity]:
    """Activity of every crossbar layer of ``model`` on ``samples`` inputs from ``source``
    (digits | random | FILE.npz), simulated on ``arch`` with ``seed``."""
    net = import_onnx(model)
    if net.batch_symbolic:
        net = import_onnx(model, batch=min(batch_size, samples))
    net = canonicalize(net, drop_views=False)
    result = evaluate(net, arch, source, samples, seed, record_activity=True,
                      option="--activity-from", label="activity")
    label = f"{os.path.basename(source)}, {samples} samples, seed {seed}"
    return {name: to_activity(stats, label) for name, stats in result.activity.items()}
