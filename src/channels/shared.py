"""What several channels share, public so that no channel reaches into another's privates."""

from __future__ import annotations

import click

__all__ = ["import_group"]


def import_group(cli: click.Group) -> click.Group:
    """The ``supdesk import`` group, made on first use by whichever channel adds to it first."""
    group = cli.commands.get("import")
    if isinstance(group, click.Group):
        return group

    @cli.group(name="import")
    def import_() -> None:
        """导入：话务记录等批量文件，以及导入批次的查询与撤销。"""

    return import_
