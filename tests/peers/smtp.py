"""A real SMTP server (aiosmtpd) for Chorus's email tests, on 127.0.0.1 only.

Prints one JSON line when ready: {"port": PORT}; then one JSON line per message received:
the envelope, every header, and each MIME part (its type, charset and decoded text). Runs
until its standard input closes. REFUSE_FIRST=N answers the first N messages with a temporary
failure (451), as a busy server does. TLS=starttls (with CERT_FILE and KEY_FILE) offers STARTTLS
and refuses mail before it; TLS=implicit speaks TLS from the first byte (port 465's way). Each
message says how it arrived: "tls" is "starttls", "implicit" or null.
"""

import asyncio
import email
import email.policy
import json
import os
import socket
import ssl
import sys

from aiosmtpd.controller import Controller


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Handler:
    def __init__(self):
        self.refuse = int(os.environ.get("REFUSE_FIRST", "0"))

    async def handle_DATA(self, server, session, envelope):
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 Try again later"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        parts = []
        for part in message.walk():
            if part.is_multipart():
                continue
            parts.append({
                "type": part.get_content_type(),
                "charset": part.get_content_charset(),
                "text": part.get_content(),
            })
        if session.ssl is not None:
            tls = "starttls"
        elif server.transport is not None and server.transport.get_extra_info("ssl_object"):
            tls = "implicit"
        else:
            tls = None
        record = {
            "tls": tls,
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "content_type": message.get_content_type(),
            "headers": [[k, str(v)] for k, v in message.items()],
            "parts": parts,
        }
        sys.stdout.write(json.dumps(record) + "\n")
        sys.stdout.flush()
        return "250 Message accepted for delivery"


def main():
    port = int(os.environ.get("PORT") or free_port())
    mode = os.environ.get("TLS", "")
    options = {}
    if mode:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(os.environ["CERT_FILE"], os.environ["KEY_FILE"])
        if mode == "starttls":
            options = {"tls_context": context, "require_starttls": True}
        elif mode == "implicit":
            options = {"ssl_context": context}
        else:
            raise SystemExit(f"TLS={mode}: starttls or implicit")
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, **options)
    controller.start()
    sys.stdout.write(json.dumps({"port": port}) + "\n")
    sys.stdout.flush()
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
