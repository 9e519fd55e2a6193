"""A throw-away Dovecot IMAP server on loopback, for the e-mail channel's tests.

Debian's dovecot-imapd; started with its own configuration, run directory and
Maildirs under a temporary folder, on free ports: plain IMAP (for STARTTLS) and
IMAPS with a self-signed certificate made for the run.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Dovecot:
    def __init__(self, root: Path, users: dict[str, str]) -> None:
        self.root = root
        self.users = users
        self.imap_port = free_port()
        self.imaps_port = free_port()
        self.cafile = root / "cert.pem"

    def _write(self) -> Path:
        root = self.root
        (root / "run").mkdir(parents=True, exist_ok=True)
        mail_user = "nobody" if os.getuid() == 0 else pwd.getpwuid(os.getuid()).pw_name
        info = pwd.getpwnam(mail_user)
        home = root / "home"
        home.mkdir(exist_ok=True)
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
             "-keyout", str(root / "key.pem"), "-out", str(self.cafile)],
            check=True, capture_output=True,
        )  # fmt: skip
        (root / "users").write_text(
            "".join(f"{u}:{{PLAIN}}{p}::::::\n" for u, p in self.users.items())
        )
        for path in [home, *home.rglob("*")]:
            os.chown(path, info.pw_uid, info.pw_gid)
        internal = "dovenull" if os.getuid() == 0 else mail_user
        conf = root / "dovecot.conf"
        conf.write_text(f"""
base_dir = {root}/run
state_dir = {root}/run
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{self.cafile}
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {"dovecot" if os.getuid() == 0 else mail_user}
default_login_user = {internal}
default_internal_group = {"dovecot" if os.getuid() == 0 else grp.getgrgid(info.pw_gid).gr_name}
first_valid_uid = 1
mail_location = maildir:{home}/%u/Maildir
mail_uid = {info.pw_uid}
mail_gid = {info.pw_gid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={info.pw_uid} gid={info.pw_gid} home={home}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
""")
        return conf

    def start(self) -> Dovecot:
        conf = self._write()
        # The master daemonizes and keeps its standard streams: never pipe them.
        subprocess.run(
            [DOVECOT, "-c", str(conf)],
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.imap_port), timeout=0.5) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(
            f"dovecot did not start: {(self.root / 'dovecot.log').read_text()[-2000:]}"
        )

    def stop(self) -> None:
        subprocess.run(
            [DOVECOT, "-c", str(self.root / "dovecot.conf"), "stop"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
