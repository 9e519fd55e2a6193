"""Intake channels: each module is a plugin that turns what arrives into one normalized report.

The import name ``channels`` is the one the project's users asked for; note that
Django Channels uses the same name, so an embedder with both installed must pick one.
"""
