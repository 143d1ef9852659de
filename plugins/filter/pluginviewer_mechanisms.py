# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: pluginviewer_mechanisms
short_description: The SASL mechanisms Cyrus SASL's pluginviewer lists
version_added: 0.2.0
author:
  - mailrelay.sendmail contributors
description:
  - Parses the standard output of C(pluginviewer -s) (server side), C(pluginviewer -c) (client side),
    C(pluginviewer -a) (auxprop) or C(pluginviewer) alone (all three).
  - pluginviewer prints a header line such as C(Installed and properly configured SASL (server side)
    mechanisms are:) and the mechanisms on the next line, separated by spaces; then
    C(Available SASL (server side) mechanisms matching your criteria are:) and the ones that pass the
    security properties given on the command line (all of them without C(-f)/C(-b)). A list printed
    as C(<none>) or C((null)) is empty. The plugin details that follow are ignored.
positional: _input
options:
  _input:
    description: What pluginviewer printed on standard output.
    type: str
    required: true
seealso:
  - plugin: mailrelay.sendmail.cleartext_mechanisms
    plugin_type: filter
"""

EXAMPLES = r"""
---
- name: Ask libsasl2 which server mechanisms it loads
  ansible.builtin.command:
    argv: [/usr/local/sbin/pluginviewer, -s]
  register: __pluginviewer
  changed_when: false

- name: Every mechanism sendmail offers must be loaded
  ansible.builtin.assert:
    that: >-
      sendmail_config_auth_mechanisms | map('upper')
      | difference((__pluginviewer.stdout | mailrelay.sendmail.pluginviewer_mechanisms).server) | length == 0
"""

RETURN = r"""
_value:
  description: The mechanism lists, each in the order pluginviewer printed it (empty when not printed).
  type: dict
  contains:
    server:
      description: Installed and properly configured server side mechanisms (the plugins libsasl2 loaded).
      type: list
      elements: str
      sample: [SCRAM-SHA-256, DIGEST-MD5, CRAM-MD5, PLAIN, LOGIN]
    server_available:
      description: Server side mechanisms matching the criteria.
      type: list
      elements: str
    client:
      description: Installed and properly configured client side mechanisms (C(-c)).
      type: list
      elements: str
    client_available:
      description: Client side mechanisms matching the criteria.
      type: list
      elements: str
    auxprop:
      description: Installed and properly configured auxprop mechanisms (C(-a)), such as V(sasldb).
      type: list
      elements: str
    available:
      description: RV(_value.server_available) when the server side was printed, else RV(_value.client_available).
      type: list
      elements: str
"""

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_rules import (
    parse_pluginviewer,
)


def pluginviewer_mechanisms_filter(stdout):
    if stdout is None:
        stdout = ''
    if not isinstance(stdout, (str, bytes)):
        raise AnsibleFilterError('mailrelay.sendmail.pluginviewer_mechanisms: the input must be the text '
                                 'pluginviewer printed, not %s' % type(stdout).__name__)
    return parse_pluginviewer(to_text(stdout))


class FilterModule(object):
    """pluginviewer filter"""

    def filters(self):
        return {'pluginviewer_mechanisms': pluginviewer_mechanisms_filter}
