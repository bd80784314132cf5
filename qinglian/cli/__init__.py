"""The ``qinglian`` command: one module per command group. Commands that run no flow never
import Prefect, so they start fast.
"""
