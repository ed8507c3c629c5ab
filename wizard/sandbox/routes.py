"""The sandbox's routing, the same for the site and both APIs: a small table of path patterns,
each with its handlers by method.

A pattern is a path whose `{name}` segments each match one non-empty segment, handed to the
handler by name. A route's "*" answers every method it does not name. What an API answers for
a path no route matches, or a method its route does not take, is the API's own (`miss`), as is
its authentication (`guard`), which `public` routes skip.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from wizard.http.server import Request, Response


@dataclass(frozen=True)
class Call:
    """One request as a handler sees it: with its request id and the pattern's values."""

    request: Request
    request_id: str
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def method(self) -> str:
        return self.request.method


Handler = Callable[[Call], Response]
Miss = Callable[[Call, "Route | None"], Response]


@dataclass(frozen=True)
class Route:
    pattern: str
    methods: Mapping[str, Handler]
    public: bool = False  # answered without the API's authentication
    # Runs once the path matches, before the method is chosen, and raises to refuse (e.g.
    # "no such record"); what it returns is not used.
    check: Callable[[Call], object] | None = None

    def match(self, segments: list[str]) -> dict[str, str] | None:
        parts = self.pattern.split("/")[1:]
        if len(parts) != len(segments):
            return None
        params: dict[str, str] = {}
        for part, segment in zip(parts, segments, strict=True):
            if part.startswith("{") and part.endswith("}"):
                if not segment:
                    return None
                params[part[1:-1]] = segment
            elif part != segment:
                return None
        return params

    def handler(self, method: str) -> Handler | None:
        return self.methods.get(method) or self.methods.get("*")

    @property
    def allowed(self) -> str:
        """The methods it names, as an Allow header lists them."""
        return ", ".join(method for method in self.methods if method != "*")


class RouteTable:
    """Routes tried in order; `segment` normalises each path segment before matching."""

    def __init__(self, routes: Iterable[Route], *, segment: Callable[[str], str] = str) -> None:
        self._routes = tuple(routes)
        self._segment = segment

    def find(self, path: str) -> tuple[Route, dict[str, str]] | None:
        segments = [self._segment(part) for part in path.split("/")[1:]]
        for route in self._routes:
            params = route.match(segments)
            if params is not None:
                return route, params
        return None

    def dispatch(
        self,
        request: Request,
        request_id: str,
        path: str,
        *,
        guard: Callable[[Request], None],
        miss: Miss,
    ) -> Response:
        """Answer `request` (at `path`, as the API reads it) by the first route matching."""
        found = self.find(path)
        route, params = found if found is not None else (None, {})
        call = Call(request, request_id, params)
        if route is None or not route.public:
            guard(request)
        if route is None:
            return miss(call, None)
        if route.check is not None:
            route.check(call)
        handler = route.handler(request.method)
        return miss(call, route) if handler is None else handler(call)


def anyone(request: Request) -> None:
    """The guard of routes open to all."""
