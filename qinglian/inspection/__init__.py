"""检查组抽查: drawing the inspection sample, recording what the visits found, and the year-end
assessment (年终考核).
"""
