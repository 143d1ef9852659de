# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the mailrelay.sendmail collection: may change without notice.
#
# What the SMTP probe modules share: pure functions that parse SMTP replies (RFC 5321 4.2),
# EHLO keywords (RFC 1869 / 5321 4.1.1.1) and AUTH advertisements (RFC 4954, and the
# pre-standard "AUTH=" form), a thin blocking SMTP client over socket + ssl with a deadline
# on every read, the session every probe opens (banner, EHLO, STARTTLS (RFC 3207) or
# implicit TLS (RFC 8314), EHLO again), the rule for when credentials may be sent, and the
# classification of failures (error_kind, hint) that every probe returns.

from __future__ import annotations

import errno
import functools
import ipaddress
import re
import socket
import ssl
import time
import warnings

from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp_cert import (
    CertificateParseError,
    describe_certificate,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp_sasl import (
    SASLError,
    b64,
    cram_md5_response,
    digest_md5_response,
    login_response,
    parse_digest_challenge,
    parse_rspauth,
    plain_response,
    unb64,
)

TLS_MODES = ('starttls', 'implicit', 'none')
TLS_VERSIONS = ('TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3')
SUPPORTED_MECHANISMS = ('CRAM-MD5', 'DIGEST-MD5', 'LOGIN', 'PLAIN')
MATCH_MODES = ('exact', 'at_least')

MAX_LINE_BYTES = 4096      # RFC 5321 allows 512 per reply line; be lenient, but bounded
MAX_REPLY_LINES = 200
MAX_SASL_ROUNDS = 5
REDACTED = '<redacted>'

_REPLY_LINE = re.compile(r'^([2-5][0-9][0-9])(?:([ -])(.*))?$')
_ENHANCED_STATUS = re.compile(r'^([245]\.[0-9]{1,3}\.[0-9]{1,3})(?:[ \t]+|$)')
_KEYWORD = re.compile(r'^[A-Za-z0-9][A-Za-z0-9-]*$')


# ---------------------------------------------------------------------------------------
# errors

# What went wrong, in words a report can act on. Every probe module returns one of these as
# error_kind when it fails, with a hint that says what to do.
ERROR_KINDS = ('connection_refused', 'timeout', 'dns', 'tls_handshake', 'tls_verify', 'protocol',
               'no_credentials', 'credentials_withheld', 'expectation')


class SMTPError(Exception):
    """Anything that ends a session early. `step` names where (connect, banner, ehlo, ...).

    `kind` is one of ERROR_KINDS; subclasses set their own.
    """

    kind = 'protocol'

    def __init__(self, step, message, reply=None, kind=None):
        super().__init__(message)
        self.step = step
        self.message = message
        self.reply = reply
        if kind is not None:
            self.kind = kind


class SMTPTimeout(SMTPError):
    kind = 'timeout'


class SMTPConnectionClosed(SMTPError):
    pass


class SMTPProtocolError(SMTPError):
    pass


class TLSHandshakeError(SMTPError):
    """The TLS handshake failed; verify_error is set when only certificate verification failed."""

    def __init__(self, step, message, verify_error=None, kind=None):
        super().__init__(step, message, kind=kind or ('tls_verify' if verify_error is not None else 'tls_handshake'))
        self.verify_error = verify_error


class STARTTLSNotOffered(SMTPError):
    kind = 'tls_handshake'


# ---------------------------------------------------------------------------------------
# pure parsing

class Reply:
    """One SMTP reply: a three-digit code and one or more text lines."""

    __slots__ = ('code', 'lines')

    def __init__(self, code, lines):
        self.code = code
        self.lines = list(lines)

    @property
    def text(self):
        return '\n'.join(self.lines)

    @property
    def raw(self):
        last = len(self.lines) - 1
        return '\n'.join('%d%s%s' % (self.code, ' ' if i == last else '-', line) for i, line in enumerate(self.lines))

    @property
    def enhanced_status(self):
        match = _ENHANCED_STATUS.match(self.lines[0]) if self.lines else None
        return match.group(1) if match else None

    @property
    def positive(self):
        return 200 <= self.code < 300

    def summary(self, limit=160):
        """The first line, code included, short enough for an error message."""
        first = '%d %s' % (self.code, self.lines[0]) if self.lines and self.lines[0] else str(self.code)
        if len(self.lines) > 1:
            first += ' (+%d lines)' % (len(self.lines) - 1)
        return first if len(first) <= limit else first[:limit - 3] + '...'

    def as_dict(self):
        return {'code': self.code, 'enhanced_status': self.enhanced_status, 'text': self.text}

    def __repr__(self):
        return 'Reply(%r, %r)' % (self.code, self.lines)


def parse_reply_line(line):
    """Split one reply line into (code, is_last, text). Raise SMTPProtocolError if it is not one."""
    line = line.rstrip('\r\n')
    match = _REPLY_LINE.match(line)
    if not match:
        raise SMTPProtocolError(None, 'not an SMTP reply line: %s' % shorten(line))
    return int(match.group(1)), match.group(2) != '-', match.group(3) or ''


def parse_reply(lines):
    """Parse the lines of one complete (possibly multi-line) reply into a Reply."""
    if not lines:
        raise SMTPProtocolError(None, 'empty reply')
    code, texts = None, []
    for index, line in enumerate(lines):
        line_code, last, text = parse_reply_line(line)
        if code is None:
            code = line_code
        elif line_code != code:
            raise SMTPProtocolError(None, 'multi-line reply mixes codes %d and %d' % (code, line_code))
        texts.append(text)
        if last and index != len(lines) - 1:
            raise SMTPProtocolError(None, 'reply continues after its last line')
        if not last and index == len(lines) - 1:
            raise SMTPProtocolError(None, 'multi-line reply has no last line')
    return Reply(code, texts)


def parse_ehlo(reply):
    """Return (greeting, extensions) from a 250 EHLO reply.

    extensions maps each keyword, upper-cased, to its list of parameters (case kept).
    "AUTH=LOGIN PLAIN" (the form some servers add for pre-RFC 2554 clients) is read as
    keyword AUTH; a keyword that appears twice gets the union of its parameters.
    """
    greeting = reply.lines[0] if reply.lines else ''
    extensions = {}
    for line in reply.lines[1:]:
        words = line.split()
        if not words:
            continue
        keyword, params = words[0], words[1:]
        if '=' in keyword:
            keyword, first = keyword.split('=', 1)
            params = ([first] if first else []) + params
        if not _KEYWORD.match(keyword):
            continue
        keyword = keyword.upper()
        merged = extensions.setdefault(keyword, [])
        for param in params:
            if param not in merged:
                merged.append(param)
    return greeting, extensions


def auth_mechanisms(extensions):
    """The SASL mechanisms an EHLO reply offers, upper-cased and sorted."""
    return sorted(set(mech.upper() for mech in extensions.get('AUTH', [])))


def format_list(items):
    return '[' + ', '.join(items) + ']'


def compare_mechanisms(label, expected, actual, match='exact'):
    """Compare mechanism lists case-insensitively. Return a failure message, or None.

    An empty expected list always means "none offered", whatever `match` says.
    """
    want = sorted(set(m.upper() for m in expected))
    have = sorted(set(m.upper() for m in actual))
    if not want:
        if have:
            return '%s: expected no AUTH mechanisms, server offered %s' % (label, format_list(have))
        return None
    if match == 'at_least':
        missing = [m for m in want if m not in have]
        if missing:
            return '%s: expected at least %s, server offered %s (missing %s)' % (
                label, format_list(want), format_list(have), format_list(missing))
        return None
    if want != have:
        return '%s: expected exactly %s, server offered %s' % (label, format_list(want), format_list(have))
    return None


def tls_version_rank(version):
    """Order TLS protocol names; unknown names (SSLv3, None) rank lowest."""
    try:
        return TLS_VERSIONS.index(version)
    except ValueError:
        return -1


def check_min_tls_version(minimum, actual):
    if actual is None:
        return 'min_tls_version: expected at least %s, no TLS session was established' % minimum
    if tls_version_rank(actual) < tls_version_rank(minimum):
        return 'min_tls_version: expected at least %s, server negotiated %s' % (minimum, actual)
    return None


def classify_relay(mail, rcpt):
    """Decide what a MAIL/RCPT pair says about relaying: 'accepted', 'denied' or 'inconclusive'.

    530 (RFC 4954 6: authentication required) counts as denied wherever it comes. A refused
    MAIL FROM says nothing about relaying; neither does a temporary (4xx) RCPT answer.
    """
    if mail is None:
        return 'inconclusive'
    if mail.code == 530:
        return 'denied'
    if not mail.positive or rcpt is None:
        return 'inconclusive'
    if rcpt.positive:
        return 'accepted'
    if rcpt.code == 530 or 500 <= rcpt.code < 600:
        return 'denied'
    return 'inconclusive'


def ip_literal(address):
    """The RFC 5321 4.1.3 address literal of an IP address: [192.0.2.1] or [IPv6:2001:db8::1].

    Brackets and an IPv6: tag already present are accepted; a zone (%eth0) is dropped.
    Raise ValueError when it is not an IP address.
    """
    text = address.strip()
    if text.startswith('[') and text.endswith(']'):
        text = text[1:-1]
    if text[:5].upper() == 'IPV6:':
        text = text[5:]
    parsed = ipaddress.ip_address(text.split('%')[0])
    if parsed.version == 6:
        if parsed.ipv4_mapped:
            return '[%s]' % parsed.ipv4_mapped
        return '[IPv6:%s]' % parsed.compressed
    return '[%s]' % parsed


def unbracket(host):
    """An IPv6 address as written in a URL or an address literal ([2001:db8::25], [IPv6:::1]) without the brackets."""
    if isinstance(host, str) and host.startswith('[') and host.endswith(']'):
        host = host[1:-1]
        if host[:5].upper() == 'IPV6:':
            host = host[5:]
    return host


def host_port(host, port):
    """host:port, with brackets around an IPv6 address."""
    return '[%s]:%s' % (host, port) if ':' in str(host) else '%s:%s' % (host, port)


def is_relay_host_address(local, peer):
    """True when the client address is one sendmail trusts by default: loopback or the server's own."""
    if not local:
        return False
    try:
        address = ipaddress.ip_address(local.split('%')[0])
    except ValueError:
        return local == peer
    if getattr(address, 'ipv4_mapped', None):  # ::ffff:127.0.0.1 from a dual-stack socket
        address = address.ipv4_mapped
    return address.is_loopback or local == peer


def shorten(text, limit=80):
    text = repr(text)
    return text if len(text) <= limit else text[:limit - 3] + '...'


# The options both modules take to connect; documented in doc_fragments/_smtp_connection.py.
CONNECTION_ARGUMENT_SPEC = dict(
    host=dict(type='str', default='127.0.0.1'),
    port=dict(type='int', default=25),
    tls=dict(type='str', choices=list(TLS_MODES), default='starttls'),
    ehlo_name=dict(type='str'),
    timeout=dict(type='float', default=10.0),
    source_address=dict(type='str'),
    tls_server_name=dict(type='str'),
    ca_file=dict(type='path'),
    validate_certs=dict(type='bool', default=False),
    tls_check_hostname=dict(type='bool', default=True),
)


# ---------------------------------------------------------------------------------------
# TLS

def tls_context(verify, ca_file=None, check_hostname=True, max_version=None):
    """A client context. Without verify, the certificate is read but not checked.

    max_version below TLSv1.2 also lowers the minimum and OpenSSL's security level, so the
    client really offers the old protocol: that is how a test proves the server refuses it.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if verify:
        context.verify_mode = ssl.CERT_REQUIRED
        context.check_hostname = bool(check_hostname)
        try:
            if ca_file:
                context.load_verify_locations(cafile=ca_file)
            else:
                context.load_default_certs()
        except (OSError, ssl.SSLError) as exc:
            raise SMTPError('tls_setup', 'cannot load CA certificates from %s: %s' % (ca_file, exc), kind='tls_verify')
    else:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if max_version:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', DeprecationWarning)  # TLSv1 and TLSv1.1 are deprecated: that is the point
            context.maximum_version = getattr(ssl.TLSVersion, max_version.replace('.', '_'))
            if tls_version_rank(max_version) < tls_version_rank('TLSv1.2'):
                context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
                context.set_ciphers('DEFAULT:@SECLEVEL=0')
    return context


def empty_tls_info():
    return {
        'established': False,
        'version': None,
        'cipher': None,
        'bits': None,
        'server_name': None,
        'verified': None,
        'verify_error': None,
        'handshake_error': None,
        'subject': None,
        'issuer': None,
        'sans': None,
        'serial_number': None,
        'not_before': None,
        'not_after': None,
        'days_left': None,
        'fingerprint_sha256': None,
    }


# ---------------------------------------------------------------------------------------
# client

def _breaks_session(method):
    """After a timeout, a dropped connection or garbage, the session cannot continue: remember that."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except SMTPError:
            self.broken = True
            raise
    return wrapper


class SMTPClient:
    """A blocking SMTP client with a deadline on every read and a transcript of what was said."""

    def __init__(self, host, port, timeout=10.0, source_address=None, transcript=None):
        self.host = host
        self.port = port
        self.timeout = float(timeout)
        self.source_address = source_address
        self.transcript = transcript if transcript is not None else []
        self.sock = None
        self.broken = False  # after a timeout, a dropped connection or garbage: do not wait for QUIT
        self._buffer = b''

    @property
    def where(self):
        return host_port(self.host, self.port)

    @property
    def local_address(self):
        return self.sock.getsockname()[0] if self.sock else None

    @property
    def peer_address(self):
        return self.sock.getpeername()[0] if self.sock else None

    def connect(self):
        source = (self.source_address, 0) if self.source_address else None
        try:
            self.sock = socket.create_connection((self.host, self.port), self.timeout, source_address=source)
        except socket.timeout:
            raise SMTPTimeout('connect', 'timed out after %gs connecting to %s' % (self.timeout, self.where))
        except socket.gaierror as exc:
            raise SMTPError('connect', 'cannot connect to %s: %s does not resolve (%s)'
                            % (self.where, self.host, exc.strerror or exc), kind='dns')
        except OSError as exc:
            detail = exc.strerror or str(exc)
            if source and exc.errno == errno.EADDRNOTAVAIL:
                detail += ' (source_address %s is not an address of this host)' % self.source_address
            # refused, unreachable, no route: nothing accepted the connection
            raise SMTPError('connect', 'cannot connect to %s: %s' % (self.where, detail), kind='connection_refused')
        self.note('connected to %s from %s' % (self.where, self.local_address))

    def note(self, text):
        self.transcript.append('-- ' + text)

    def _recv(self, step, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise SMTPTimeout(step, 'timed out after %gs waiting for the server at %s (%s)' % (self.timeout, self.where, step))
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            raise SMTPTimeout(step, 'timed out after %gs waiting for the server at %s (%s)' % (self.timeout, self.where, step))
        except ssl.SSLError as exc:
            raise SMTPConnectionClosed(step, 'TLS error from %s during %s: %s' % (self.where, step, exc.reason or exc))
        except OSError as exc:
            raise SMTPConnectionClosed(step, 'connection to %s failed during %s: %s' % (self.where, step, exc.strerror or exc))
        if not data:
            raise SMTPConnectionClosed(step, 'server at %s closed the connection during %s' % (self.where, step))
        return data

    def _readline(self, step, deadline):
        while b'\n' not in self._buffer:
            if len(self._buffer) > MAX_LINE_BYTES:
                raise SMTPProtocolError(step, 'server at %s sent a line longer than %d bytes during %s: not SMTP?'
                                        % (self.where, MAX_LINE_BYTES, step))
            self._buffer += self._recv(step, deadline)
        line, self._buffer = self._buffer.split(b'\n', 1)
        return line.rstrip(b'\r').decode('utf-8', errors='replace')

    @_breaks_session
    def read_reply(self, step, shown=None):
        """Read one complete reply. `shown` replaces its text in the transcript (secrets)."""
        deadline = time.monotonic() + self.timeout
        lines = []
        while True:
            line = self._readline(step, deadline)
            try:
                _code, last, _text = parse_reply_line(line)
            except SMTPProtocolError:
                raise SMTPProtocolError(step, 'server at %s did not answer like an SMTP server during %s: %s'
                                        % (self.where, step, shorten(line)))
            lines.append(line)
            if last:
                break
            if len(lines) >= MAX_REPLY_LINES:
                raise SMTPProtocolError(step, 'reply from %s during %s exceeds %d lines' % (self.where, step, MAX_REPLY_LINES))
        try:
            reply = parse_reply(lines)
        except SMTPProtocolError as exc:
            raise SMTPProtocolError(step, 'malformed reply from %s during %s: %s' % (self.where, step, exc.message))
        if shown is None:
            self.transcript.extend('S: ' + line for line in lines)
        else:
            self.transcript.append('S: %d %s' % (reply.code, shown))
        return reply

    @_breaks_session
    def send_line(self, line, step, shown=None):
        self.transcript.append('C: ' + (line if shown is None else shown))
        self.sock.settimeout(self.timeout)
        try:
            self.sock.sendall(line.encode('utf-8') + b'\r\n')
        except socket.timeout:
            raise SMTPTimeout(step, 'timed out after %gs sending to %s (%s)' % (self.timeout, self.where, step))
        except OSError as exc:
            raise SMTPConnectionClosed(step, 'server at %s closed the connection before %s: %s'
                                       % (self.where, step, getattr(exc, 'strerror', None) or exc))

    @_breaks_session
    def send_raw(self, data, step, shown):
        """Send bytes as they are (a message body); `shown` is what the transcript says instead."""
        self.transcript.append('C: ' + shown)
        self.sock.settimeout(self.timeout)
        try:
            self.sock.sendall(data)
        except socket.timeout:
            raise SMTPTimeout(step, 'timed out after %gs sending to %s (%s)' % (self.timeout, self.where, step))
        except OSError as exc:
            raise SMTPConnectionClosed(step, 'server at %s closed the connection before %s: %s'
                                       % (self.where, step, getattr(exc, 'strerror', None) or exc))

    def command(self, line, step, shown=None):
        self.send_line(line, step, shown)
        return self.read_reply(step)

    @_breaks_session
    def start_tls(self, context, server_hostname, step):
        if self._buffer:
            raise SMTPProtocolError(step, 'server at %s sent data before the TLS handshake (%s); refusing to treat it as '
                                    'protected (RFC 3207 5)' % (self.where, shorten(self._buffer.decode('latin-1'))))
        self.sock.settimeout(self.timeout)
        try:
            self.sock = context.wrap_socket(self.sock, server_hostname=server_hostname)
        except ssl.SSLCertVerificationError as exc:
            reason = exc.verify_message or exc.reason or str(exc)
            raise TLSHandshakeError(step, 'certificate of %s did not verify: %s' % (self.where, reason), verify_error=reason)
        except socket.timeout:
            raise TLSHandshakeError(step, 'TLS handshake with %s timed out after %gs' % (self.where, self.timeout),
                                    kind='timeout')
        except (ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionError) as exc:
            raise TLSHandshakeError(step, 'server at %s closed the connection during the TLS handshake (%s)'
                                    % (self.where, getattr(exc, 'reason', None) or exc.__class__.__name__))
        except ssl.SSLError as exc:
            reason = exc.reason or str(exc)
            if reason in ('WRONG_VERSION_NUMBER', 'PACKET_LENGTH_TOO_LONG', 'RECORD_LAYER_FAILURE') or 'record layer' in reason.lower():
                reason += ' (the server answered in clear text: is this a STARTTLS port rather than implicit TLS?)'
            raise TLSHandshakeError(step, 'TLS handshake with %s failed: %s' % (self.where, reason))
        except OSError as exc:
            raise TLSHandshakeError(step, 'TLS handshake with %s failed: %s' % (self.where, exc.strerror or str(exc) or 'EOF'))
        info = self.sock.cipher() or (None, None, None)
        self.note('TLS established: %s %s (%s bits)' % (self.sock.version(), info[0], info[2]))

    def tls_session(self):
        """version, cipher, bits and the peer certificate of the established TLS session."""
        info = self.sock.cipher() or (None, None, None)
        result = {'established': True, 'version': self.sock.version(), 'cipher': info[0], 'bits': info[2]}
        der = self.sock.getpeercert(binary_form=True)
        if der:
            try:
                result.update(describe_certificate(der))
            except (CertificateParseError, IndexError, ValueError) as exc:
                self.note('cannot read the server certificate: %s' % exc)
        return result

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None


# ---------------------------------------------------------------------------------------
# session: connect, banner, EHLO, TLS, EHLO

class ConnectionOptions:
    """The connection options both modules share (see doc fragment _smtp_connection)."""

    def __init__(self, host='127.0.0.1', port=25, tls='starttls', ehlo_name=None, timeout=10.0,
                 source_address=None, tls_server_name=None, ca_file=None, validate_certs=False,
                 tls_check_hostname=True, client_max_tls_version=None, always_verify=False):
        self.host = unbracket(host)
        self.port = port
        self.tls = tls
        self.ehlo_name = ehlo_name or socket.gethostname() or 'localhost'
        self.timeout = timeout
        self.source_address = source_address
        self.tls_server_name = tls_server_name
        self.ca_file = ca_file
        self.validate_certs = validate_certs
        self.tls_check_hostname = tls_check_hostname
        self.client_max_tls_version = client_max_tls_version
        # verify even without ca_file and validate_certs (against the system store), so the
        # session can tell whether credentials may be sent; a failure is reported, not fatal
        self.always_verify = always_verify

    def replace(self, **changes):
        """A copy with some options changed."""
        copy = ConnectionOptions()
        copy.__dict__.update(self.__dict__)
        copy.__dict__.update(changes)
        return copy

    @classmethod
    def from_params(cls, params):
        names = ('host', 'port', 'tls', 'ehlo_name', 'timeout', 'source_address', 'tls_server_name',
                 'ca_file', 'validate_certs', 'tls_check_hostname', 'client_max_tls_version')
        return cls(**dict((name, params.get(name)) for name in names if params.get(name) is not None))

    @property
    def server_name(self):
        return self.tls_server_name or self.host

    @property
    def where(self):
        return host_port(self.host, self.port)

    @property
    def trust_source(self):
        """What the certificate is checked against, in words."""
        return 'the CA in %s' % self.ca_file if self.ca_file else "the probe host's system trust store"

    @property
    def wants_verification(self):
        return bool(self.ca_file or self.validate_certs or self.always_verify)


def _ms(seconds):
    return round(seconds * 1000.0, 2)


class Session:
    """One SMTP session up to the last EHLO; it records what it saw even when it fails.

    With tls=none there is one EHLO in clear; with implicit TLS there is one EHLO, inside
    TLS, and the "before TLS" results stay empty.
    """

    def __init__(self, options, transcript=None, verify=None):
        self.options = options
        self.verify = options.wants_verification if verify is None else verify
        self.client = SMTPClient(options.host, options.port, options.timeout, options.source_address, transcript)
        self.banner = None
        self.greeting = None
        self.extensions_before_tls = {}
        self.extensions_after_tls = {}
        self.starttls_offered = False
        self.tls = empty_tls_info()
        self.timings = {}
        self.client_address = None
        self.server_address = None
        # the second look of open_session() after a certificate did not verify: never for credentials
        self.unverified_retry = False

    @property
    def transcript(self):
        return self.client.transcript

    @property
    def extensions(self):
        """The extensions of the last EHLO: what the server offers for the rest of the session."""
        return self.extensions_after_tls if self.tls['established'] else self.extensions_before_tls

    def _timed(self, name, func, *args):
        started = time.monotonic()
        try:
            return func(*args)
        finally:
            self.timings[name] = _ms(time.monotonic() - started)

    def open(self):
        started = time.monotonic()
        try:
            self._open()
        finally:
            self.timings['total'] = _ms(time.monotonic() - started)

    def _open(self):
        options, client = self.options, self.client
        self._timed('connect', client.connect)
        self.client_address, self.server_address = client.local_address, client.peer_address
        if options.tls == 'implicit':
            self._handshake()
        self.banner = self._timed('banner', client.read_reply, 'banner')
        if self.banner.code != 220:
            raise SMTPError('banner', 'server at %s refused the session: %s' % (client.where, self.banner.summary()), self.banner)
        implicit = options.tls == 'implicit'
        extensions = self._ehlo('ehlo')
        if implicit:
            self.extensions_after_tls = extensions
            return
        self.extensions_before_tls = extensions
        self.starttls_offered = 'STARTTLS' in extensions
        if options.tls != 'starttls':
            return
        if not self.starttls_offered:
            raise STARTTLSNotOffered('starttls', 'server at %s does not offer STARTTLS in its EHLO reply' % client.where)
        reply = self._timed('starttls', client.command, 'STARTTLS', 'starttls')
        if reply.code != 220:
            raise SMTPError('starttls', 'server at %s refused STARTTLS: %s' % (client.where, reply.summary()), reply,
                            kind='tls_handshake')
        self._handshake()
        self.extensions_after_tls = self._ehlo('ehlo_after_tls')

    def _ehlo(self, step):
        reply = self._timed(step, self.client.command, 'EHLO ' + self.options.ehlo_name, step)
        if reply.code != 250:
            raise SMTPError(step, 'server at %s refused EHLO %s: %s' % (self.client.where, self.options.ehlo_name, reply.summary()), reply)
        self.greeting, extensions = parse_ehlo(reply)
        return extensions

    def _handshake(self):
        options = self.options
        self.tls['server_name'] = options.server_name
        context = tls_context(self.verify, options.ca_file, options.tls_check_hostname, options.client_max_tls_version)
        try:
            self._timed('tls_handshake', self.client.start_tls, context, options.server_name, 'tls_handshake')
        except TLSHandshakeError as exc:
            if exc.verify_error is not None:
                self.tls['verified'] = False
                self.tls['verify_error'] = exc.verify_error
            else:
                if options.client_max_tls_version:
                    exc.message += ' (the client offered at most %s)' % options.client_max_tls_version
                self.tls['handshake_error'] = exc.message
            raise
        self.tls.update(self.client.tls_session())
        if self.verify:
            self.tls['verified'] = True

    def quit(self):
        """Say goodbye politely; a server that already hung up is not an error here."""
        if self.client.sock is None or self.client.broken:
            self.client.close()
            return
        started = time.monotonic()
        try:
            self.client.command('QUIT', 'quit')
        except SMTPError:
            pass
        finally:
            self.timings['quit'] = _ms(time.monotonic() - started)
            self.client.close()

    def close(self):
        self.client.close()

    def summary(self):
        """What the session saw, as module return values."""
        return {
            'banner': self.banner.raw if self.banner else None,
            'banner_code': self.banner.code if self.banner else None,
            'ehlo_greeting': self.greeting,
            'extensions_before_tls': self.extensions_before_tls,
            'auth_before_tls': auth_mechanisms(self.extensions_before_tls),
            'starttls_offered': self.starttls_offered,
            'tls': dict(self.tls),
            'extensions_after_tls': self.extensions_after_tls,
            'auth_after_tls': auth_mechanisms(self.extensions_after_tls),
        }


def open_session(options, transcript=None):
    """Open a session; when only certificate verification fails, look again without it.

    The second look fills in what the server presents (certificate, extensions after TLS)
    and marks tls.verified false with the reason. When options.validate_certs is set, the
    caller still has to fail: a TLSHandshakeError is raised after the second look, with
    session attached as exc.session.

    The second session is unverified: it must never carry credentials. credentials_refusal()
    says so for it (session.verify is false and tls.verified is false), whatever the options.
    """
    transcript = [] if transcript is None else transcript
    session = Session(options, transcript)
    try:
        session.open()
        return session
    except TLSHandshakeError as exc:
        if exc.verify_error is None:
            exc.session = session
            raise
        session.close()
        transcript.append('-- certificate did not verify (%s); connecting again without verification to see it'
                          % exc.verify_error)
        second = Session(options, transcript, verify=False)
        second.unverified_retry = True
        try:
            second.open()
        except SMTPError as again:
            second.tls['verified'] = False
            second.tls['verify_error'] = exc.verify_error
            again.session = second
            raise
        second.tls['verified'] = False
        second.tls['verify_error'] = exc.verify_error
        if options.validate_certs:
            exc.session = second
            raise exc
        return second
    except SMTPError as exc:
        exc.session = session
        raise


# ---------------------------------------------------------------------------------------
# when credentials may be sent, and what a failure means

def credentials_refusal(session):
    """Why credentials must not be sent in this session, or None when they may.

    They may only inside TLS whose certificate verified (against ca_file, or the system
    store without one) and whose name matched tls_server_name or host. The second,
    unverified look of open_session() always gets a reason here.
    """
    options, where, tls = session.options, session.client.where, session.tls
    if session.unverified_retry:
        return 'the certificate of %s did not verify against %s: %s' % (
            where, options.trust_source, tls['verify_error'] or 'unknown reason')
    if not tls['established']:
        return 'the session with %s is not encrypted (tls=%s)' % (where, options.tls)
    if not session.verify or tls['verified'] is not True:
        return 'the certificate of %s did not verify against %s: %s' % (
            where, options.trust_source, tls['verify_error'] or 'it was not checked')
    if not options.tls_check_hostname:
        return ('the certificate of %s was not checked for the name %s (tls_check_hostname=false)'
                % (where, options.server_name))
    return None


def failure_hint(kind, options, step=None, reply=None):
    """What to do about a failure of `kind` (one of ERROR_KINDS) while probing with `options`.

    step and reply are those of the SMTPError, when there is one.
    """
    where = options.where
    if kind == 'dns':
        return ('%s does not resolve on the probe host: use its address as host, or fix DNS or /etc/hosts there'
                % options.host)
    if kind == 'connection_refused':
        return ('nothing accepted a connection to %s from the probe host: check that sendmail runs and listens on that '
                'address and port (DaemonPortOptions), that no firewall is in the way, and that source_address is an '
                'address of the probe host' % where)
    if kind == 'timeout':
        return ('%s did not answer within %gs: look for a firewall that drops packets, a greeting pause or a busy '
                'sendmail (mail log); raise timeout only if the relay is known to be slow' % (where, options.timeout))
    if kind == 'tls_verify':
        if step == 'tls_setup':
            return ('ca_file %s cannot be read on the probe host: copy the PEM certificate of the CA that signed the '
                    "relay's certificate there" % options.ca_file)
        return ('give the PEM file of the CA that signed the certificate of %s as ca_file, and make sure the '
                'certificate names %s (tls_server_name) in its subjectAltName' % (where, options.server_name))
    if kind == 'tls_handshake':
        if step == 'starttls':
            return ('%s does not offer or refuses STARTTLS: sendmail offers it only when it can read its certificate '
                    'and key (look for STARTTLS errors in the mail log); use tls=none only for a listener that is '
                    'meant to be clear text' % where)
        return ('the TLS handshake with %s failed: check that tls=%s matches the listener (implicit for 465, starttls '
                "otherwise), that sendmail can read its certificate and key, and the relay's TLS version and cipher "
                'settings' % (where, options.tls))
    if kind == 'no_credentials':
        return 'give username and password of an account on the relay (a dedicated probe account is best)'
    if kind == 'credentials_withheld':
        return ('credentials are only sent inside TLS whose certificate verified against the CA and the relay name: '
                'set ca_file to the CA that signed the relay certificate and tls_server_name to a name it carries, '
                'or fix the certificate (auth_requires_verified_tls=false is an opt-out for labs only)')
    if kind == 'expectation':
        return 'the relay answered, but not as expected: see expectation_failures and the transcript'
    if step == 'banner' and reply is not None:
        return ('%s refused the session in its greeting: check whether it refuses the probe host (access map, '
                'connection rate limits) or is overloaded (mail log)' % where)
    return ('%s did not follow the SMTP dialogue (closed the connection or answered out of turn): see the transcript '
            "and the relay's mail log" % where)


def failure_details(exc, options):
    """error_kind and hint for an SMTPError raised while probing with `options`."""
    kind = exc.kind if exc.kind in ERROR_KINDS else 'protocol'
    return {'error_kind': kind, 'hint': failure_hint(kind, options, exc.step, exc.reply)}


# ---------------------------------------------------------------------------------------
# AUTH (RFC 4954) and the relay probe

def authenticate(client, mechanism, username, password, service_host):
    """Run one AUTH exchange and return the final Reply. Secrets never reach the transcript.

    A DIGEST-MD5 server whose rspauth does not prove it knows the password is answered with
    "*" (cancel), and its reply is returned as the result.
    """
    mechanism = mechanism.upper()
    step = 'auth ' + mechanism
    if mechanism == 'PLAIN':
        reply = client.command('AUTH PLAIN ' + b64(plain_response(username, password)), step,
                               shown='AUTH PLAIN ' + REDACTED)
        if reply.code == 334:  # the server ignored the initial response and asks again
            client.send_line(b64(plain_response(username, password)), step, shown=REDACTED)
            reply = client.read_reply(step)
        return reply
    reply = client.command('AUTH ' + mechanism, step)
    digest_state = {}
    rounds = 0
    while reply.code == 334:
        rounds += 1
        if rounds > MAX_SASL_ROUNDS:
            client.send_line('*', step)
            return client.read_reply(step)
        try:
            challenge = unb64(reply.text)
            response = _sasl_step(mechanism, challenge, username, password, service_host, rounds - 1, digest_state)
        except SASLError as exc:
            client.note('cancelling AUTH %s: %s' % (mechanism, exc))
            client.send_line('*', step)
            return client.read_reply(step)
        client.send_line(b64(response), step, shown=REDACTED)
        reply = client.read_reply(step, shown=REDACTED if mechanism == 'DIGEST-MD5' else None)
    return reply


def _sasl_step(mechanism, challenge, username, password, service_host, step, state):
    if mechanism == 'LOGIN':
        return login_response(challenge, username, password, step)
    if mechanism == 'CRAM-MD5':
        if step:
            raise SASLError('CRAM-MD5 server sent a second challenge')
        return cram_md5_response(username, password, challenge)
    if mechanism == 'DIGEST-MD5':
        if step == 0:
            response, state['rspauth'] = digest_md5_response(
                parse_digest_challenge(challenge), username, password, 'smtp/' + service_host)
            return response
        if parse_rspauth(challenge) != state.get('rspauth'):
            raise SASLError("the server's rspauth does not match: it does not know the password, or is not the server it claims")
        return b''
    raise SASLError('mechanism %s is not supported by this client' % mechanism)


def relay_transaction(client, mail_from, rcpt_to):
    """MAIL FROM / RCPT TO / RSET, never DATA. Return (mail Reply, rcpt Reply or None)."""
    mail = client.command('MAIL FROM:<%s>' % mail_from, 'mail')
    rcpt = None
    if mail.positive:
        rcpt = client.command('RCPT TO:<%s>' % rcpt_to, 'rcpt')
    client.command('RSET', 'rset')
    return mail, rcpt
