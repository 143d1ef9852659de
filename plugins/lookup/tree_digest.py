# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: tree_digest
short_description: A digest of files and directory trees on the controller
version_added: 0.3.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - One sha256 per term over the file or directory tree it names on the controller (relative names,
    link targets, modes and contents; C(__pycache__), C(.git), C(molecule), C(tests), C(docs) and
    C(changelogs) directories skipped), C(absent) for a path that does not exist.
  - The term C(collection) names this collection's own roles, plugins and playbooks.
  - The rollout uses it to tell whether what a candidate generation is made of changed since the live
    generation passed its gate.
options:
  _terms:
    description: Paths (C(~) expanded), or C(collection).
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Has the CA directory or the collection changed?
  ansible.builtin.debug:
    msg: "{{ lookup('mailrelay.sendmail.tree_digest', 'collection', '~/.local/share/mailrelay/pki', wantlist=true) }}"
"""

RETURN = r"""
_raw:
  description: One sha256 (hex) per term, or C(absent).
  type: list
  elements: str
"""

import os

from ansible.plugins.lookup import LookupBase

from ansible_collections.mailrelay.sendmail.plugins.module_utils._rollout_inputs import tree_digest

_COLLECTION = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        out = []
        for term in terms:
            if term == 'collection':
                out.append(':'.join(tree_digest(os.path.join(_COLLECTION, part)) for part in ('roles', 'plugins', 'playbooks')))
            else:
                out.append(tree_digest(str(term)))
        return out
