# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the mailrelay.sendmail collection: may change without notice.

"""How close to its end a certificate may come before the verification gate warns or fails.

One rule, expiry_verdict(), is used for the certificate each listener presents (through
_verify_report) and for the CA certificates the gate verifies against (the filter
mailrelay.sendmail.certificate_expiry). Reading PEM needs nothing but the standard library
(the DER reader of _smtp_cert).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import re

from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp_cert import (
    CertificateParseError,
    describe_certificate,
)

VERDICTS = ('ok', 'warn', 'fail', 'unknown')

_PEM = re.compile(r'-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----(.*?)-----END (?:X509 |TRUSTED )?CERTIFICATE-----',
                  re.DOTALL)


def _days(value):
    """An int from an int or a numeric string; None for anything else (bool included)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value // 1)
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def threshold_problems(warn_days, fail_days, warn_name='warn_days', fail_name='fail_days'):
    """What is wrong with a pair of thresholds, as messages naming the variables; [] when they are usable."""
    warn, fail = _days(warn_days), _days(fail_days)
    problems = []
    if warn is None or warn < 0:
        problems.append('%s is %r: use a whole number of days, 0 or more' % (warn_name, warn_days))
    if fail is None or fail < 0:
        problems.append('%s is %r: use a whole number of days, 0 or more' % (fail_name, fail_days))
    if not problems and fail >= warn:
        problems.append('%s (%s) must be smaller than %s (%s): the gate warns first, then fails'
                        % (fail_name, fail, warn_name, warn))
    return problems


def expiry_verdict(days_left, warn_days=None, fail_days=0):
    """'ok', 'warn' or 'fail' for a certificate with `days_left` whole days to its notAfter; 'unknown' without one.

    fail: fewer than `fail_days` days left (an expired certificate has a negative number, so it
    always fails with fail_days >= 0); warn: fewer than `warn_days` left; ok otherwise. A
    threshold of None is not applied (no warn_days: never warns). fail_days wins over warn_days.
    """
    days = _days(days_left)
    if days is None:
        return 'unknown'
    fail, warn = _days(fail_days), _days(warn_days)
    if days < 0 or (fail is not None and days < fail):
        return 'fail'
    if warn is not None and days < warn:
        return 'warn'
    return 'ok'


def expiry_text(days_left):
    """'expired 3 days ago', 'expires today', 'expires in 1 day', 'expires in 20 days'."""
    days = _days(days_left)
    if days is None:
        return 'expiry unknown'
    if days < 0:
        return 'expired %d day%s ago' % (-days, '' if days == -1 else 's')
    if days == 0:
        return 'expires today'
    return 'expires in %d day%s' % (days, '' if days == 1 else 's')


def pem_certificates(text):
    """The DER bytes of every certificate in PEM text (a CA file may be a bundle)."""
    if isinstance(text, bytes):
        text = text.decode('ascii', errors='replace')
    ders = []
    for body in _PEM.findall(str(text or '')):
        try:
            ders.append(base64.b64decode(''.join(body.split()), validate=True))
        except (binascii.Error, ValueError):
            raise CertificateParseError('a PEM block is not valid base64')
    return ders


def _name(subject):
    if not isinstance(subject, dict) or not subject:
        return '?'
    return subject.get('CN') or ', '.join('%s=%s' % item for item in sorted(subject.items()))


def certificate_file_expiry(text, warn_days=None, fail_days=0, what='the certificate', path='', now=None,
                            variables=None):
    """Judge every certificate of a PEM file (or bundle) by expiry_verdict().

    Returns {verdict (the worst of all: fail > warn > ok; 'unknown' for a file without
    certificates or with one that cannot be read), certificates: [{subject, not_after, days_left,
    verdict, fingerprint_sha256}], failures: [str], warnings: [str], summary (one line for the
    report: '"Mailrelay CA" 3649 days left')}. Never raises.
    `variables` names the thresholds in the messages ({'warn_days': ..., 'fail_days': ...}).
    """
    names = {'warn_days': 'the warning threshold', 'fail_days': 'the failure threshold'}
    names.update((key, str(value)) for key, value in (variables or {}).items() if value)
    where = ' (%s)' % path if path else ''
    now = now or datetime.datetime.now(datetime.timezone.utc)
    result = {'verdict': 'unknown', 'certificates': [], 'failures': [], 'warnings': [], 'summary': ''}
    try:
        ders = pem_certificates(text)
        described = [describe_certificate(der, now=now) for der in ders]
    except (CertificateParseError, ValueError, IndexError) as error:
        result['failures'].append('%s%s cannot be read: %s' % (what, where, error))
        return result
    if not described:
        result['failures'].append('%s%s holds no PEM certificate' % (what, where))
        return result
    rank = {'ok': 0, 'warn': 1, 'fail': 2}
    worst = 'ok'
    for cert in described:
        verdict = expiry_verdict(cert['days_left'], warn_days, fail_days)
        entry = {'subject': _name(cert['subject']), 'not_after': cert['not_after'], 'days_left': cert['days_left'],
                 'verdict': verdict, 'fingerprint_sha256': cert['fingerprint_sha256']}
        result['certificates'].append(entry)
        message = '%s%s "%s" %s (notAfter %s)' % (
            what, where, entry['subject'], expiry_text(cert['days_left']), cert['not_after'])
        if verdict == 'fail':
            result['failures'].append('%s, below %s (%s days)' % (message, names['fail_days'], _days(fail_days) or 0)
                                      if cert['days_left'] >= 0 else message)
        elif verdict == 'warn':
            result['warnings'].append('%s, below %s (%s days)' % (message, names['warn_days'], _days(warn_days)))
        worst = max(worst, verdict, key=rank.get)
    result['verdict'] = worst
    result['summary'] = ', '.join('"%s" %s days left%s' % (
        entry['subject'], entry['days_left'], {'warn': ' (RENEW SOON)', 'fail': ' (EXPIRING)'}.get(entry['verdict'], ''))
        for entry in result['certificates'])
    return result
