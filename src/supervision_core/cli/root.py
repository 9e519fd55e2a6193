"""The root ``supdesk`` group: its options, and one line instead of a traceback on error."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import click

from supervision_core.cli.context import State
from supervision_core.cli.output import fail, width
from supervision_core.errors import SupervisionError, describe_os_error

__all__ = ["SupdeskGroup", "cli", "import_"]


def _database_error(exc: Exception) -> str | None:
    # Only a command that opened the ledger has imported SQLAlchemy; the others
    # cannot have raised its errors, and need not pay for importing it here.
    if "sqlalchemy" not in sys.modules:
        return None
    import sqlalchemy as sa

    # The driver's own error only: SQLAlchemy's message adds the statement and its
    # parameters, which are no help to the user and may hold personal data.
    if isinstance(exc, sa.exc.OperationalError) and exc.orig is not None:
        return f"数据库操作失败：{_first_line(exc.orig)}"
    if isinstance(exc, sa.exc.StatementError) and exc.orig is not None:
        return f"数据库错误：{_first_line(exc.orig)}"
    if isinstance(exc, sa.exc.SQLAlchemyError):
        return f"数据库错误：{type(exc).__name__}"
    return None


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


#: Click's own messages (English) and their Chinese, most specific first.
_CLICK_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^Missing option '?([^'.]+)'?\.?$"), r"缺少选项 \1"),
    (re.compile(r"^Missing argument '?([^'.]+)'?\.?$"), r"缺少参数 \1"),
    (re.compile(r"^Missing parameter '?([^'.]+)'?\.?$"), r"缺少参数 \1"),
    (re.compile(r"^No such option: (\S+?)(?: Did you mean (.+)\?)?$"), r"没有选项 \1"),
    (re.compile(r"^No such command '?([^'.]+)'?\.?$"), r"没有命令 \1"),
    (re.compile(r"^Got unexpected extra arguments? \((.*)\)$"), r"多余的参数：\1"),
    (re.compile(r"^Option '?([^']+)'? requires an argument\.?$"), r"选项 \1 需要一个值"),
    (re.compile(r"^Option '?([^']+)'? does not take a value\.?$"), r"选项 \1 不带值"),
    (re.compile(r"^'?(.*?)'? is not a valid integer( range)?\.?$"), r"“\1”不是整数"),
    (re.compile(r"^'?(.*?)'? is not a valid float( range)?\.?$"), r"“\1”不是数字"),
    (re.compile(r"^'?(.*?)'? is not a valid boolean\.?$"), r"“\1”不是是非值"),
    (
        re.compile(r"^'?(.*?)'? does not match the formats? .*$"),
        r"“\1”不是 YYYY-MM-DD 格式的日期",
    ),
    (re.compile(r"^'?(.*?)'? is not one of (.*)\.$"), r"“\1”不在可选值之中：\2"),
    (re.compile(r"^'?(.*?)'? is not in the range (.*)\.$"), r"\1 不在允许的范围（\2）内"),
    (re.compile(r"^(?:File|Path|Directory) '?(.*?)'? does not exist\.?$"), r"找不到 \1"),
    (re.compile(r"^(?:File|Path|Directory) '?(.*?)'? is a directory\.?$"), r"\1 是一个文件夹"),
    (re.compile(r"^(?:File|Path|Directory) '?(.*?)'? is not readable\.?$"), r"无法读取 \1"),
    (re.compile(r"^Invalid value for '?([^':]+)'?: (.*)$", re.S), r"\1 的值无效：\2"),
    (re.compile(r"^Invalid value: (.*)$", re.S), r"值无效：\1"),
]


def _chinese(message: str) -> str:
    """Click's English message in Chinese; a message already in Chinese unchanged."""
    text = " ".join(message.split())
    for pattern, replacement in _CLICK_MESSAGES:
        match = pattern.match(text)
        if match:
            translated = match.expand(replacement)
            # "Invalid value for --x: <inner>": the inner message is click's too.
            if translated.endswith(match.group(match.lastindex or 0)) and match.lastindex:
                inner = match.group(match.lastindex)
                if inner != text:
                    translated = translated[: len(translated) - len(inner)] + _chinese(inner)
            return translated
    return text


