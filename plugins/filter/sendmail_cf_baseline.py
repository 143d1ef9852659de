# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: sendmail_cf_baseline
short_description: The free-form sendmail_config variables as the baseline sendmail.mc gets them
version_added: 0.2.0
author:
  - mailrelay.sendmail contributors
description:
  - Returns C({features, defines, mc_extra}) for the baseline sendmail.mc that
    P(mailrelay.sendmail.sendmail_cf_problems#filter) compares the candidate with - C(defines) and
    C(mc_extra) empty, C(features) only the C(sendmail_config_features) entries that name a real sendmail
    8.17 FEATURE, pass the text checks of P(mailrelay.sendmail.sendmail_config_problems#filter) with the
    accepted risk ids, and contain no word that a C(sendmail_config_defines) name shadows.
positional: _input
options:
  _input:
    description: The role's variables by their full names.
    type: dict
    required: true
seealso:
  - plugin: mailrelay.sendmail.sendmail_cf_problems
    plugin_type: filter
"""

EXAMPLES = r"""
---
- name: Render the baseline sendmail.mc (the role's template reads __sendmail_config_mc_free_form)
  vars:
    __sendmail_config_mc_free_form: "{{ config | mailrelay.sendmail.sendmail_cf_baseline }}"
  ansible.builtin.debug:
    msg: "{{ lookup('ansible.builtin.template', 'etc/mail/sendmail.mc.j2') }}"
"""

RETURN = r"""
_value:
  description: The free-form parts of the baseline.
  type: dict
  contains:
    features:
      description: The FEATURE() argument texts kept.
      type: list
      elements: str
      sample: ["`mailertable'"]
    defines:
      description: Always empty.
      type: dict
      sample: {}
    mc_extra:
      description: Always empty.
      type: str
      sample: ""
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.mailrelay.sendmail.plugins.module_utils._cf_judge import baseline_parts


def sendmail_cf_baseline(config):
    if not isinstance(config, dict):
        raise AnsibleFilterError('mailrelay.sendmail.sendmail_cf_baseline: needs a dict of variables')
    return baseline_parts(config)


class FilterModule(object):
    """sendmail.cf baseline"""

    def filters(self):
        return {'sendmail_cf_baseline': sendmail_cf_baseline}
