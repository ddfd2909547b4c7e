"""The consent records: the append-only MAC chain, its verification, pruning and export."""
