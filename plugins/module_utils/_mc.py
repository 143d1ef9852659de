# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the mailrelay.sendmail collection: may change without notice.

"""Small pieces of sendmail.mc and its maps that more than one place needs."""

from __future__ import annotations

import ipaddress
import re


def tls_srv_entry(host):
    """The access map entry that makes sendmail require, for connections to `host`, a certificate
    that verifies against its CA and whose CN is `host` (a temporary error otherwise, so mail waits).
    """
    host = str(host or '').strip()
    if not host or any(ch.isspace() for ch in host) or host in ('*', '.'):
        raise ValueError('a TLS_Srv entry needs a host name, got %r' % (host,))
    return {'key': 'TLS_Srv:%s' % host, 'value': 'VERIFY+CN:%s' % host}


# OpenSSL's short names (as X509_NAME_oneline writes them) for the long attribute names that
# community.crypto's x509_certificate_info returns in subject_ordered
_DN_SHORT_NAMES = {
    'countryName': 'C', 'stateOrProvinceName': 'ST', 'localityName': 'L', 'organizationName': 'O',
    'organizationalUnitName': 'OU', 'commonName': 'CN', 'emailAddress': 'emailAddress',
    'domainComponent': 'DC', 'serialNumber': 'serialNumber', 'surname': 'SN', 'givenName': 'GN',
    'title': 'title', 'userId': 'UID', 'UID': 'UID', 'streetAddress': 'street', 'postalCode': 'postalCode',
}


def sendmail_xtext(text):
    """`text` as sendmail writes it into ${cert_subject} and ${cert_issuer} (xtextify in
    savemail.c with the taboo characters <>"), as tls.c passes them): every byte outside '!'..'~'
    and each of + \\ ( ) < > " becomes +XX (upper-case hex). Non-ASCII text is taken as UTF-8 bytes.
    """
    out = []
    for byte in str(text).encode('utf-8'):
        char = chr(byte)
        if byte < 0x21 or byte > 0x7e or char in '+\\()<>"':
            out.append('+%02X' % byte)
        else:
            out.append(char)
    return ''.join(out)


def dn_oneline(pairs):
    """The distinguished name as OpenSSL's X509_NAME_oneline() writes it (/C=../O=../CN=..), from
    [name, value] pairs in certificate order; long names (commonName) become short ones (CN).
    Values outside printable ASCII are refused: X509_NAME_oneline escapes them in a way that
    depends on the string type, so such a DN must be given by hand.
    """
    parts = []
    for pair in pairs or []:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ValueError('a DN attribute must be a [name, value] pair, got %r' % (pair,))
        name, value = str(pair[0]), str(pair[1])
        short = _DN_SHORT_NAMES.get(name, name)
        if not re.match(r'^[A-Za-z][A-Za-z0-9]*\Z', short):
            raise ValueError('the DN attribute %r has no OpenSSL short name' % (name,))
        if any(ord(ch) < 0x20 or ord(ch) > 0x7e for ch in value):
            raise ValueError('the DN attribute %s=%r is not printable ASCII' % (short, value))
        parts.append('/%s=%s' % (short, value))
    if not parts:
        raise ValueError('an empty DN')
    return ''.join(parts)


def trusted_peer_reason(peer):
    """Why a sendmail_config_trusted_peers entry cannot be used, or None."""
    if not isinstance(peer, dict):
        return 'is not a dict with name, subject and addresses'
    unknown = sorted(set(peer) - {'name', 'subject', 'addresses'})
    if unknown:
        return 'has unknown keys %s (use name, subject, addresses)' % ', '.join(unknown)
    name = peer.get('name')
    if not isinstance(name, str) or not re.match(r'^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?\Z', name):
        return 'has no host name in name (got %r)' % (name,)
    subject = peer.get('subject')
    if subject not in (None, ''):
        if not isinstance(subject, str) or not subject.startswith('/') or '=' not in subject:
            return 'has a subject that is not a DN in /CN=... form (got %r)' % (subject,)
        if any(ord(ch) < 0x20 or ord(ch) == 0x7f for ch in subject):
            return 'has a control character in its subject'
    addresses = peer.get('addresses')
    if addresses not in (None, ''):
        if not isinstance(addresses, (list, tuple)):
            return 'has addresses that are not a list'
        for address in addresses:
            try:
                ipaddress.ip_address(str(address))
            except ValueError:
                return 'has %r in addresses, which is not an IP address' % (address,)
    return None


def _access_address(address):
    addr = ipaddress.ip_address(str(address))
    return ('IPv6:%s' % addr.compressed) if addr.version == 6 else str(addr)


def peer_access_entries(peers, issuers, tls_srv_options='V', taken_keys=()):
    """The access map entries that let the relays in `peers` relay by certificate, and nobody else.

    `peers`: list of {name, subject (default /CN=<name>), addresses}; `issuers`: the DNs (oneline
    form, not yet encoded) of the CAs whose certificates peers show. Returns {key, value} entries:

    - CERTISSUER:<issuer> SUBJECT for each issuer: a verified certificate from it is only good
      for relaying when its subject is listed too (RELAY would trust every certificate of the CA);
    - CERTSUBJECT:<subject> RELAY for each peer;
    - Srv_Features:<address> v for each peer address (ask that peer for a client certificate), and
      Srv_Features: V (ask nobody else) when `tls_srv_options` holds V - mail clients never see
      a certificate request;
    - TLS_Srv:<name> VERIFY+CN:<name> for each peer name: when this relay connects to a peer, the
      peer's certificate must verify and carry the name connected to.

    Keys in `taken_keys` (compared without case; the user's own access entries) are left out.
    """
    taken = set(str(k).lower() for k in taken_keys or ())
    entries = []

    def add(key, value):
        if key.lower() not in taken:
            taken.add(key.lower())
            entries.append({'key': key, 'value': value})

    peers = list(peers or [])
    for peer in peers:
        reason = trusted_peer_reason(peer)
        if reason:
            raise ValueError('a trusted peer %s' % reason)
    # sorted by name: the map is the same whatever order the inventory or the facts came in
    # (a different order would be a change, a new generation and a reload for nothing)
    peers.sort(key=lambda peer: str(peer.get('name', '')).lower())
    if not peers:
        return entries
    if not issuers:
        raise ValueError('trusted peers need the DN of the CA that issues their certificates')
    for issuer in issuers:
        add('CERTISSUER:%s' % sendmail_xtext(issuer), 'SUBJECT')
    for peer in peers:
        subject = peer.get('subject') or '/CN=%s' % peer['name'].rstrip('.')
        add('CERTSUBJECT:%s' % sendmail_xtext(subject), 'RELAY')
    for peer in peers:
        for address in peer.get('addresses') or []:
            add('Srv_Features:%s' % _access_address(address), 'v')
    if 'V' in str(tls_srv_options or ''):
        add('Srv_Features:', 'V')
    for peer in peers:
        entry = tls_srv_entry(peer['name'].rstrip('.'))
        add(entry['key'], entry['value'])
    return entries
