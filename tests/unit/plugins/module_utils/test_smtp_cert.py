# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The stdlib-only DER reader against certificates made (and read back) by cryptography."""

from __future__ import annotations

import datetime
import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp_cert import (
    CertificateParseError,
    describe_certificate,
    parse_certificate,
)

UTC = datetime.timezone.utc


def make_cert(subject_attrs, sans=None, not_before=None, not_after=None, key=None, serial=4711):
    key = key or ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(oid, value) for oid, value in subject_attrs])
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'Issuing CA')])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer).public_key(key.public_key())
               .serial_number(serial)
               .not_valid_before(not_before or datetime.datetime(2025, 1, 1, tzinfo=UTC))
               .not_valid_after(not_after or datetime.datetime(2035, 1, 1, 12, 30, 5, tzinfo=UTC))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True))
    if sans is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(key, hashes.SHA256())


def der(cert):
    return cert.public_bytes(serialization.Encoding.DER)


def test_relay_certificate_fields_match_cryptography():
    cert = make_cert(
        [(NameOID.COUNTRY_NAME, 'DE'), (NameOID.STATE_OR_PROVINCE_NAME, 'Berlin'), (NameOID.LOCALITY_NAME, 'Berlin'),
         (NameOID.ORGANIZATION_NAME, 'Example Mail'), (NameOID.ORGANIZATIONAL_UNIT_NAME, 'Relays'),
         (NameOID.COMMON_NAME, 'relay.example.org'), (NameOID.EMAIL_ADDRESS, 'postmaster@example.org')],
        sans=[x509.DNSName('relay.example.org'), x509.DNSName('*.relay.example.org'),
              x509.IPAddress(ipaddress.ip_address('192.0.2.25')), x509.IPAddress(ipaddress.ip_address('2001:db8::25')),
              x509.RFC822Name('postmaster@example.org'), x509.UniformResourceIdentifier('https://example.org/'),
              x509.DirectoryName(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'dir')]))],
        serial=0x1234567890ABCDEF1234)
    parsed = parse_certificate(der(cert))
    assert parsed['subject'] == {'C': 'DE', 'ST': 'Berlin', 'L': 'Berlin', 'O': 'Example Mail', 'OU': 'Relays',
                                 'CN': 'relay.example.org', 'emailAddress': 'postmaster@example.org'}
    assert parsed['issuer'] == {'CN': 'Issuing CA'}
    assert parsed['sans'] == ['DNS:relay.example.org', 'DNS:*.relay.example.org', 'IP:192.0.2.25', 'IP:2001:db8::25',
                              'email:postmaster@example.org', 'URI:https://example.org/', 'dirName:CN=dir']
    assert parsed['serial_number'] == cert.serial_number
    assert parsed['not_before'] == cert.not_valid_before_utc
    assert parsed['not_after'] == cert.not_valid_after_utc
    assert parsed['fingerprint_sha256'] == ':'.join('%02X' % b for b in cert.fingerprint(hashes.SHA256()))


def test_describe_certificate_formats_times_and_days_left():
    cert = make_cert([(NameOID.COMMON_NAME, 'relay')], sans=[x509.DNSName('relay')])
    now = datetime.datetime(2034, 12, 1, 12, 30, 5, tzinfo=UTC)
    info = describe_certificate(der(cert), now=now)
    assert info['not_before'] == '20250101000000Z'
    assert info['not_after'] == '20350101123005Z'
    assert info['days_left'] == 31
    expired = describe_certificate(der(cert), now=datetime.datetime(2035, 1, 2, 12, 30, 5, tzinfo=UTC))
    assert expired['days_left'] == -1


def test_generalized_time_after_2049_and_rsa_key_without_sans():
    cert = make_cert([(NameOID.COMMON_NAME, 'long-lived')], sans=None,
                     not_after=datetime.datetime(2060, 6, 30, 0, 0, 0, tzinfo=UTC),
                     key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    parsed = parse_certificate(der(cert))
    assert parsed['not_after'] == datetime.datetime(2060, 6, 30, tzinfo=UTC)  # encoded as GeneralizedTime
    assert parsed['sans'] == []
    assert parsed['subject'] == {'CN': 'long-lived'}


def test_unicode_and_repeated_attributes():
    cert = make_cert([(NameOID.DOMAIN_COMPONENT, 'org'), (NameOID.DOMAIN_COMPONENT, 'example'),
                      (NameOID.COMMON_NAME, 'Mail-Relais M\u00fcnchen')])
    parsed = parse_certificate(der(cert))
    assert parsed['subject']['CN'] == 'Mail-Relais M\u00fcnchen'
    assert parsed['subject']['DC'] == 'example'  # a repeated attribute keeps its last value, as community.crypto does


@pytest.mark.parametrize('data, message', [
    (b'', 'truncated'),
    (b'\x04\x03abc', 'not a DER certificate'),
    (b'\x30\x82\xff\xff\x00', 'runs past the end'),
    (b'\x30\x03\x02\x01\x01', 'tbsCertificate, algorithm and signature'),
    (b'-----BEGIN CERTIFICATE-----', 'not a DER certificate'),
])
def test_garbage_is_rejected_cleanly(data, message):
    with pytest.raises(CertificateParseError, match=message):
        parse_certificate(data)


def test_truncated_real_certificate_is_rejected():
    data = der(make_cert([(NameOID.COMMON_NAME, 'x')]))
    with pytest.raises(CertificateParseError):
        parse_certificate(data[:len(data) // 2])
