# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the mailrelay.sendmail collection: may change without notice.
#
# Client side of the SASL mechanisms sendmail offers through Cyrus SASL, as pure functions
# over bytes: PLAIN (RFC 4616), LOGIN (draft-murchison-sasl-login), CRAM-MD5 (RFC 2195) and
# DIGEST-MD5 (RFC 2831, including the check of the server's rspauth).

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

MECHANISMS = ('PLAIN', 'LOGIN', 'CRAM-MD5', 'DIGEST-MD5')

# The mechanisms whose exchange carries the password itself (base64 is no protection): they
# must never be offered or used outside TLS. The one definition; the filter
# mailrelay.sendmail.cleartext_mechanisms and the verification report use it.
CLEARTEXT_MECHANISMS = ('LOGIN', 'PLAIN')


def cleartext_mechanisms(mechanisms):
    """The members of `mechanisms` that send the password in clear, upper-cased, in their order, once each."""
    found = []
    for mechanism in mechanisms or ():
        name = str(mechanism).strip().upper()
        if name in CLEARTEXT_MECHANISMS and name not in found:
            found.append(name)
    return found


class SASLError(ValueError):
    """The server's challenge cannot be answered (malformed, or asks for something we do not do)."""


def b64(data):
    return base64.b64encode(data).decode('ascii')


def unb64(text):
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SASLError('server challenge is not valid base64: %r' % text[:60])


def plain_response(username, password, authzid=''):
    """RFC 4616: authzid NUL authcid NUL passwd."""
    return b'\0'.join(part.encode('utf-8') for part in (authzid, username, password))


def login_response(challenge, username, password, step):
    """LOGIN has no standard prompts; servers send 'Username:' then 'Password:'.

    Answer by the prompt when it is recognisable, otherwise by position (step 0 = user).
    """
    prompt = challenge.decode('utf-8', errors='replace').strip().lower()
    if prompt.startswith('user'):
        return username.encode('utf-8')
    if prompt.startswith('pass'):
        return password.encode('utf-8')
    return (username if step == 0 else password).encode('utf-8')


def cram_md5_response(username, password, challenge):
    """RFC 2195: user SP hex(HMAC-MD5(password, challenge))."""
    digest = hmac.new(password.encode('utf-8'), challenge, hashlib.md5).hexdigest()
    return username.encode('utf-8') + b' ' + digest.encode('ascii')


def parse_digest_challenge(challenge):
    """Parse a DIGEST-MD5 digest-challenge (RFC 2831 2.1.1) into a dict.

    Values are text; 'realm' is a list because a server may offer several.
    """
    text = challenge.decode('utf-8', errors='replace')
    result = {'realm': []}
    pos, size = 0, len(text)
    while pos < size:
        while pos < size and text[pos] in ' \t\r\n,':
            pos += 1
        if pos >= size:
            break
        eq = text.find('=', pos)
        if eq < 0:
            raise SASLError('DIGEST-MD5 challenge has a directive without a value: %r' % text[pos:pos + 40])
        key = text[pos:eq].strip().lower()
        pos = eq + 1
        while pos < size and text[pos] in ' \t':
            pos += 1
        if pos < size and text[pos] == '"':
            pos += 1
            value = []
            while True:
                if pos >= size:
                    raise SASLError('DIGEST-MD5 challenge has an unterminated quoted string')
                char = text[pos]
                if char == '\\' and pos + 1 < size:
                    value.append(text[pos + 1])
                    pos += 2
                    continue
                if char == '"':
                    pos += 1
                    break
                value.append(char)
                pos += 1
            value = ''.join(value)
        else:
            end = text.find(',', pos)
            end = size if end < 0 else end
            value = text[pos:end].strip()
            pos = end
        if key == 'realm':
            result['realm'].append(value)
        elif key in result:
            raise SASLError('DIGEST-MD5 challenge repeats the %s directive' % key)
        else:
            result[key] = value
    return result


def _quote(value):
    return '"' + value.replace('\\', '\\\\').replace('"', '\\"') + '"'


def _digest_bytes(value, utf8):
    """RFC 2831 2.1.2.1: with charset=utf-8, strings that fit ISO 8859-1 are hashed in 8859-1."""
    try:
        return value.encode('latin-1')
    except UnicodeEncodeError:
        if not utf8:
            raise SASLError('the server did not announce charset=utf-8, and the credentials are not ISO 8859-1')
        return value.encode('utf-8')


def _md5(data):
    return hashlib.md5(data).digest()


def _md5_hex(data):
    return hashlib.md5(data).hexdigest()


def digest_md5_response(challenge, username, password, digest_uri, cnonce=None, authzid=None):
    """Answer a parsed DIGEST-MD5 challenge with qop=auth.

    Returns (response bytes, the rspauth value the server must send back). A server that
    cannot produce that rspauth does not know the password: the caller must abort then.
    """
    if challenge.get('algorithm', '').lower() != 'md5-sess':
        raise SASLError('DIGEST-MD5 challenge does not say algorithm=md5-sess')
    nonce = challenge.get('nonce')
    if not nonce:
        raise SASLError('DIGEST-MD5 challenge has no nonce')
    qops = [q.strip().lower() for q in challenge.get('qop', 'auth').split(',')]
    if 'auth' not in qops:
        raise SASLError('DIGEST-MD5 server offers qop %s, but only "auth" (no security layer) is supported'
                        % ','.join(qops))
    utf8 = challenge.get('charset', '').lower() == 'utf-8'
    realm = challenge['realm'][0] if challenge.get('realm') else ''
    if cnonce is None:
        cnonce = b64(os.urandom(18))
    nc = '00000001'
    qop = 'auth'

    secret = _md5(b':'.join((_digest_bytes(username, utf8), _digest_bytes(realm, utf8), _digest_bytes(password, utf8))))
    a1 = secret + b':' + nonce.encode('utf-8') + b':' + cnonce.encode('ascii')
    if authzid:
        a1 += b':' + authzid.encode('utf-8')
    ha1 = _md5_hex(a1)

    def kd(a2):
        return _md5_hex(':'.join((ha1, nonce, nc, cnonce, qop, _md5_hex(a2.encode('utf-8')))).encode('utf-8'))

    fields = []
    if utf8:
        fields.append('charset=utf-8')
    fields.append('username=' + _quote(username))
    if realm:
        fields.append('realm=' + _quote(realm))
    fields.extend([
        'nonce=' + _quote(nonce),
        'nc=' + nc,
        'cnonce=' + _quote(cnonce),
        'digest-uri=' + _quote(digest_uri),
        'response=' + kd('AUTHENTICATE:' + digest_uri),
        'qop=' + qop,
    ])
    if authzid:
        fields.append('authzid=' + _quote(authzid))
    return ','.join(fields).encode('utf-8'), kd(':' + digest_uri)


def parse_rspauth(challenge):
    """Return the rspauth value of the server's second DIGEST-MD5 challenge, or None."""
    return parse_digest_challenge(challenge).get('rspauth')
