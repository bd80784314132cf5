"""Sending messages: the ``Notifier`` protocol, its Apprise implementation and the recording one
for tests, chosen by settings. Code names targets, never URLs.

Modules:

- ``apprise_notifier``: The Apprise notifier: sends to the URLs configured for a target name, never
  naming them.
- ``mail``: Mail sent with ``smtplib`` from the settings Apprise parsed out of a mailto URL.
- ``notifier``: Choosing the notifier by settings: Apprise in service, the recording one in tests.
- ``protocol``: The ``Notifier`` protocol, the message it sends, and the recording notifier for
  tests.
- ``redaction``: Keeping URLs and tokens out of sight: masking, redaction and the log filter.
- ``targets``: Target names: how code names who is told (never a URL), and e-mail address targets.
"""
