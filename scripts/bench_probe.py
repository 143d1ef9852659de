# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Median time of one smtp_ehlo_info `starttls` check against a local server.

Starts aiosmtpd on 127.0.0.1 with STARTTLS and AUTH LOGIN PLAIN, a throwaway self-signed
certificate that the check verifies (ca_file + validate_certs), and runs the module's own
logic (run_probe: connect, banner, EHLO, STARTTLS, TLS handshake, EHLO, QUIT) repeatedly.
Run it with the project's venv: .venv/bin/python scripts/bench_probe.py [--runs 50]
"""

from __future__ import annotations

import argparse
import datetime
import ipaddress
import socket
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_MS = 50.0


def import_module():
    cache = ROOT / '.cache' / 'collections'
    if not (cache / 'ansible_collections' / 'mailrelay' / 'sendmail').exists():
        sys.exit('run scripts/venv.sh first: %s is missing' % cache)
    sys.path.insert(0, str(cache))
    from ansible_collections.mailrelay.sendmail.plugins.modules import smtp_ehlo_info  # pylint: disable=import-outside-toplevel
    return smtp_ehlo_info


def self_signed(directory):
    from cryptography import x509  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives import hashes, serialization  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives.asymmetric import ec  # pylint: disable=import-outside-toplevel
    from cryptography.x509.oid import NameOID  # pylint: disable=import-outside-toplevel

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'bench.relay.test')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]), False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = directory / 'bench.pem', directory / 'bench.key'
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


def start_server(cert_file, key_file):
    from aiosmtpd.controller import Controller  # pylint: disable=import-outside-toplevel
    from aiosmtpd.smtp import AuthResult  # pylint: disable=import-outside-toplevel

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            return '550 5.7.1 Relaying denied'

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    controller = Controller(Handler(), hostname='127.0.0.1', port=port, tls_context=context,
                            authenticator=lambda *args: AuthResult(success=False, handled=False))
    controller.start()
    return controller


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--runs', type=int, default=50)
    parser.add_argument('--warmup', type=int, default=5)
    args = parser.parse_args()

    module = import_module()
    with tempfile.TemporaryDirectory(prefix='bench-probe-') as tmp:
        cert_file, key_file = self_signed(Path(tmp))
        controller = start_server(cert_file, key_file)
        params = {'host': '127.0.0.1', 'port': controller.port, 'tls': 'starttls', 'timeout': 5.0,
                  'ehlo_name': 'bench.client.test', 'ca_file': cert_file, 'validate_certs': True,
                  'expect_starttls': True, 'expect_auth_before_tls': [], 'expect_auth_after_tls': ['LOGIN', 'PLAIN'],
                  'min_tls_version': 'TLSv1.2', 'auth_match': 'exact'}
        times = []
        try:
            for run in range(args.warmup + args.runs):
                started = time.perf_counter()
                _result, failure = module.run_probe(params)
                elapsed = (time.perf_counter() - started) * 1000.0
                if failure:
                    sys.exit('bench probe failed: %s' % failure)
                if run >= args.warmup:
                    times.append(elapsed)
        finally:
            controller.stop()
    median = statistics.median(times)
    print('smtp_ehlo_info starttls median: %.1f ms over %d runs (goal <= %g ms)' % (median, len(times), GOAL_MS))


if __name__ == '__main__':
    main()
