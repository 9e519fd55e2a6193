"""Parsing and normalizing mail against the bare standard-library parser.

20,000 messages (default) cycled from the mail corpora under ../shared/corpora
(CPython, flanker, Kopano, SpamScope, Stalwart, enmime, ruby-mail, php-mime-mail-parser,
mime4j: plain, HTML-only, Chinese in every encoding, broken MIME, attachments), each
measured in the same run:

- bare: ``email.parser.BytesParser(policy=email.policy.default).parsebytes(raw)``
- ours: ``channels.email.report_from_mail(raw, ...)``: structure, headers with charset
        fixes, text (HTML turned into text), attachments with checksums, loop-safety
        checks, hints, follow-up detection: the report, ready for intake

Target: ours at least half the bare rate. Runs are interleaved, the median of five taken.

    python bench/bench_email_parse.py [--messages N] [--check]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path

from channels.email.options import EmailOptions
from channels.email.reports import report_from_mail

CORPORA = [
    "cpython-email", "flanker", "spamscope-mail-parser", "kopano-inetmapi",
    "stalwart-mail-parser", "enmime", "ruby-mail", "php-mime-mail-parser", "mime4j",
]  # fmt: skip
SKIP = {"SOURCE.md", "LICENSE", "LICENSE.txt", "COPYING", "MIT-LICENSE", "NOTICE", "README.md"}


def load(shared: Path, count: int) -> list[bytes]:
    files = []
    for name in CORPORA:
        files += [
            p.read_bytes()
            for p in sorted((shared / "corpora" / name).rglob("*"))
            if p.is_file() and p.name not in SKIP
        ]
    # The 1.8 MB torture test and other giants would dominate both sides: a mailbox
    # of reports is mostly small messages, so keep those under 256 KB.
    files = [f for f in files if len(f) < 256 * 1024]
    return [files[n % len(files)] for n in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument(
        "--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared"
    )
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    messages = load(args.shared, args.messages)
    size = sum(map(len, messages))
    options = EmailOptions(
        from_address="jiandu@desk.test", own_addresses=frozenset({"jiandu@desk.test"})
    )
    bare_parser = BytesParser(policy=policy.default)

    def bare() -> None:
        for raw in messages:
            bare_parser.parsebytes(raw)

    def ours() -> None:
        for raw in messages:
            report_from_mail(raw, center="banner", options=options)

    rates: dict[str, list[float]] = {"bare": [], "ours": []}
    for _ in range(5):
        for name, run in (("bare", bare), ("ours", ours)):
            start = time.perf_counter()
            run()
            rates[name].append(len(messages) / (time.perf_counter() - start))
    bare_rate, our_rate = statistics.median(rates["bare"]), statistics.median(rates["ours"])
    ratio = our_rate / bare_rate
    print(f"{len(messages)} messages, {size / 1e6:.1f} MB, median of 5 interleaved runs")
    print(f"bare BytesParser(policy=default): {bare_rate:9.0f} messages/s")
    print(f"report_from_mail:                 {our_rate:9.0f} messages/s")
    print(f"ratio ours/bare: {ratio:.2f}  (target >= 0.50)  {'ok' if ratio >= 0.5 else 'BELOW'}")
    if args.check and ratio < 0.5:
        sys.exit(1)


if __name__ == "__main__":
    main()
