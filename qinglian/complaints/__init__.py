"""信访举报: intake and parsing, the encrypted store, matching a complaint to cadres, the
cross-check against declarations, the verifying office's cases and receipts.
"""
