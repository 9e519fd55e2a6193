"""The ``supdesk`` command line: Chinese for people, ``--json`` for scripts.

Wrong input prints one clear line and exits non-zero; never a traceback.

The root group (:mod:`.root`) holds the core's command groups, one module each, and an
``import`` group that is empty until channels add to it. Everything else arrives through
the ``supervision_register_commands`` hook: ``serve`` from the web desk, ``daemon`` from
the daemon, ``import calls``, ``email ...`` and ``telegram ...`` from their channels. The
core imports none of them, and no command module imports a heavy library (the database
layer, workbook, PDF or chart writers) until its command runs, so ``supdesk --help``
stays fast.
"""

from __future__ import annotations

from supervision_core.cli import (
    access,
    calendar,
    export,
    issues,
    outbox,
    quarantine,
    recognition,
    setup,
    signup,
    status,
    supervisors,
    tasks,
    tokens,
    users,
    webhooks,
    year,
)
from supervision_core.cli.context import (
    CENTER,
    DATE,
    UNIT,
    actor_option,
    current_ledger,
    json_option,
    resolve_actor,
    wants_json,
)
from supervision_core.cli.output import emit, fail
from supervision_core.cli.root import cli, import_
from supervision_core.errors import SupervisionError

# ``cli`` and ``main`` run the command line; the helpers are for plugins that add
# commands through ``supervision_register_commands`` (docs/api.md).
__all__ = [
    "CENTER",
    "DATE",
    "UNIT",
    "actor_option",
    "cli",
    "current_ledger",
    "emit",
    "json_option",
    "main",
    "resolve_actor",
    "wants_json",
]

# ``signup`` and ``recognition`` add commands to ``activities`` (``year``) when imported.
_EXTENDS_ACTIVITIES = (signup, recognition)

for _command in (
    setup.init,
    supervisors.supervisors,
    issues.issues,
    quarantine.quarantine,
    outbox.outbox,
    year.evaluate,
    year.evaluations,
    year.workplans,
    year.activities,
    year.briefing,
    tasks.tasks,
    tasks.documents,
    recognition.commendations,
    recognition.officers,
    export.export_,
    users.users,
    tokens.tokens,
    webhooks.webhooks,
    access.access_log,
    status.status,
    status.plugins,
    calendar.calendar,
    import_,
):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> None:
    """Run ``supdesk``; plugins may add their own commands first."""
    from supervision_core.plugins import PluginHost, get_plugin_manager

    try:
        # get_plugin_manager reads SUPDESK_DISABLE_PLUGINS itself.
        host = PluginHost(get_plugin_manager())
    except SupervisionError as exc:
        fail(f"{exc}（可用环境变量 SUPDESK_DISABLE_PLUGINS=名称 暂时停用该插件）")
    host.register_commands(cli)
    # The manager goes on to the ledger a command opens (see the root group).
    cli.main(args=argv, prog_name="supdesk", obj=host.pm)
