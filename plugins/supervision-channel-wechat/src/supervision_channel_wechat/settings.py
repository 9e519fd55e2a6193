"""``[channels.wechat]`` and ``[notifiers.wechat]``: which WeChat, its secrets, its templates."""

from __future__ import annotations

import base64
import binascii

import attrs

from supervision_core import ConfigError, Ledger, PluginTable

__all__ = ["CHANNEL", "KINDS", "WeChatSettings", "settings_of"]

CHANNEL = "wechat"
#: 公众号 (Official Account) or 企业微信 self-built app
KINDS = {"official_account": "微信公众号", "wecom": "企业微信自建应用"}
_DEFAULT_API = {
    "official_account": "https://api.weixin.qq.com",
    "wecom": "https://qyapi.weixin.qq.com",
}
#: where WeChat asks the user to authorize a web page (网页授权), both kinds
_DEFAULT_OAUTH = "https://open.weixin.qq.com/connect/oauth2/authorize"
_NOT_CONFIGURED = (
    "没有配置微信渠道：请在 supdesk.toml 的 [channels.wechat]（通知用 [notifiers.wechat]）中设置 "
    'kind、app_id、secret = { env = "变量名" }、token 和 encoding_aes_key'
)


@attrs.frozen(kw_only=True)
class WeChatSettings:
    """One Official Account or one WeCom self-built app.

    ``secret``, ``token`` and ``encoding_aes_key`` are references (``{ env = "VAR" }``
    or ``{ file = "PATH" }``), never written in the file, never logged. ``api`` is the
    API's base URL (a test points it at the stand-in). ``templates`` maps a notice kind
    (``accepted``, ``completed``...) to a template id (Official Account); ``max_skew`` is
    the replay window of a callback's timestamp, in seconds; ``reply_within`` how long a
    callback waits for its message to be handled before leaving the answer to WeChat's
    retry or a customer-service message (WeChat waits 5 seconds).

    ``sign_in`` offers 微信授权登录 on ``/me/login`` (web authorization, ``snsapi_base``);
    ``oauth_url`` is WeChat's authorization page (the stand-in in tests) and
    ``public_url`` the desk's address as WeChat users reach it (``https://…``, its host
    the 网页授权域名 / 可信域名 set in WeChat's console), by default the address the
    request came to.
    """

    kind: str = "official_account"
    app_id: str = ""
    agent_id: int | None = None
    secret: str | None = attrs.field(default=None, repr=False)
    token: str | None = attrs.field(default=None, repr=False)
    encoding_aes_key: str | None = attrs.field(default=None, repr=False)
    api: str = _DEFAULT_API["official_account"]
    max_skew: int = 300
    templates: dict[str, str] = attrs.field(factory=dict)
    template_url: str | None = None
    timeout: float = 3.0
    reply_within: float = 4.5
    sign_in: bool = True
    oauth_url: str = _DEFAULT_OAUTH
    public_url: str | None = None

    @classmethod
    def from_table(cls, table: PluginTable) -> WeChatSettings:
        """Read and check the table; secrets are resolved by the core."""
        table.only(
            "kind", "app_id", "agent_id", "secret", "token", "encoding_aes_key", "api",
            "max_skew", "templates", "template_url", "timeout", "reply_within",
            "sign_in", "oauth_url", "public_url",
        )  # fmt: skip
        kind = table.text("kind", "official_account")
        if kind not in KINDS:
            raise table.fail(
                "kind", f"应为 official_account（微信公众号）或 wecom（企业微信），实际为 {kind!r}"
            )
        key = table.secret("encoding_aes_key", None)
        if key is not None and not _valid_aes_key(key):
            raise table.fail(
                "encoding_aes_key", "EncodingAESKey 应为 43 个字符（公众平台或企业微信后台生成）"
            )
        templates = table.table("templates")
        agent = table.integer("agent_id", None)
        if kind == "wecom" and "app_id" in table and agent is None:
            raise table.fail("agent_id", "企业微信自建应用需要 agent_id（应用的 AgentId）")
        return cls(
            kind=kind,
            app_id=table.text("app_id", ""),
            agent_id=agent,
            secret=table.secret("secret", None),
            token=table.secret("token", None),
            encoding_aes_key=key,
            api=str(table.text("api", _DEFAULT_API[kind])).rstrip("/"),
            max_skew=table.integer("max_skew", 300),
            templates={name: templates.text(name) for name in templates.data},
            template_url=table.text("template_url", None),
            timeout=table.number("timeout", 3.0),
            reply_within=table.number("reply_within", 4.5),
            sign_in=table.flag("sign_in", True),
            oauth_url=str(table.text("oauth_url", _DEFAULT_OAUTH)),
            public_url=_public_url(table),
        )

    @property
    def configured(self) -> bool:
        """Whether there is enough to receive callbacks (app id, token, AES key)."""
        return bool(self.app_id and self.token and self.encoding_aes_key)

    @property
    def oauth_ready(self) -> bool:
        """Whether 微信授权登录 is offered: asked for, with an app id and its secret."""
        return bool(self.sign_in and self.app_id and self.secret)

    @property
    def account_prefix(self) -> str:
        """Accounts are ``wechat:<app id>:<openid or userid>``: one user, one app."""
        return f"{CHANNEL}:{self.app_id}:"

    def required(self) -> WeChatSettings:
        """These settings, or a clear error where the channel is not configured."""
        if not self.configured or not self.secret:
            raise ConfigError(_NOT_CONFIGURED)
        return self


def _public_url(table: PluginTable) -> str | None:
    url = table.text("public_url", None)
    if url is None:
        return None
    if not url.startswith(("https://", "http://")) or "?" in url or "#" in url:
        raise table.fail(
            "public_url", f"应为网页前台的地址，如 https://desk.example.cn，实际为 {url!r}"
        )
    return str(url).rstrip("/")


def _valid_aes_key(key: str) -> bool:
    try:
        return len(key) == 43 and len(base64.b64decode(key + "=")) == 32
    except (binascii.Error, ValueError):
        return False


def settings_of(ledger: Ledger) -> WeChatSettings:
    """The channel's settings from the ledger's ``[channels.wechat]``."""
    return WeChatSettings.from_table(ledger.settings.plugin_table("channels", CHANNEL))
