"""What comes in through the address: query strings and path parts without control characters,
integer ids within what the database holds, page numbers read strictly."""

from __future__ import annotations

import re

from flask import Flask, abort, request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter

from statuspage.domain.cleaning import clean_text

#: The largest id a database integer column holds (PostgreSQL's `integer`).
MAX_ID = 2**31 - 1
_PAGE = re.compile(r"[0-9]{1,7}")


class BoundedIntegerConverter(IntegerConverter):
    """`<int:…>` that does not match numbers no row can have: a 404, not an overflow."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def page_number(maximum: int = 1_000_000) -> int:
    """`?page=`: ASCII digits from 1 to `maximum`, else 404 (`²` is a digit to Python)."""
    value = request.args.get("page", "1")
    if not _PAGE.fullmatch(value) or not 1 <= int(value) <= maximum:
        abort(404)
    return int(value)


def _clean_args() -> None:
    args = request.args
    if any(clean_text(k) != k or clean_text(v) != v for k, v in args.items(multi=True)):
        request.args = ImmutableMultiDict(
            [(clean_text(k), clean_text(v)) for k, v in args.items(multi=True)]
        )


def _clean_view_args(endpoint: str | None, values: dict | None) -> None:
    if values:
        for key, value in values.items():
            if isinstance(value, str):
                values[key] = clean_text(value)


def init_app(app: Flask) -> None:
    """Before the blueprints: their rules are built with these converters."""
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.before_request(_clean_args)
    app.url_value_preprocessor(_clean_view_args)
