# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: probe_account
short_description: The account the verification gate logs in with, from cyrus_sasl_users
version_added: 0.2.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - The first entry of O(cyrus_sasl_users) that is present (no C(state), or C(state=present)) and has a
    password, as C({user, password}); an empty dict when there is none. Entries without C(state) or
    C(password) are fine.
  - Without an account the verification gate (role C(mailrelay.sendmail.verify)) cannot prove AUTH and
    fails every listener that offers it, unless C(mailrelay_verify_auth_optional) says the relay has no
    AUTH users on purpose; C(mailrelay_verify_user) and C(mailrelay_verify_password) give it one.
options:
  _input:
    description: The cyrus_sasl_users list.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Pick the probe account (never shown)
  ansible.builtin.set_fact:
    account: "{{ cyrus_sasl_users | mailrelay.sendmail.probe_account }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: C(user) and C(password), or nothing.
  type: dict
"""

from ansible_collections.mailrelay.sendmail.plugins.module_utils._probe import probe_account as _probe_account


def probe_account(users):
    return _probe_account(users)


class FilterModule:

    def filters(self):
        return {'probe_account': probe_account}
