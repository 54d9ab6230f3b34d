"""Template filters and globals: dates in the reader's language, Markdown, durations."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import idna
from flask import Flask, g, request, url_for
from flask_babel import format_date, format_decimal, gettext, ngettext
from markupsafe import Markup, escape

from statuspage.domain.texts import Shown
from statuspage.links import absolute_url
from statuspage.markup import plain_text, render_markdown


def time_tag(moment: datetime | date | None, fmt: str = "medium") -> Markup:
    """A time in the page's zone, named ("14:00 heure de Paris (CET)"), inside
    `<time datetime>` in UTC for machines; `static/time.js` adds how long ago and the reader's
    own time. `fmt="date"`: the day only."""
    from statuspage.i18n import local_date, local_time

    if moment is None:
        return Markup("")
    if not isinstance(moment, datetime):
        return Markup('<time datetime="{}">{}</time>').format(
            moment.isoformat(), format_date(moment, "long")
        )
    iso = moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    if fmt == "date":
        return Markup('<time datetime="{}" data-precision="date">{}</time>').format(
            iso, local_date(moment)
        )
    return Markup('<time datetime="{}">{}</time>').format(iso, local_time(moment))


def translated(item, field: str) -> Shown:
    """`item`'s text in the reader's language, else in the other one (see `Shown.fallback`)."""
    from statuspage.i18n import current_language

    return item.text(field, current_language())


def fallback_note(shown: Shown) -> str:
    """ "(in French only)": said where the reader's language is missing ('' otherwise)."""
    if not shown.fallback:
        return ""
    only = gettext("in French only") if shown.lang == "fr" else gettext("in English only")
    return f"({only})"


def inline_text(shown: Shown) -> Markup:
    """A title in a line of HTML, marked with its language when it is not the reader's."""
    if not shown.fallback:
        return escape(shown.text)
    return Markup('<span lang="{}">{}</span> <small class="lang-note">{}</small>').format(
        shown.lang, shown.text, fallback_note(shown)
    )


def body_html(shown: Shown) -> Markup:
    """Markdown text in its `<div class="body">`, marked with its language when it is not the
    reader's."""
    if not shown.fallback:
        return Markup('<div class="body">{}</div>').format(render_markdown(shown.text))
    return Markup(
        '<div class="body" lang="{}">{}</div><p class="lang-note"><small>{}</small></p>'
    ).format(shown.lang, render_markdown(shown.text), fallback_note(shown))


def noted_text(shown: Shown) -> str:
    """A title in plain text (mail, feeds, subjects), with its note when it is a fallback."""
    note = fallback_note(shown)
    return f"{shown.text} {note}" if note else shown.text


def plain_body(shown: Shown) -> str:
    """Markdown text as plain text (text mail), its note on a line of its own if a fallback."""
    note = fallback_note(shown)
    text = plain_text(shown.text)
    return f"{text}\n{note}" if note else text


def duration(delta: timedelta | None) -> str:
    if delta is None:
        return ""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(ngettext("%(num)d day", "%(num)d days", days))
    if hours:
        parts.append(ngettext("%(num)d hour", "%(num)d hours", hours))
    if minutes or not parts:
        parts.append(ngettext("%(num)d minute", "%(num)d minutes", minutes))
    return " ".join(parts)


def url_for_lang(lang: str) -> str:
    """The current page in another language (a cached page: only the parameters it reads)."""
    args = dict(g.page_params) if "page_params" in g else dict(request.args)
    args["lang"] = lang
    if request.endpoint is None:
        return url_for("public.index", lang=lang)
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def idn(domain: str | None) -> str:
    """A domain name as its owner writes it (accents, not punycode)."""
    if not domain:
        return ""
    try:
        return idna.decode(domain)
    except idna.IDNAError:
        return domain


def init_app(app: Flask) -> None:
    app.jinja_env.filters["idn"] = idn
    app.jinja_env.filters["reject_page"] = lambda args: {
        k: v for k, v in args.items() if k != "page"
    }
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["plain"] = plain_text
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.filters["inline"] = inline_text
    app.jinja_env.filters["body"] = body_html
    app.jinja_env.filters["noted"] = noted_text
    app.jinja_env.filters["plain_body"] = plain_body
    app.jinja_env.filters["note"] = fallback_note
    app.jinja_env.globals.update(
        time_tag=time_tag,
        tr=translated,
        url_for_lang=url_for_lang,
        absolute_url=absolute_url,
        escape=escape,
        format_date=format_date,
        format_decimal=format_decimal,
    )
