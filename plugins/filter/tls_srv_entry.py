# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: tls_srv_entry
short_description: The access map entry that makes sendmail verify a server it connects to
version_added: 0.2.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - For a host name, the C(TLS_Srv:<host>) entry with C(VERIFY+CN:<host>) - sendmail then goes on with a
    connection to that host only when its certificate verified against C(CACertFile)/C(CACertPath) and its
    common name is the host; otherwise the delivery is a temporary error and the mail waits in the queue.
    Used for the smart host and every AuthInfo host, so that no password is sent to an unproven server.
options:
  _input:
    description: The host name.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Entries for the hosts this relay authenticates to
  ansible.builtin.set_fact:
    entries: "{{ ['relay1.example.org'] | map('mailrelay.sendmail.tls_srv_entry') | list }}"
"""

RETURN = r"""
_value:
  description: C(key) and C(value) of the access map entry.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.mailrelay.sendmail.plugins.module_utils._mc import tls_srv_entry as _entry


def tls_srv_entry(host):
    try:
        return _entry(host)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule:

    def filters(self):
        return {'tls_srv_entry': tls_srv_entry}
