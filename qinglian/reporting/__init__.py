"""What people read: the artifacts' tables and Markdown, the phase summaries (阶段性总结) rolled
up the tree with the units' narratives, and the written comprehensive report.
"""
