"""Component cost models: what one action of each component costs."""

from imcsim.cost.adc import AdcCost, adc_cost
from imcsim.cost.components import ACTIONS, Component, Level, adc_model_name, build_components

__all__ = ["ACTIONS", "AdcCost", "Component", "Level", "adc_cost", "adc_model_name",
           "build_components"]
