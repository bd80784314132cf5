"""Workbooks returned by e-mail: read from the intake mailbox, imported once, answered.

Units answer a reminder by replying with the filled-in workbook attached. Every 10 minutes the
``mail-intake`` flow reads the intake mailbox (IMAP) and settles each new mail exactly once,
keyed by its Message-ID: imported (a receipt, 回执, goes back), rejected (the reply says why,
row errors included) or quarantined unopened (unknown senders, macros, encrypted or oversize
files). Prefect-free: the tasks and the flow call :func:`processing.run_intake`.

Modules:

- ``mailbox``: the IMAP mailbox: new mail read without marking it, flagged once settled.
- ``messages``: a mail read into its sender, tokens, machine marks and attachments.
- ``senders``: which unit a mail comes from: its reply token, else its listed sender.
- ``screening``: which attachments may be opened, told from their bytes alone.
- ``workbooks``: what a workbook is (报告表, 上报事项, 整改台账, 阶段性总结) and whose.
- ``campaigns``: which campaign a returned workbook is for.
- ``importing``: the importers run for the sending unit, its own workbooks only.
- ``replies``: the receipt or the refusal, queued in the outbox once per mail.
- ``outcomes``: what became of a mail, and the run's counts.
- ``records``: the ``IntakeMail`` rows, and the raw mail kept for a quarantined one.
- ``processing``: one run: claim, decide, import, answer, commit, flag; crash-safe.
"""
