"""Centers (旗政务服务中心, 苏木镇便民服务中心) and the units stationed in them."""

from __future__ import annotations

import enum
import re

import attrs

__all__ = ["Center", "CenterLevel", "Unit"]

_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def _check_code(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not _CODE.match(value):
        msg = f"{attribute.name} 只能由小写字母、数字、- 和 _ 组成（最多 40 个字符）：{value!r}"
        raise ValueError(msg)


def _non_empty(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not value.strip():
        msg = f"{attribute.name} 不能为空"
        raise ValueError(msg)


class CenterLevel(enum.StrEnum):
    """Where a center stands: the banner center oversees the township centers."""

    BANNER = "banner"
    TOWNSHIP = "township"

    @property
    def label(self) -> str:
        """The level in Chinese."""
        return {"banner": "旗级", "township": "苏木镇"}[self.value]


@attrs.frozen
class Center:
    """A government-service center that runs supervision in its own area."""

    code: str = attrs.field(validator=_check_code)
    name: str = attrs.field(validator=_non_empty)
    level: CenterLevel = attrs.field(converter=CenterLevel)


@attrs.frozen
class Unit:
    """A department or window stationed in a center: where a problem is dispatched."""

    center: str = attrs.field(validator=_check_code)
    code: str = attrs.field(validator=_check_code)
    name: str = attrs.field(validator=_non_empty)
