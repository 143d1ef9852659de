# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: ca_pin_held
short_description: The CA certificates a relay holds, from its ca.pin.json or its live ca.crt
version_added: 0.2.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - Takes the text of the relay's C(ca.pin.json) (see P(mailrelay.sendmail.ca_pin_text#filter)) and,
    as a fallback for a relay written before the pin existed, the PEM text of its live C(ca.crt).
  - Returns each CA certificate the relay holds as C({sha256, subject}); an empty list when it holds
    neither file (a new relay).
positional: ca_pem
options:
  _input:
    description: Text of C(ca.pin.json); empty or null when the file does not exist.
    type: str
    required: true
  ca_pem:
    description: PEM text of the relay's live C(ca.crt); empty or null when it does not exist.
    type: str
    default: ""
seealso:
  - plugin: mailrelay.sendmail.ca_pin_text
    plugin_type: filter
  - plugin: mailrelay.sendmail.ca_pin_check
    plugin_type: filter
"""

EXAMPLES = r"""
- name: What the relay holds
  ansible.builtin.set_fact:
    held: "{{ state.contents[pin_path] | mailrelay.sendmail.ca_pin_held(state.contents[ca_path]) }}"
"""

RETURN = r"""
_value:
  description: The CA certificates, in the order of the file.
  type: list
  elements: dict
  contains:
    sha256:
      description: sha256 fingerprint of the DER, upper-case hex pairs joined by colons.
      type: str
    subject:
      description: Subject as RFC 4514 text (empty when it could not be read).
      type: str
"""

from ansible_collections.mailrelay.sendmail.plugins.module_utils._ca_pin import held_cas


def ca_pin_held(pin, ca_pem=''):
    return held_cas(pin, ca_pem)


class FilterModule:

    def filters(self):
        return {'ca_pin_held': ca_pin_held}
