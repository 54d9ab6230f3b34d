"""Application operations: load rows, apply the domain's rules, write back and flush.

They take `now` as an argument (keyword-only, with the acting user, where they record who did
it) and never commit: the request or the CLI command that calls them commits once.
"""
