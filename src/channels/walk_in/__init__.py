"""The walk-in channel."""
