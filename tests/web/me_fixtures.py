"""Shared fixtures of the /me tests: a recording notifier standing in for SMS, and sign-in."""

from __future__ import annotations

import re
from typing import Any

import attrs
import pytest

from supervision_core import Notice, PluginManager, Settings, hookimpl


class RecordingSms:
    """A notifier that records what it carries (the SMS stand-in of these tests)."""

    name = "sms"
    label = "短信"

    def __init__(self) -> None:
        self.sent: list[Notice] = []

    def deliver(self, notice: Notice) -> None:
        self.sent.append(notice)

    def code_for(self, supervisor_id: int) -> str:
        """The last sign-in code sent to a supervisor."""
        for notice in reversed(self.sent):
            if notice.recipient == str(supervisor_id) and "验证码" in notice.subject:
                found = re.search(r"\b(\d{6})\b", notice.body)
                assert found is not None
                return found.group(1)
        raise AssertionError("no code was sent")


@pytest.fixture
def sms() -> RecordingSms:
    return RecordingSms()


@pytest.fixture
def supdesk_settings(supdesk_settings: Settings) -> Settings:
    centers = tuple(attrs.evolve(c, notifiers=("sms",)) for c in supdesk_settings.centers)
    return attrs.evolve(supdesk_settings, centers=centers)


@pytest.fixture
def supdesk_plugin_manager(
    supdesk_plugin_manager: PluginManager, sms: RecordingSms
) -> PluginManager:
    class Plugin:
        @hookimpl
        def supervision_register_notifiers(self, register: Any) -> None:
            register.add(sms)

    supdesk_plugin_manager.register(Plugin(), name="test-sms")
    return supdesk_plugin_manager
