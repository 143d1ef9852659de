# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: artifact_fingerprint
short_description: The sha256 fingerprint of an artifact's build inputs
version_added: 0.2.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - The sha256 of the canonical JSON (sorted keys, no whitespace) of the build inputs. Its first 16 hex
    digits name the artifact and its directory on the relays.
options:
  _input:
    description: The inputs, as returned by M(mailrelay.sendmail.artifact_inputs#filter).
    type: dict
    required: true
seealso:
  - plugin: mailrelay.sendmail.artifact_inputs
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Name the artifact
  ansible.builtin.set_fact:
    artifact_id: "{{ (inputs | mailrelay.sendmail.artifact_fingerprint)[:16] }}"
"""

RETURN = r"""
_value:
  description: 64 lower-case hex digits.
  type: str
"""

from ansible_collections.mailrelay.sendmail.plugins.module_utils._build_inputs import fingerprint


def artifact_fingerprint(inputs):
    return fingerprint(inputs)


class FilterModule:

    def filters(self):
        return {'artifact_fingerprint': artifact_fingerprint}
