"""Workbooks returned by e-mail: read from the intake mailbox, imported once, answered."""
