"""The e-mail channel (来信邮件): mail in by IMAP, LMTP/SMTP or a file, answers out by SMTP.

This module is the plugin (``channels.email`` in the built-in plugins): it registers
the channel, the ``email`` notifier and the commands, and imports the implementation
only when a hook needs it, so ``supdesk --help`` does not load the mail libraries.

- :mod:`channels.email.options` reads ``[channels.email]`` and ``[notifiers.email]``;
- :mod:`channels.email.reports` turns a raw message into a report (never raising);
- :mod:`channels.email.imap` and :mod:`channels.email.lmtp` take mail in;
- :mod:`channels.email.notifier` sends answers;
- :mod:`channels.email.channel` declares the daemon's jobs, :mod:`channels.email.commandline`
  the commands.

A message seen twice (a crash between commit and flag, a resent export) is one report:
its identity is the Message-ID, or a digest of its bytes where it has none. Answers
carry ``Auto-Submitted`` and a Message-ID that names the issue, so a reply to them is
attached to the same issue. See ``docs/email.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from supervision_core import hookimpl

if TYPE_CHECKING:
    import click

    from supervision_core import ChannelRegistry, NotifierRegistry


@hookimpl
def supervision_register_channels(register: ChannelRegistry) -> None:
    """Register the e-mail channel."""
    from channels.email.channel import EmailChannel

    register.add(EmailChannel())


@hookimpl
def supervision_register_notifiers(register: NotifierRegistry) -> None:
    """Register the ``email`` notifier (answers to supervisors through SMTP)."""
    from channels.email.notifier import EmailNotifier

    register.add(EmailNotifier())


@hookimpl
def supervision_register_commands(cli: click.Group) -> None:
    """Add ``supdesk import email`` and ``supdesk email poll|lmtp``."""
    from channels.email import commands

    commands.supervision_register_commands(cli)
