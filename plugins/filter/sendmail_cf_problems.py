# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: sendmail_cf_problems
short_description: What a generated sendmail.cf does that the variables' free-form parts should not
version_added: 0.2.0
author:
  - mailrelay.sendmail contributors
description:
  - Judges the result of m4, not the spelling of sendmail.mc. Compares the CANDIDATE sendmail.cf with a
    BASELINE sendmail.cf built from the same variables without their free-form parts
    (C(sendmail_config_mc_extra) and C(sendmail_config_defines) emptied, C(sendmail_config_features)
    reduced by P(mailrelay.sendmail.sendmail_cf_baseline#filter) to real sendmail FEATUREs the text checks
    allow), and returns one problem per difference that can open relaying or weaken AUTH or TLS.
  - "Refused: entries of class R (relaying) and the other policy classes (TrustAuthMech, m, Accept, ResOk,
    Tls, TlsVerified) the baseline lacks, and class files (C(FR...)) it does not name - always, whatever
    the entry (the role fills class R from C(sendmail_config_relay_domains), where broad entries, single
    labels and public suffixes need V(relay_domains:broad)); rulesets whose rules differ from the
    baseline's, and new rulesets sendmail calls by name (check_*, Local_*, Basic_*, trust_auth, tls_*,
    Parse*, ...) - with risk id V(mc_extra:policy_rulesets) when sendmail_config_mc_extra caused them, and
    without one when a define or FEATURE indirection did (write the FEATURE plainly instead, where its
    own risk id applies); the relay FEATUREs are named by their effect on the rulesets; the options the
    variables own (AuthOptions, AuthMechanisms, AuthRealm, the certificate and key files, TLSSrvOptions,
    CipherList, the SSL options, the abuse limits, DaemonPortOptions, ...), short-form options, $j, and
    changed map definitions (the access map); TLSFallbacktoClear and weak DHParameters with the risk ids
    of their defines; a cf cut short (a mailer of the baseline missing: m4exit, divert, an unbalanced quote)."
  - >-
    The variable named in a message is the free-form one that most likely caused the difference: the
    first of mc_extra, defines and features whose text names the ruleset, class or option, else the first
    one that is set.
  - Problems have the shape of P(mailrelay.sendmail.sendmail_config_problems#filter) plus C(fix). A problem
    with a risk id is left out when C(sendmail_config_accept_risks) lists that id; O(accepted=true) returns
    those let through instead, for the run's report.
positional: _input, baseline, config
options:
  _input:
    description: The candidate sendmail.cf text.
    type: str
    required: true
  baseline:
    description: The baseline sendmail.cf text (same variables, free-form parts removed).
    type: str
    required: true
  config:
    description: The role's variables by their full names (the free-form ones and C(sendmail_config_accept_risks)).
    type: dict
    required: true
  accepted:
    description: Return the problems an accepted risk id let through instead of the refused ones.
    type: bool
    default: false
seealso:
  - plugin: mailrelay.sendmail.sendmail_cf_baseline
    plugin_type: filter
  - plugin: mailrelay.sendmail.sendmail_config_problems
    plugin_type: filter
"""

EXAMPLES = r"""
---
- name: Refuse what the candidate sendmail.cf does beyond the baseline
  vars:
    __problems: "{{ candidate_cf | mailrelay.sendmail.sendmail_cf_problems(baseline_cf, config) }}"
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems | map(attribute='message') | join(' ') }} Nothing was switched."
    quiet: true
"""

RETURN = r"""
_value:
  description: One dict per problem; empty when the candidate does nothing the baseline does not.
  type: list
  elements: dict
  contains:
    variable:
      description: The free-form variable that most likely caused it.
      type: str
      sample: sendmail_config_mc_extra
    value:
      description: The offending cf text, shortened to one line of at most 60 characters, or null.
      type: str
      sample: net
    risk:
      description: The risk id that C(sendmail_config_accept_risks) may list to accept it, or null.
      type: str
      sample: mc_extra:policy_rulesets
    message:
      description: What is wrong, why it is dangerous and how to fix it, naming the variable.
      type: str
      sample: >-
        sendmail_config_mc_extra: adds net to the sendmail.cf class R. Sendmail relays without AUTH for every
        client and recipient in class R; net is the bare top-level domain 'net' (every host or address under it).
        Fix: set sendmail_config_relay_domains instead (broad entries there need relay_domains:broad).
    fix:
      description: The fix on its own.
      type: str
      sample: set sendmail_config_relay_domains instead
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.mailrelay.sendmail.plugins.module_utils._cf_judge import cf_problems


def sendmail_cf_problems(candidate, baseline, config, accepted=False):
    if not isinstance(candidate, str) or not isinstance(baseline, str):
        raise AnsibleFilterError('mailrelay.sendmail.sendmail_cf_problems: the candidate and the baseline must be '
                                 'sendmail.cf text')
    if not isinstance(config, dict):
        raise AnsibleFilterError('mailrelay.sendmail.sendmail_cf_problems: config must be a dict of variables')
    return cf_problems(candidate, baseline, config, accepted=accepted)


class FilterModule(object):
    """sendmail.cf judge"""

    def filters(self):
        return {'sendmail_cf_problems': sendmail_cf_problems}
