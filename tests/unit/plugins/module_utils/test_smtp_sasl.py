# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""SASL client responses against the examples published in the RFCs."""

from __future__ import annotations

import base64

import pytest

from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp_sasl import (
    SASLError,
    cram_md5_response,
    digest_md5_response,
    login_response,
    parse_digest_challenge,
    parse_rspauth,
    plain_response,
    unb64,
)

# RFC 2831 section 4, the IMAP example (digest-uri differs from SMTP only in the service name).
RFC2831_CHALLENGE = b'realm="elwood.innosoft.com",nonce="OA6MG9tEQGm2hh",qop="auth",algorithm=md5-sess,charset=utf-8'


def test_digest_md5_matches_rfc2831_example():
    challenge = parse_digest_challenge(RFC2831_CHALLENGE)
    response, rspauth = digest_md5_response(challenge, 'chris', 'secret', 'imap/elwood.innosoft.com',
                                            cnonce='OA6MHXh6VqTrRk')
    assert response == (
        b'charset=utf-8,username="chris",realm="elwood.innosoft.com",nonce="OA6MG9tEQGm2hh",nc=00000001,'
        b'cnonce="OA6MHXh6VqTrRk",digest-uri="imap/elwood.innosoft.com",'
        b'response=d388dad90d4bbd760a152321f2143af7,qop=auth')
    assert rspauth == 'ea40f60335c427b5527b84dbabcdfffd'
    assert parse_rspauth(b'rspauth=ea40f60335c427b5527b84dbabcdfffd') == rspauth


def test_cram_md5_matches_rfc2195_example():
    challenge = base64.b64decode('PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+')
    assert challenge == b'<1896.697170952@postoffice.reston.mci.net>'
    response = cram_md5_response('tim', 'tanstaaftanstaaf', challenge)
    assert response == b'tim b913a602c7eda7a495b4e6e7334d3890'
    assert base64.b64encode(response) == b'dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw'


@pytest.mark.parametrize('user, password, authzid, expected', [
    ('tim', 'tanstaaftanstaaf', '', b'\0tim\0tanstaaftanstaaf'),             # RFC 4616 section 4
    ('Kurt', 'xipj3plmq', 'Ursel', b'Ursel\0Kurt\0xipj3plmq'),
    ('j\u00fcrgen', 'p\u00e4ss', '', b'\0j\xc3\xbcrgen\0p\xc3\xa4ss'),       # UTF-8 on the wire
])
def test_plain_response(user, password, authzid, expected):
    assert plain_response(user, password, authzid) == expected


@pytest.mark.parametrize('challenge_b64, step, expected', [
    ('VXNlcm5hbWU6', 0, b'alice'),     # "Username:", as sendmail/Cyrus sends it
    ('UGFzc3dvcmQ6', 1, b's3cret'),    # "Password:"
    ('UGFzc3dvcmQ6', 0, b's3cret'),    # answered by prompt, not by position
    ('', 0, b'alice'),                 # no prompt: by position
    ('', 1, b's3cret'),
])
def test_login_response(challenge_b64, step, expected):
    assert login_response(unb64(challenge_b64), 'alice', 's3cret', step) == expected


@pytest.mark.parametrize('challenge, expected', [
    (RFC2831_CHALLENGE, {'realm': ['elwood.innosoft.com'], 'nonce': 'OA6MG9tEQGm2hh', 'qop': 'auth',
                         'algorithm': 'md5-sess', 'charset': 'utf-8'}),
    # several realms, a qop list, escapes in quoted strings, blanks around separators
    (b'realm="a.example", realm="b.example" ,nonce="x\\"y\\\\z",qop="auth,auth-int",maxbuf=65536,algorithm=md5-sess',
     {'realm': ['a.example', 'b.example'], 'nonce': 'x"y\\z', 'qop': 'auth,auth-int', 'maxbuf': '65536',
      'algorithm': 'md5-sess'}),
    (b'nonce="n",algorithm=md5-sess', {'realm': [], 'nonce': 'n', 'algorithm': 'md5-sess'}),
])
def test_parse_digest_challenge(challenge, expected):
    assert parse_digest_challenge(challenge) == expected


@pytest.mark.parametrize('challenge, message', [
    (b'realm="x",nonce="unterminated', 'unterminated'),
    (b'nonce="a",nonce="b"', 'repeats the nonce'),
    (b'garbage', 'without a value'),
])
def test_parse_digest_challenge_rejects(challenge, message):
    with pytest.raises(SASLError, match=message):
        parse_digest_challenge(challenge)


@pytest.mark.parametrize('challenge, message', [
    (b'nonce="n",qop="auth"', 'algorithm=md5-sess'),
    (b'qop="auth",algorithm=md5-sess', 'no nonce'),
    (b'nonce="n",qop="auth-conf",algorithm=md5-sess', 'only "auth"'),
])
def test_digest_md5_refuses_what_it_cannot_do(challenge, message):
    with pytest.raises(SASLError, match=message):
        digest_md5_response(parse_digest_challenge(challenge), 'u', 'p', 'smtp/x')


def test_digest_md5_without_realm_omits_it_and_generates_a_cnonce():
    response, rspauth = digest_md5_response(parse_digest_challenge(b'nonce="n",algorithm=md5-sess'), 'u', 'p', 'smtp/x')
    assert b'realm=' not in response and b'charset' not in response
    cnonce = parse_digest_challenge(response)['cnonce']
    assert len(cnonce) >= 16
    again = digest_md5_response(parse_digest_challenge(b'nonce="n",algorithm=md5-sess'), 'u', 'p', 'smtp/x')[0]
    assert parse_digest_challenge(again)['cnonce'] != cnonce
    assert len(rspauth) == 32


def test_digest_md5_charset_rules():
    """RFC 2831 2.1.2.1: credentials that fit ISO 8859-1 are hashed in it even with charset=utf-8."""
    utf8 = parse_digest_challenge(b'nonce="n",algorithm=md5-sess,charset=utf-8')
    latin = digest_md5_response(utf8, 'j\u00fcrgen', 'x', 'smtp/h', cnonce='c')[1]
    latin_without_charset = digest_md5_response(parse_digest_challenge(b'nonce="n",algorithm=md5-sess'),
                                                'j\u00fcrgen', 'x', 'smtp/h', cnonce='c')[1]
    assert latin == latin_without_charset
    digest_md5_response(utf8, '\u6f22\u5b57', 'x', 'smtp/h', cnonce='c')  # outside 8859-1: UTF-8, allowed
    with pytest.raises(SASLError, match='charset=utf-8'):
        digest_md5_response(parse_digest_challenge(b'nonce="n",algorithm=md5-sess'), '\u6f22\u5b57', 'x', 'smtp/h')


@pytest.mark.parametrize('text', ['not base64!', 'QUJ'])
def test_unb64_rejects_garbage(text):
    with pytest.raises(SASLError, match='not valid base64'):
        unb64(text)
