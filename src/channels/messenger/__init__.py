"""The messenger channel."""
