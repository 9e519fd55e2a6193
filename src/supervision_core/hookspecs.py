"""Every hook supervision-desk calls, in one module (pluggy's and pytest's layout).

Plugins implement them with ``@hookimpl`` (``from supervision_core import hookimpl``).
Hooks only ever gain parameters: pluggy passes an implementation just the arguments
it names, so older plugins keep working. Every hook is called through ``pm.hook``
(:class:`~supervision_core.PluginHost`), so wrappers (``@hookimpl(wrapper=True)``),
``tryfirst``/``trylast`` and pluggy's tracing apply to all of them. A register hook is
called when its registry is first needed, and again after a plugin is registered,
unregistered or blocked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click

    from supervision_core.model.centers import Center
    from supervision_core.model.issues import Issue, IssueEvent
    from supervision_core.model.reports import IntakeResult, QuarantinedReport, Report, Sender
    from supervision_core.registries import (
        ChannelRegistry,
        CheckRegistry,
        NotifierRegistry,
        PolicyRegistry,
        ProfileRegistry,
        RouteRegistry,
        SupervisorDirectory,
    )

PROJECT = "supervision_desk"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# ---------------------------------------------------------------- registration


@hookspec
def supervision_register_channels(register: ChannelRegistry) -> None:
    """Contribute intake channels.

    Called once when a :class:`~supervision_core.PluginHost` first lists channels.
    Call ``register.add(channel)`` for each channel the plugin provides; ``channel``
    satisfies the :class:`~supervision_core.Channel` protocol and its ``name`` is the
    name a center enables in ``supdesk.toml``. Registering a name twice is an error
    that names both plugins. Returns nothing.
    """


@hookspec
def supervision_register_scoring_policies(register: PolicyRegistry) -> None:
    """Contribute scoring policies for the annual evaluation.

    Called once when the host first lists policies. Call
    ``register.add(name, policy)`` with a :class:`~supervision_core.ScoringPolicy`;
    each center names the policy it uses (``scoring_policy`` in ``supdesk.toml``).
    The built-in ``default`` policy is registered the same way. Returns nothing.
    """


@hookspec
def supervision_register_screening_checks(register: CheckRegistry) -> None:
    """Contribute screening checks that look at each new report.

    Called once when the host first lists checks. Call ``register.add(name, check)``
    where ``check(report)`` returns a :class:`~supervision_core.ScreeningProposal`
    (one of the six not-accepted reasons, with its evidence) or ``None``. A proposal
    is only advice kept next to the issue: the operator decides. A check that raises
    or returns anything else is reported with the plugin's name and skipped; the
    report is filed all the same. Returns nothing.
    """


@hookspec
def supervision_register_notifiers(register: NotifierRegistry) -> None:
    """Contribute notifiers: transports that reach a supervisor or a unit.

    Called once when the host first lists notifiers. Call ``register.add(notifier)``
    with a :class:`~supervision_core.Notifier`; each center names the notifiers it
    uses (``notifiers`` in ``supdesk.toml``). Returns nothing.
    """


@hookspec
def supervision_register_import_profiles(register: ProfileRegistry) -> None:
    """Contribute column profiles: layouts of exported call logs and spreadsheets.

    Called once when the host first lists profiles. Call ``register.add(profile)``
    with a :class:`~supervision_core.ColumnProfile`; its ``name`` is what
    ``supdesk import calls --profile`` takes, and a file imported without one is
    matched to the best profile by its header. Profiles in ``supdesk.toml`` are
    added after the plugins'. Returns nothing.
    """


@hookspec
def supervision_register_routes(register: RouteRegistry) -> None:
    """Contribute pages to the web desk (the walk-in form, webhooks, the console).

    Called once when the web application is made (:func:`supervision_web.create_app`).
    Call ``register.add(route)`` with Starlette ``Route`` or ``Mount`` objects;
    ``register.add_templates(folder)`` for Jinja templates,
    ``register.add_nav(path, label)`` for a menu link and
    ``register.add_sign_in(path, label, available=..., agent=...)`` for another way
    supervisors sign in to ``/me`` (WeChat OAuth). Endpoints find the ledger
    with ``supervision_web.desk_of(request)`` and the signed-in user with
    ``supervision_web.require_user(request)``; they check roles themselves. Two
    plugins registering the same path and method is an error naming both. Returns
    nothing.
    """


@hookspec
def supervision_register_commands(cli: click.Group) -> None:
    """Add subcommands to the ``supdesk`` command line.

    Called once when ``supdesk`` starts, with the root :class:`click.Group`; add
    commands or groups to it (``cli.add_command(...)`` or ``@cli.command()``), as
    datasette's ``register_commands`` does. Returns nothing.
    """


# ---------------------------------------------------------------- intake


@hookspec(firstresult=True)
def supervision_match_sender(
    sender: Sender, center: Center, directory: SupervisorDirectory
) -> int | None:
    """Identify the supervisor who sent an incoming report.

    Called once per received report, before it is stored. Return the supervisor's
    id, or ``None`` to let other plugins try; stops at the first non-``None``
    result. The built-in matcher runs last and looks the sender up in
    ``directory`` by the identities recorded for each supervisor; if it also
    returns ``None`` the report is quarantined as ``unmatched_sender``.

    :param sender: the normalized sender identity from the channel
    :param center: the center whose intake received the report
    :param directory: read-only look-ups of supervisors, valid during the call
    """


@hookspec
def supervision_report_received(report: Report, result: IntakeResult) -> None:
    """A report was filed as an issue.

    Called after the transaction that stored it has committed, once per report
    (a repeated delivery of the same report does not call it again). ``result``
    carries the issue id and number. Returns nothing; an exception is reported
    with the plugin's name and does not undo the intake.
    """


@hookspec
def supervision_report_quarantined(report: Report, quarantined: QuarantinedReport) -> None:
    """A report was kept in quarantine instead of entering the ledger.

    Called after the transaction that stored it has committed, once per report.
    ``quarantined.reason`` says why. Returns nothing.
    """


# ---------------------------------------------------------------- an issue's life


@hookspec
def supervision_issue_changed(issue: Issue, event: IssueEvent) -> None:
    """A step of an issue's life was recorded.

    Called after the transaction that appended ``event`` has committed, for every
    step: received, accepted, not accepted, dispatched, planned, progress, extended,
    completed, explained, evaluated, closed, merged, duplicate attached.
    ``issue`` is the issue after the step; ``event.kind`` says which step.
    Returns nothing; an exception is reported with the plugin's name.
    """


# ---------------------------------------------------------------- calendar


@hookspec
def supervision_closure_days(year: int) -> Iterable[dt.date] | None:
    """Extra local closure days (ethnic festivals, local holidays) in ``year``.

    Called when a ledger builds its working-day calendar, once per year it knows
    about. Return the days on which the centers are closed, or ``None`` for none;
    the results of all plugins are combined with ``[calendar] closures`` from
    ``supdesk.toml``. A closure day is never a working day.
    """
