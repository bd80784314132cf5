"""The organisational tree (单位) and its cadres (干部): reading the tree, and importing the unit
and cadre exchange files.
"""
