"""Sending messages: the ``Notifier`` protocol, its Apprise implementation and the recording one
for tests, chosen by settings. Code names targets, never URLs.
"""
