"""The phone channel (来电): call logs and hotline exports imported as reports.

This module is the plugin (``channels.phone`` in the built-in plugins): it registers
the ``phone_log`` channel (whose daemon job watches a folder for exports), the built-in
column profiles and the ``supdesk import calls|batches|rollback`` commands, and
imports the reading machinery only when it is used.

- :mod:`channels.phone.importer`: :func:`import_call_log`, safe to run again;
- :mod:`channels.phone.cells`, :mod:`channels.phone.rows`, :mod:`channels.phone.chunks`:
  a cell's value, a row's report, a file read in chunks (in a child process when large,
  :mod:`channels.phone.reader`); :mod:`channels.phone.tabular` opens CSV, XLSX and XLS;
- :mod:`channels.phone.channel`: the channel, ``[channels.phone_log]`` and the watched folder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from supervision_core import hookimpl

#: The channel's name in supdesk.toml and on every report it files.
CHANNEL = "phone_log"

if TYPE_CHECKING:
    import click

    from supervision_core import ChannelRegistry, ProfileRegistry


@hookimpl
def supervision_register_channels(register: ChannelRegistry) -> None:
    """Register the phone channel."""
    from channels.phone.channel import PhoneLogChannel

    register.add(PhoneLogChannel())


@hookimpl
def supervision_register_import_profiles(register: ProfileRegistry) -> None:
    """Register the built-in column profiles."""
    from channels.phone.profiles import BUILTIN_PROFILES

    for profile in BUILTIN_PROFILES:
        register.add(profile)


@hookimpl
def supervision_register_commands(cli: click.Group) -> None:
    """Add ``supdesk import calls``, ``import batches`` and ``import rollback``."""
    from channels.phone import commands

    commands.supervision_register_commands(cli)
