# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: artifact_inputs
short_description: The canonical build inputs of a sendmail + Cyrus SASL artifact
version_added: 0.2.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - Combines the base inputs (recipe, platform, software directory) with the build descriptions of the
    C(cyrus_sasl) and C(sendmail_build) roles into the dict whose fingerprint names the artifact.
  - Where the sources come from (a URL, a file on the controller) is left out, because the sha256 says what
    they are; patches are reduced to C(<sha256>:<strip>) in order.
options:
  _input:
    description: The base inputs, e.g. C({recipe, platform, sw_dir}).
    type: dict
    required: true
  sasl_spec:
    description: The Cyrus SASL build description (the cyrus_sasl role's C(spec) entry point sets it).
    type: dict
    required: true
  sendmail_spec:
    description: The sendmail build description (the sendmail_build role's C(spec) entry point sets it).
    type: dict
    required: true
seealso:
  - plugin: mailrelay.sendmail.artifact_fingerprint
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Compute the inputs and their fingerprint
  ansible.builtin.set_fact:
    inputs: "{{ {'recipe': 1, 'platform': 'debian-12-x86_64', 'sw_dir': '/var/lib/mailrelay/sw'}
                | mailrelay.sendmail.artifact_inputs(sasl_spec, sendmail_spec) }}"
"""

RETURN = r"""
_value:
  description: The base inputs with C(cyrus_sasl) and C(sendmail) added.
  type: dict
"""

from ansible_collections.mailrelay.sendmail.plugins.module_utils._build_inputs import artifact_inputs as _inputs


def artifact_inputs(base, sasl_spec, sendmail_spec):
    return _inputs(base, sasl_spec, sendmail_spec)


class FilterModule:

    def filters(self):
        return {'artifact_inputs': artifact_inputs}
