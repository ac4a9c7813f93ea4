"""Scenario files shipped with the simulator (loaded by name: `sim run demo`)."""
