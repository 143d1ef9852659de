# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The gate's expiry rule (ok / warn / fail) against real certificates made by cryptography, and the
gate's verdict when it has no account to prove AUTH with."""

from __future__ import annotations

import copy
import datetime
import pathlib

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.mailrelay.sendmail.plugins.filter.certificate_expiry import FilterModule
from ansible_collections.mailrelay.sendmail.plugins.module_utils._cert_expiry import (
    certificate_file_expiry,
    expiry_text,
    expiry_verdict,
    pem_certificates,
    threshold_problems,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp_cert import describe_certificate
from ansible_collections.mailrelay.sendmail.plugins.module_utils._verify_report import listener_report

# pytest puts this directory on sys.path
from test_verify_report import good  # pylint: disable=import-error

UTC = datetime.timezone.utc
ROOT = pathlib.Path(__file__).resolve().parents[4]
VARIABLES = {'warn_days': 'mailrelay_verify_cert_warn_days', 'fail_days': 'mailrelay_verify_cert_fail_days'}


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


@pytest.fixture(scope='module')
def ca():
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(_name('Mailrelay CA')).issuer_name(_name('Mailrelay CA'))
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def issue(ca, common_name, days, ca_cert=False):
    """A certificate signed by `ca` (or self-signed when ca_cert) whose notAfter is `days` days from now."""
    ca_key, ca_crt = ca
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(UTC)
    builder = (x509.CertificateBuilder().subject_name(_name(common_name))
               .issuer_name(_name(common_name) if ca_cert else ca_crt.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(days=400)).not_valid_after(now + datetime.timedelta(days=days))
               .add_extension(x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False))
    if ca_cert:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    return builder.sign(key if ca_cert else ca_key, hashes.SHA256())


def pem(*certs):
    return ''.join(cert.public_bytes(serialization.Encoding.PEM).decode('ascii') for cert in certs)


# --- the rule ------------------------------------------------------------------------------------

@pytest.mark.parametrize('days_left, warn, fail, verdict', [
    (100, 30, 7, 'ok'),
    (30, 30, 7, 'ok'),       # "fewer than 30 days left" warns: 30 does not
    (29, 30, 7, 'warn'),
    (20, 30, 7, 'warn'),
    (7, 30, 7, 'warn'),
    (6, 30, 7, 'fail'),
    (3, 30, 7, 'fail'),
    (0, 30, 7, 'fail'),
    (-1, 30, 7, 'fail'),
    (-1, None, 0, 'fail'),   # without thresholds only an expired certificate fails
    (0, None, 0, 'ok'),
    (3, None, 0, 'ok'),
    (3, 0, 0, 'ok'),
    ('20', '30', '7', 'warn'),  # numbers as Ansible may pass them
    (None, 30, 7, 'unknown'),
    ('soon', 30, 7, 'unknown'),
    (True, 30, 7, 'unknown'),
])
def test_expiry_verdict(days_left, warn, fail, verdict):
    assert expiry_verdict(days_left, warn, fail) == verdict


@pytest.mark.parametrize('warn, fail, words', [
    (30, 7, []),
    (1, 0, []),
    (7, 7, ['mailrelay_verify_cert_fail_days (7) must be smaller than mailrelay_verify_cert_warn_days (7)']),
    (5, 10, ['mailrelay_verify_cert_fail_days (10) must be smaller']),
    (-1, 0, ['mailrelay_verify_cert_warn_days is -1']),
    (30, 'x', ["mailrelay_verify_cert_fail_days is 'x'"]),
])
def test_threshold_problems_name_the_variable(warn, fail, words):
    problems = threshold_problems(warn, fail, 'mailrelay_verify_cert_warn_days', 'mailrelay_verify_cert_fail_days')
    assert bool(problems) is bool(words), problems
    for word in words:
        assert any(word in problem for problem in problems), (word, problems)


def test_expiry_text():
    assert [expiry_text(d) for d in (-3, -1, 0, 1, 20, None)] == [
        'expired 3 days ago', 'expired 1 day ago', 'expires today', 'expires in 1 day', 'expires in 20 days',
        'expiry unknown']


# --- real certificates: 3, 20 and 100 days left ------------------------------------------------------

@pytest.mark.parametrize('days, verdict', [(3, 'fail'), (20, 'warn'), (100, 'ok')])
def test_a_ca_file_near_its_end(ca, days, verdict):
    text = pem(issue(ca, 'Old CA', days, ca_cert=True))
    result = certificate_file_expiry(text, 30, 7, what='the CA certificate', path='/pki/ca.crt', variables=VARIABLES)
    assert result['verdict'] == verdict
    [entry] = result['certificates']
    assert entry['subject'] == 'Old CA' and entry['verdict'] == verdict
    assert days - 1 <= entry['days_left'] <= days
    if verdict == 'fail':
        assert result['warnings'] == []
        [failure] = result['failures']
        assert failure.startswith('the CA certificate (/pki/ca.crt) "Old CA" expires in ')
        assert 'below mailrelay_verify_cert_fail_days (7 days)' in failure
    elif verdict == 'warn':
        assert result['failures'] == []
        [warning] = result['warnings']
        assert 'below mailrelay_verify_cert_warn_days (30 days)' in warning
        assert '(RENEW SOON)' in result['summary']
    else:
        assert result['failures'] == [] and result['warnings'] == []
        assert result['summary'] == '"Old CA" %d days left' % entry['days_left']


def test_a_bundle_is_judged_certificate_by_certificate(ca):
    """During a CA rotation the gate's CA file holds the old and the new CA: the worst one counts."""
    old, new = issue(ca, 'Old CA', 20, ca_cert=True), issue(ca, 'New CA', 3000, ca_cert=True)
    result = certificate_file_expiry(pem(new, old), 30, 7, what='the CA certificate', variables=VARIABLES)
    assert result['verdict'] == 'warn'
    assert [entry['subject'] for entry in result['certificates']] == ['New CA', 'Old CA']
    assert [entry['verdict'] for entry in result['certificates']] == ['ok', 'warn']
    assert len(result['warnings']) == 1 and '"Old CA"' in result['warnings'][0]
    assert len(pem_certificates(pem(new, old))) == 2


def test_an_expired_ca_fails_whatever_the_thresholds(ca):
    ca_key, _ca_crt = ca
    now = datetime.datetime.now(UTC)
    expired = (x509.CertificateBuilder().subject_name(_name('Dead CA')).issuer_name(_name('Dead CA'))
               .public_key(ca_key.public_key()).serial_number(9)
               .not_valid_before(now - datetime.timedelta(days=30)).not_valid_after(now - datetime.timedelta(days=2))
               .sign(ca_key, hashes.SHA256()))
    result = certificate_file_expiry(pem(expired), None, 0, what='the CA certificate')
    assert result['verdict'] == 'fail'
    assert 'expired 2 days ago' in result['failures'][0] or 'expired 3 days ago' in result['failures'][0]


@pytest.mark.parametrize('text, words', [
    ('', 'holds no PEM certificate'),
    ('not a certificate', 'holds no PEM certificate'),
    ('-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n', 'cannot be read'),
    ('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', 'cannot be read'),
])
def test_an_unreadable_file_is_a_failure_not_a_crash(text, words):
    result = certificate_file_expiry(text, 30, 7, what='the CA certificate', path='/x/ca.crt')
    assert result['verdict'] == 'unknown'
    assert len(result['failures']) == 1 and words in result['failures'][0] and '/x/ca.crt' in result['failures'][0]


def test_the_filter_is_the_rule(ca):
    text = pem(issue(ca, 'Old CA', 20, ca_cert=True))
    flt = FilterModule().filters()['certificate_expiry']
    assert flt(text, warn_days=30, fail_days=7) == certificate_file_expiry(text, 30, 7)


# --- the certificate a listener presents (through the listener report) ------------------------------

def _listener(ca, days, **options):
    cert = describe_certificate(issue(ca, 'relay.example.org', days).public_bytes(serialization.Encoding.DER))
    data = good()
    data['ehlo']['tls'].update(not_after=cert['not_after'], days_left=cert['days_left'])
    data['options'].update(options)
    data['options']['variables'] = {'cert_warn_days': 'mailrelay_verify_cert_warn_days',
                                    'cert_fail_days': 'mailrelay_verify_cert_fail_days'}
    return data, cert


def _check(report, name):
    return [check for check in report['checks'] if check['name'] == name][0]


@pytest.mark.parametrize('days, status', [(3, 'failed'), (20, 'warning'), (100, 'passed')])
def test_the_presented_certificate_near_its_end(ca, days, status):
    data, cert = _listener(ca, days, cert_warn_days=30, cert_fail_days=7)
    report = listener_report(data)
    check = _check(report, 'certificate')
    assert check['status'] == status
    assert report['ok'] is (status != 'failed')
    if status == 'failed':
        [failure] = report['failures']
        assert failure.startswith('MTA:25 [192.0.2.25] certificate: the certificate expires in ')
        assert 'fewer than mailrelay_verify_cert_fail_days (7 days)' in failure
        assert cert['not_after'] in failure and 'private_ca_renew_before_days' in failure
        assert report['warnings'] == []
        assert '(EXPIRING)' in report['line']
    elif status == 'warning':
        assert check['ok'] is True and report['failures'] == []
        [warning] = report['warnings']
        assert 'fewer than mailrelay_verify_cert_warn_days (30 days)' in warning
        assert '(RENEW SOON)' in report['line']
    else:
        assert report['warnings'] == [] and report['failures'] == []
        assert 'RENEW' not in report['line']


@pytest.mark.parametrize('days', [3, 20, 100])
def test_without_thresholds_only_expiry_fails_as_before(ca, days):
    data, _cert = _listener(ca, days)
    report = listener_report(data)
    assert _check(report, 'certificate')['status'] == 'passed'
    assert report['ok'] is True and report['warnings'] == []


def test_a_certificate_that_did_not_verify_still_fails_on_verification(ca):
    data, _cert = _listener(ca, 20, cert_warn_days=30, cert_fail_days=7)
    data['ehlo']['tls'].update(verified=False, verify_error='unable to get local issuer certificate')
    report = listener_report(data)
    assert _check(report, 'certificate')['status'] == 'failed'
    assert 'did not verify' in report['failures'][0]


# --- no probe account ---------------------------------------------------------------------------

ROLE_VARIABLES = {'credentials': 'mailrelay_verify_user and mailrelay_verify_password',
                  'auth_optional': 'mailrelay_verify_auth_optional'}


def _without_account(require_credentials):
    data = good()
    data['options'].update(credentials_given=False, require_credentials=require_credentials,
                           variables=dict(ROLE_VARIABLES))
    data['auth'] = {'changed': False, 'failed': False, 'auth': {}, 'auth_offered': ['LOGIN', 'PLAIN'],
                    'auth_withheld': None, 'auth_succeeded': [], 'auth_failed': [], 'error_kind': None,
                    'relay': copy.deepcopy(data['auth']['relay'])}
    return data


def test_a_gate_without_an_account_fails_and_says_how_to_give_one():
    report = listener_report(_without_account(require_credentials=True))
    assert report['ok'] is False
    assert _check(report, 'auth')['status'] == 'failed'
    [failure] = report['failures']
    assert 'not tested: no credentials given' in failure
    assert 'give mailrelay_verify_user and mailrelay_verify_password' in failure
    assert 'or set mailrelay_verify_auth_optional: true if this relay intentionally has no AUTH users' in failure


def test_a_relay_without_auth_users_on_purpose_passes():
    report = listener_report(_without_account(require_credentials=False))
    assert report['ok'] is True and report['failures'] == []
    assert _check(report, 'auth')['status'] == 'skipped'


def test_a_listener_that_offers_no_auth_needs_no_account():
    data = _without_account(require_credentials=True)
    data['listener']['auth_after_tls'] = []
    data['ehlo']['auth_after_tls'] = []
    report = listener_report(data)
    assert report['ok'] is True and report['failures'] == []
    assert 'auth' not in [check['name'] for check in report['checks'] if check['status'] == 'failed']


# --- the role's wiring ----------------------------------------------------------------------------

def test_the_role_defaults_warn_at_the_renewal_window_of_private_ca():
    verify = yaml.safe_load((ROOT / 'roles/verify/defaults/main.yml').read_text())
    private_ca = yaml.safe_load((ROOT / 'roles/private_ca/defaults/main.yml').read_text())
    assert 'private_ca_renew_before_days' in private_ca
    assert 'private_ca_renew_before_days' in verify['mailrelay_verify_cert_warn_days']
    assert verify['mailrelay_verify_cert_fail_days'] < private_ca['private_ca_renew_before_days']
    assert not threshold_problems(private_ca['private_ca_renew_before_days'], verify['mailrelay_verify_cert_fail_days'])
    assert verify['mailrelay_verify_auth_optional'] is False
    # a certificate fresh from private_ca (private_ca_validity_days) and its CA pass the default thresholds
    assert expiry_verdict(private_ca['private_ca_validity_days'] - 1, private_ca['private_ca_renew_before_days'],
                          verify['mailrelay_verify_cert_fail_days']) == 'ok'
    assert expiry_verdict(private_ca['private_ca_ca_validity_days'] - 1, private_ca['private_ca_renew_before_days'],
                          verify['mailrelay_verify_cert_fail_days']) == 'ok'
