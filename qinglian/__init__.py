"""清廉 — health-system integrity campaigns, one package per part of the campaign.

org → campaigns → declarations → complaints → rectification → oversight → inspection →
reporting, on top of ``core`` and ``exchange``; pure rules live in ``rules``.
"""
