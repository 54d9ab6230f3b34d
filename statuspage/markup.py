"""Staff-written Markdown, rendered and sanitized: no staff text can inject script."""

import html

import markdown
import nh3
from markupsafe import Markup

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h3", "h4", "h5", "h6", "hr", "i",
    "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr",
    "ul",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}


def render_markdown(text: str | None) -> Markup:
    html = markdown.markdown(text or "", extensions=["tables", "sane_lists"], output_format="html")
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener",
    )
    return Markup(clean)  # noqa: S704 - sanitized by nh3 just above


def plain_text(text: str | None, limit: int | None = None) -> str:
    """The words of a Markdown body, for meta descriptions, feeds' summaries and mail subjects."""
    words = " ".join(html.unescape(nh3.clean(markdown.markdown(text or ""), tags=set())).split())
    if limit is not None and len(words) > limit:
        words = words[: limit - 1].rsplit(" ", 1)[0] + "…"
    return words
