"""The statistics of one verdict and of a night: noise, prior, incumbent, decision, audit."""
