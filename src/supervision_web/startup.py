"""What ``serve`` and ``daemon`` check before they say they have started.

A port that is taken, an address the machine does not have, a secret file that cannot
be read: each is one Chinese line and a non-zero exit, before any server starts, never
uvicorn's English log or a traceback. Signing in over plain HTTP from another computer
fails with Secure cookies; :func:`cookie_warning` says so at start-up.
"""

from __future__ import annotations

import errno
import ipaddress
import socket

from supervision_core import ConfigError, describe_os_error

__all__ = ["check_listen", "cookie_warning"]


def check_listen(host: str, port: int) -> None:
    """Bind ``host:port`` once and let it go, or raise :class:`ConfigError` in Chinese.

    :raises ConfigError: the port is taken, the address is not this machine's, the port
        needs privileges, or the host name does not resolve
    """
    if not 0 <= port < 65536:  # 0: any free port
        msg = f"端口 {port} 无效：应为 0 到 65535 之间的整数（--port）"
        raise ConfigError(msg)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        msg = f"无法解析监听地址 {host}：请检查 --host（例如 127.0.0.1 或 0.0.0.0）"
        raise ConfigError(msg) from exc
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # As uvicorn binds: a port in TIME_WAIT is free, one that is listened on is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise ConfigError(_bind_message(host, port, exc)) from exc


def _bind_message(host: str, port: int, exc: OSError) -> str:
    where = f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return (
            f"端口 {port} 已被占用（{where}）：另一个 supdesk serve 或 daemon 或其他程序正在使用它；"
            "请用 --port 换一个端口，或先停止占用它的程序"
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"本机没有地址 {host}，无法监听 {where}：请检查 --host"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"没有权限监听 {where}：1024 以下的端口需要管理员权限，请改用 --port 8000 等"
    return f"无法监听 {where}：{describe_os_error(exc)}"


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable only from this machine (``127.0.0.1``, ``::1``, ``localhost``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def cookie_warning(host: str, *, secure_cookies: bool) -> str | None:
    """The start-up warning for Secure cookies on an address other computers reach.

    ``None`` when the cookies are not Secure or the address is loopback.
    """
    if not secure_cookies or is_loopback(host):
        return None
    return (
        f"注意：登录 Cookie 只经 HTTPS 传送；从其他电脑经 http://{host} 访问将无法登录"
        "（“表单已过期或来源不明”）。请在 TLS（HTTPS）反向代理之后运行（见 docs/deployment.md），"
        "或仅在内网测试时加 --insecure-cookies。"
    )
