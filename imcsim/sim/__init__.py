"""Simulators: action counts and the analytical timing/energy/area model."""

from imcsim.sim.actions import LayerActions, count_actions
from imcsim.sim.analytical import PeakResult, SimResult, peak, simulate

__all__ = ["LayerActions", "PeakResult", "SimResult", "count_actions", "peak", "simulate"]
