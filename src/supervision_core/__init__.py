"""supervision-desk core: the supervision ledger, its rules and its plugin hooks.

Everything importable from here is the public API; anything else is private.
"""

from .batches import ImportBatch
from .centers import Center, CenterLevel, Unit
from .cli import actor_option, current_ledger, emit, json_option, resolve_actor, wants_json
from .clock import SHANGHAI, local_date, now_utc, to_local
from .config import CenterSettings, Settings, load_settings, parse_settings
from .database import DEFAULT_DATABASE_URL, create_engine, migrate
from .deadlines import TimeLimits, due_after, rectification_due
from .errors import (
    ConfigError,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PluginError,
    SchemaError,
    SupervisionError,
)
from .hookspecs import hookimpl
from .issues import (
    OPEN_STATES,
    EventKind,
    Issue,
    IssueEvent,
    IssueState,
    NotAcceptedReason,
    RectificationTrack,
    Satisfaction,
    UnitView,
)
from .ledger import IssueRef, Ledger, open_ledger
from .lifecycle import apply_event, replay
from .masking import mask_id_number, mask_name, mask_personal_data, mask_phone
from .notifications import Notice, Notifier, RecipientKind, notices_for
from .outbox import DeliveryReport, OutboxEntry, OutboxStatus
from .plugins import (
    DEFAULT_PLUGINS,
    PluginFailure,
    PluginHost,
    PluginInfo,
    PluginManager,
    get_plugin_manager,
)
from .profiles import PROFILE_FIELDS, ColumnProfile, ProfileMatch, match_profile, normalize_header
from .registries import (
    Channel,
    ChannelRegistry,
    CheckRegistry,
    NotifierRegistry,
    PolicyRegistry,
    ProfileRegistry,
    ScreeningCheck,
    SupervisorDirectory,
)
from .reports import (
    Attachment,
    IntakeResult,
    QuarantinedReport,
    QuarantineReason,
    Report,
    ReportHints,
    Sender,
)
from .scoring import Band, DefaultPolicy, Score, ScoreItem, ScoringPolicy, SupervisorYear
from .screening import ScreeningProposal, valid_id_number
from .similarity import text_similarity
from .summaries import IssueSummary
from .supervisors import (
    ContactKind,
    Identity,
    NewSupervisor,
    Origin,
    Revocation,
    Supervisor,
    SupervisorStatus,
    normalize_identity,
)
from .vocabulary import Method, ProblemType, Stage, Topic, parse_term
from .workdays import CONFIRMED_YEARS, Deadline, WorkCalendar, china_calendar

__all__ = [
    "CONFIRMED_YEARS",
    "DEFAULT_DATABASE_URL",
    "DEFAULT_PLUGINS",
    "OPEN_STATES",
    "PROFILE_FIELDS",
    "SHANGHAI",
    "Attachment",
    "Band",
    "Center",
    "CenterLevel",
    "CenterSettings",
    "Channel",
    "ChannelRegistry",
    "CheckRegistry",
    "ColumnProfile",
    "ConfigError",
    "ContactKind",
    "Deadline",
    "DefaultPolicy",
    "DeliveryReport",
    "EventKind",
    "Identity",
    "ImportBatch",
    "IntakeResult",
    "InvalidInput",
    "InvalidTransition",
    "Issue",
    "IssueEvent",
    "IssueRef",
    "IssueState",
    "IssueSummary",
    "Ledger",
    "Method",
    "NewSupervisor",
    "NotAcceptedReason",
    "NotFound",
    "Notice",
    "Notifier",
    "NotifierRegistry",
    "Origin",
    "OutboxEntry",
    "OutboxStatus",
    "PluginError",
    "PluginFailure",
    "PluginHost",
    "PluginInfo",
    "PluginManager",
    "PolicyRegistry",
    "ProblemType",
    "ProfileMatch",
    "ProfileRegistry",
    "QuarantineReason",
    "QuarantinedReport",
    "RecipientKind",
    "RectificationTrack",
    "Report",
    "ReportHints",
    "Revocation",
    "Satisfaction",
    "SchemaError",
    "Score",
    "ScoreItem",
    "ScoringPolicy",
    "ScreeningCheck",
    "ScreeningProposal",
    "Sender",
    "Settings",
    "Stage",
    "SupervisionError",
    "Supervisor",
    "SupervisorDirectory",
    "SupervisorStatus",
    "SupervisorYear",
    "TimeLimits",
    "Topic",
    "Unit",
    "UnitView",
    "WorkCalendar",
    "actor_option",
    "apply_event",
    "china_calendar",
    "create_engine",
    "current_ledger",
    "due_after",
    "emit",
    "get_plugin_manager",
    "hookimpl",
    "json_option",
    "load_settings",
    "local_date",
    "mask_id_number",
    "mask_name",
    "mask_personal_data",
    "mask_phone",
    "match_profile",
    "migrate",
    "normalize_header",
    "normalize_identity",
    "notices_for",
    "now_utc",
    "open_ledger",
    "parse_settings",
    "parse_term",
    "rectification_due",
    "replay",
    "resolve_actor",
    "text_similarity",
    "to_local",
    "valid_id_number",
    "wants_json",
]
