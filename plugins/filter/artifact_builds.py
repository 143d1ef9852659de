# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: artifact_builds
short_description: One artifact per distinct fingerprint, from what every relay needs
version_added: 0.2.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - Takes one description per relay (host, id, fingerprint, platform, specs, ...) and returns one entry per
    distinct artifact id, in first-seen order, with the relays that need it in C(hosts). Relays of one
    platform with the same build variables share one artifact, so it is built once.
options:
  _input:
    description: The per-relay descriptions.
    type: list
    elements: dict
    required: true
seealso:
  - plugin: mailrelay.sendmail.artifact_builders
    plugin_type: filter
"""

EXAMPLES = r"""
- name: One build per platform
  ansible.builtin.set_fact:
    builds: "{{ ansible_play_hosts | map('extract', hostvars, 'artifact_job') | mailrelay.sendmail.artifact_builds }}"
"""

RETURN = r"""
_value:
  description: The distinct artifacts, each with C(hosts) (list of inventory names) and C(force).
  type: list
  elements: dict
"""

from ansible_collections.mailrelay.sendmail.plugins.module_utils._build_inputs import artifact_builds as _builds


def artifact_builds(jobs):
    return _builds(jobs)


class FilterModule:

    def filters(self):
        return {'artifact_builds': artifact_builds}
