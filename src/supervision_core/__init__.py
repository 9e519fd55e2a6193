"""supervision-desk core: the supervision ledger, its rules and its plugin hooks.

Everything importable from here is the public API, in two tiers (``docs/api.md``):
what a program embedding the ledger uses, and what a plugin author uses besides.
Anything else is private. Plugins adding commands use ``supervision_core.cli``'s
documented helpers as well.

Names are imported on first use (PEP 562): a program that needs a few values (the
reading process of a large import, say) does not pay for the database layer.
The one list of exported names is :data:`_API` (kept in ``_api.py``); ``__all__`` is derived from it, and
the ``TYPE_CHECKING`` imports (for type checkers) are checked against it by a test.
"""

import typing as _typing

if _typing.TYPE_CHECKING:
    # One statement per module, as in _API (re-exported: `name as name`).
    from supervision_core.config import (  # noqa: I001
        CenterSettings as CenterSettings,
        Settings as Settings,
        load_settings as load_settings,
        PluginTable as PluginTable,
        parse_settings as parse_settings,
        resolve_secret as resolve_secret,
    )
    from supervision_core.documents.briefing import (
        render_markdown as render_markdown,
    )
    from supervision_core.documents.commendation import (
        certificate_text as certificate_text,
        commendation_certificates_pdf as commendation_certificates_pdf,
        commendation_notice_docx as commendation_notice_docx,
        commendation_notice_pdf as commendation_notice_pdf,
    )
    from supervision_core.documents.dispatch_notice import (
        dispatch_notice_docx as dispatch_notice_docx,
        dispatch_notice_pdf as dispatch_notice_pdf,
    )
    from supervision_core.documents.evaluation_workbook import (
        write_evaluation_xlsx as write_evaluation_xlsx,
    )
    from supervision_core.documents.ledger_workbook import (
        unit_copy as unit_copy,
    )
    from supervision_core.documents.printable import (
        briefing_pdf as briefing_pdf,
        write_briefing_docx as write_briefing_docx,
        write_briefing_pdf as write_briefing_pdf,
        write_evaluation_docx as write_evaluation_docx,
        write_evaluation_pdf as write_evaluation_pdf,
    )
    from supervision_core.errors import (
        CalendarUnconfirmed as CalendarUnconfirmed,
        ConfigError as ConfigError,
        IdentityTaken as IdentityTaken,
        InvalidInput as InvalidInput,
        InvalidTransition as InvalidTransition,
        NotFound as NotFound,
        PluginError as PluginError,
        SchemaError as SchemaError,
        SupervisionError as SupervisionError,
        describe_os_error as describe_os_error,
    )
    from supervision_core.hookspecs import (
        hookimpl as hookimpl,
    )
    from supervision_core.ledger import (
        IssueRef as IssueRef,
        Ledger as Ledger,
        open_ledger as open_ledger,
    )
    from supervision_core.logmask import (
        PersonalDataFilter as PersonalDataFilter,
        mask_log_text as mask_log_text,
    )
    from supervision_core.model.access import (
        ACCESS_ACTIONS as ACCESS_ACTIONS,
        AccessEntry as AccessEntry,
    )
    from supervision_core.model.accounts import (
        LOCKOUT_ATTEMPTS as LOCKOUT_ATTEMPTS,
        LOCKOUT_MINUTES as LOCKOUT_MINUTES,
        Role as Role,
        SignInResult as SignInResult,
        StaffUser as StaffUser,
        can_enter_reports as can_enter_reports,
        can_see_center as can_see_center,
        can_work_issue as can_work_issue,
        hash_password as hash_password,
        verify_password as verify_password,
    )
    from supervision_core.model.batches import (
        ImportBatch as ImportBatch,
    )
    from supervision_core.model.webhooks import (
        SIGNATURE_HEADER as SIGNATURE_HEADER,
        Webhook as Webhook,
        WebhookDelivery as WebhookDelivery,
        WebhookEvent as WebhookEvent,
        WebhookStatus as WebhookStatus,
        sign_payload as sign_payload,
        verify_signature as verify_signature,
    )
    from supervision_core.model.tokens import (
        ApiToken as ApiToken,
        TokenScope as TokenScope,
        hash_token as hash_token,
        parse_scopes as parse_scopes,
    )
    from supervision_core.model.briefing import (
        Briefing as Briefing,
        BriefingDelivery as BriefingDelivery,
        BriefingLine as BriefingLine,
        BriefingMeeting as BriefingMeeting,
        BriefingOpinion as BriefingOpinion,
        ReceivedLine as ReceivedLine,
        RectificationLine as RectificationLine,
        Standing as Standing,
        briefing_period as briefing_period,
    )
    from supervision_core.model.centers import (
        Center as Center,
        CenterLevel as CenterLevel,
        Unit as Unit,
    )
    from supervision_core.model.clock import (
        SHANGHAI as SHANGHAI,
        local_date as local_date,
        now_utc as now_utc,
        to_local as to_local,
    )
    from supervision_core.model.issues import (
        OPEN_STATES as OPEN_STATES,
        EventKind as EventKind,
        Issue as Issue,
        IssueEvent as IssueEvent,
        IssueState as IssueState,
        NotAcceptedReason as NotAcceptedReason,
        RectificationTrack as RectificationTrack,
        Satisfaction as Satisfaction,
        UnitFile as UnitFile,
        UnitView as UnitView,
    )
    from supervision_core.model.messengers import (
        LinkCode as LinkCode,
    )
    from supervision_core.conversation import (
        FileRef as FileRef,
        Inbound as Inbound,
        MessengerDesk as MessengerDesk,
        Outbound as Outbound,
        StepResult as StepResult,
        conversation_step as conversation_step,
        evaluation_buttons as evaluation_buttons,
    )
    from supervision_core.model.notifications import (
        Deferred as Deferred,
        Notice as Notice,
        Notifier as Notifier,
        NoticeKind as NoticeKind,
        RecipientKind as RecipientKind,
        Unreachable as Unreachable,
    )
    from supervision_core.model.outbox import (
        INBOX as INBOX,
        PHONE_CALL as PHONE_CALL,
        CallTask as CallTask,
        DeliveryReceipt as DeliveryReceipt,
        DeliveryReport as DeliveryReport,
        OutboxEntry as OutboxEntry,
        OutboxStatus as OutboxStatus,
        transport_label as transport_label,
    )
    from supervision_core.model.profiles import (
        PROFILE_FIELDS as PROFILE_FIELDS,
        ColumnProfile as ColumnProfile,
        ProfileMatch as ProfileMatch,
        match_profile as match_profile,
        normalize_header as normalize_header,
    )
    from supervision_core.model.reporters import (
        Reporter as Reporter,
    )
    from supervision_core.model.reports import (
        Attachment as Attachment,
        IntakeResult as IntakeResult,
        QuarantineReason as QuarantineReason,
        QuarantinedReport as QuarantinedReport,
        Report as Report,
        ReportHints as ReportHints,
        Sender as Sender,
    )
    from supervision_core.model.scoring import (
        Band as Band,
        Score as Score,
        ScoreItem as ScoreItem,
        ScoringPolicy as ScoringPolicy,
        SupervisorYear as SupervisorYear,
    )
    from supervision_core.model.screening import (
        ScreeningProposal as ScreeningProposal,
    )
    from supervision_core.model.sign_in import (
        SupervisorSession as SupervisorSession,
        SupervisorSignIn as SupervisorSignIn,
    )
    from supervision_core.model.summaries import (
        AttachmentInfo as AttachmentInfo,
        IssueSummary as IssueSummary,
        ReportSummary as ReportSummary,
    )
    from supervision_core.model.supervisors import (
        ChangeKind as ChangeKind,
        ContactKind as ContactKind,
        Identity as Identity,
        NewSupervisor as NewSupervisor,
        Origin as Origin,
        Revocation as Revocation,
        Supervisor as Supervisor,
        SupervisorChange as SupervisorChange,
        SupervisorStatus as SupervisorStatus,
        normalize_identity as normalize_identity,
    )
    from supervision_core.model.vocabulary import (
        CHANNEL_LABELS as CHANNEL_LABELS,
        CONTACT_LABELS as CONTACT_LABELS,
        Method as Method,
        ProblemType as ProblemType,
        Stage as Stage,
        Topic as Topic,
        Vocabulary as Vocabulary,
        parse_term as parse_term,
    )
    from supervision_core.model.tasks import (
        AssignmentStatus as AssignmentStatus,
        Task as Task,
        TaskAssignment as TaskAssignment,
        TaskKind as TaskKind,
    )
    from supervision_core.model.library import (
        DOCUMENT_MEDIA_TYPES as DOCUMENT_MEDIA_TYPES,
        MAX_DOCUMENT_BYTES as MAX_DOCUMENT_BYTES,
        DocumentCategory as DocumentCategory,
        LibraryDocument as LibraryDocument,
    )
    from supervision_core.rules.library import (
        document_media_type as document_media_type,
    )
    from supervision_core.model.recognition import (
        VISIT_METHODS as VISIT_METHODS,
        AnalysisParticipant as AnalysisParticipant,
        AnalysisRole as AnalysisRole,
        Commendation as Commendation,
        FieldVisit as FieldVisit,
        JointAnalysis as JointAnalysis,
        OfficerRecommendation as OfficerRecommendation,
        RecommendationStatus as RecommendationStatus,
    )
    from supervision_core.model.year import (
        DEFAULT_TIE_RULE as DEFAULT_TIE_RULE,
        TIE_RULES as TIE_RULES,
        Activity as Activity,
        ActivityKind as ActivityKind,
        AttendanceStatus as AttendanceStatus,
        DisciplineKind as DisciplineKind,
        DisciplineRecord as DisciplineRecord,
        Evaluation as Evaluation,
        EvaluationEntry as EvaluationEntry,
        FindingKind as FindingKind,
        WorkPlan as WorkPlan,
        excellent_quota as excellent_quota,
        rank_entries as rank_entries,
    )
    from supervision_core.plugins import (
        DEFAULT_PLUGINS as DEFAULT_PLUGINS,
        PluginFailure as PluginFailure,
        PluginHost as PluginHost,
        PluginInfo as PluginInfo,
        PluginManager as PluginManager,
        get_plugin_manager as get_plugin_manager,
    )
    from supervision_core.registries import (
        Channel as Channel,
        ChannelRegistry as ChannelRegistry,
        CheckRegistry as CheckRegistry,
        Job as Job,
        NotifierRegistry as NotifierRegistry,
        PolicyRegistry as PolicyRegistry,
        ProfileRegistry as ProfileRegistry,
        RouteRegistry as RouteRegistry,
        ScreeningCheck as ScreeningCheck,
        SupervisorDirectory as SupervisorDirectory,
        channel_jobs as channel_jobs,
    )
    from supervision_core.rules.deadlines import (
        TimeLimits as TimeLimits,
        due_after as due_after,
        rectification_due as rectification_due,
    )
    from supervision_core.rules.disclosure import (
        unit_view as unit_view,
    )
    from supervision_core.rules.lifecycle import (
        apply_event as apply_event,
        replay as replay,
    )
    from supervision_core.rules.discipline import (
        discipline_reasons as discipline_reasons,
    )
    from supervision_core.rules.masking import (
        mask_id_number as mask_id_number,
        mask_name as mask_name,
        mask_personal_data as mask_personal_data,
        mask_phone as mask_phone,
    )
    from supervision_core.rules.notices import (
        notices_for as notices_for,
    )
    from supervision_core.rules.redaction import (
        redact_for_unit as redact_for_unit,
    )
    from supervision_core.rules.reminders import (
        documents_due as documents_due,
    )
    from supervision_core.rules.sign_in import (
        CODE_MINUTES as CODE_MINUTES,
        CODE_TRIES as CODE_TRIES,
        SESSION_DAYS as SESSION_DAYS,
    )
    from supervision_core.rules.scoring import (
        DefaultPolicy as DefaultPolicy,
    )
    from supervision_core.rules.screening import (
        valid_id_number as valid_id_number,
    )
    from supervision_core.rules.similarity import (
        text_similarity as text_similarity,
    )
    from supervision_core.rules.workdays import (
        CONFIRMED_YEARS as CONFIRMED_YEARS,
        CalendarHealth as CalendarHealth,
        Deadline as Deadline,
        WorkCalendar as WorkCalendar,
        YearSchedule as YearSchedule,
        china_calendar as china_calendar,
    )
    from supervision_core.store.engine import (
        DEFAULT_DATABASE_URL as DEFAULT_DATABASE_URL,
        create_engine as create_engine,
        migrate as migrate,
    )
    from supervision_core.store.messengers import (
        MessengerStore as MessengerStore,
    )
    from supervision_core.store.staging import (
        BulkQuarantine as BulkQuarantine,
        CopyText as CopyText,
        StageFile as StageFile,
        copy_text as copy_text,
        stage_quarantine as stage_quarantine,
    )
    from supervision_core.store.webhooks import (
        WebhookStore as WebhookStore,
    )
    from supervision_core.store.tokens import (
        StoredAnswer as StoredAnswer,
        TokenStore as TokenStore,
    )
    from supervision_core.store.supervisor_view import (
        SupervisorIssueCounts as SupervisorIssueCounts,
    )
    from supervision_core.store.users import (
        UserStore as UserStore,
    )
    from supervision_core.testing import (
        FrozenClock as FrozenClock,
        HookRecorder as HookRecorder,
        RecordedCall as RecordedCall,
    )

from supervision_core._api import API as _API

_EXPORTS: dict[str, str] = {
    name: module for modules in _API.values() for module, names in modules.items() for name in names
}


def _order(name: str) -> tuple[int, str]:
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


#: Constants, then classes, then functions, each sorted.
__all__ = sorted(_EXPORTS, key=_order)


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    # The public names, the dunders and the subpackages loaded so far; nothing private.
    loaded = {
        n
        for n, v in globals().items()
        if n.startswith("__") or getattr(v, "__name__", None) == f"{__name__}.{n}"
    }
    return sorted({*__all__, *loaded})
