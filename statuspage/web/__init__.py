"""What only serves HTTP, next to the blueprints of `statuspage.views`: forms, input parsing,
the error pages and JSON error body, security headers, request limits, feeds, share panels,
social cards and the OpenAPI document. Nothing in `services/`, `domain/` or the worker imports
from here."""
