"""Functional (accuracy) simulation: what the mapped crossbars actually compute."""
