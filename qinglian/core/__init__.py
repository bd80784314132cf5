"""The plumbing every part stands on: settings, the database and its SQL helpers, the simulated
clock (``as_of``), errors with their bilingual messages, and the Prefect heartbeat patch that
the flows install explicitly.
"""
