# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the mailrelay.sendmail collection: may change without notice.
#
# A small, read-only reader for the DER encoding of an X.509 certificate: just enough to
# report what a mail relay presents (subject, issuer, validity, subjectAltName, fingerprint).
# It exists because Python's ssl module only decodes a peer certificate after it verified,
# and modules may not depend on the cryptography library on managed hosts.

from __future__ import annotations

import datetime
import hashlib
import ipaddress

# Short names as OpenSSL (and community.crypto) print them.
NAME_OIDS = {
    '2.5.4.3': 'CN',
    '2.5.4.4': 'SN',
    '2.5.4.5': 'serialNumber',
    '2.5.4.6': 'C',
    '2.5.4.7': 'L',
    '2.5.4.8': 'ST',
    '2.5.4.9': 'street',
    '2.5.4.10': 'O',
    '2.5.4.11': 'OU',
    '2.5.4.12': 'title',
    '2.5.4.42': 'GN',
    '1.2.840.113549.1.9.1': 'emailAddress',
    '0.9.2342.19200300.100.1.25': 'DC',
    '0.9.2342.19200300.100.1.1': 'UID',
}

OID_SUBJECT_ALT_NAME = '2.5.29.17'

_TAG_INTEGER = 0x02
_TAG_OCTET_STRING = 0x04
_TAG_OID = 0x06
_TAG_UTC_TIME = 0x17
_TAG_GENERALIZED_TIME = 0x18
_TAG_SEQUENCE = 0x30
_TAG_SET = 0x31

_STRING_CODECS = {
    0x0C: 'utf-8',       # UTF8String
    0x12: 'ascii',       # NumericString
    0x13: 'ascii',       # PrintableString
    0x14: 'latin-1',     # TeletexString (in practice Latin-1)
    0x16: 'ascii',       # IA5String
    0x1A: 'ascii',       # VisibleString
    0x1C: 'utf-32-be',   # UniversalString
    0x1E: 'utf-16-be',   # BMPString
}


class CertificateParseError(ValueError):
    """The bytes are not a DER X.509 certificate this reader understands."""


def read_tlv(data, pos):
    """Read one DER element at pos. Return (tag, content_start, content_end)."""
    if pos + 2 > len(data):
        raise CertificateParseError('truncated element at offset %d' % pos)
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise CertificateParseError('multi-byte tags are not used in certificates (offset %d)' % pos)
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise CertificateParseError('bad length at offset %d' % pos)
        length = int.from_bytes(data[pos:pos + count], 'big')
        pos += count
    end = pos + length
    if end > len(data):
        raise CertificateParseError('element at offset %d runs past the end' % pos)
    return tag, pos, end


def children(data, start, end):
    """List the (tag, start, end) of every element inside a constructed element."""
    items = []
    pos = start
    while pos < end:
        tag, cstart, cend = read_tlv(data, pos)
        items.append((tag, cstart, cend))
        pos = cend
    return items


