# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: sendmail_peer_access
short_description: The access map entries that let peer relays relay by client certificate
version_added: 0.2.0
author:
  - mailrelay.sendmail contributors
description:
  - For a list of trusted peer relays, the sendmail access map entries that allow relaying for a
    peer whose client certificate verifies and whose issuer and subject are listed, without any
    password, and ask nobody else for a certificate.
  - C(CERTISSUER:<issuer> SUBJECT) per issuer (a certificate from that CA is only good when its
    subject is listed as well), C(CERTSUBJECT:<subject> RELAY) per peer, C(Srv_Features:<address> v)
    per peer address (request a client certificate) and C(Srv_Features:) V(V) for everyone else
    when O(tls_srv_options) holds V(V), and C(TLS_Srv:<name> VERIFY+CN:<name>) per peer (when this
    relay connects to a peer, its certificate must verify and carry that name).
  - DNs are encoded as sendmail encodes C(${cert_issuer}) and C(${cert_subject}) (cf/README, STARTTLS,
    Relaying) - a blank becomes V(+20), a plus V(+2B).
options:
  _input:
    description: The peers, each C(name) (host name), C(subject) (DN as C(/CN=...); default C(/CN=<name>))
      and C(addresses) (IP addresses the peer connects from).
    type: list
    elements: dict
    required: true
  issuers:
    description: The issuing CAs, each a DN string (C(/O=Example/CN=Example CA)) or the C(subject_ordered)
      list of C(community.crypto.x509_certificate_info) for the CA certificate.
    type: list
    elements: raw
    required: true
  tls_srv_options:
    description: The server's TLSSrvOptions; with V(V) in it the default C(Srv_Features:) entry is V(V).
    type: str
    default: V
  taken_keys:
    description: Access map keys already set (by the user); entries with these keys are left out.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Entries for relay2, whose certificate our private CA issued
  ansible.builtin.set_fact:
    entries: >-
      {{ [{'name': 'relay2.example.org', 'addresses': ['192.0.2.26']}]
         | mailrelay.sendmail.sendmail_peer_access(issuers=['/CN=mailrelay private CA']) }}
"""

RETURN = r"""
_value:
  description: The access map entries, each C(key) and C(value).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.mailrelay.sendmail.plugins.module_utils._mc import dn_oneline, peer_access_entries


def sendmail_peer_access(peers, issuers, tls_srv_options='V', taken_keys=None):
    try:
        dns = [issuer if isinstance(issuer, str) else dn_oneline(issuer) for issuer in issuers or []]
        return peer_access_entries(peers, dns, tls_srv_options=tls_srv_options, taken_keys=taken_keys or ())
    except ValueError as exc:
        raise AnsibleFilterError('sendmail_config_trusted_peers: %s' % exc)


class FilterModule:

    def filters(self):
        return {'sendmail_peer_access': sendmail_peer_access}
