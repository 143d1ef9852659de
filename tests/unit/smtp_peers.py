# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""SMTP peers for the unit tests, all on 127.0.0.1, every wait bounded.

- RelayHandler for aiosmtpd, a real SMTP implementation with STARTTLS, implicit TLS and AUTH:
  it relays like sendmail (for trusted client addresses and authenticated sessions only) and
  speaks CRAM-MD5 and DIGEST-MD5 besides aiosmtpd's own PLAIN and LOGIN.
- ScriptedServer, a raw socket that plays a script, for what real servers do wrong
  (554 banners, dropped connections, silence, non-SMTP peers).
- TLSMaterial, a throwaway private CA and a server certificate it signed, and the certificates
  of two impostors: one from another CA, one from our CA for another name.

Every aiosmtpd server records the bytes it received (after TLS): a test can prove that no
AUTH command and no credential ever reached it.

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

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, SMTP, AuthResult
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
    """A private CA, a server certificate it signed, an unrelated CA, and two impostor certificates.

    - server: our CA, names relay.test and 127.0.0.1 - the real relay.
    - rogue: another CA, the same names - a server on the relay's address that is not the relay.
    - wrong_name: our CA, but for other.test - another host of ours answering for the relay.
    """

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
        rogue_key = ec.generate_private_key(ec.SECP256R1())
        rogue_cert = _certificate(
            _name(SERVER_NAME), other_ca.subject, rogue_key.public_key(), other_key, 30,
            sans=[x509.DNSName(SERVER_NAME), x509.IPAddress(ipaddress.ip_address('127.0.0.1'))])
        wrong_name_key = ec.generate_private_key(ec.SECP256R1())
        wrong_name_cert = _certificate(_name('other.test'), self.ca_cert.subject, wrong_name_key.public_key(), ca_key,
                                       30, sans=[x509.DNSName('other.test')])
        self.ca_file = str(directory / 'ca.pem')
        self.other_ca_file = str(directory / 'other-ca.pem')
        self.cert_file = str(directory / 'server.pem')
        self.key_file = str(directory / 'server.key')
        Path(self.ca_file).write_bytes(_pem(self.ca_cert))
        Path(self.other_ca_file).write_bytes(_pem(other_ca))
        Path(self.cert_file).write_bytes(_pem(self.server_cert))
        Path(self.key_file).write_bytes(_key_pem(server_key))
        self.chains = {'server': (self.cert_file, self.key_file)}
        for label, cert, key in (('rogue', rogue_cert, rogue_key), ('wrong_name', wrong_name_cert, wrong_name_key)):
            cert_file, key_file = directory / ('%s.pem' % label), directory / ('%s.key' % label)
            cert_file.write_bytes(_pem(cert))
            key_file.write_bytes(_key_pem(key))
            self.chains[label] = (str(cert_file), str(key_file))

    def server_context(self, min_version=None, certificate='server'):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*self.chains[certificate])
        if min_version:
            context.minimum_version = min_version
        return context


def _key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


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


