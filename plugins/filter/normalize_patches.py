# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: normalize_patches
short_description: Turn sendmail_build_patches into a list of checked patch descriptions
version_added: 0.2.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - Takes the entries of O(sendmail_build_patches) (a path, or a dict with C(path), C(sha256), C(strip) and C(fixes)),
    finds each file on the controller and returns one dict per patch, in order, with the file's real sha256.
  - The known backport of the SMTP smuggling fix (Debian's C(0024-CVE-2023-51765.patch)) is recognised by its
    sha256 and counts as fixing C(CVE-2023-51765) without a C(fixes) key.
options:
  _input:
    description: The patch list.
    type: list
    elements: raw
    required: true
  search_dirs:
    description: Directories a relative path is looked up in, in order (the first that has the file wins).
    type: list
    elements: path
    default: []
seealso:
  - plugin: mailrelay.sendmail.artifact_inputs
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Check the patches
  ansible.builtin.set_fact:
    patches: "{{ sendmail_build_patches | mailrelay.sendmail.normalize_patches([lookup('env', 'PWD'), inventory_dir]) }}"
"""

RETURN = r"""
_value:
  description: One dict per patch.
  type: list
  elements: dict
  contains:
    path:
      description: Absolute path on the controller.
      type: str
    given:
      description: The path as written in the variable.
      type: str
    exists:
      description: Whether the file exists.
      type: bool
    sha256:
      description: sha256 of the file (empty when it does not exist).
      type: str
    expected_sha256:
      description: The sha256 given in the entry, lower case (empty when none was given).
      type: str
    strip:
      description: The C(patch -p) level.
      type: int
    fixes:
      description: CVE ids the patch fixes, upper case.
      type: list
      elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.mailrelay.sendmail.plugins.module_utils._build_inputs import normalize_patches as _normalize


def normalize_patches(patches, search_dirs=None):
    if isinstance(search_dirs, str):
        search_dirs = [search_dirs]
    try:
        return _normalize(patches, search_dirs or [])
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule:

    def filters(self):
        return {'normalize_patches': normalize_patches}
