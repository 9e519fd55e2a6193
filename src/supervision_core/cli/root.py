"""The root ``supdesk`` group: its options, and one line instead of a traceback on error."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from supervision_core.cli.context import State
from supervision_core.cli.output import fail
from supervision_core.errors import SupervisionError

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


class SupdeskGroup(click.Group):
    """A group whose commands turn expected errors into one line and exit status 1."""

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
            if isinstance(exc, ValueError | OSError):
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
    metavar="PATH",
    help="配置文件（默认当前目录下的 supdesk.toml），也可用 SUPDESK_CONFIG。",
)
@click.version_option(package_name="supervision-desk")
@click.pass_context
def cli(ctx: click.Context, database: str | None, config: Path | None) -> None:
    """政务服务监督员工作台 supervision-desk：反馈问题台账的受理、派单、整改与跟踪。"""
    from supervision_core.plugins import PluginManager  # main() has imported it

    # main() hands over the plugin manager it built for the commands as ctx.obj.
    manager = ctx.obj if isinstance(ctx.obj, PluginManager) else None
    ctx.obj = State(database=database, config=config, plugin_manager=manager)


@click.group(name="import")
def import_() -> None:
    """导入：话务记录等批量文件，以及导入批次的查询与撤销。"""
