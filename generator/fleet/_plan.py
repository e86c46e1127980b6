"""`scaffold fleet plan`: split a fleet into shards for a CI matrix, so runners share the work.

GitHub Actions is the distributed engine a platform team already has: one job per shard runs
`scaffold fleet status|update FLEET --only <its services>`. Shards are contiguous runs of the
fleet file, so the canaries at its top stay in the first shard.
"""

from __future__ import annotations

import json

from generator.errors import UsageError
from generator.fleet._file import Fleet

MAX_SHARDS = 256  # GitHub Actions runs at most 256 jobs per matrix
FORMATS = ("github-matrix",)


def plan(fleet: Fleet, shards: int, output: str = "github-matrix") -> str:
    """Return the shards as a `strategy.matrix` JSON object: {"include": [{shard, only, count}]}."""
    if output not in FORMATS:
        raise UsageError(f"--format {output!r} is not known", hint=f"use {', '.join(FORMATS)}")
    if not 1 <= shards <= MAX_SHARDS:
        raise UsageError(
            f"--shards {shards} is out of range",
            hint=f"1 to {MAX_SHARDS}, the most jobs one GitHub Actions matrix runs",
        )
    names = [entry.label for entry in fleet.services]
    count = min(shards, len(names))
    size, extra = divmod(len(names), count)
    include, start = [], 0
    for index in range(count):
        end = start + size + (index < extra)
        part = names[start:end]
        include.append(
            {"shard": f"{index + 1}/{count}", "only": ",".join(part), "count": len(part)}
        )
        start = end
    return json.dumps({"include": include}, separators=(",", ":"))
