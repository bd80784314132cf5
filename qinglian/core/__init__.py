"""The plumbing every part stands on: settings, the database and its SQL helpers, the simulated
clock (``as_of``), errors with their bilingual messages, and the Prefect heartbeat patch that
the flows install explicitly.

Modules:

- ``clock``: The real clock, only where ``as_of`` is left out: campaigns run on China time.
- ``db``: Engine and sessions for SQLite and PostgreSQL, and the check that the schema is current.
- ``errors``: Errors users see: always Chinese first, English beside it, never a traceback.
- ``gc_pause``: Pausing the cyclic garbage collector around bulk work that builds no reference
  cycles.
- ``heartbeats``: Make sync flow runs end at once without giving up their heartbeats.
- ``migrations``: Schema migrations with Alembic: upgrade to the head, and the revision a database
  is at.
- ``settings``: Configuration from the environment (prefix ``QINGLIAN_``), read by
  pydantic-settings.
- ``sql``: SQL plumbing shared by every part: chunked ``IN`` lists and inserts that skip duplicates.
"""
