"""Pure rules of the trade: no Flask, no database session.

Each module can be read on its own: `status` says what the page shows and why, `uptime` how the
90-day bars and percentages are computed, `ids` how public identifiers look.
"""
