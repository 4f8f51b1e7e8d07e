"""The words every other wing uses: errors, exit codes, per-line diagnostics, array types and the
working scale.
"""
