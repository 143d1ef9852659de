# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: ca_pin_text
short_description: The CA pin a relay's generation records (ca.pin.json) for a CA certificate file
version_added: 0.2.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - Takes the PEM text of a CA file (one certificate or a bundle) and returns the JSON text of
    C(ca.pin.json), with for each certificate its sha256 fingerprint (of the DER, written as
    C(openssl x509 -noout -fingerprint -sha256) prints it) and its subject.
  - The role M(mailrelay.sendmail.private_ca) writes it into the candidate generation beside
    C(ca.crt), and its preflight reads it back (P(mailrelay.sendmail.ca_pin_held#filter)) to refuse
    a run whose CA is not the one the relays hold.
  - An empty string when the text holds no certificate.
options:
  _input:
    description: PEM text of the CA certificate file.
    type: str
    required: true
seealso:
  - plugin: mailrelay.sendmail.ca_pin_held
    plugin_type: filter
  - plugin: mailrelay.sendmail.ca_pin_check
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Record the CA in the candidate generation
  ansible.builtin.copy:
    content: "{{ ca_pem | mailrelay.sendmail.ca_pin_text }}"
    dest: /var/lib/mailrelay/next/certs/ca.pin.json
    mode: "0644"
"""

RETURN = r"""
_value:
  description: JSON text with a list C(certificates) of C({sha256, subject}), ending in a newline; empty without a certificate.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.mailrelay.sendmail.plugins.module_utils._ca_pin import pin_text


def ca_pin_text(pem):
    try:
        return pin_text(pem)
    except ValueError as exc:
        raise AnsibleFilterError('ca_pin_text: %s' % exc) from exc


class FilterModule:

    def filters(self):
        return {'ca_pin_text': ca_pin_text}
