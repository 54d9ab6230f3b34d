"""Application operations: load rows, apply the domain's rules, write back and flush.

They take the acting user and `now` as keyword arguments and never commit: the request or the CLI
command that calls them commits once.
"""
