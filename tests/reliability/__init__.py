"""Reliability tests: crashes, restarts, redelivery and hostile input."""
