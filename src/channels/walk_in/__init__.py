"""The walk-in and letter channel (来访、来信): the front desk's web form.

This module is the plugin (``channels.walk_in`` in the built-in plugins): it registers
the channel and the desk's pages (the form, receipts, recent reports). The form and its
rules are :mod:`channels.walk_in.form`, imported when the web desk is made. The channel
runs no daemon job: the web desk serves it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from supervision_core import hookimpl

if TYPE_CHECKING:
    from supervision_core import ChannelRegistry, RouteRegistry


@hookimpl
def supervision_register_channels(register: ChannelRegistry) -> None:
    """Register the walk-in and letter channel."""
    from channels.walk_in.channel import WalkInChannel

    register.add(WalkInChannel())


@hookimpl
def supervision_register_routes(register: RouteRegistry) -> None:
    """The front desk's pages: the form, receipts, and the list of recent reports."""
    from channels.walk_in.form import register_routes

    register_routes(register)
