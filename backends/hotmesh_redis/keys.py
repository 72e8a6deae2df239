"""Names of every key and channel the Redis-family store uses.

Every key of an app starts with ``<namespace>:{<app_id>}:``. The braces make
the app id the key's hash tag, so all keys of one app live in one cluster
slot and every script touches a single slot, as Redis Cluster requires and
Dragonfly's ``--lock_on_hashtags`` rewards.

NOTE: because the whole app shares one slot, one app cannot spread its load
over several cluster nodes. Partitioning an app across slots (for example one
hash tag per job plus idempotent app-wide indexes) is future work.

Key catalogue, for an app ``myapp`` in namespace ``hmsh``:

=============================  ======  ==========================================
key                            type    contents
=============================  ======  ==========================================
``hmsh:{myapp}:j:<job_id>``    hash    job state; field ``:`` is the status,
                                      ``:timer:<id>`` a timer of the job
``hmsh:{myapp}:d:<job_id>``    list    dependents of the job
``hmsh:{myapp}:x:<topic>``     stream  messages of a topic (engine topic is "",
                                      fired timers' topic ``$timers``)
``hmsh:{myapp}:dlq:<topic>``   stream  dead-lettered messages of a topic
``hmsh:{myapp}:xl:<topic>``    hash    message id -> lease deadline, epoch ms
``hmsh:{myapp}:t``             zset    timer id -> due time in epoch ms
``hmsh:{myapp}:tp``            hash    timer id -> encoded topic and payload
``hmsh:{myapp}:sig``           hash    signal key -> hook registration
``hmsh:{myapp}:r``             hash    throttle scope -> delay in ms
``hmsh:{myapp}:role:<name>``   string  holder of a role lease, with a TTL
``hmsh:{myapp}:kv:<key>``      string  app-scoped entry
``hmsh:{myapp}:v:<version>``   string  compiled document of an app version
``hmsh:{myapp}:profile``       hash    active version and deployed versions
=============================  ======  ==========================================

Pub/sub channels are ``hmsh:{myapp}:q:<channel>``.
"""

from __future__ import annotations

from hotmesh.errors import ConfigurationError
from hotmesh.store.protocol import AppKey

ORIGIN_FIELD = ":origin"
"""Reserved job field holding the ``origin`` the job was created by."""

TIMER_FIELD_PREFIX = ":timer:"
"""Prefix of the reserved job fields that record the timers a job scheduled.

Each field is the prefix followed by a timer id (``lib/timers.lua`` spells
the same prefix). A step with ``cancel_timers`` removes the timers these
fields name. NOTE: a record stays after its timer fires, so a job that
sleeps many times keeps one such field per distinct timer id until the job
is deleted or expires.
"""

_GLOB_SPECIAL = "*?[]\\"


class AppKeys:
    """Builds the names of one app's keys and channels."""

    def __init__(self, app: AppKey) -> None:
        _check_name("namespace", app.namespace)
        _check_name("app id", app.app_id)
        self.prefix = f"{app.namespace}:{{{app.app_id}}}:"
        self.channel_prefix = f"{self.prefix}q:"

    def job(self, job_id: str) -> str:
        return f"{self.prefix}j:{job_id}"

    def job_pattern(self, pattern: str) -> str:
        """Return a SCAN pattern matching job keys whose id matches ``pattern``."""
        return f"{escape_glob(self.prefix)}j:{pattern}"

    def job_id_from_key(self, key: str) -> str:
        return key[len(self.prefix) + len("j:") :]

    def dependents(self, job_id: str) -> str:
        return f"{self.prefix}d:{job_id}"

    def stream(self, topic: str) -> str:
        return f"{self.prefix}x:{topic}"

    def dead_letters(self, topic: str) -> str:
        return f"{self.prefix}dlq:{topic}"

    def lease_deadlines(self, topic: str) -> str:
        """Return the hash of a topic's lease deadlines (server clock, ms)."""
        return f"{self.prefix}xl:{topic}"

    @property
    def timers(self) -> str:
        return f"{self.prefix}t"

    @property
    def timer_payloads(self) -> str:
        return f"{self.prefix}tp"

    @property
    def signals(self) -> str:
        return f"{self.prefix}sig"

    @property
    def throttles(self) -> str:
        return f"{self.prefix}r"

    def role(self, name: str) -> str:
        return f"{self.prefix}role:{name}"

    def kv(self, key: str) -> str:
        return f"{self.prefix}kv:{key}"

    def version(self, version: str) -> str:
        return f"{self.prefix}v:{version}"

    def stats(self, bucket: str) -> str:
        return f"{self.prefix}s:{bucket}"

    def stats_index(self, bucket: str, facet: str) -> str:
        return f"{self.prefix}s:{bucket}:i:{facet}"

    def stats_processed(self, bucket: str, facet: str) -> str:
        return f"{self.prefix}s:{bucket}:p:{facet}"

    @property
    def profile(self) -> str:
        return f"{self.prefix}profile"

    @property
    def all_keys_pattern(self) -> str:
        """SCAN pattern matching every key of the app."""
        return f"{escape_glob(self.prefix)}*"

    def channel(self, channel: str) -> str:
        return f"{self.channel_prefix}{channel}"

    def channel_pattern(self, pattern: str) -> str:
        return f"{escape_glob(self.channel_prefix)}{pattern}"

    def channel_suffix(self, channel: str) -> str:
        return channel[len(self.channel_prefix) :]


def escape_glob(text: str) -> str:
    """Escape the characters that Redis glob patterns treat as special."""
    return "".join(f"\\{char}" if char in _GLOB_SPECIAL else char for char in text)


def _check_name(what: str, value: str) -> None:
    # A brace in the namespace or app id could move the hash tag, and an
    # empty app id would make the tag "{}", which Redis ignores: either
    # way the app's keys would scatter over several slots.
    if not value:
        raise ConfigurationError(f"invalid {what}: it must not be empty")
    if "{" in value or "}" in value:
        raise ConfigurationError(
            f"invalid {what} {value!r}: it must not contain '{{' or '}}'"
        )