def usage_line(error: click.UsageError) -> str:
    """A usage error as one Chinese line naming the command's ``--help``."""
    if isinstance(error, click.MissingParameter) and error.param is not None:
        kind = "选项" if isinstance(error.param, click.Option) else "参数"
        hint: Any = error.param_hint or error.param.get_error_hint(error.ctx)
        message = f"缺少{kind} {_plain_hint(hint)}"
    elif isinstance(error, click.BadParameter) and (error.param or error.param_hint):
        hint = error.param_hint
        if hint is None and error.param is not None:
            hint = error.param.get_error_hint(error.ctx)
        message = f"{_plain_hint(hint)} 的值无效：{_chinese(error.message)}"
    elif isinstance(error, click.NoSuchOption):
        message = f"没有选项 {error.option_name}"
        if error.possibilities:
            message += f"（是否想用 {'、'.join(sorted(error.possibilities))}？）"
    else:
        message = _chinese(error.format_message())
    path = error.ctx.command_path if error.ctx is not None else "supdesk"
    return f"错误：{message.rstrip('。.')}。运行“{path} --help”查看用法。"


def _plain_hint(hint: Any) -> str:
    if isinstance(hint, Sequence) and not isinstance(hint, str):
        return " / ".join(str(h) for h in hint)
    return str(hint).replace("'", "").replace('"', "")


#: The root's options that are accepted after the subcommand too.
_GLOBAL_WITH_VALUE = ("--database", "--config")
_GLOBAL_FLAGS = ("--json",)


def hoist_global_options(args: Sequence[str]) -> list[str]:
    """``args`` with ``--database``, ``--config`` and ``--json`` moved before the subcommand.

    So ``supdesk issues list --database URL --json`` is ``supdesk --database URL --json
    issues list``. Nothing after ``--`` is moved.
    """
    front: list[str] = []
    rest: list[str] = []
    items = list(args)
    i = 0
    while i < len(items):
        arg = items[i]
        if arg == "--":
            rest += items[i:]
            break
        name = arg.split("=", 1)[0]
        if name in _GLOBAL_WITH_VALUE:
            if "=" in arg:
                front.append(arg)
            else:
                front += items[i : i + 2]
                i += 1
        elif arg in _GLOBAL_FLAGS:
            front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest


#: Click's own words in help pages, in Chinese (click has no translations of its own).
_HEADINGS = {"Options": "选项", "Commands": "命令", "Arguments": "参数"}
_HELP_WORDS = (
    ("Show this message and exit.", "显示本帮助并退出。"),
    ("Show the version and exit.", "显示版本并退出。"),
    ("[default: ", "[默认："),
    ("[required]", "[必填]"),
    ("; required]", "；必填]"),
    ("[env var: ", "[环境变量："),
)


