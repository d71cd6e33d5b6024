"""Keeping every worker's policy current.

With Redis: a change is published on a channel and every worker reloads on the message.
Without: every worker polls the generation counter (one indexed single-row read) on a short
interval. Either way a reload happens at most once per change.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from functools import partial

import redis
from redis.client import PubSub

from rbac.enforcer import PolicyEngine

log = logging.getLogger(__name__)
CHANNEL = "gridlink:policy"


class PolicySync:
    def __init__(self, engine: PolicyEngine, redis_url: str | None, poll_seconds: float = 2.0):
        self.engine = engine
        self.redis_url = redis_url
        self.poll_seconds = poll_seconds
        self.node = uuid.uuid4().hex
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._redis: redis.Redis | None = None
        self._pubsub: PubSub | None = None

    def start(self) -> None:
        target: Callable[[], None]
        if self.redis_url:
            self._redis = redis.Redis.from_url(self.redis_url)
            self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            self._pubsub.subscribe(CHANNEL)
            target = partial(self._listen, self._pubsub)
        else:
            target = self._poll
        self._thread = threading.Thread(target=target, name="policy-sync", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        """This process changed the policy: reload here, and tell the others."""
        self.engine.reload()
        if self._redis is not None:
            try:
                self._redis.publish(CHANNEL, self.node)
            except Exception:  # Redis down: the others still catch up on their next check
                log.warning("could not publish policy change to Redis", exc_info=True)

    def _listen(self, pubsub: PubSub) -> None:
        while not self._stop.is_set():
            try:
                message = pubsub.get_message(timeout=1.0)
                if message and message["data"].decode() != self.node:
                    self.engine.reload_if_changed()
                elif message is None:
                    continue
            except Exception:
                log.warning("policy sync: Redis error, checking the database instead",
                            exc_info=True)
                self._stop.wait(self.poll_seconds)
                self._check()

    def _poll(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            self._check()

    def _check(self) -> None:
        try:
            self.engine.reload_if_changed()
        except Exception:
            log.warning("policy sync: could not read the policy generation", exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._pubsub is not None:
            self._pubsub.close()
        if self._redis is not None:
            self._redis.close()


def announce_change(redis_url: str) -> None:
    """A process that serves no requests changed the policy (`gridlink migrate`): every worker
    listening on Redis reloads now. Polling workers need no telling: the generation moved."""
    client = redis.Redis.from_url(redis_url)
    try:
        client.publish(CHANNEL, "announce")  # never a worker's node id: every worker reloads
    except redis.RedisError:  # down for the workers too: they read the database meanwhile
        log.warning("could not announce the policy change on Redis", exc_info=True)
    finally:
        client.close()
