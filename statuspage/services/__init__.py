"""Application operations: load rows, apply the domain's rules, write back and flush.

They take `now` (and, later, the acting user) as arguments and never commit: the request or the
CLI command that calls them commits once.
"""
