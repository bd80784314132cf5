"""What people read: the artifacts' tables and Markdown, the phase summaries (阶段性总结) rolled
up the tree with the units' narratives, and the written comprehensive report.

Modules:

- ``artifacts``: Turning roll-ups into what people read: artifact tables and Markdown, in Chinese.
- ``import_narratives``: Import phase-summary narratives (阶段性总结) from an XLSX or CSV file: validate
  all, then save.
- ``narratives``: The narrative each unit writes for a phase summary and submits upward, against its
  cascaded deadline: it fulfils the phase's ``<phase>_summary`` deliverable.
- ``scope``: Whether a unit a report or summary is asked of lies inside the campaign's tree.
- ``summary_figures``: Phase summaries' figures (阶段性总结), computed from the data and rolled up the
  tree.
- ``summary_store``: Phase summaries as stored: each phase run records every unit's figures,
  `summary show` reads them back. Re-running a phase refreshes the figures and never touches a
  narrative.
- ``document/``: The written comprehensive report (书面综合情况报告): charts, Markdown, Word and PDF.
"""