def decode_oid(raw):
    if not raw:
        raise CertificateParseError('empty OBJECT IDENTIFIER')
    first = raw[0]
    arcs = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    value = 0
    for byte in raw[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    return '.'.join(str(arc) for arc in arcs)


def decode_string(tag, raw):
    codec = _STRING_CODECS.get(tag)
    if codec is None:
        return raw.hex()
    return raw.decode(codec, errors='replace')


def decode_time(tag, raw):
    """Return an aware UTC datetime for a UTCTime or GeneralizedTime."""
    text = raw.decode('ascii', errors='replace')
    if not text.endswith('Z'):
        raise CertificateParseError('certificate time %r is not in UTC' % text)
    if tag == _TAG_UTC_TIME:
        year = int(text[0:2])
        text = ('19' if year >= 50 else '20') + text
    elif tag != _TAG_GENERALIZED_TIME:
        raise CertificateParseError('unexpected time tag 0x%02x' % tag)
    try:
        value = datetime.datetime.strptime(text[:14], '%Y%m%d%H%M%S')
    except ValueError:
        raise CertificateParseError('unreadable certificate time %r' % text)
    return value.replace(tzinfo=datetime.timezone.utc)


def decode_name(data, start, end):
    """Decode an X.501 Name into a dict of short name -> value (a repeated attribute keeps its last value)."""
    name = {}
    for set_tag, set_start, set_end in children(data, start, end):
        if set_tag != _TAG_SET:
            raise CertificateParseError('Name holds something other than a SET')
        for _tag, atv_start, atv_end in children(data, set_start, set_end):
            (oid_tag, oid_start, oid_end), (value_tag, value_start, value_end) = children(data, atv_start, atv_end)[:2]
            if oid_tag != _TAG_OID:
                raise CertificateParseError('attribute without an OBJECT IDENTIFIER')
            oid = decode_oid(data[oid_start:oid_end])
            name[NAME_OIDS.get(oid, oid)] = decode_string(value_tag, data[value_start:value_end])
    return name


def decode_general_names(raw):
    """Decode GeneralNames into OpenSSL-style strings: DNS:..., IP:..., email:..., URI:..."""
    tag, start, end = read_tlv(raw, 0)
    if tag != _TAG_SEQUENCE:
        raise CertificateParseError('subjectAltName is not a SEQUENCE')
    names = []
    for tag, cstart, cend in children(raw, start, end):
        value = raw[cstart:cend]
        if tag == 0x82:
            names.append('DNS:' + value.decode('ascii', errors='replace'))
        elif tag == 0x87:
            try:
                names.append('IP:' + str(ipaddress.ip_address(bytes(value))))
            except ValueError:
                names.append('IP:' + value.hex())
        elif tag == 0x81:
            names.append('email:' + value.decode('ascii', errors='replace'))
        elif tag == 0x86:
            names.append('URI:' + value.decode('ascii', errors='replace'))
        elif tag == 0xA4:
            _inner_tag, inner_start, inner_end = read_tlv(raw, cstart)
            dirname = decode_name(raw, inner_start, inner_end)
            names.append('dirName:' + ','.join('%s=%s' % item for item in dirname.items()))
        else:
            names.append('othername:<unsupported>')
    return names


def parse_certificate(der):
    """Parse a DER certificate into a plain dict.

    Returns subject, issuer (dicts), not_before / not_after (aware datetimes), sans (list),
    serial_number (int) and fingerprint_sha256 (colon-separated upper-case hex).
    """
    der = bytes(der)
    if der[:1] not in (b'', bytes([_TAG_SEQUENCE])):
        raise CertificateParseError('not a DER certificate (PEM text?)' if der.startswith(b'-----') else 'not a DER certificate')
    _tag, start, end = read_tlv(der, 0)
    parts = children(der, start, end)
    if len(parts) != 3 or parts[0][0] != _TAG_SEQUENCE:
        raise CertificateParseError('certificate does not have tbsCertificate, algorithm and signature')
    tbs = children(der, parts[0][1], parts[0][2])
    if tbs and tbs[0][0] == 0xA0:  # [0] EXPLICIT version
        tbs = tbs[1:]
    if len(tbs) < 6:
        raise CertificateParseError('tbsCertificate is too short')
    serial_tag, serial_start, serial_end = tbs[0]
    if serial_tag != _TAG_INTEGER:
        raise CertificateParseError('serial number is not an INTEGER')
    validity = children(der, tbs[3][1], tbs[3][2])
    if len(validity) != 2:
        raise CertificateParseError('validity is not a pair of times')
    result = {
        'serial_number': int.from_bytes(der[serial_start:serial_end], 'big', signed=True),
        'issuer': decode_name(der, tbs[2][1], tbs[2][2]),
        'not_before': decode_time(validity[0][0], der[validity[0][1]:validity[0][2]]),
        'not_after': decode_time(validity[1][0], der[validity[1][1]:validity[1][2]]),
        'subject': decode_name(der, tbs[4][1], tbs[4][2]),
        'sans': [],
        'fingerprint_sha256': ':'.join('%02X' % b for b in hashlib.sha256(der).digest()),
    }
    for ext_tag, ext_start, ext_end in tbs[6:]:
        if ext_tag != 0xA3:  # [3] EXPLICIT extensions; [1]/[2] are unique identifiers
            continue
        _seq_tag, seq_start, seq_end = read_tlv(der, ext_start)
        for _tag, one_start, one_end in children(der, seq_start, seq_end):
            fields = children(der, one_start, one_end)
            if decode_oid(der[fields[0][1]:fields[0][2]]) != OID_SUBJECT_ALT_NAME:
                continue
            value = fields[-1]
            if value[0] != _TAG_OCTET_STRING:
                raise CertificateParseError('subjectAltName value is not an OCTET STRING')
            result['sans'] = decode_general_names(der[value[1]:value[2]])
    return result


def asn1_time(value):
    """Format a datetime the way community.crypto returns certificate times (20300101000000Z)."""
    return value.strftime('%Y%m%d%H%M%SZ')


def describe_certificate(der, now=None):
    """The certificate part of the tls result: strings and numbers only, ready for JSON."""
    cert = parse_certificate(der)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return {
        'subject': cert['subject'],
        'issuer': cert['issuer'],
        'sans': cert['sans'],
        'serial_number': cert['serial_number'],
        'not_before': asn1_time(cert['not_before']),
        'not_after': asn1_time(cert['not_after']),
        'days_left': int((cert['not_after'] - now).total_seconds() // 86400),
        'fingerprint_sha256': cert['fingerprint_sha256'],
    }
