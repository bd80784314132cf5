"""整改: an item per confirmed finding with its measure and deadline, its progress and
verification; and the regulations review (制度清理: rules kept, revised, abolished, new).
"""
