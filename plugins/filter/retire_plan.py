# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: retire_plan
short_description: Which relays a retire run takes out, which stay, and why it must not start
version_added: 0.2.0
author:
  - mailrelay.sendmail contributors
description:
  - Reads O(_input) (the value of C(mailrelay_retire_relays)) as a list of inventory names; a string such as
    V([relay3]) or V(relay3,relay4), which C(-e mailrelay_retire_relays=[relay3]) gives, is read as that list.
  - Returns the relays to retire, the relays that stay, and the problems that must stop the run before anything
    changes - an empty list, a name not in O(relays), every relay at once, or a relay that stays and still
    sends its mail through a relay being retired (O(next_hops)).
options:
  _input:
    description: The value of C(mailrelay_retire_relays).
    type: raw
    required: true
  relays:
    description: The hosts of the inventory's C(relays) group.
    type: list
    elements: str
    required: true
  next_hops:
    description: Per relay, the hosts it hands mail to (its smart host, its C(sendmail_config_authinfo) hosts), as written
      in its variables (C([relay1.example.org]:587) is read as C(relay1.example.org)).
    type: dict
    default: {}
  names:
    description: Per relay, the further names it is known by (its certificate's name, its FQDN).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Plan the run
  ansible.builtin.set_fact:
    plan: "{{ mailrelay_retire_relays | mailrelay.sendmail.retire_plan(groups['relays']) }}"
"""

RETURN = r"""
_value:
  description: C(relays) (to retire, in the order given), C(remaining) (the others, in inventory order), C(problems)
    (messages; empty when the run may start).
  type: dict
"""

import re

from ansible.errors import AnsibleFilterError

VARIABLE = 'mailrelay_retire_relays'
USAGE = "-e mailrelay_retire_relays=[relay3] or -e '{\"mailrelay_retire_relays\": [\"relay3\"]}'"


def _names(value):
    if value is None:
        return []
    if isinstance(value, str):
        value = value.strip()
        if value.startswith('[') and value.endswith(']'):
            value = value[1:-1]
        value = value.split(',')
    if not isinstance(value, (list, tuple)):
        raise AnsibleFilterError('%s must be a list of inventory names (%s), not %r' % (VARIABLE, USAGE, value))
    out = []
    for item in value:
        if not isinstance(item, str):
            raise AnsibleFilterError('%s must be a list of inventory names (%s); %r is not a name' % (VARIABLE, USAGE, item))
        name = item.strip().strip('\'"').strip()
        if name and name not in out:
            out.append(name)
    return out


def _host(hop):
    """relay1.example.org from [relay1.example.org]:587, esmtp:[relay1.example.org], relay1.example.org."""
    hop = str(hop or '').strip()
    hop = re.sub(r'^[A-Za-z0-9_-]+:(?=\[)', '', hop)
    match = re.match(r'^\[([^\]]*)\]', hop)
    if match:
        return match.group(1).strip().lower().rstrip('.')
    return hop.split(':')[0].strip().lower().rstrip('.')


def retire_plan(value, relays, next_hops=None, names=None):
    relays = list(relays or [])
    retire = _names(value)
    problems = []
    if not retire:
        problems.append('%s is empty: name the relays to retire, e.g. %s. Nothing was changed.' % (VARIABLE, USAGE))
    unknown = [name for name in retire if name not in relays]
    if unknown:
        problems.append('%s names %s, not in the inventory\'s relays group (%s). Fix: use the inventory names of the '
                        'relays group. Nothing was changed.' % (VARIABLE, ', '.join(unknown), ', '.join(relays) or 'empty'))
    remaining = [relay for relay in relays if relay not in retire]
    if retire and not unknown and not remaining:
        problems.append('%s names every relay of the relays group (%s): retiring them all would leave no relay to take '
                        'their mail. Retire all but one, or take the service down otherwise. Nothing was changed.'
                        % (VARIABLE, ', '.join(relays)))
    if retire and not unknown and remaining:
        known = {}
        for name in retire:
            for alias in [name] + list((names or {}).get(name) or []):
                if alias:
                    known[str(alias).strip().lower().rstrip('.')] = name
        for relay in remaining:
            for hop in (next_hops or {}).get(relay) or []:
                host = _host(hop)
                if host in known:
                    problems.append('%s hands its mail to %s (%s), which %s retires: its mail would queue. Fix: point '
                                    'sendmail_config_smart_host / sendmail_config_authinfo of %s at a relay that stays, '
                                    'roll that out, then retire. Nothing was changed.' % (relay, hop, known[host], VARIABLE, relay))
    return {'relays': retire, 'remaining': remaining, 'problems': problems}


class FilterModule:

    def filters(self):
        return {'retire_plan': retire_plan}
