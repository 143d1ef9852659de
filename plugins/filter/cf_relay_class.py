# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: cf_relay_class
short_description: What a sendmail.cf puts in class R, the domains and networks it relays for
version_added: 0.4.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - Reads the C(C R) lines (words) and the C(F R) lines (files, such as the relay-domains file of
    C(confCR_FILE)) of a generated sendmail.cf.
  - The verification gate reads those files too and probes the parent domains of every relay domain
    (see P(mailrelay.sendmail.relay_destinations#filter)).
options:
  _input:
    description: The text of sendmail.cf.
    type: str
    required: true
seealso:
  - plugin: mailrelay.sendmail.relay_destinations
    plugin_type: filter
"""

EXAMPLES = r"""
- name: The relay class of the live cf
  ansible.builtin.set_fact:
    relay_class: "{{ cf_text | mailrelay.sendmail.cf_relay_class }}"
# relay_class: {words: [], files: [/etc/mail/current/mail/relay-domains]}
"""

RETURN = r"""
_value:
  description: C(words) (the words of the C(C R) lines) and C(files) (the paths the C(F R) lines read).
  type: dict
"""

from ansible_collections.mailrelay.sendmail.plugins.module_utils._probe import cf_relay_class as _cf_relay_class


def cf_relay_class(cf_text):
    return _cf_relay_class(cf_text)


class FilterModule:

    def filters(self):
        return {'cf_relay_class': cf_relay_class}
