"""Column types and mixins shared by the models: UTC datetimes, enums stored as text, bilingual
text columns."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    DateTime,
    String,
    TypeDecorator,
)

from statuspage.domain import texts


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in Python, naive UTC in the database (same on SQLite and PostgreSQL)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class StrEnumType(TypeDecorator):
    """A StrEnum stored as its plain value: adding a value needs no schema change."""

    impl = String(32)
    cache_ok = True

    def __init__(self, enum_cls: type[StrEnum]) -> None:
        super().__init__()
        self.enum_cls = enum_cls

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else self.enum_cls(value).value

    def process_result_value(self, value: str | None, dialect: Any) -> StrEnum | None:
        return None if value is None else self.enum_cls(value)


def utcnow() -> datetime:
    return datetime.now(UTC)


def reading_language() -> str:
    """The language being rendered (request, forced locale), else the site's default."""
    from flask import current_app, has_app_context
    from flask_babel import get_locale

    try:
        locale = get_locale()
    except RuntimeError:  # no request: a worker or a command
        locale = None
    if locale is not None and str(locale) in texts.LANGUAGES:
        return str(locale)
    if has_app_context():
        return current_app.config.get("DEFAULT_LANGUAGE", "en")
    return "en"


class Bilingual:
    """Columns `<field>_en` and `<field>_fr`; `text(field, lang)` picks one, falling back."""

    def texts(self, field: str) -> dict[str, str]:
        return {lang: getattr(self, f"{field}_{lang}") or "" for lang in texts.LANGUAGES}

    def text(self, field: str, lang: str | None = None) -> texts.Shown:
        return texts.pick(self.texts(field), lang or reading_language())

    def set_texts(self, field: str, values: dict[str, str]) -> None:
        for lang in texts.LANGUAGES:
            setattr(self, f"{field}_{lang}", (values.get(lang) or "").strip())
