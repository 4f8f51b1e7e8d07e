"""Touching the file system, processes and git safely: appends, atomic writes, inputs, output
checks.
"""