class RecordingSMTP(SMTP):
    """aiosmtpd's SMTP server, keeping every byte it receives (decrypted, when in TLS)."""

    def __init__(self, *args, received=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.received = received if received is not None else []

    def data_received(self, data):
        self.received.append(bytes(data))
        super().data_received(data)


class RecordingController(Controller):
    """A Controller whose sessions all write what they received into self.received."""

    def __init__(self, *args, **kwargs):
        self.received = []
        super().__init__(*args, **kwargs)

    def factory(self):
        return RecordingSMTP(self.handler, received=self.received, **self.SMTP_kwargs)


def free_port(host='127.0.0.1'):
    with socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def has_ipv6_loopback():
    """Whether this machine can listen on and connect to ::1 (containers often cannot)."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6) as server:
            server.bind(('::1', 0))
            server.listen(1)
            with socket.create_connection(server.getsockname()[:2], timeout=1):
                return True
    except OSError:
        return False


class Server:
    def __init__(self, controller, handler):
        self.controller = controller
        self.handler = handler
        self.host = controller.hostname
        self.port = controller.port
        self.ca_file = None  # the CA that signed the server certificate, when it speaks TLS

    @property
    def received(self):
        """Every byte every session of this server received, in order (decrypted)."""
        return b''.join(self.controller.received)

    def command_lines(self):
        """The lines the server received, upper-cased command words first: for 'no AUTH was sent'."""
        return [line.strip() for line in self.received.split(b'\n') if line.strip()]

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

    def __init__(self, script, implicit_tls_context=None, host='127.0.0.1'):
        self.script = script
        self.received = []
        self.errors = []
        self.sock = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET)
        self.sock.bind((host, 0))
        self.sock.listen(1)
        self.sock.settimeout(5)
        self.host, self.port = self.sock.getsockname()[:2]
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


# ---------------------------------------------------------------------------------------
# a small rule-driven SMTP server: many sessions, sendmail-like replies, chosen DATA handling

DATA_MODES = ('strict', 'bare_lf', 'reject_bare_lf')


class RuleServer:
    """An SMTP server on a thread that answers by rules, for many sessions in a row.

    - mail(sender) and rcpt(sender, recipient) return the reply line (str). A reply starting
      with 421 is sent and the connection closed, as sendmail does.
    - hang_up(session_number, line) -> True closes the connection instead of answering `line`.
    - data_mode says how DATA ends: 'strict' (only CRLF . CRLF; a bare LF is data), 'bare_lf'
      (like sendmail before 8.18: a line of "." ends it, whatever ends the line) or
      'reject_bare_lf' (like sendmail 8.18 and the CVE-2023-51765 fixes: 421 on a bare LF).
    - tls_context offers STARTTLS with that context; implicit_tls_context starts every session in TLS.

    Records every command line per session (`commands`, a list of (session, line)) and every
    message body it accepted (`messages`).
    """

    def __init__(self, mail=None, rcpt=None, hang_up=None, data_mode='strict', tls_context=None, host='127.0.0.1',
                 name='relay.test', implicit_tls_context=None):
        assert data_mode in DATA_MODES
        self.mail = mail or (lambda sender: '250 2.1.0 <%s>... Sender ok' % sender)
        self.rcpt = rcpt or self.default_rcpt
        self.hang_up = hang_up or (lambda session, line: False)
        self.data_mode = data_mode
        self.tls_context = tls_context
        self.implicit_tls_context = implicit_tls_context
        self.name = name
        self.commands = []
        self.messages = []
        self.errors = []
        self.sessions = 0
        self.sock = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET)
        self.sock.bind((host, 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.host, self.port = self.sock.getsockname()[:2]
        self._stop = threading.Event()
        self._threads = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @staticmethod
    def default_rcpt(sender, recipient):
        if recipient.lower() == 'postmaster@relay.test':
            return '250 2.1.5 <%s>... Recipient ok' % recipient
        return '550 5.7.1 <%s>... Relaying denied' % recipient

    def params(self, **extra):
        params = {'host': self.host, 'port': self.port, 'timeout': 2.0, 'ehlo_name': 'client.test'}
        params.update(extra)
        return params

    def lines(self, session=None):
        return [line for number, line in self.commands if session is None or number == session]

    def _accept(self):
        while not self._stop.is_set():
            try:
                conn = self.sock.accept()[0]
            except socket.timeout:
                continue
            except OSError:
                break
            self.sessions += 1
            thread = threading.Thread(target=self._session, args=(conn, self.sessions), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _session(self, conn, number):
        conn.settimeout(5)
        peer = _Peer(conn)
        try:
            if self.implicit_tls_context is not None:
                peer.start_tls(self.implicit_tls_context)
            self._converse(peer, number)
        except (OSError, ssl.SSLError) as exc:
            self.errors.append(exc)
        finally:
            peer.close()

    def _converse(self, peer, number):
        peer.send('220 %s ESMTP RuleServer; ready' % self.name)
        sender, in_tls = None, False
        while True:
            raw = peer.readline()
            if raw is None:
                return
            line = raw.rstrip(b'\r\n').decode('latin-1')
            self.commands.append((number, line))
            if self.hang_up(number, line):
                return
            verb, _sep, arg = line.partition(' ')
            verb = verb.upper()
            if verb in ('EHLO', 'HELO'):
                extensions = ['ENHANCEDSTATUSCODES', 'PIPELINING', '8BITMIME']
                if self.tls_context is not None and not in_tls:
                    extensions.append('STARTTLS')
                lines = ['%s Hello %s' % (self.name, arg)] + extensions
                peer.send('\r\n'.join('250%s%s' % ('-' if i < len(lines) - 1 else ' ', text)
                                      for i, text in enumerate(lines)))
            elif verb == 'STARTTLS' and self.tls_context is not None and not in_tls:
                peer.send('220 2.0.0 Ready to start TLS')
                peer.start_tls(self.tls_context)
                in_tls, sender = True, None
            elif verb == 'MAIL':
                reply = self.mail(_address(arg))
                sender = _address(arg) if reply.startswith('2') else None
                if not self._answer(peer, reply):
                    return
            elif verb == 'RCPT':
                reply = self.rcpt(sender, _address(arg)) if sender is not None else '503 5.0.0 Need MAIL before RCPT'
                if not self._answer(peer, reply):
                    return
            elif verb == 'DATA':
                if sender is None:
                    peer.send('503 5.0.0 Need MAIL command')
                    continue
                peer.send('354 Enter mail, end with "." on a line by itself')
                body = peer.read_data(self.data_mode)
                if body is None:
                    peer.send('421 4.5.0 Bare linefeed (LF) not allowed')
                    return
                self.messages.append(body)
                sender = None
                peer.send('250 2.0.0 Message accepted for delivery')
            elif verb == 'RSET':
                sender = None
                peer.send('250 2.0.0 Reset state')
            elif verb == 'NOOP':
                peer.send('250 2.0.0 OK')
            elif verb == 'QUIT':
                peer.send('221 2.0.0 %s closing connection' % self.name)
                return
            else:
                peer.send('500 5.5.1 Command unrecognized: "%s"' % line[:40])

    @staticmethod
    def _answer(peer, reply):
        peer.send(reply)
        return not reply.startswith('421')

    def stop(self):
        self._stop.set()
        self.thread.join(2)
        for thread in self._threads:
            thread.join(2)
        self.sock.close()


def _address(arg):
    """The address between the first '<' and the last '>' of a MAIL FROM:/RCPT TO: argument."""
    start, end = arg.find('<'), arg.rfind('>')
    return arg[start + 1:end] if 0 <= start < end else arg.partition(':')[2].strip()


class _Peer:
    """A server-side connection with a byte buffer: lines ending in LF, and DATA by mode."""

    def __init__(self, conn):
        self.conn = conn
        self.buffer = b''

    def send(self, text):
        self.conn.sendall(text.encode('latin-1') + b'\r\n')

    def _fill(self):
        chunk = self.conn.recv(4096)
        if not chunk:
            return False
        self.buffer += chunk
        return True

    def readline(self):
        while b'\n' not in self.buffer:
            if not self._fill():
                return None
        line, self.buffer = self.buffer.split(b'\n', 1)
        return line + b'\n'

    def start_tls(self, context):
        self.conn = context.wrap_socket(self.conn, server_side=True)

    def read_data(self, mode):
        """The message up to the end of DATA; None when a bare LF is refused (reject_bare_lf)."""
        if mode == 'bare_lf':
            lines = []
            while True:
                line = self.readline()
                if line is None:
                    return b''.join(lines)
                if line.rstrip(b'\r\n') == b'.':
                    return b''.join(lines)
                lines.append(line)
        while True:
            data = b'\r\n' + self.buffer
            end = data.find(b'\r\n.\r\n')
            if end >= 0:
                body = data[2:end + 2]
                self.buffer = data[end + 5:]
                if mode == 'reject_bare_lf' and (body.replace(b'\r\n', b'').find(b'\n') >= 0):
                    return None
                return body
            if mode == 'reject_bare_lf' and self.buffer.replace(b'\r\n', b'').find(b'\n') >= 0:
                return None
            if not self._fill():
                return None

    def close(self):
        try:
            self.conn.close()
        except OSError:
            pass
