# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: cyrus_sasl_users_problems
short_description: Refuse a cyrus_sasl_users list that would delete every sasldb user
version_added: 0.2.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - With the sasldb (C(cyrus_sasl_pwcheck_method=auxprop)) and C(cyrus_sasl_users_exclusive=true), a
    C(cyrus_sasl_users) without a single present user deletes every user of the relay. This returns
    why such a list is refused, unless O(allow_empty) says that is meant.
  - The role M(mailrelay.sendmail.cyrus_sasl) runs it in its preflight. No password is ever part of the result.
positional: exclusive, pwcheck_method, allow_empty
options:
  _input:
    description: The cyrus_sasl_users list.
    type: list
    elements: dict
    required: true
  exclusive:
    description: C(cyrus_sasl_users_exclusive).
    type: bool
    default: true
  pwcheck_method:
    description: C(cyrus_sasl_pwcheck_method); only C(auxprop) uses the sasldb.
    type: str
    default: auxprop
  allow_empty:
    description: C(cyrus_sasl_users_allow_empty).
    type: bool
    default: false
seealso:
  - plugin: mailrelay.sendmail.cyrus_sasl_users_replaced
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Refuse a list that would delete every user
  vars:
    problems: >-
      {{ cyrus_sasl_users | mailrelay.sendmail.cyrus_sasl_users_problems(cyrus_sasl_users_exclusive,
         cyrus_sasl_pwcheck_method, cyrus_sasl_users_allow_empty) }}
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join('; ') }}"
"""

RETURN = r"""
_value:
  description: Why the list is refused; empty when it is fine.
  type: list
  elements: str
"""

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.mailrelay.sendmail.plugins.module_utils._sasl_users import users_problems


def cyrus_sasl_users_problems(users, exclusive=True, pwcheck_method='auxprop', allow_empty=False):
    return users_problems(users, boolean(exclusive, strict=False), str(pwcheck_method), boolean(allow_empty, strict=False))


class FilterModule:

    def filters(self):
        return {'cyrus_sasl_users_problems': cyrus_sasl_users_problems}
