"""The console's WebSocket: every open page hears new events and box state changes, those of
the sites its operator sees (cloudplatform.live tags each message with its box's site)."""
import asyncio
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth import HASH_SESSION_KEY

from accounts.scope import Scope
from accounts.selectors import fresh_scope
from cloudplatform.live import CONSOLE_GROUP, ensure_relay

# How long a socket trusts the operator's scope before reading it again: a role, a site taken
# away or a disabled account takes effect on open pages within this many seconds.
SCOPE_TTL = 10.0


class ConsoleConsumer(AsyncJsonWebsocketConsumer):
    operator_scope: Scope | None = None
    scope_read_at = 0.0

    async def connect(self) -> None:
        user = self.scope.get("user")
        self.user_id = user.pk if user is not None and user.is_authenticated else None
        # The password the session was opened with: a reset (or a change elsewhere) ends this page too.
        self.session_hash = (self.scope.get("session") or {}).get(HASH_SESSION_KEY)
        if await self._current_scope() is None:
            await self.close(code=4403)
            return
        await self.channel_layer.group_add(CONSOLE_GROUP, self.channel_name)
        await ensure_relay(asyncio.get_running_loop())
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(CONSOLE_GROUP, self.channel_name)

    async def console_update(self, message: dict) -> None:
        update = message["message"]
        scope = await self._current_scope()
        if scope is None:  # disabled, reset, or no longer an operator
            await self.close(code=4403)
        elif scope.everything or update.get("site") in scope.site_ids:
            await self.send_json(update)

    async def _current_scope(self) -> Scope | None:
        if self.user_id is None:
            return None
        if time.monotonic() - self.scope_read_at > SCOPE_TTL:
            self.operator_scope = await database_sync_to_async(fresh_scope)(self.user_id, self.session_hash)
            self.scope_read_at = time.monotonic()
        return self.operator_scope
