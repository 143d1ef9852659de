# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: cyrus_sasl_users_replaced
short_description: Find relays whose cyrus_sasl_users replaced the list of their group
version_added: 0.2.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - A C(cyrus_sasl_users) in host_vars (or in a more specific group) replaces the group's list; it
    does not add to it. Ansible does not tell where a value came from, so this judges by the values;
    a relay is named when its list lacks users that every other member of one of its groups lists
    (as present). Groups C(all) and C(ungrouped), and groups with no other member, are not compared.
  - The role M(mailrelay.sendmail.cyrus_sasl) warns with it in its preflight (a warning, not a refusal,
    a relay may be meant to serve fewer users). Only user names appear in the result, never a password.
positional: groups, hosts
options:
  _input:
    description: Each host mapped to its cyrus_sasl_users (hosts without one map to an empty list).
    type: dict
    required: true
  groups:
    description: The inventory's groups, each mapped to its hosts (the magic variable C(groups)).
    type: dict
    required: true
  hosts:
    description: The hosts to judge (for example C(ansible_play_hosts)).
    type: list
    elements: str
    required: true
seealso:
  - plugin: mailrelay.sendmail.cyrus_sasl_users_problems
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Find relays whose host_vars replaced the group's users
  ansible.builtin.set_fact:
    replaced: >-
      {{ dict(groups['all'] | zip(groups['all'] | map('extract', hostvars) | map(attribute='cyrus_sasl_users', default=[])))
         | mailrelay.sendmail.cyrus_sasl_users_replaced(groups, ansible_play_hosts) }}
  run_once: true
"""

RETURN = r"""
_value:
  description: The hosts whose list lacks their group's users, each mapped to a warning that names the users and the group.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.mailrelay.sendmail.plugins.module_utils._sasl_users import users_replaced


def cyrus_sasl_users_replaced(users_by_host, groups, hosts):
    if not isinstance(users_by_host, dict) or not isinstance(groups, dict):
        raise AnsibleFilterError('cyrus_sasl_users_replaced wants a dict of host -> cyrus_sasl_users and the groups dict')
    return users_replaced(dict(users_by_host), dict(groups), list(hosts or []))


class FilterModule:

    def filters(self):
        return {'cyrus_sasl_users_replaced': cyrus_sasl_users_replaced}
