"""Ready-to-post texts for the social media team: status, title and link in 280 characters."""

from __future__ import annotations

LIMIT = 280
ELLIPSIS = "…"


def share_text(status_label: str, title: str, link: str, limit: int = LIMIT) -> str:
    """`[Status] Title link`, the title shortened (never the link) to fit `limit`."""
    prefix = f"[{status_label}] "
    room = limit - len(prefix) - len(link) - 1
    title = " ".join(title.split())
    if room <= 0:
        return f"{prefix}{link}"[:limit]
    if len(title) > room:
        cut = title[: room - len(ELLIPSIS)].rstrip()
        if " " in cut and len(cut.rsplit(" ", 1)[0]) > room // 2:
            cut = cut.rsplit(" ", 1)[0]
        title = cut + ELLIPSIS
    return f"{prefix}{title} {link}"
