"""The error tree: everything the library raises on purpose descends from one base."""

from __future__ import annotations


class SupervisionError(Exception):
    """Base of every error supervision-desk raises on purpose.

    The message is meant for the person at the keyboard: it is shown as it is,
    never with a traceback, so it says what was wrong and, where it can, what to do.
    """


class NotFound(SupervisionError):
    """A center, unit, supervisor, report or issue that does not exist."""


class InvalidTransition(SupervisionError):
    """A step that the issue's current state does not allow."""


class InvalidInput(SupervisionError):
    """A value that breaks a rule: a bad date, a missing plan, an unknown reason."""


class IdentityTaken(InvalidInput):
    """A phone, address or messenger account already recorded for another supervisor.

    ``supervisor_id`` is that supervisor: the message names them for the command line;
    a page shows it only to staff who may see that supervisor's center.
    """

    def __init__(self, message: str, supervisor_id: int) -> None:
        super().__init__(message)
        self.supervisor_id = supervisor_id


class ConfigError(SupervisionError):
    """A configuration file or setting that cannot be used."""


class SchemaError(SupervisionError):
    """The database schema is missing or older than this version of the code."""


class PluginError(SupervisionError):
    """A plugin that failed: raised, returned the wrong type, or registered twice.

    ``plugin`` names the plugin, as pluggy's ``PluginValidationError`` does.
    """

    def __init__(self, plugin: str, message: str) -> None:
        super().__init__(f"插件 {plugin}: {message}")
        self.plugin = plugin