class ChineseHelpFormatter(click.HelpFormatter):
    """Click's help page with its headings and fixed phrases in Chinese."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        """``用法：supdesk …``, the arguments' placeholders as click writes them."""
        args = args.replace("[OPTIONS]", "[选项]").replace("COMMAND [ARGS]...", "命令 [参数]...")
        super().write_usage(prog, args, prefix="用法：" if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        """A section heading (选项, 命令), in Chinese where click wrote English."""
        self.write(f"{'':>{self.current_indent}}{_HEADINGS.get(heading, heading)}：\n")

    def write_dl(
        self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        """Options and commands, with click's own phrases in Chinese."""
        translated = []
        for term, text in rows:
            for english, chinese in _HELP_WORDS:
                text = text.replace(english, chinese)
            translated.append((term, text))
        # Click measures characters; a Chinese character takes two columns.
        first_col = min(max((width(t) for t, _ in translated), default=0), col_max) + col_spacing
        indent = " " * self.current_indent
        for term, text in translated:
            self.write(f"{indent}{term}")
            if not text:
                self.write("\n")
                continue
            if width(term) <= first_col - col_spacing:
                self.write(" " * (first_col - width(term)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = _wrap(text, max(self.width - first_col - self.current_indent - 2, 20))
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(" " * (first_col + self.current_indent) + line + "\n")


_CLOSING = frozenset("，。；：、）》」』”！？")
_TOKENS = re.compile(r"[\x21-\x7e]+|\s+|.")


def _wrap(text: str, columns: int) -> list[str]:
    """``text`` in lines of at most ``columns`` terminal columns, words of ASCII kept whole."""
    lines: list[str] = []
    line = ""
    for token in _TOKENS.findall(" ".join(text.split())):
        # Closing punctuation stays with the line it ends (no line starts with 。).
        if line and width(line) + width(token) > columns and token not in _CLOSING:
            lines.append(line.rstrip())
            line = "" if token.isspace() else token
        else:
            line += token
    return [*lines, line.rstrip()] if line.strip() or not lines else lines


class ChineseContext(click.Context):
    """Every command's context: help pages in Chinese."""

    formatter_class = ChineseHelpFormatter


#: A value's placeholder in help and usage, by its click type's name (click writes
#: ``INTEGER``, ``TEXT``, ``PATH``...).
_TYPE_METAVARS = {
    "integer": "整数",
    "integer range": "整数",
    "float": "数字",
    "float range": "数字",
    "boolean": "是或否",
    "text": "文本",
    "file": "文件",
    "filename": "文件",
    "path": "路径",
    "directory": "文件夹",
    "datetime": "日期",
    "uuid": "UUID",
}
#: An argument's placeholder by its name (click writes the name in capitals).
_ARGUMENT_METAVARS = {
    "ref": "问题编号",
    "into": "问题编号",
    "year": "年度",
    "period": "期间",
    "username": "用户名",
    "url": "URL",
    "file": "文件",
    "path": "路径",
    "name": "名称",
    "supervisor_id": "监督员编号",
    "task_id": "任务编号",
    "activity_id": "活动编号",
    "batch_id": "批次编号",
    "delivery_id": "推送编号",
    "document_id": "资料编号",
    "entry_id": "记录编号",
    "evaluation_id": "评估编号",
    "quarantine_id": "隔离记录编号",
    "recommendation_id": "推荐编号",
    "webhook_id": "订阅编号",
    "token_id": "令牌编号",
}
#: Placeholders given in English by a command's own ``metavar``.
_EXPLICIT_METAVARS = {
    "PATH": "路径",
    "FILE": "文件",
    "TEXT": "文本",
    "NAME": "名称",
    "INTEGER": "整数",
    "HOST:PORT": "主机:端口",
    "CENTER": "中心",
    "UNIT": "单位",
}


def chinese_metavar(param: click.Parameter) -> str | None:
    """The Chinese placeholder of ``param`` in help and usage; ``None`` to keep click's.

    Choices keep their list of values, flags have none, and dates show ``YYYY-MM-DD``.
    """
    if param.metavar is not None:
        return _EXPLICIT_METAVARS.get(param.metavar)
    if isinstance(param, click.Option) and (param.is_flag or param.count):
        return None
    if isinstance(param.type, click.Choice):
        return None
    if isinstance(param, click.Argument):
        word = _ARGUMENT_METAVARS.get(param.name or "")
        if word is None and (param.name or "").endswith("_id"):
            word = "编号"
        word = word or _TYPE_METAVARS.get(param.type.name, param.type.name)
        if not param.required:
            word = f"[{word}]"
        return word + ("..." if param.nargs != 1 else "")
    if isinstance(param.type, click.DateTime) and param.type.name != "日期":
        return "日期"  # a plugin's click.DateTime, not click's [%Y-%m-%d]
    if type(param.type).get_metavar is not click.ParamType.get_metavar:
        return None  # a type that writes its own (a date's YYYY-MM-DD)
    word = _TYPE_METAVARS.get(param.type.name)
    if word is None:
        return None  # a type of ours, named in Chinese already (中心, 单位)
    return word + ("..." if param.nargs != 1 else "")


def _chinese_help(command: click.Command) -> None:
    """Give ``command`` and every command under it the Chinese help pages and placeholders."""
    command.context_class = ChineseContext
    for param in command.params:
        metavar = chinese_metavar(param)
        if metavar is not None:
            param.metavar = metavar
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _chinese_help(sub)


class SupdeskGroup(click.Group):
    """A group whose commands turn expected errors into one line and exit status 1.

    Usage errors (click's) become one Chinese line with the command's ``--help`` and
    status 2; the root's options may follow the subcommand.
    """

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line; a usage error is one Chinese line and exit status 2."""
        if args is None:
            args = sys.argv[1:]
        _chinese_help(self)  # plugins' commands too, registered by now
        if not standalone_mode:
            return super().main(hoist_global_options(args), prog_name, complete_var, False, **extra)
        try:
            super().main(
                hoist_global_options(args),
                prog_name,
                complete_var,
                standalone_mode=False,
                **extra,
            )
        except click.exceptions.NoArgsIsHelpError as error:
            click.echo(error.ctx.get_help() if error.ctx else error.format_message())
            sys.exit(error.exit_code)
        except click.UsageError as error:
            click.echo(usage_line(error), err=True)
            sys.exit(error.exit_code)
        except click.ClickException as error:
            click.echo(f"错误：{_chinese(error.format_message())}", err=True)
            sys.exit(error.exit_code)
        except click.exceptions.Exit as exit_:
            sys.exit(exit_.exit_code)
        except click.Abort:
            click.echo("已中止。", err=True)
            sys.exit(1)
        except (EOFError, KeyboardInterrupt):
            click.echo("\n已中止。", err=True)
            sys.exit(1)
        sys.exit(0)  # as click's standalone mode ends

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; an expected error becomes ``错误：...`` and status 1."""
        try:
            return super().invoke(ctx)
        except SupervisionError as exc:
            fail(str(exc))
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            database = _database_error(exc)
            if database is not None:
                fail(database)
            if isinstance(exc, OSError):
                fail(describe_os_error(exc))
            if isinstance(exc, ValueError):
                fail(str(exc))
            # A bug of ours: still one line for the user; the details on request.
            if os.environ.get("SUPDESK_DEBUG"):
                raise
            fail(
                f"内部错误 {type(exc).__name__}: {exc}（设置 SUPDESK_DEBUG=1 可查看详细信息，请报告此问题）"
            )


@click.group(cls=SupdeskGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--database",
    envvar="SUPDESK_DATABASE_URL",
    metavar="URL",
    help="数据库地址（sqlite:///supdesk.db 或 postgresql://...），也可用 SUPDESK_DATABASE_URL。",
)
@click.option(
    "--config",
    envvar="SUPDESK_CONFIG",
    type=click.Path(path_type=Path),
    metavar="路径",
    help="配置文件（默认当前目录下的 supdesk.toml），也可用 SUPDESK_CONFIG。",
)
@click.option(
    "--json",
    "json_",
    is_flag=True,
    help="以 JSON 输出，便于脚本处理（也可写在子命令之后）。",
)
@click.version_option(package_name="supervision-desk", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context, database: str | None, config: Path | None, json_: bool) -> None:
    """政务服务监督员工作台 supervision-desk：反馈问题台账的受理、派单、整改与跟踪。

    --database、--config、--json 可写在子命令之前或之后。Shell 补全见 docs/cli.md。
    """
    from supervision_core.plugins import PluginManager  # main() has imported it

    # main() hands over the plugin manager it built for the commands as ctx.obj.
    manager = ctx.obj if isinstance(ctx.obj, PluginManager) else None
    ctx.obj = State(database=database, config=config, json=json_, plugin_manager=manager)


@click.group(name="import")
def import_() -> None:
    """导入：话务记录等批量文件，以及导入批次的查询与撤销。"""
