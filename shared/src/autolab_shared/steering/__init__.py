"""Categories, knob values, the idea catalogue and the bandit behind autosteer."""
