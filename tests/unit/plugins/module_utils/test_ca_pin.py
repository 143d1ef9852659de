# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The CA pin: fingerprints as openssl prints them, what a relay holds, and which runs are refused."""

from __future__ import annotations

import datetime
import json

import jinja2
import pytest
from ansible.errors import AnsibleFilterError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.mailrelay.sendmail.plugins.filter import ca_pin_check, ca_pin_held, ca_pin_text
from ansible_collections.mailrelay.sendmail.plugins.module_utils._ca_pin import (
    ca_fingerprints,
    held_cas,
    pin_text,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._ca_pin import ca_pin_check as check

UTC = datetime.timezone.utc


def make_ca(common_name):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(datetime.datetime(2025, 1, 1, tzinfo=UTC))
            .not_valid_after(datetime.datetime(2035, 1, 1, tzinfo=UTC))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    fingerprint = ':'.join('%02X' % b for b in cert.fingerprint(hashes.SHA256()))
    return {'pem': pem, 'sha256': fingerprint, 'subject': 'CN=' + common_name}


OLD = make_ca('old fleet CA')
NEW = make_ca('new fleet CA')


def held(ca):
    return [{'sha256': ca['sha256'], 'subject': ca['subject']}]


def test_fingerprint_is_openssls_sha256_of_the_der():
    assert ca_fingerprints(OLD['pem']) == held(OLD)
    assert len(OLD['sha256']) == 95 and OLD['sha256'].count(':') == 31


def test_a_bundle_gives_every_certificate_in_order():
    assert ca_fingerprints(NEW['pem'] + '\n' + OLD['pem']) == held(NEW) + held(OLD)


@pytest.mark.parametrize('text', ['', None, 'not a certificate', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----'])
def test_no_certificate_gives_nothing(text):
    assert ca_fingerprints(text) == []
    assert pin_text(text) == ''


def test_broken_base64_is_an_error():
    with pytest.raises(ValueError, match='not valid base64'):
        ca_fingerprints('-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----')


def test_pin_text_round_trips_through_held_cas():
    text = pin_text(OLD['pem'])
    assert json.loads(text) == {'certificates': held(OLD)}
    assert text.endswith('\n')
    # the pin wins over ca.crt: it is what the generation recorded
    assert held_cas(text, NEW['pem']) == held(OLD)


@pytest.mark.parametrize('pin, ca_pem, expected', [
    ('', '', []),                                   # a new relay
    (None, None, []),
    ('', OLD['pem'], held(OLD)),                    # written before the pin existed: its live ca.crt
    ('{broken', OLD['pem'], held(OLD)),             # an unreadable pin falls back to ca.crt
    ('{"certificates": []}', OLD['pem'], held(OLD)),
    ('{"certificates": [{"sha256": "ab:cd"}]}', '', [{'sha256': 'AB:CD', 'subject': ''}]),
    ('', '-----BEGIN CERTIFICATE-----\n@@\n-----END CERTIFICATE-----', []),
])
def test_held_cas(pin, ca_pem, expected):
    assert held_cas(pin, ca_pem) == expected


KW = {'ca_dir': '/home/ops/.local/share/mailrelay/pki', 'ca_host': 'localhost'}


def problems(result):
    return {relay: entry['problem'] for relay, entry in result.items() if entry['problem']}


@pytest.mark.parametrize('fleet, controller, refused', [
    # a first install: nobody holds anything, a new CA is fine
    ({'r1': [], 'r2': []}, '', []),
    ({'r1': [], 'r2': []}, NEW['pem'], []),
    # the same CA: fine, and a new relay joins it
    ({'r1': held(OLD), 'r2': held(OLD)}, OLD['pem'], []),
    ({'r1': held(OLD), 'r3': []}, OLD['pem'], []),
    # a relay that trusts a bundle (old and new) accepts either as the run's CA
    ({'r1': held(NEW) + held(OLD)}, OLD['pem'], []),
    ({'r1': held(NEW) + held(OLD)}, NEW['pem'], []),
    # no CA on the controller (an empty or missing private_ca_dir): every relay is refused,
    # the new one too, so that it does not get a CA of its own
    ({'r1': held(OLD), 'r2': held(OLD), 'r3': []}, '', ['r1', 'r2', 'r3']),
    # another CA on the controller
    ({'r1': held(OLD), 'r2': held(OLD)}, NEW['pem'], ['r1', 'r2']),
    # relays that disagree: each judged by what it holds
    ({'r1': held(OLD), 'r2': held(NEW)}, OLD['pem'], ['r2']),
])
def test_refusals(fleet, controller, refused):
    assert sorted(problems(check(fleet, controller, **KW))) == refused


def test_the_message_says_where_the_ca_lives_what_the_relay_holds_and_how_to_fix_it():
    msg = check({'r1': held(OLD)}, '', **KW)['r1']['problem']
    assert 'r1 holds the CA %s (CN=old fleet CA)' % OLD['sha256'] in msg
    assert 'private_ca_dir /home/ops/.local/share/mailrelay/pki on private_ca_host localhost holds no CA' in msg
    assert 'would create a new CA' in msg
    assert 'Nothing was changed' in msg
    assert 'point private_ca_dir (and private_ca_host' in msg
    assert 'private_ca_ca_rotation: true' in msg
    msg = check({'r1': held(OLD)}, NEW['pem'], **KW)['r1']['problem']
    assert 'holds the CA %s (CN=new fleet CA)' % NEW['sha256'] in msg
    msg = check({'r1': held(OLD), 'r3': []}, NEW['pem'], **KW)['r3']['problem']
    assert 'r3 holds no CA yet, but the other relays of this run hold %s' % OLD['sha256'] in msg


def test_a_declared_rotation_passes_and_says_what_changes():
    result = check({'r1': held(OLD), 'r2': held(NEW)}, NEW['pem'], rotation=True, **KW)
    assert problems(result) == {}
    assert 'private_ca_ca_rotation is true: r1 holds the CA %s' % OLD['sha256'] in result['r1']['rotation']
    assert result['r2']['rotation'] == ''       # already on the new CA
    result = check({'r1': held(OLD)}, '', rotation=True, **KW)
    assert problems(result) == {} and 'would create a new CA' in result['r1']['rotation']


def render(template, **variables):
    environment = jinja2.Environment()
    for module in (ca_pin_check, ca_pin_held, ca_pin_text):
        environment.filters.update(module.FilterModule().filters())
    return environment.from_string(template).render(**variables)


def test_the_filters_in_jinja():
    assert render('{{ (pem | ca_pin_text | ca_pin_held)[0].subject }}', pem=OLD['pem']) == 'CN=old fleet CA'
    assert render("{{ (fleet | ca_pin_check(pem, 'no', '/pki', 'ca1')).r1.problem | length > 0 }}",
                  fleet={'r1': held(OLD)}, pem=NEW['pem']) == 'True'
    assert render("{{ (fleet | ca_pin_check(pem, 'yes')).r1.problem }}", fleet={'r1': held(OLD)}, pem=NEW['pem']) == ''


def test_the_filters_name_bad_input():
    with pytest.raises(AnsibleFilterError, match='wants a dict'):
        ca_pin_check.ca_pin_check([], '')
    with pytest.raises(AnsibleFilterError, match='ca_pin_text'):
        ca_pin_text.ca_pin_text('-----BEGIN CERTIFICATE-----\n@@\n-----END CERTIFICATE-----')
