"""Campaigns (专项工作): the templates that describe them, launching one down the tree with its
cascaded calendar, and recording what each unit delivers (动员部署 and the other deliverables).
"""
