"""Intake channels: each package is a plugin that turns what arrives into normalized reports.

Each channel's ``__init__`` is its plugin module (listed in the core's ``DEFAULT_PLUGINS``):
it holds the hook implementations and imports its implementation only inside them.
``phone``, ``email``, ``telegram`` and ``walk_in`` are channels; ``messenger`` is the
conversation any messenger channel shares; :mod:`channels.shared` holds what several
channels use. A channel uses only the core's public API, as a township's plugin does.

The import name ``channels`` is the one the project's users asked for; note that
Django Channels uses the same name, so an embedder with both installed must pick one.
"""
