"""督办: where a campaign stands on ``as_of``, the open items, who the escalation ladder reaches,
the digests it writes, and the outbox that delivers them exactly once.
"""
