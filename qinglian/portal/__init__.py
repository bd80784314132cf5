"""The web portal (网络直报): units report for themselves, each scoped to what it may see.

Read like the full-stack FastAPI template: :mod:`deps` resolves the current user, its scope and
the campaign; one router module per resource under :mod:`routes`; the services it calls take
the session first and know nothing of HTTP.
"""
