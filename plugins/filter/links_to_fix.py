# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: links_to_fix
short_description: The live symlinks that are missing or point somewhere else
version_added: 0.2.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - Compares the live links a relay needs (live path to a path inside the current generation) with what
    M(mailrelay.sendmail.host_state_info) saw, and returns the ones to (re)create.
options:
  _input:
    description: Live path to path relative to O(base).
    type: dict
    required: true
  paths:
    description: The C(paths) result of M(mailrelay.sendmail.host_state_info) for the live paths.
    type: dict
    required: true
  base:
    description: The directory the links point into (C(/var/lib/mailrelay/current)).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Fix the links
  ansible.builtin.file:
    src: "/var/lib/mailrelay/current/{{ item.value }}"
    dest: "{{ item.key }}"
    state: link
    force: true
  loop: "{{ links | mailrelay.sendmail.links_to_fix(state.paths, '/var/lib/mailrelay/current') }}"
"""

RETURN = r"""
_value:
  description: C(key) (live path) and C(value) (relative path) of each link to fix.
  type: list
  elements: dict
"""

from ansible_collections.mailrelay.sendmail.plugins.module_utils._build_inputs import links_to_fix as _links_to_fix


def links_to_fix(links, paths, base):
    return _links_to_fix(links, paths, base)


class FilterModule:

    def filters(self):
        return {'links_to_fix': links_to_fix}
