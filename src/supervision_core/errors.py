"""The error tree: everything the library raises on purpose descends from one base."""

from __future__ import annotations

import errno


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


class CalendarUnconfirmed(InvalidInput):
    """A deadline that would count days of a year whose holiday schedule is not confirmed.

    The calendar refuses rather than guesses (holidays and make-up working days are
    set each year by a State Council notice). ``year`` is the year missing; the
    message says what to add to ``supdesk.toml``. An :class:`InvalidInput`, so every
    form shows it as a message and the command line as one line.
    """

    def __init__(self, year: int) -> None:
        super().__init__(
            f"{year} 年的节假日安排尚未确认，无法按工作日计算期限，此操作未执行。"
            f"请按国务院办公厅公布的 {year} 年放假安排，在 supdesk.toml 中加入 [calendar.{year}]："
            f'holidays = ["{year}-01-01", ...]（放假日期）和 workdays = [...]（调休上班日期），'
            f"重启服务后再试（可用 supdesk calendar show {year} 核对）"
        )
        self.year = year

    def __reduce__(self) -> tuple[type[CalendarUnconfirmed], tuple[int]]:
        return (CalendarUnconfirmed, (self.year,))


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


_OS_ERRORS = {
    errno.ENOENT: "不存在",
    errno.EACCES: "没有权限",
    errno.EPERM: "没有权限",
    errno.EISDIR: "是一个文件夹",
    errno.ENOTDIR: "路径中有一项不是文件夹",
    errno.EEXIST: "已经存在",
    errno.ENOSPC: "磁盘空间不足",
    errno.EROFS: "所在磁盘只读",
    errno.EADDRINUSE: "地址已被占用",
    errno.EADDRNOTAVAIL: "本机没有这个地址",
    errno.ECONNREFUSED: "连接被拒绝（对方服务未启动？）",
    errno.ETIMEDOUT: "连接超时",
    errno.EHOSTUNREACH: "无法到达该主机",
    errno.ENETUNREACH: "网络不可达",
    errno.EPIPE: "输出已被关闭（管道另一端已退出）",
}


def describe_os_error(error: OSError) -> str:
    """An operating-system error in Chinese: what failed and on which file or address.

    ``[Errno 13] Permission denied: 'x.key'`` becomes ``x.key：没有权限``; an error
    without a known number keeps the system's words.
    """
    what = _OS_ERRORS.get(error.errno or -1) or error.strerror or str(error) or type(error).__name__
    if error.filename is not None:
        return f"{error.filename}：{what}"
    return what
