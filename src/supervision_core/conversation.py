"""What any messenger channel does: Telegram built in, WeChat and WeCom as plugins.

A messenger adapter turns what arrives into :class:`Inbound` values and sends the
:class:`Outbound` replies; everything between — linking, the guided report, quick
reports, ``/status``, evaluating a rectification — is here, the same for every
messenger:

- :func:`conversation_step` is the conversation as a plain function over its state (no database);
- :class:`MessengerDesk` runs it against the ledger: each update is taken in once
  (a session remembers the last update id), a report is filed with an external id made
  of the account and the update, so a crash re-reads an update without a second report.
  A messenger whose messages carry their own id (WeChat's ``MsgId``) gives it as
  :attr:`Inbound.key` instead: the desk then takes each key in once, whatever the order,
  and a report it files has that key as its external id.
- A messenger without buttons (WeChat) makes its desk with ``numbered_buttons=True``:
  buttons are written as numbered lines, and a reply of that number presses the button.

Public (``supervision_core``): a messenger plugin imports these from the root.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from supervision_core.errors import InvalidInput, InvalidTransition, NotFound
from supervision_core.ledger import Ledger
from supervision_core.model.issues import OPEN_STATES, IssueState, Satisfaction
from supervision_core.model.reports import Attachment, Report, ReportHints, Sender
from supervision_core.model.supervisors import ContactKind
from supervision_core.model.vocabulary import Method, ProblemType, Stage, Topic

__all__ = [
    "FileRef",
    "Inbound",
    "MessengerDesk",
    "Outbound",
    "StepResult",
    "conversation_step",
    "evaluation_buttons",
]

log = logging.getLogger("supervision_core.conversation")


@attrs.frozen
class FileRef:
    """A file a messenger holds for us (a photo, a document, a voice note)."""

    file_id: str
    kind: str  # photo, document, voice, audio, video
    filename: str | None = None
    mime: str | None = None
    size: int | None = None


@attrs.frozen(kw_only=True)
class Inbound:
    """One thing a user did: a message, a command, a button pressed."""

    update_id: int
    account: str  # "telegram:12345": the messenger names itself
    chat: str
    sent_at: dt.datetime
    text: str | None = None
    command: str | None = None  # without the slash, lower case
    args: str = ""
    button: str | None = None
    files: tuple[FileRef, ...] = ()
    display_name: str | None = None
    #: the messenger's own id of the message (WeChat's MsgId): taken in once, and the
    #: external id of a report it files; ``None`` orders updates by ``update_id``
    key: str | None = None


@attrs.frozen
class Outbound:
    """A reply: text, and rows of (label, data) buttons."""

    text: str
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()


@attrs.frozen
class StepResult:
    """What the conversation does with an inbound.

    The new state, the replies, and an action for the desk to carry out against the
    ledger (file, status, evaluate, link).
    """

    state: dict[str, Any]
    replies: tuple[Outbound, ...] = ()
    action: tuple[Any, ...] | None = None


NOT_LINKED = (
    "您的账号尚未绑定监督员身份，暂时不能反映问题。\n"
    "请向旗政务服务中心或所在苏木镇便民服务中心的工作人员申领绑定码，然后发送：/link 绑定码"
)
HELP = (
    "政务服务监督员工作台：\n"
    "/report 按步骤反映问题（地点、类别、经过、照片）\n"
    "直接发送文字或照片，也会登记为一条反映\n"
    "/status 查看您未办结的问题；/status 编号 查看某一件\n"
    "/cancel 取消当前操作"
)
SKIP = ("跳过", "skip")


def _rows(
    items: Sequence[tuple[str, str]], per_row: int
) -> tuple[tuple[tuple[str, str], ...], ...]:
    return tuple(tuple(items[i : i + per_row]) for i in range(0, len(items), per_row))


def _choice_buttons(prefix: str, members: Sequence[Any], per_row: int = 2) -> Any:
    return _rows(
        [(m.label, f"{prefix}:{m.value}") for m in members] + [SKIP_BUTTON(prefix)], per_row
    )


def SKIP_BUTTON(prefix: str) -> tuple[str, str]:
    """The "skip" button of a step."""
    return ("跳过", f"{prefix}:skip")


_ASK: dict[str, tuple[str, Callable[[], Any]]] = {
    "topic": ("属于哪方面的工作内容？", lambda: _choice_buttons("t", list(Topic))),
    "stage": ("在哪个办理环节？", lambda: _choice_buttons("s", list(Stage), 3)),
    "problem": ("属于哪类问题？", lambda: _choice_buttons("p", list(ProblemType), 3)),
    "method": ("您是怎样发现的？", lambda: _choice_buttons("m", list(Method), 3)),
}
_KIND_OF = {"t": Topic, "s": Stage, "p": ProblemType, "m": Method}
_FIELD_OF = {"t": "topic", "s": "stage", "p": "problem_type", "m": "method"}
_NEXT = {"t": "stage", "s": "problem", "p": "method", "m": "text"}


def evaluation_buttons(number: str) -> tuple[tuple[tuple[str, str], ...], ...]:
    """The three evaluation buttons for an issue (满意 / 基本满意 / 不满意)."""
    return (tuple((s.label, f"eval:{number}:{s.value}") for s in Satisfaction),)


def _ask(stage: str) -> Outbound:
    if stage in _ASK:
        question, buttons = _ASK[stage]
        return Outbound(question, buttons())
    if stage == "venue":
        return Outbound(
            "在哪个办事场所（窗口、网点或平台）？请直接输入，或点“跳过”。", ((SKIP_BUTTON("v"),),)
        )
    if stage == "text":
        return Outbound("请描述经过：时间、地点、发生了什么，以及您希望怎样解决。")
    if stage == "files":
        return Outbound(
            "如有照片、文件或语音，请现在发送；发完后点“完成”。", ((("完成", "done"),),)
        )
    raise ValueError(stage)


def _summary(state: dict[str, Any], centers: dict[str, str]) -> Outbound:
    draft = state["draft"]
    lines = ["请确认您反映的问题："]
    lines.append(f"中心：{centers.get(draft.get('center', ''), draft.get('center', ''))}")
    if draft.get("venue"):
        lines.append(f"场所：{draft['venue']}")
    for key, kind, title in (
        ("topic", Topic, "工作内容"),
        ("stage", Stage, "办理环节"),
        ("problem_type", ProblemType, "问题类型"),
        ("method", Method, "发现方式"),
    ):
        if draft.get(key):
            lines.append(f"{title}：{kind(draft[key]).label}")
    lines.append(f"经过：{draft.get('text', '')}")
    if draft.get("files"):
        lines.append(f"附件：{len(draft['files'])} 个")
    return Outbound("\n".join(lines), ((("提交", "submit"), ("取消", "cancel")),))


def conversation_step(
    state: dict[str, Any],
    inbound: Inbound,
    *,
    linked: bool,
    centers: dict[str, str],
    home_center: str | None,
) -> StepResult:
    """The conversation's next state, its replies, and what the desk must do.

    ``centers`` are the centers the supervisor may report to (code -> name);
    ``home_center`` is their own. Pure: no database, no messenger.
    """
    command, stage = inbound.command, state.get("stage", "idle")
    if command == "link":
        return StepResult(state, action=("link", inbound.args.strip()))
    if not linked:
        if command in ("start", "help"):
            return StepResult({}, (Outbound(NOT_LINKED),))
        return StepResult({}, (Outbound(NOT_LINKED),))
    if command == "cancel" or inbound.button == "cancel":
        message = "已取消。" if stage != "idle" else "当前没有进行中的操作。"
        return StepResult({}, (Outbound(message),))
    if command in ("start", "help"):
        return StepResult({}, (Outbound(HELP),))
    if command == "status":
        return StepResult(state, action=("status", inbound.args.strip()))
    if inbound.button and inbound.button.startswith("eval:"):
        _, number, value = [*inbound.button.split(":", 2), "", ""][:3]
        return StepResult(state, action=("evaluate", number, value))
    if command == "report":
        draft: dict[str, Any] = {"files": []}
        if len(centers) == 1 or (home_center in centers and len(centers) == 1):
            draft["center"] = next(iter(centers))
            return StepResult({"stage": "venue", "draft": draft}, (_ask("venue"),))
        buttons = _rows([(name, f"c:{code}") for code, name in centers.items()], 1)
        return StepResult({"stage": "center", "draft": draft}, (Outbound("在哪个中心？", buttons),))

    if stage == "idle":
        if command:
            return StepResult({}, (Outbound(f"无法识别的命令 /{command}。\n{HELP}"),))
        if inbound.text or inbound.files:
            # A supervisor in a hurry: text and photos become a report with no hints.
            return StepResult({}, action=("file", {"text": inbound.text or "", "files": [
                attrs.asdict(f) for f in inbound.files
            ], "center": home_center}))  # fmt: skip
        return StepResult({})

    draft = dict(state.get("draft", {}))
    data = inbound.button or ""
    if stage == "center":
        code = data[2:] if data.startswith("c:") else ""
        if code not in centers:
            return StepResult(state, (Outbound("请点选下面的中心。"),))
        draft["center"] = code
        return StepResult({"stage": "venue", "draft": draft}, (_ask("venue"),))
    if stage == "venue":
        if data == "v:skip" or (inbound.text or "").strip() in SKIP:
            draft["venue"] = None
        elif inbound.text and inbound.text.strip():
            draft["venue"] = inbound.text.strip()[:200]
        else:
            return StepResult(state, (_ask("venue"),))
        return StepResult({"stage": "topic", "draft": draft}, (_ask("topic"),))
    if stage in ("topic", "stage", "problem", "method"):
        prefix = {"topic": "t", "stage": "s", "problem": "p", "method": "m"}[stage]
        if not data.startswith(f"{prefix}:"):
            return StepResult(state, (_ask(stage),))
        value = data[2:]
        if value != "skip":
            try:
                draft[_FIELD_OF[prefix]] = _KIND_OF[prefix](value).value
            except ValueError:
                return StepResult(state, (_ask(stage),))
        following = _NEXT[prefix]
        return StepResult({"stage": following, "draft": draft}, (_ask(following),))
    if stage == "text":
        if not inbound.text or not inbound.text.strip():
            files = draft.setdefault("files", [])
            files.extend(attrs.asdict(f) for f in inbound.files)
            return StepResult({"stage": "text", "draft": draft}, (_ask("text"),))
        draft["text"] = inbound.text
        draft.setdefault("files", []).extend(attrs.asdict(f) for f in inbound.files)
        return StepResult({"stage": "files", "draft": draft}, (_ask("files"),))
    if stage == "files":
        if inbound.files:
            draft.setdefault("files", []).extend(attrs.asdict(f) for f in inbound.files)
            count = len(draft["files"])
            return StepResult(
                {"stage": "files", "draft": draft},
                (
                    Outbound(
                        f"已收到 {count} 个附件。继续发送，或点“完成”。", ((("完成", "done"),),)
                    ),
                ),
            )
        if data == "done" or (inbound.text or "").strip() in ("完成", "done"):
            new_state = {"stage": "confirm", "draft": draft}
            return StepResult(new_state, (_summary(new_state, centers),))
        return StepResult(state, (_ask("files"),))
    if stage == "confirm":
        if data == "submit" or (inbound.text or "").strip() in ("提交", "确认"):
            return StepResult({}, action=("file", draft))
        return StepResult(state, (_summary(state, centers),))
    return StepResult({}, (Outbound(HELP),))


_SHORT_NUMBER = re.compile(r"^\d{1,5}$")
_SEEN, _SEEN_KEPT = "_seen", 50  # the keys taken in lately (a messenger's retries)
_MENU = "_menu"  # the buttons last written as numbered lines


def _numbered(replies: list[Outbound]) -> tuple[list[Outbound], list[str]]:
    """Replies with their buttons as numbered lines, and the data of each number."""
    data: list[str] = []
    written: list[Outbound] = []
    for reply in replies:
        if not reply.buttons:
            written.append(reply)
            continue
        lines = [reply.text, ""]
        for row in reply.buttons:
            for label, value in row:
                data.append(value)
                lines.append(f"{len(data)}. {label}")
        lines.append("请回复序号。")
        written.append(Outbound("\n".join(lines)))
    return written, data


def _press_numbered(inbound: Inbound, menu: list[str]) -> Inbound:
    """A reply of a number written in the last menu presses that button."""
    text = (inbound.text or "").strip()
    if menu and inbound.button is None and text.isdigit() and 1 <= int(text) <= len(menu):
        return attrs.evolve(inbound, text=None, button=menu[int(text) - 1])
    return inbound


class MessengerDesk:
    """Runs conversations of one messenger against the ledger.

    :param messenger: the channel name and account prefix ("telegram")
    :param download: fetches a file's bytes from the messenger
    :param numbered_buttons: the messenger has no buttons: they are written as numbered
        lines, and a reply of that number presses the button
    """

    def __init__(
        self,
        ledger: Ledger,
        messenger: str,
        download: Callable[[FileRef], tuple[bytes, str]],
        *,
        max_file_bytes: int = 20 * 1024 * 1024,
        numbered_buttons: bool = False,
    ) -> None:
        self.ledger = ledger
        self.messenger = messenger
        self.download = download
        self.max_file_bytes = max_file_bytes
        self.numbered_buttons = numbered_buttons

    def handle(self, inbound: Inbound) -> list[Outbound]:
        """Take one inbound in (once), carry out what it asks, and return the replies."""
        store = self.ledger.messengers
        state, last = store.session(inbound.account)
        seen: list[str] = list(state.pop(_SEEN, []))
        menu: list[str] = list(state.pop(_MENU, []))
        if inbound.key is not None:
            if inbound.key in seen:
                return []  # the messenger sent it again (it had no answer in time): done
        elif inbound.update_id <= last:
            return []  # seen before (a re-read after a crash): done already
        inbound = _press_numbered(inbound, menu)
        supervisor_id = store.linked_supervisor(inbound.account)
        centers, home = self._centers(supervisor_id)
        result = conversation_step(
            state, inbound, linked=supervisor_id is not None, centers=centers, home_center=home
        )
        replies = list(result.replies)
        new_state = result.state
        if result.action is not None:
            kind = result.action[0]
            if kind == "link":
                replies.append(self._link(inbound, result.action[1]))
            elif kind == "status" and supervisor_id is not None:
                replies.append(self._status(supervisor_id, result.action[1]))
            elif kind == "evaluate" and supervisor_id is not None:
                replies.append(self._evaluate(supervisor_id, *result.action[1:]))
            elif kind == "file" and supervisor_id is not None:
                replies.append(self._file(inbound, result.action[1], home))
                new_state = {}
        new_state = dict(new_state)
        if inbound.key is not None:
            new_state[_SEEN] = [*seen, inbound.key][-_SEEN_KEPT:]
        if self.numbered_buttons:
            replies, numbered = _numbered(replies)
            if numbered:
                new_state[_MENU] = numbered
        store.save_session(inbound.account, new_state, max(last, inbound.update_id))
        return replies

    def _centers(self, supervisor_id: int | None) -> tuple[dict[str, str], str | None]:
        if supervisor_id is None:
            return {}, None
        supervisor = self.ledger.supervisor(supervisor_id)
        known = self.ledger.centers()
        all_centers = {c.code: c.name for c in known}
        banner = [c.code for c in known if c.level.value == "banner"]
        # Their own center first; the banner center's hall is everybody's too.
        codes = [supervisor.center, *[b for b in banner if b != supervisor.center]]
        return {c: all_centers[c] for c in codes if c in all_centers}, supervisor.center

    def _link(self, inbound: Inbound, code: str) -> Outbound:
        if not code:
            return Outbound("请在 /link 后面加上绑定码，例如：/link 7KQ2M9PX")
        try:
            supervisor_id = self.ledger.messengers.redeem_link_code(code, inbound.account)
        except InvalidInput as e:
            return Outbound(str(e))
        supervisor = self.ledger.supervisor(supervisor_id)
        return Outbound(f"绑定成功：{supervisor.name}，欢迎使用。\n\n{HELP}")

    def _file(self, inbound: Inbound, draft: dict[str, Any], home: str | None) -> Outbound:
        attachments: list[Attachment] = []
        notes: list[str] = []
        for n, ref in enumerate(FileRef(**f) for f in draft.get("files", [])):
            if ref.size is not None and ref.size > self.max_file_bytes:
                notes.append(f"{ref.filename or ref.kind}（超过大小限制，未保存）")
                continue
            try:
                content, path = self.download(ref)
            except Exception as exc:  # the file is gone or the network failed: say so
                log.warning("could not fetch %s file: %s", ref.kind, type(exc).__name__)
                notes.append(f"{ref.filename or ref.kind}（未能下载）")
                continue
            name = ref.filename or f"{ref.kind}-{n + 1}{_suffix(path, ref.kind)}"
            attachments.append(Attachment(name, ref.mime or _mime(ref.kind, path), content))
        text = draft.get("text") or ("（照片）" if attachments else "")
        if notes:
            text += "\n\n（" + "；".join(notes) + "）"
        report = Report(
            channel=self.messenger,
            external_id=inbound.key or f"{inbound.account}:{inbound.update_id}",
            center=draft.get("center") or home or "",
            received_at=inbound.sent_at,
            sender=Sender(ContactKind.MESSENGER, inbound.account, inbound.display_name),
            subject=None,
            text=text or "（空）",
            attachments=attachments,
            hints=ReportHints(
                method=draft.get("method"),
                stage=draft.get("stage"),
                topic=draft.get("topic"),
                problem_type=draft.get("problem_type"),
                venue=draft.get("venue"),
            ),
        )
        result = self.ledger.receive(report)
        if result.issue_number:
            return Outbound(
                f"已登记，编号 {result.issue_number}。我们将在规定时限内审查并告知处理情况。"
            )
        return Outbound("已收到，待工作人员核实后登记。")

    def _status(self, supervisor_id: int, arg: str) -> Outbound:
        if arg:
            try:
                issue = self.ledger.issue(self._number(supervisor_id, arg))
            except NotFound:
                issue = None
            if issue is None or issue.supervisor_id != supervisor_id:
                return Outbound(f"没有找到您反映的问题 {arg}。")
            due = issue.due_on.isoformat() if issue.due_on else "—"
            lines = [f"问题 {issue.number}：{issue.state.label}", f"期限：{due}"]
            if issue.unit:
                lines.append("已派单办理")
            if issue.evidence:
                lines.append(f"整改情况：{issue.evidence}")
            if issue.explanation:
                lines.append(f"说明：{issue.explanation}")
            lines.append(f"内容：{issue.text[:200]}")
            return Outbound("\n".join(lines))
        mine = [
            i
            for i in self.ledger.issues(supervisor=supervisor_id)
            if i.state in {s.value for s in OPEN_STATES}
        ]
        if not mine:
            return Outbound("您目前没有未办结的问题。")
        lines = ["您未办结的问题："]
        for i in mine[-20:]:
            due = i.due_on.isoformat() if i.due_on else "—"
            lines.append(f"{i.number}  {IssueState(i.state).label}  期限 {due}")
        lines.append("发送 /status 编号 查看详情。")
        return Outbound("\n".join(lines))

    def _number(self, supervisor_id: int, arg: str) -> str:
        arg = arg.strip()
        if _SHORT_NUMBER.match(arg):  # "/status 12": the supervisor's issue ending in 00012
            for i in self.ledger.issues(supervisor=supervisor_id):
                if i.number.endswith(f"-{int(arg):05d}"):
                    return i.number
        return arg

    def _evaluate(self, supervisor_id: int, number: str, value: str) -> Outbound:
        try:
            issue = self.ledger.issue(number)
        except NotFound:
            return Outbound("没有找到这件问题。")
        if issue.supervisor_id != supervisor_id:
            return Outbound("只能评价您本人反映的问题。")
        try:
            satisfaction = Satisfaction(value)
            self.ledger.evaluate(
                number, satisfaction=satisfaction, actor=f"supervisor:{supervisor_id}"
            )
        except (ValueError, InvalidTransition, InvalidInput) as e:
            return Outbound(f"未能记录评价：{e}")
        return Outbound(f"已记录您对问题 {number} 的评价：{satisfaction.label}。谢谢！")


def _suffix(path: str, kind: str) -> str:
    if "." in path.rsplit("/", 1)[-1]:
        return "." + path.rsplit(".", 1)[-1][:8]
    return {"photo": ".jpg", "voice": ".ogg"}.get(kind, "")


def _mime(kind: str, path: str) -> str:
    import mimetypes

    guessed, _ = mimetypes.guess_type(path)
    return guessed or {"photo": "image/jpeg", "voice": "audio/ogg"}.get(
        kind, "application/octet-stream"
    )
