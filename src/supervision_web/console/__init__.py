"""The operator console (a built-in plugin): the ledger's daily work in the browser.

- ``/console``: a center's queue — to screen, open, due soon, overdue — with search by
  number or text; bookmarkable filters; keyset pagination (fast on a million issues).
- ``/console/issues/{number}``: an issue, its history, the screening checks' proposals,
  and the actions its state allows, with the library's own rules (a refused step says
  why). Every step is an event with the acting user. Viewing the supervisor's details
  is written to the access log.
- ``/console/inbox`` and ``/console/calls``: the notices to the center's staff (unread
  counted in the menu) and the notices the desk must tell a supervisor by telephone.
- ``/console/tasks`` (体验任务) and ``/console/library`` (资料库): the tasks given to
  supervisors with each one's progress, and the documents published to them.
- ``/console/activities`` (监督员活动): activities announced for supervisors' sign-up,
  who signed up, cancelling, and the attendance recorded after them.
- ``/console/access-log`` (查阅记录): who saw the personal data of the supervisors of
  the user's centers, when, and by which page or command (the access log).
- ``/unit``: a unit's own portal — only the issues dispatched to it, never the
  supervisor's identity — where it records its plan, progress and completion.

Roles are checked on the server for every page and action: a center's staff act on
their center's issues (the banner center's on all), auditors only read, units only see
their portal.

One module a room: :mod:`.access` (who may see what), :mod:`.queue`, :mod:`.issues`,
:mod:`.steps` (a posted form turned into the ledger's step), :mod:`.units` (the unit's
portal), :mod:`.quarantine`, :mod:`.dashboard`, :mod:`.supervisors`, :mod:`.notices`
(the inbox and the call tasks), :mod:`.access_log`, :mod:`.tasks`, :mod:`.activities`,
:mod:`.library`; this module only registers their routes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from supervision_core import hookimpl

if TYPE_CHECKING:
    from supervision_core import RouteRegistry

__all__ = ["supervision_register_routes"]


@hookimpl(trylast=True)  # after the front desk's pages: its menu comes first
def supervision_register_routes(register: RouteRegistry) -> None:
    """The console and the unit's portal."""
    # The pages (Starlette, Jinja, the ledger) load when a web app is made, not when
    # ``supdesk`` builds its plugin manager.
    from starlette.routing import Route

    from .access_log import console_access_log
    from .activities import console_activities, console_activity
    from .dashboard import console_dashboard
    from .issues import console_issue
    from .library import console_document, console_library
    from .notices import call_badge, console_calls, console_inbox, inbox_badge
    from .quarantine import console_quarantine
    from .queue import console_queue
    from .supervisors import console_supervisor, console_supervisors
    from .tasks import console_task, console_tasks
    from .units import unit_file, unit_issue, unit_notice, unit_portal

    register.add_nav("/console", "问题台账")
    register.add_nav("/console/inbox", "收件箱", badge=inbox_badge)
    register.add_nav("/console/calls", "待电话告知", badge=call_badge)
    register.add_nav("/console/tasks", "体验任务")
    register.add_nav("/console/activities", "监督员活动")
    register.add_nav("/console/library", "资料库")
    register.add_nav("/console/access-log", "查阅记录")
    register.add(Route("/console", console_queue))
    register.add(Route("/console/inbox", console_inbox, methods=["GET", "POST"]))
    register.add(Route("/console/calls", console_calls, methods=["GET", "POST"]))
    register.add(Route("/console/issues/{number}", console_issue, methods=["GET", "POST"]))
    register.add(Route("/console/quarantine", console_quarantine, methods=["GET", "POST"]))
    register.add(Route("/console/dashboard", console_dashboard))
    register.add(Route("/console/access-log", console_access_log))
    register.add(Route("/console/tasks", console_tasks, methods=["GET", "POST"]))
    register.add(Route("/console/tasks/{task_id:int}", console_task))
    register.add(Route("/console/activities", console_activities, methods=["GET", "POST"]))
    register.add(
        Route("/console/activities/{activity_id:int}", console_activity, methods=["GET", "POST"])
    )
    register.add(Route("/console/library", console_library, methods=["GET", "POST"]))
    register.add(Route("/console/library/{document_id:int}", console_document))
    register.add(Route("/console/supervisors", console_supervisors, methods=["GET", "POST"]))
    register.add(
        Route(
            "/console/supervisors/{supervisor_id:int}", console_supervisor, methods=["GET", "POST"]
        )
    )
    register.add(Route("/unit", unit_portal))
    register.add(Route("/unit/issues/{number}", unit_issue, methods=["GET", "POST"]))
    register.add(Route("/unit/issues/{number}/notice.{fmt}", unit_notice))
    register.add(Route("/unit/issues/{number}/files/{file:int}", unit_file))
