"""Every URL route of the platform, for the role tests that walk them all: a route added later
is either checked there or named in their allow-list, else those tests fail."""
from __future__ import annotations

from dataclasses import dataclass

from django.urls import URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str  # the pattern text from the root, e.g. "api/^boxes/(?P<pk>[^/.]+)/$"
    kwargs: tuple[str, ...]


def _walk(patterns, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def all_routes() -> list[Route]:
    """Each named route once (DRF's format-suffix twins share the name), Django's admin left
    out: it has its own staff check (a site manager or viewer is no staff)."""
    routes: dict[str, Route] = {}
    for text, pattern in _walk(get_resolver().url_patterns):
        if text.startswith("admin/") or pattern.name in routes:
            continue
        assert pattern.name, f"unnamed route {text}: name it so the role tests can check it"
        kwargs = tuple(pattern.pattern.regex.groupindex) if pattern.pattern.regex.groupindex else ()
        routes[pattern.name] = Route(pattern.name, text, kwargs)
    return list(routes.values())


def api_routes() -> list[Route]:
    return [route for route in all_routes() if route.pattern.startswith("api/")]


def console_routes() -> list[Route]:
    return [route for route in all_routes() if not route.pattern.startswith(("api/", "box/"))]
