# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: relay_destinations
short_description: The outside recipients the gate's open-relay probes ask the relay to take
version_added: 0.4.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - The destinations M(mailrelay.sendmail.smtp_relay_check) tries besides its tricks - the RFC 2606
    domains under C(.com), C(.net) and C(.org); a made-up domain under one more top-level domain or public
    suffix that O(seed) picks (a different one each run, the same one for the same seed); for every relay
    domain each parent domain and a made-up sibling under each parent; and outside address literals.
  - A destination at or under a relay domain of two labels or more is left out (the relay may rightly take
    it) and named in C(skipped). A single-label relay domain (a top-level domain) never counts.
  - No message is sent to any of them - the probes stop at C(RCPT TO) and say C(RSET).
options:
  _input:
    description:
      - The relay domains - a list, or the text of a relay-domains file (C(#) comments). Addresses and
        network prefixes (C(10.1), C(2001:db8)) are left out.
    type: raw
    required: true
  seed:
    description: Picks the random top-level domain and the made-up label. Report it to repeat a run.
    type: str
    default: ""
  user:
    description: The local part of every destination.
    type: str
    default: relay-probe
seealso:
  - plugin: mailrelay.sendmail.cf_relay_class
    plugin_type: filter
  - module: mailrelay.sendmail.smtp_relay_check
"""

EXAMPLES = r"""
- name: The destinations of this run
  ansible.builtin.set_fact:
    relay_probe: "{{ ['relay.example.org'] | mailrelay.sendmail.relay_destinations(seed='20261207T172000') }}"

- name: Probe them
  mailrelay.sendmail.smtp_relay_check:
    host: relay.example.org
    destinations: "{{ relay_probe.destinations }}"
"""

RETURN = r"""
_value:
  description:
    - C(seed), C(random_tld) (the one picked), C(destinations) (a list of C(id), C(rcpt_to), C(description))
      and C(skipped) (destinations left out, with the reason).
  type: dict
"""

from ansible_collections.mailrelay.sendmail.plugins.module_utils._probe import relay_destinations as _relay_destinations


def relay_destinations(relay_domains, seed='', user='relay-probe'):
    return _relay_destinations(relay_domains, seed, user)


class FilterModule:

    def filters(self):
        return {'relay_destinations': relay_destinations}
