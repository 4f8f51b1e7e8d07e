"""The click plumbing of the three CLIs: commands, shared options, output envelopes, safe text,
streams.
"""
