"""Pure rules: values in, values out; no database, file or network (import-linter checks it).

Modules:

- ``allegations``: Whether the cadre's declaration holds what a complaint alleges (the cross-check).
  Pure.
- ``categories``: The category a complaint alleges (问题类别), read from what it wrote.
- ``deadlines``: Deadlines: template dates shifted to a campaign's start, then cascaded down the
  tree.
- ``detection``: The four key problems and the two rules on conduct, detected from one declaration
  form.
- ``ladder``: The escalation ladder (督办阶梯) and lagging units (工作滞后或问题较多). Pure: values in, values
  out.
- ``matching``: Who a complaint is about: cadres scored against the name it wrote. Pure functions.
- ``names``: People's names as complaints write them: titles, surnames and pinyin, folded for
  matching.
- ``rollup``: Rolling a unit's own reporting together with its children's outcomes.
- ``sampling``: Inspection sampling (检查组抽查), weighted toward lagging units. Pure: values in, values
  out.
- ``scope``: Who must file a declaration in a campaign (适用对象, Article 2).
- ``status``: A deliverable's status on a given day.
- ``text``: Text as complaints write it, folded into what matching compares.
- ``unit_names``: Unit names as complaints write them (被反映单位), resolved against a campaign's units.
- ``workdays``: Working days on the Chinese calendar: public holidays and make-up working days (调休).
"""
