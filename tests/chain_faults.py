"""Makes a storage backend's audit chain writes fail (issue 13: an act and its entry are one write)."""
import sys


class ChainWriteFailed(Exception):
    """What a broken chain write raises: the database failing between a change and its entry."""


def break_chain_writes(storage, monkeypatch):
    """Every chain write of the backend of `storage` (its transaction class's append_chain, inside
    the writing transaction) raises ChainWriteFailed until monkeypatch undoes it."""
    def broken(self, entries, head):
        raise ChainWriteFailed("the chain write failed")
    monkeypatch.setattr(sys.modules[type(storage).__module__]._Batch, "append_chain", broken)
