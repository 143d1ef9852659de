# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: cleartext_mechanisms
short_description: The SASL mechanisms of a list that send the password in clear
version_added: 0.2.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - Returns the members of a list of SASL mechanism names whose exchange carries the password
    itself (base64 is no protection) - V(PLAIN) and V(LOGIN). Such mechanisms must only be offered
    and used inside TLS.
  - Names are compared case-insensitively and returned upper-cased, in the order given, each once.
options:
  _input:
    description:
      - Mechanism names, as a list, or as one string separated by blanks (as sendmail's
        C(AuthMechanisms) option writes them).
    type: raw
    required: true
positional: _input
seealso:
  - plugin: mailrelay.sendmail.verify_listener_report
    plugin_type: filter
  - module: mailrelay.sendmail.smtp_ehlo_info
"""

EXAMPLES = r"""
---
- name: Refuse a listener that offers passwords in clear before TLS
  ansible.builtin.assert:
    that: ehlo.auth_before_tls | mailrelay.sendmail.cleartext_mechanisms | length == 0
    fail_msg: "{{ ehlo.auth_before_tls | mailrelay.sendmail.cleartext_mechanisms | join(' and ') }} offered in clear"

- name: The same from the AuthMechanisms line of sendmail.cf
  ansible.builtin.debug:
    msg: "{{ 'DIGEST-MD5 CRAM-MD5 login plain' | mailrelay.sendmail.cleartext_mechanisms }}"  # ['LOGIN', 'PLAIN']
"""

RETURN = r"""
_value:
  description: The mechanisms that send the password in clear, upper-cased.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp_sasl import cleartext_mechanisms


def cleartext_mechanisms_filter(mechanisms):
    if mechanisms is None:
        return []
    if isinstance(mechanisms, str):
        mechanisms = mechanisms.split()
    if not isinstance(mechanisms, (list, tuple)):
        raise AnsibleFilterError('mailrelay.sendmail.cleartext_mechanisms wants a list of mechanism names or a '
                                 'string of them; got %s' % type(mechanisms).__name__)
    return cleartext_mechanisms(mechanisms)


class FilterModule:
    """Which SASL mechanisms send the password in clear."""

    def filters(self):
        return {'cleartext_mechanisms': cleartext_mechanisms_filter}
