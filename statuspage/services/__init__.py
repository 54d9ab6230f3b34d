"""Application operations: load rows, apply the domain's rules, write back and flush.

They take `now` as an argument (keyword-only, with the acting user, where they record who did
it) and never commit: the request, the CLI command or the worker's job that calls them commits
once. `intake` is the one exception: a customer's request is committed before it is
acknowledged.
"""
