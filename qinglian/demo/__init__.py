"""`qinglian demo`: the 2012 conflict-of-interest campaign on a tree built from the seeds.

The units are the ones the seeds name (卫生部, 内蒙古自治区卫生厅 and its 盟市卫生局, 连云港市卫生局
and 连云港市妇幼保健院, 镇宁县卫食局 and its 乡计卫中心) plus ordinary county bureaus, hospitals and
departments around them. Cadres are synthetic, except the leading-group names that seed 002
itself publishes for 连妇保. Everything goes through the same importers and flows a campaign
office uses: the demo writes XLSX/CSV files and imports them.

:mod:`~qinglian.demo.run` runs it: the calendar is in ``timeline``, each phase's steps in
``steps_*``, the rows each phase imports in the data modules named after the phase.

``qinglian demo --template KEY`` runs any other template (conduct-2007, conduct-2023) on a small
district (:mod:`~qinglian.demo.district`): :mod:`~qinglian.demo.conduct` reads the phases from
the campaign as launched, so nothing in it names a template; 明查暗访, 公开承诺 and 公开曝光
(:mod:`~qinglian.demo.visits`) follow from a phase's deliverables and activities.
"""
