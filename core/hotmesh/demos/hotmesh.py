"""Greet a word through a two-step workflow: a trigger and a worker.

Run it with ``hotmesh demo hotmesh greetings`` or as a script:
``python -m hotmesh.demos.hotmesh greetings``. With no backend configured
it uses the embedded ValKey server in ``.hotmesh/``.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from hotmesh import HotMesh

MODEL = """
app:
  id: demo
  version: '1'
  graphs:
    - subscribes: greet
      activities:
        t1:
          type: trigger
        a1:
          type: worker
          topic: work.greet
          input:
            maps:
              word: '{t1.output.data.word}'
          job:
            maps:
              greeting: '{$self.output.data.greeting}'
      transitions:
        t1:
          - to: a1
"""


def greet(message: dict[str, Any]) -> dict[str, Any]:
    """Worker callback: add ``world`` to the word it receives."""
    word = message["data"]["word"]
    return {"metadata": message["metadata"], "data": {"greeting": f"{word} world"}}


async def run(word: str) -> str:
    """Deploy the model, run one job and return its greeting."""
    async with await HotMesh.init(
        app_id="demo",
        engine={},
        workers=[{"topic": "work.greet", "callback": greet}],
    ) as hotmesh:
        await hotmesh.deploy(MODEL)
        await hotmesh.activate("1")
        job = await hotmesh.pubsub("greet", {"word": word}, timeout=30)
        return str(job["data"]["greeting"])


def main(argv: list[str] | None = None) -> int:
    """Print the greeting for the first argument (default ``hello``)."""
    args = sys.argv[1:] if argv is None else argv
    print(asyncio.run(run(args[0] if args else "hello")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
