# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""SMTP peers for the unit tests, all on 127.0.0.1, every wait bounded.

- RelayHandler for aiosmtpd, a real SMTP implementation with STARTTLS, implicit TLS and AUTH:
  it relays like sendmail (for trusted client addresses and authenticated sessions only) and
  speaks CRAM-MD5 and DIGEST-MD5 besides aiosmtpd's own PLAIN and LOGIN.
- ScriptedServer, a raw socket that plays a script, for what real servers do wrong
  (554 banners, dropped connections, silence, non-SMTP peers).
- TLSMaterial, a throwaway private CA and a server certificate it signed.

Import it as ansible_collections.mailrelay.sendmail.tests.unit.smtp_peers (conftest.py makes
that path work under plain pytest; ansible-test units provides it).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import ipaddress
import os
import socket
import ssl
import threading
import time
from pathlib import Path

from aiosmtpd.smtp import MISSING, AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

USER = 'relayuser'
PASSWORD = 'Correct-Horse-9'
LOCAL_DOMAIN = 'relay.test'
SERVER_NAME = 'relay.test'
ALL_MECHANISMS = ('CRAM-MD5', 'DIGEST-MD5', 'LOGIN', 'PLAIN')


# ---------------------------------------------------------------------------------------
# certificates

def _name(common_name):
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, 'DE'),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'Mailrelay Test'),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def _certificate(subject, issuer, public_key, signing_key, days, ca=False, sans=None, not_after=None):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(subject).issuer_name(issuer).public_key(public_key)
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(hours=1))
               .not_valid_after(not_after or now + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


def _pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


class TLSMaterial:
    """A private CA, a server certificate it signed, and an unrelated CA."""

    def __init__(self, directory):
        self.dir = directory
        ca_key = ec.generate_private_key(ec.SECP256R1())
        self.ca_cert = _certificate(_name('Mailrelay Test CA'), _name('Mailrelay Test CA'), ca_key.public_key(),
                                    ca_key, 3650, ca=True)
        server_key = ec.generate_private_key(ec.SECP256R1())
        self.server_cert = _certificate(
            _name(SERVER_NAME), self.ca_cert.subject, server_key.public_key(), ca_key, 30,
            sans=[x509.DNSName(SERVER_NAME), x509.IPAddress(ipaddress.ip_address('127.0.0.1'))])
        other_key = ec.generate_private_key(ec.SECP256R1())
        other_ca = _certificate(_name('Some Other CA'), _name('Some Other CA'), other_key.public_key(),
                                other_key, 3650, ca=True)
        self.ca_file = str(directory / 'ca.pem')
        self.other_ca_file = str(directory / 'other-ca.pem')
        self.cert_file = str(directory / 'server.pem')
        self.key_file = str(directory / 'server.key')
        Path(self.ca_file).write_bytes(_pem(self.ca_cert))
        Path(self.other_ca_file).write_bytes(_pem(other_ca))
        Path(self.cert_file).write_bytes(_pem(self.server_cert))
        Path(self.key_file).write_bytes(server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))

    def server_context(self, min_version=None):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        if min_version:
            context.minimum_version = min_version
        return context


# ---------------------------------------------------------------------------------------
# aiosmtpd with sendmail-like relaying and the MD5 mechanisms

def _digest_directives(text):
    """Independent (test-side) parser for a DIGEST-MD5 response: key=value or key="value"."""
    values, key, buf, quoted, escaped, in_value = {}, '', '', False, False, False
    for char in text + ',':
        if in_value:
            if escaped:
                buf += char
                escaped = False
            elif quoted and char == '\\':
                escaped = True
            elif char == '"':
                quoted = not quoted
            elif char == ',' and not quoted:
                values[key.strip()] = buf
                key, buf, in_value = '', '', False
            else:
                buf += char
        elif char == '=':
            in_value = True
        elif char != ',':
            key += char
    return values


