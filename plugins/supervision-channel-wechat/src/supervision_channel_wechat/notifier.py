"""The ``wechat`` notifier: notices to supervisors' linked WeChat accounts.

Official Account: a customer-service text while the user's last message is under 48
hours old; outside that window WeChat answers 45015, and the notice goes as the
template message configured for its kind (``[notifiers.wechat.templates]``), filled with
its fields. WeCom: an app message (no window). A recipient without a linked account is
:class:`~supervision_core.Unreachable`; any other refusal (rate limits 45009, 45047...)
is raised, and the outbox retries it.
"""

from __future__ import annotations

from supervision_channel_wechat.settings import WeChatSettings
from supervision_core import ContactKind, Notice, RecipientKind, Unreachable

__all__ = ["WeChatNotifier", "template_data"]

#: notices that ask the supervisor to evaluate: the reply that does it is explained
_EVALUATE = {"completed", "explained"}
_TEMPLATE_VALUE = 200  # characters a template parameter may hold


def template_data(notice: Notice) -> dict[str, str]:
    """A template message's parameters: ``first`` (the subject), the notice's fields, ``remark``."""
    data = {"first": notice.subject}
    data.update({k: v[:_TEMPLATE_VALUE] for k, v in notice.fields.items()})
    data["remark"] = "详情请在公众号内发送“查询”。"
    return data


class WeChatNotifier:
    """Delivers notices through the Official Account or WeCom app of ``[notifiers.wechat]``."""

    name = "wechat"
    label = "微信"
    settings_type = WeChatSettings

    def __init__(self, settings: WeChatSettings | None = None) -> None:
        self.settings = settings or WeChatSettings()

    def configure(self, settings: WeChatSettings) -> WeChatNotifier:
        """The notifier sending with ``settings``."""
        return WeChatNotifier(settings)

    def _users(self, notice: Notice) -> list[str]:
        prefix = self.settings.account_prefix
        return [
            a.value[len(prefix) :]
            for a in notice.addresses
            if a.kind is ContactKind.MESSENGER and a.value.startswith(prefix)
        ]

    def deliver(self, notice: Notice) -> None:
        """Send ``notice`` to every linked account of its recipient.

        :raises Unreachable: no WeChat account is linked to the recipient, or (Official
            Account) the user has not written for 48 hours and the notice's kind has no
            template: nothing was sent
        :raises WeChatApiError: WeChat refused or could not be reached (retried later)
        """
        users = self._users(notice)
        if not users:
            raise Unreachable(
                "监督员没有绑定微信"
                if notice.recipient_kind is RecipientKind.SUPERVISOR
                else "微信只能通知绑定了账号的监督员"
            )
        # wechatpy loads on the first delivery: `supdesk --help` does not pay for it
        from supervision_channel_wechat.api import OUTSIDE_WINDOW, WeChatApiError, api_for

        api = api_for(self.settings)
        text = f"{notice.subject}\n{notice.body}"
        if notice.kind in _EVALUATE:
            number = notice.fields.get("number", "编号")
            text += f"\n\n请回复“评价 {number} 满意”（或 基本满意、不满意）评价整改结果。"
        for user in users:
            try:
                api.send_text(user, text)
            except WeChatApiError as exc:
                if exc.errcode != OUTSIDE_WINDOW or self.settings.kind == "wecom":
                    raise
                template = self.settings.templates.get(notice.kind)
                if not template:
                    raise Unreachable(
                        f"监督员 48 小时内没有在公众号发消息，且没有为“{notice.kind}”配置模板消息"
                    ) from exc
                api.send_template(user, template, template_data(notice))
