# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: rollout_inputs_digest
short_description: One digest of what a relay's candidate generation is made of
version_added: 0.3.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - sha256 over the relay's variables of the collection's roles (C(artifact_*), C(cyrus_sasl_*),
    C(mailrelay_*), C(metrics_*), C(private_ca_*), C(prngd_*), C(sendmail_*); a run's own switches
    such as C(mailrelay_rollout_rollback) left out), the facts the roles read, its groups, each peer's
    certificate name and addresses, and what O(controller) names (the collection's files, the CA's files).
  - Empty when a variable cannot be evaluated, or when O(controller) is empty (the rollout then prepares the candidate as always).
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  host:
    description: The relay (C(inventory_hostname)).
    type: str
    required: true
  peers:
    description: The relay's peers (the other hosts of its trusted peer group).
    type: list
    elements: str
    default: []
  controller:
    description: Digests of what the controller holds (see P(mailrelay.sendmail.tree_digest#lookup)).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: What the candidate would be made of
  ansible.builtin.set_fact:
    inputs: "{{ hostvars | mailrelay.sendmail.rollout_inputs_digest(inventory_hostname, groups['relays'] | difference([inventory_hostname])) }}"
"""

RETURN = r"""
_value:
  description: sha256 (hex), or an empty string.
  type: str
"""

from ansible_collections.mailrelay.sendmail.plugins.module_utils._rollout_inputs import inputs_digest


def rollout_inputs_digest(hostvars, host, peers=None, controller=None):
    if not controller:
        # without the collection's and the CA's part a digest could not see them change: no digest
        return ''
    try:
        return inputs_digest(hostvars[host], {peer: hostvars[peer] for peer in peers or [] if peer in hostvars}, controller or {})
    except Exception:  # pylint: disable=broad-except  # anything unreadable: no digest, a full run
        return ''


class FilterModule(object):

    def filters(self):
        return {'rollout_inputs_digest': rollout_inputs_digest}
