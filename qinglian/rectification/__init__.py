"""整改: an item per confirmed finding with its measure and deadline, its progress and
verification; and the regulations review (制度清理: rules kept, revised, abolished, new).

Modules:

- ``creation``: Rectification items (整改事项) made for confirmed findings, each with the unit that
  verifies it.
- ``import_ledger``: Import rectification plans and progress (整改台账) from an XLSX or CSV file.
- ``import_regulations``: Import the rules review (制度清单) from an XLSX or CSV file: validate all,
  then upsert.
- ``progress``: A rectification item's progress: reading it, changing its measure or status,
  extending it.
- ``records``: One rectification item read by id and shown, and the date check every writer shares.
- ``regulations``: The review of rules and regulations (制度清单): each unit's rules and what becomes of
  them.
- ``rollup``: Where a campaign's rectification stands on a day: the items listed, and a unit's
  counts.
- ``status``: A rectification item's status rules: which change is allowed, what verification makes
  of it, and how an item stands on a day. Pure: values in, values out.
- ``verification``: The managing unit's verification (验收) of a done rectification item.
"""
