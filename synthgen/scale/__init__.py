"""Running the shards of a run (run/shards.py) and merging them: the local and Ray executors.

A package of its own because an executor calls a kind's API function once per shard (handed in,
so it imports no kind) and then publish/merge to merge the shards into the run folder: it sits
above the shared layer and below the kinds, whose API functions hand their own calls to it.
"""
