"""Audit (issue 13): verification of a store's hash chain, signed checkpoints. No Flask here."""
