# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the mailrelay.sendmail collection: may change without notice.

"""The CA pin: which CA the relays hold, and whether a run may bring another one.

A relay's generation records the CA it trusts (certs/ca.pin.json, written by the private_ca role
from ca.crt). Before anything changes, the role's preflight compares that record with the CA on
the CA host, and refuses a run that would replace it (or mint a new one) unless a rotation is
declared. The fingerprint is the sha256 of the certificate's DER, written as
`openssl x509 -noout -fingerprint -sha256` prints it, so an operator can compare it by hand.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re

try:
    from cryptography import x509
    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - ansible-core brings it on the controller
    HAS_CRYPTOGRAPHY = False

_PEM_CERT = re.compile(r'-----BEGIN CERTIFICATE-----\s*(.*?)\s*-----END CERTIFICATE-----', re.S)


def _subject(der):
    if not HAS_CRYPTOGRAPHY:
        return ''
    try:
        return x509.load_der_x509_certificate(der).subject.rfc4514_string()
    except ValueError:
        return ''


def sha256_fingerprint(der):
    """The sha256 of DER bytes as openssl prints it: upper-case hex pairs joined by colons."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ':'.join(digest[i:i + 2] for i in range(0, len(digest), 2))


def ca_fingerprints(pem):
    """Each certificate of a PEM text (a CA file may hold several) as {sha256, subject}, in order.

    Text that is not PEM gives an empty list; a block whose base64 is broken raises ValueError.
    """
    out = []
    for body in _PEM_CERT.findall(pem or ''):
        try:
            der = base64.b64decode(''.join(body.split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError('a CERTIFICATE block is not valid base64: %s' % exc) from exc
        out.append({'sha256': sha256_fingerprint(der), 'subject': _subject(der)})
    return out


def pin_text(pem):
    """The content of ca.pin.json for a CA file's PEM text ('' when it holds no certificate)."""
    certificates = ca_fingerprints(pem)
    if not certificates:
        return ''
    return json.dumps({'certificates': certificates}, indent=2, sort_keys=True) + '\n'


def held_cas(pin, ca_pem):
    """What a relay holds: the entries of its ca.pin.json or, for a relay written before the pin
    existed, the certificates of its live ca.crt; [] when it holds neither.

    A pin file that cannot be read falls back to ca.crt (the pin is derived from it anyway).
    """
    text = (pin or '').strip()
    if text:
        try:
            entries = json.loads(text).get('certificates') or []
            held = [{'sha256': str(e['sha256']).upper(), 'subject': str(e.get('subject') or '')}
                    for e in entries if isinstance(e, dict) and e.get('sha256')]
            if held:
                return held
        except (ValueError, AttributeError, TypeError):
            pass
    try:
        return ca_fingerprints(ca_pem)
    except ValueError:
        return []


def _describe(cas):
    return ', '.join('%s (%s)' % (c['sha256'], c['subject'] or 'subject unknown') for c in cas)


def ca_pin_check(held_by_relay, controller_pem, rotation=False, ca_dir='', ca_host='localhost'):
    """Judge a run's CA against what every relay of the run holds.

    held_by_relay maps each relay to what it holds (held_cas()). A relay that holds nothing is
    judged against the CAs the other relays hold, so that a new relay cannot be given a new CA
    while the rest of the fleet refuses it. The run's CA is the first certificate of the CA
    host's ca.crt (none: the run would create a new CA).

    Returns {relay: {'problem': str, 'rotation': str}}: a problem refuses the relay, a rotation
    note says what a declared rotation (rotation=True) lets through.
    """
    run = ca_fingerprints(controller_pem)
    run_ca = run[0] if run else None
    fleet = []
    for cas in held_by_relay.values():
        fleet.extend(c for c in cas or [] if c['sha256'] not in [f['sha256'] for f in fleet])
    where = 'private_ca_dir %s on private_ca_host %s' % (ca_dir, ca_host)
    if run_ca:
        brings = '%s holds the CA %s' % (where, _describe([run_ca]))
    else:
        brings = '%s holds no CA (no ca.crt), so this run would create a new CA and re-issue every certificate' % where
    result = {}
    for relay in sorted(held_by_relay):
        own = held_by_relay[relay] or []
        reference = own or fleet
        entry = {'problem': '', 'rotation': ''}
        result[relay] = entry
        if not reference or (run_ca and run_ca['sha256'] in [c['sha256'] for c in reference]):
            continue
        holder = ('%s holds the CA %s in its live generation' % (relay, _describe(own)) if own else
                  '%s holds no CA yet, but the other relays of this run hold %s' % (relay, _describe(fleet)))
        if rotation:
            entry['rotation'] = ('private_ca_ca_rotation is true: %s; %s. Its certificates are re-issued from the new CA, '
                                 'and clients and peers that trust only the old one stop trusting this relay.'
                                 % (holder, brings))
            continue
        entry['problem'] = (
            '%s; %s. Clients and peers that trust the relays\' CA would stop trusting them. Nothing was changed. '
            'Fix: point private_ca_dir (and private_ca_host, where the CA key lives) at the CA the relays hold: its '
            'ca.crt has the sha256 fingerprint %s (compare with `openssl x509 -noout -fingerprint -sha256 -in ca.crt`); '
            'restore it from your backup if it is lost. To move the relays to another CA on purpose, set '
            'private_ca_ca_rotation: true for that run (docs/private-ca.md, "Rotate the CA").'
            % (holder, brings, ' or '.join(c['sha256'] for c in reference)))
    return result
