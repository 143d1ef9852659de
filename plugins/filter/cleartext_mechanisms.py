# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: cleartext_mechanisms
short_description: The SASL mechanisms in a list that send the password in clear
version_added: 0.1.0
author:
  - mailrelay.sendmail contributors
description:
  - Returns the members of the list that send the password itself over the connection -
    V(PLAIN) and V(LOGIN) (base64 is an encoding, not encryption). Case does not matter; the
    members come back as given, in their order.
  - A string is read the way sendmail reads C(AuthMechanisms) - words separated by spaces or commas.
positional: _input
options:
  _input:
    description: SASL mechanism names.
    type: list
    elements: str
    required: true
seealso:
  - plugin: mailrelay.sendmail.sendmail_listeners
    plugin_type: filter
"""

EXAMPLES = r"""
---
- name: Refuse password mechanisms without TLS
  ansible.builtin.assert:
    that: sendmail_config_auth_mechanisms | mailrelay.sendmail.cleartext_mechanisms | length == 0 or sendmail_config_tls
"""

RETURN = r"""
_value:
  description: The clear-text mechanisms among the input.
  type: list
  elements: str
  sample: [LOGIN, PLAIN]
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_rules import (
    cleartext_mechanisms,
)


def cleartext_mechanisms_filter(mechanisms):
    if not isinstance(mechanisms, (list, tuple, str)):
        raise AnsibleFilterError('mailrelay.sendmail.cleartext_mechanisms: the input must be a list of mechanism '
                                 'names, not %s' % type(mechanisms).__name__)
    return cleartext_mechanisms(mechanisms)


class FilterModule(object):
    """SASL mechanism filter"""

    def filters(self):
        return {'cleartext_mechanisms': cleartext_mechanisms_filter}