class RelayHandler:
    """Relays like sendmail: for trusted client addresses and authenticated sessions only."""

    def __init__(self, trusted=('127.0.0.1',), password=PASSWORD, rogue_rspauth=False, mail_reply=None):
        self.trusted = set(trusted)
        self.password = password
        self.rogue_rspauth = rogue_rspauth
        self.mail_reply = mail_reply
        self.data_calls = 0
        self.rcpt_seen = []
        self.peers = []

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        return '250 2.1.0 <%s>... Sender ok' % address.strip('<>')  # aiosmtpd gives the null sender as '<>'

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_seen.append((session.peer[0], bool(session.authenticated), address))
        self.peers.append(session.peer[0])
        domain = address.rpartition('@')[2].lower()
        if domain == LOCAL_DOMAIN or session.authenticated or session.peer[0] in self.trusted:
            envelope.rcpt_tos.append(address)
            return '250 2.1.5 <%s>... Recipient ok' % address
        return '550 5.7.1 <%s>... Relaying denied' % address

    async def handle_DATA(self, server, session, envelope):
        self.data_calls += 1
        return '554 5.0.0 this test server never accepts DATA'

    def authenticator(self, server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == USER.encode() and auth_data.password == self.password.encode()
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself

    async def auth_CRAM__MD5(self, server, args):
        challenge = '<%d.%d@%s>' % (os.getpid(), time.time_ns(), LOCAL_DOMAIN)
        answer = await server.challenge_auth(challenge)
        if answer is MISSING:
            return AuthResult(success=False, handled=True)
        user, _space, digest = answer.partition(b' ')
        expected = hmac.new(self.password.encode(), challenge.encode(), hashlib.md5).hexdigest().encode()
        return AuthResult(success=user == USER.encode() and hmac.compare_digest(digest, expected), handled=False)

    async def auth_DIGEST__MD5(self, server, args):
        nonce = base64.b64encode(os.urandom(12)).decode()
        answer = await server.challenge_auth(
            'realm="%s",nonce="%s",qop="auth",charset=utf-8,algorithm=md5-sess' % (LOCAL_DOMAIN, nonce))
        if answer is MISSING:
            return AuthResult(success=False, handled=True)
        got = _digest_directives(answer.decode())

        def md5(data):
            return hashlib.md5(data.encode() if isinstance(data, str) else data)

        a1 = md5('%s:%s:%s' % (USER, LOCAL_DOMAIN, self.password)).digest() + (':%s:%s' % (nonce, got['cnonce'])).encode()

        def kd(a2):
            fields = (md5(a1).hexdigest(), nonce, got['nc'], got['cnonce'], md5(a2).hexdigest())
            return md5('%s:%s:%s:%s:auth:%s' % fields).hexdigest()

        if got.get('username') != USER or got.get('response') != kd('AUTHENTICATE:' + got['digest-uri']):
            return AuthResult(success=False, handled=False)
        rspauth = kd(':' + got['digest-uri'])
        if self.rogue_rspauth:
            rspauth = '0' * 32
        final = await server.challenge_auth('rspauth=' + rspauth)
        if final is MISSING:
            return AuthResult(success=False, handled=True)
        self.digest_uri = got['digest-uri']
        return AuthResult(success=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, controller, handler):
        self.controller = controller
        self.handler = handler
        self.host = controller.hostname
        self.port = controller.port

    def params(self, **extra):
        params = {'host': self.host, 'port': self.port, 'timeout': 2.0, 'ehlo_name': 'client.test'}
        params.update(extra)
        return params


# ---------------------------------------------------------------------------------------
# scripted peers for misbehaviour

class ScriptedServer:
    """Accept one connection on 127.0.0.1 and play a script.

    Steps: ('send', bytes), ('expect', prefix bytes) reads one line and records it,
    ('tls', context) wraps the connection as server, ('close',), ('silence', seconds)
    reads and discards until the client leaves or the time is up.
    """

    def __init__(self, script, implicit_tls_context=None):
        self.script = script
        self.received = []
        self.errors = []
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(1)
        self.sock.settimeout(5)
        self.host, self.port = self.sock.getsockname()
        self.implicit_tls_context = implicit_tls_context
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def params(self, **extra):
        params = {'host': self.host, 'port': self.port, 'timeout': 1.0, 'ehlo_name': 'client.test'}
        params.update(extra)
        return params

    def _readline(self, conn):
        data = b''
        while not data.endswith(b'\n'):
            chunk = conn.recv(1)
            if not chunk:
                break
            data += chunk
        return data

    def _serve(self):
        try:
            conn = self.sock.accept()[0]
        except OSError as exc:
            self.errors.append(exc)
            return
        conn.settimeout(5)
        try:
            if self.implicit_tls_context is not None:
                conn = self.implicit_tls_context.wrap_socket(conn, server_side=True)
            for step in self.script:
                action = step[0]
                if action == 'send':
                    conn.sendall(step[1])
                elif action == 'expect':
                    line = self._readline(conn)
                    self.received.append(line)
                    if not line.upper().startswith(step[1].upper()):
                        self.errors.append('expected %r, got %r' % (step[1], line))
                        break
                elif action == 'tls':
                    conn = step[1].wrap_socket(conn, server_side=True)
                elif action == 'close':
                    break
                elif action == 'silence':
                    deadline = time.monotonic() + step[1]
                    while time.monotonic() < deadline:
                        conn.settimeout(max(deadline - time.monotonic(), 0.01))
                        try:
                            if not conn.recv(1024):
                                break
                        except socket.timeout:
                            break
        except (OSError, ssl.SSLError) as exc:
            self.errors.append(exc)
        finally:
            conn.close()
            self.sock.close()

    def join(self):
        self.thread.join(6)
