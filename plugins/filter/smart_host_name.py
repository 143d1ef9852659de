# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: smart_host_name
short_description: The host name in a sendmail SMART_HOST value
version_added: 0.2.0
author:
  - mailrelay.sendmail contributors
description:
  - Returns the host sendmail connects to for a C(SMART_HOST) value, as its C(MailerToTriple) ruleset
    reads it, for instance to build the C(TLS_Srv:<host>) access map key.
  - "Accepted forms: V(relay1.example.org), V([relay1.example.org]) (brackets: no MX lookup),
    V([192.0.2.1]), V([IPv6:2001:db8::1]), each optionally after a mailer name and a colon
    (V(esmtp:[relay1.example.org]), V(relay:relay1)), and V(mailer:user@host)."
  - Brackets and a trailing dot are removed. An empty value gives V("").
  - "sendmail has no host:port form: in V(relay:relay1.example.org:587) the text after the host is a
    list of further hosts (here a host named V(587)); only the first host is returned.
    P(mailrelay.sendmail.sendmail_config_problems#filter) refuses such a value."
positional: _input
options:
  _input:
    description: The C(SMART_HOST) value (C(sendmail_config_smart_host)).
    type: str
    required: true
seealso:
  - plugin: mailrelay.sendmail.sendmail_config_problems
    plugin_type: filter
"""

EXAMPLES = r"""
---
- name: Require a verified certificate from the smart host
  ansible.builtin.set_fact:
    __access_entries: >-
      {{ sendmail_config_access + [{'key': 'TLS_Srv:' ~ (sendmail_config_smart_host
         | mailrelay.sendmail.smart_host_name), 'value': 'VERIFY'}] }}
  when: sendmail_config_smart_host | mailrelay.sendmail.smart_host_name | length > 0
"""

RETURN = r"""
_value:
  description: The host name or address, without brackets, mailer or user.
  type: str
  sample: relay1.example.org
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_rules import (
    smart_host_name,
)


def smart_host_name_filter(smart_host):
    if smart_host is None:
        return ''
    if not isinstance(smart_host, str):
        raise AnsibleFilterError('mailrelay.sendmail.smart_host_name: the input must be text such as '
                                 '"[relay1.example.org]", not %s' % type(smart_host).__name__)
    return smart_host_name(smart_host)


class FilterModule(object):
    """SMART_HOST filter"""

    def filters(self):
        return {'smart_host_name': smart_host_name_filter}
