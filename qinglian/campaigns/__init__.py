"""Campaigns (专项工作): the templates that describe them, launching one down the tree with its
cascaded calendar, and recording what each unit delivers (动员部署 and the other deliverables).

Modules:

- ``import_deliveries``: Import what units delivered in a phase (上报事项) from an XLSX or CSV file.
- ``launch``: Launching a campaign and recording what units deliver. Persistence only; no Prefect.
- ``lookup``: Finding a campaign, its phases and its root unit.
- ``templates``: Campaign templates: YAML data validated by pydantic, never code.
"""
