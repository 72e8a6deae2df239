"""The contract test classes of the store conformance suite.

Each class groups the contracts of a few related verbs. The plugin
:mod:`hotmesh.testing.conformance` adds every class in
:data:`CONTRACT_CLASSES` to the test modules that opt in.
"""

from hotmesh.testing.contracts.claims import TestClaims
from hotmesh.testing.contracts.coordination import (
    TestApps,
    TestEntries,
    TestPubSub,
    TestRoles,
    TestThrottles,
)
from hotmesh.testing.contracts.jobs import TestJobs
from hotmesh.testing.contracts.leases import TestClones, TestLeases
from hotmesh.testing.contracts.payloads import TestPayloads
from hotmesh.testing.contracts.retention import TestRetention, TestScriptCache
from hotmesh.testing.contracts.search import TestSearch
from hotmesh.testing.contracts.stats import TestStats
from hotmesh.testing.contracts.steps import TestSteps
from hotmesh.testing.contracts.streams import TestStreams
from hotmesh.testing.contracts.timers import TestTimers

CONTRACT_CLASSES: tuple[type, ...] = (
    TestJobs,
    TestSteps,
    TestStreams,
    TestClaims,
    TestLeases,
    TestClones,
    TestTimers,
    TestStats,
    TestRoles,
    TestThrottles,
    TestPubSub,
    TestEntries,
    TestApps,
    TestPayloads,
    TestRetention,
    TestScriptCache,
    TestSearch,
)

__all__ = ["CONTRACT_CLASSES"]
