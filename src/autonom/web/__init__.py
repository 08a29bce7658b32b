"""The HTTP boundary shared by the server and the till: one set of error handlers, one
limit on request bodies, one Jinja setup. Each part adds only what is its own (the pages
it renders, the exceptions of its own adapters)."""

from autonom.web.body_limit import MAX_BODY_BYTES, BodyLimit
from autonom.web.errors import (
    PageRenderer,
    Translators,
    error_response,
    install_error_handlers,
)
from autonom.web.templates import templates_for

__all__ = [
    "MAX_BODY_BYTES",
    "BodyLimit",
    "PageRenderer",
    "Translators",
    "error_response",
    "install_error_handlers",
    "templates_for",
]
