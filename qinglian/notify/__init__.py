"""Sending messages: the ``Notifier`` protocol, its Apprise implementation and the recording one
for tests, chosen by settings. Code names targets, never URLs.

Modules:

- ``apprise_notifier``: The Apprise notifier: sends to the URLs configured for a target name, never
  naming them.
- ``bot_payloads``: What each group bot is sent for a message: the JSON bodies, checked before
  sending.
- ``bot_replies``: What a group bot's reply means: sent, rate limited, refused for good, or worth
  a retry.
- ``bots``: Checked delivery to WeCom, DingTalk and Feishu/Lark group bots: the reply decides.
- ``channels``: What each kind of channel takes: its format, its size limit, pictures and
  @-mentions.
- ``mail``: Mail sent with ``smtplib`` from the settings Apprise parsed out of a mailto URL.
- ``notifier``: Choosing the notifier by settings: Apprise in service, the recording one in tests.
- ``ratelimit``: Per-bot rate limits: never send a group bot more than its service accepts.
- ``protocol``: The ``Notifier`` protocol, the message it sends, and the recording notifier for
  tests.
- ``redaction``: Keeping URLs and tokens out of sight: masking, redaction and the log filter.
- ``targets``: Target names: how code names who is told (never a URL), and e-mail address targets.
"""
