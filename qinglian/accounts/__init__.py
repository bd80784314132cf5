"""Portal accounts: who may log in, for which unit and role, their sessions and their scope.

Nothing here knows HTTP: the portal's routes call these functions with a session first.
"""
