"""The console's WebSocket: every open page hears new events and box state changes."""
import asyncio

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from cloudplatform.live import CONSOLE_GROUP, ensure_relay


class ConsoleConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_staff:
            await self.close(code=4403)
            return
        await self.channel_layer.group_add(CONSOLE_GROUP, self.channel_name)
        await ensure_relay(asyncio.get_running_loop())
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(CONSOLE_GROUP, self.channel_name)

    async def console_update(self, message: dict) -> None:
        await self.send_json(message["message"])
