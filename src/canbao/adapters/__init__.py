"""Adapters: the departments' files (rosters, registration batches, tax exchange files)."""
