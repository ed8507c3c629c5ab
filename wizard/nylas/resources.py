"""A collection keyed by provider: Connect's integrations and v3's connectors are the same
five calls on another path and model (as the SDKs' `nylas.connectors` is)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel

from wizard.nylas.errors import NotFound
from wizard.nylas.models import ZOOM, RequestModel
from wizard.nylas.transport import page, parse, parse_list, segment

M = TypeVar("M", bound=BaseModel)


class Requester(Protocol):
    def __call__(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: dict[str, Any] | None = None,
    ) -> Awaitable[Any]: ...


class ProviderResource(Generic[M]):
    def __init__(self, request: Requester, path: str, model: type[M]) -> None:
        self._request, self.path, self.model = request, path, model

    async def list(self, limit: int | None = None, offset: int | None = None) -> list[M]:
        return parse_list(
            self.model, await self._request("GET", self.path, params=page(limit, offset))
        )

    async def get(self, provider: str = ZOOM) -> M:
        return parse(self.model, await self._request("GET", self._one(provider)))

    async def find(self, provider: str = ZOOM) -> M | None:
        """None when the application has none for this provider."""
        try:
            return await self.get(provider)
        except NotFound:
            return None

    async def create(self, spec: RequestModel) -> M:
        return parse(self.model, await self._request("POST", self.path, json_body=spec.body()))

    async def update(self, provider: str, changes: RequestModel) -> M:
        data = await self._request("PATCH", self._one(provider), json_body=changes.body())
        return parse(self.model, data)

    def _one(self, provider: str) -> str:
        return f"{self.path}/{segment(provider)}"
