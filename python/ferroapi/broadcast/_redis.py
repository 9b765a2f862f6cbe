"""`redis://` (and `rediss://`): every event is an entry of a Redis Stream, one stream per channel.

- `publish` is one `XADD ... MAXLEN ~ retention` (the id is the entry's) plus an `EXPIRE`, so a
  channel nobody publishes to any more disappears after `idle_expiry` seconds.
- Live delivery: one reader task per process runs `XREAD BLOCK` over every channel open here, from
  the last id it delivered on each, and hands what it reads to the fanout. The stream is both the
  live feed and the replay log, so there are no two sources to reconcile: a resumed subscriber reads
  `XRANGE (last-id position]` and then the live events after `position`, with no gap and no
  duplicate. (Pub/sub would lose what was sent while the reader was away; the stream does not.)
- A new channel wakes the blocked `XREAD` through a private "wake" stream of this process.
- Outage: `publish` raises `BroadcastUnavailable` within `timeout` seconds; the reader retries with
  capped exponential backoff and continues from its ids, so subscribers wait (their SSE keepalive
  goes on) and then get every event still retained. After a restart without persistence, new ids
  still sort after the old ones (they start from Redis' clock), so subscribers simply continue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import TYPE_CHECKING, Any

import anyio

from ferroapi._shutdown.loops import spawn
from ferroapi.broadcast._errors import BroadcastUnavailable
from ferroapi.broadcast._event import Event, EventKey, event_id, event_key
from ferroapi.broadcast._fanout import Fanout

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["RedisBackend"]

logger = logging.getLogger("ferroapi.broadcast")

# Entries one XREAD may return per stream: a burst is read in several calls, none of them huge.
_READ_BATCH = 512
_FIELD = "d"


def _import_redis() -> Any:
    # `redis` is an optional dependency (`pip install ferroapi[redis]`): imported when a redis://
    # broadcast connects, so `memory://` and the rest of ferroapi work without it.
    try:
        import redis.asyncio
    except ImportError as exc:
        raise ImportError(
            "a redis:// broadcast needs the redis package: pip install 'ferroapi[redis]'"
        ) from exc
    return redis


class RedisBackend:
    def __init__(
        self,
        url: str,
        fanout: Fanout,
        *,
        retention: int,
        prefix: str,
        timeout: float,
        idle_expiry: int,
        backoff: tuple[float, float],
    ) -> None:
        self._url = url
        self._fanout = fanout
        self._retention = retention
        self._prefix = prefix
        self._timeout = timeout
        self._idle_expiry = idle_expiry
        self._backoff = backoff
        self._wake_key = f"{prefix}_wake:{uuid.uuid4().hex}"
        self._wake_position = "0-0"
        self._client: Redis | None = None
        self._reader: Redis | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        # What a Redis outage raises (redis.RedisError joins at connect: redis is imported there).
        self._outage: tuple[type[Exception], ...] = (TimeoutError, OSError)
        # The XREAD's block: long enough to be idle cheaply, short enough for the socket timeout.
        self._block_ms = 5000

    async def connect(self) -> None:
        redis = _import_redis()
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "a redis:// broadcast needs asyncio (redis-py's client); under trio use memory://"
            ) from None
        self._closing = False
        self._outage = (TimeoutError, OSError, redis.RedisError)
        # No retries by redis-py: commands fail fast (the caller's error is the point), and a retried
        # XADD whose first attempt did reach Redis would publish the event twice. The reader retries
        # by itself, from its last ids.
        retry = redis.asyncio.retry.Retry(redis.backoff.NoBackoff(), 0)
        self._client = redis.asyncio.Redis.from_url(
            self._url,
            decode_responses=True,
            socket_connect_timeout=self._timeout,
            socket_timeout=self._timeout,
            retry=retry,
        )
        self._reader = redis.asyncio.Redis.from_url(
            self._url,
            decode_responses=True,
            socket_connect_timeout=self._timeout,
            socket_timeout=self._block_ms / 1000 + self._timeout,
            retry=retry,
        )
        pipe = self._wake_pipeline(self._client)
        try:
            # Also the check that Redis answers: a worker that cannot reach it does not start.
            self._wake_position, _ = await self._command(pipe.execute(), "connect")
        except BroadcastUnavailable:
            await self._close_clients()
            raise
        self._task = asyncio.create_task(self._read_forever(), name="ferroapi-broadcast-reader")

    async def disconnect(self) -> None:
        self._closing = True
        if self._task is not None:
            # redis-py does not give up a blocked XREAD on cancellation (it waits for the reply), so
            # the reader is woken by its wake stream first; the wait is bounded either way.
            with anyio.CancelScope(shield=True):
                await self._wake()
                self._task.cancel()
                with anyio.move_on_after(self._timeout + 1):
                    await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._client is not None:
            with anyio.move_on_after(self._timeout, shield=True):
                # Redis down at shutdown: the key expires by itself.
                with contextlib.suppress(Exception):
                    await self._client.delete(self._wake_key)
        await self._close_clients()

    async def _close_clients(self) -> None:
        for client in (self._client, self._reader):
            if client is not None:
                await client.aclose()
        self._client = self._reader = None

    async def _command(self, awaitable: Any, what: str) -> Any:
        """Await one Redis command within `timeout`; any failure is `BroadcastUnavailable`."""
        try:
            with anyio.fail_after(self._timeout):
                return await awaitable
        except self._outage as exc:
            raise BroadcastUnavailable(f"broadcast backend unavailable ({what}): {exc!r}") from exc

    def _client_or_raise(self) -> Redis:
        if self._client is None:
            raise RuntimeError("the broadcast is not connected: use `async with broadcast` or connect()")
        return self._client

    async def publish(self, channel: str, data: str) -> str:
        client = self._client_or_raise()
        key = self._prefix + channel
        pipe = client.pipeline(transaction=False)
        pipe.xadd(key, {_FIELD: data}, maxlen=self._retention, approximate=True)
        pipe.expire(key, self._idle_expiry)
        event_id, _ = await self._command(pipe.execute(), "publish")
        return str(event_id)

    async def last_id(self, channel: str) -> EventKey:
        client = self._client_or_raise()
        newest = await self._command(client.xrevrange(self._prefix + channel, count=1), "subscribe")
        return event_key(newest[0][0]) if newest else (0, 0)

    async def history(self, channel: str, after: EventKey, upto: EventKey) -> list[Event]:
        client = self._client_or_raise()
        entries = await self._command(
            client.xrange(self._prefix + channel, min="(" + event_id(after), max=event_id(upto)), "replay"
        )
        return _events(channel, entries)

    def channel_opened(self) -> None:
        # Wake the reader's blocked XREAD so it starts reading the new channel now, not after its block.
        if self._client is not None:
            spawn(self._wake)  # on this (asyncio) loop, held until done, awaited by nobody

    async def _wake(self) -> None:
        """Append to this process's wake stream (its XREAD returns); the key keeps an expiry, so a
        process that dies leaves nothing behind for long."""
        if self._client is None:
            return
        # Redis down: the reader is retrying, and reads every open channel once it is back.
        with anyio.move_on_after(self._timeout), contextlib.suppress(Exception):
            await self._wake_pipeline(self._client).execute()

    def _wake_pipeline(self, client: Redis) -> Any:
        """An entry on the wake stream (only the newest kept) and the stream's expiry renewed."""
        pipe = client.pipeline(transaction=False)
        pipe.xadd(self._wake_key, {_FIELD: ""}, maxlen=1)
        pipe.expire(self._wake_key, self._idle_expiry)
        return pipe

    async def _read_forever(self) -> None:
        delay, cap = self._backoff
        failing = False
        while not self._closing:
            try:
                await self._read_once()
            except Exception as exc:
                # Any failure, not only Redis': a reader that ended would leave every subscriber
                # waiting for good (their keepalives hiding it). It retries from its last ids.
                if self._closing:
                    return
                if not failing:
                    if isinstance(exc, self._outage):
                        logger.warning(
                            "broadcast: Redis unreachable (%s: %s); retrying with backoff",
                            type(exc).__name__,
                            exc,
                        )
                    else:
                        logger.exception("broadcast: the reader failed; retrying with backoff")
                failing = True
                await asyncio.sleep(delay)
                delay = min(delay * 2, cap)
                continue
            if failing:
                logger.warning("broadcast: Redis reachable again; resuming from the last ids")
                failing = False
                delay = self._backoff[0]

    async def _read_once(self) -> None:
        """One XREAD over the wake stream and every open channel, from their last ids; what it
        returns goes to the fanout."""
        assert self._reader is not None
        streams: dict[Any, Any] = {self._wake_key: self._wake_position}
        for name, state in self._fanout.channels.items():
            if state.ready.is_set():
                streams[self._prefix + name] = event_id(state.position)
        response: Any = await self._reader.xread(streams, count=_READ_BATCH, block=self._block_ms)
        for stream, entries in response or ():
            if stream == self._wake_key:
                self._wake_position = entries[-1][0]
                continue
            channel = stream[len(self._prefix) :]
            self._fanout.dispatch(channel, _events(channel, entries))


def _events(channel: str, entries: Any) -> list[Event]:
    """A channel's stream entries, `(id, fields)` as XRANGE and XREAD give them, as events."""
    return [Event(channel=channel, id=entry_id, data=fields.get(_FIELD, "")) for entry_id, fields in entries]
