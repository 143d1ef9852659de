# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: probe_targets
short_description: Every listener of a relay on every address it binds
version_added: 0.2.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - Pairs each listener (as M(mailrelay.sendmail.sendmail_cf_listeners#filter) returns them) with the
    addresses the gate probes it on. A listener bound to C(0.0.0.0) is probed on every IPv4 address of the
    relay, one bound to C(::) on every global IPv6 address, one bound to a specific address on that address.
  - O(addresses) replaces the discovery.
options:
  _input:
    description: The listeners.
    type: list
    elements: dict
    required: true
  addresses:
    description: Address(es) or name(s) to probe every listener on instead.
    type: raw
  ipv4:
    description: The relay's IPv4 addresses (C(ansible_facts.all_ipv4_addresses)).
    type: list
    elements: str
  ipv6:
    description: The relay's IPv6 addresses (C(ansible_facts.all_ipv6_addresses)); link-local ones are left out.
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: What to probe
  ansible.builtin.set_fact:
    targets: "{{ listeners | mailrelay.sendmail.probe_targets(ipv4=ansible_facts.all_ipv4_addresses, ipv6=ansible_facts.all_ipv6_addresses) }}"
"""

RETURN = r"""
_value:
  description: One C({listener, address}) per probe.
  type: list
  elements: dict
"""

from ansible_collections.mailrelay.sendmail.plugins.module_utils._probe import probe_targets as _probe_targets


def probe_targets(listeners, addresses=None, ipv4=None, ipv6=None):
    return _probe_targets(listeners, addresses, ipv4, ipv6)


class FilterModule:

    def filters(self):
        return {'probe_targets': probe_targets}
