# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: ca_pin_check
short_description: Refuse a run whose CA is not the one the relays hold
version_added: 0.2.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - Compares the CA a run would issue from (the first certificate of C(ca.crt) in C(private_ca_dir) on
    C(private_ca_host); none when the run would create a new CA) with what each relay of the run
    holds (P(mailrelay.sendmail.ca_pin_held#filter)).
  - A relay is refused when it holds a CA and the run's CA is not among them. A relay that holds
    nothing yet is judged against what the other relays of the run hold, so that a new relay is not
    given a new CA while the others refuse it. A relay that holds nothing in a run where no relay
    holds anything (a first install) is fine.
  - With O(rotation=true) nothing is refused; the relays that change CA get a note instead.
  - The role M(mailrelay.sendmail.private_ca) runs it in its preflight, before any change.
positional: controller_pem, rotation, ca_dir, ca_host
options:
  _input:
    description: Each relay of the run mapped to the CA certificates it holds.
    type: dict
    required: true
  controller_pem:
    description: PEM text of C(ca.crt) on the CA host; empty or null when there is none.
    type: str
    required: true
  rotation:
    description: A CA rotation is under way (C(private_ca_ca_rotation)).
    type: bool
    default: false
  ca_dir:
    description: C(private_ca_dir), for the message.
    type: str
    default: ""
  ca_host:
    description: C(private_ca_host), for the message.
    type: str
    default: localhost
seealso:
  - plugin: mailrelay.sendmail.ca_pin_held
    plugin_type: filter
  - plugin: mailrelay.sendmail.ca_pin_text
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Judge the run's CA
  ansible.builtin.set_fact:
    pin_check: >-
      {{ dict(ansible_play_hosts | zip(ansible_play_hosts | map('extract', hostvars, 'held')))
         | mailrelay.sendmail.ca_pin_check(controller_ca_pem, private_ca_ca_rotation, private_ca_dir, private_ca_host) }}
  run_once: true
"""

RETURN = r"""
_value:
  description:
    - Each relay mapped to C(problem) (why it is refused; empty when it is not) and C(rotation) (what a declared
      rotation changes on it; empty otherwise).
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.mailrelay.sendmail.plugins.module_utils._ca_pin import ca_pin_check as _ca_pin_check


def ca_pin_check(held_by_relay, controller_pem, rotation=False, ca_dir='', ca_host='localhost'):
    if not isinstance(held_by_relay, dict):
        raise AnsibleFilterError('ca_pin_check wants a dict of relay -> CA certificates held, got %s' % type(held_by_relay).__name__)
    try:
        return _ca_pin_check(dict(held_by_relay), controller_pem, boolean(rotation, strict=False), str(ca_dir), str(ca_host))
    except ValueError as exc:
        raise AnsibleFilterError('ca_pin_check: the CA host\'s ca.crt: %s' % exc) from exc


class FilterModule:

    def filters(self):
        return {'ca_pin_check': ca_pin_check}
