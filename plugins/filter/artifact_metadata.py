# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: artifact_metadata
short_description: What a build adds to its artifact's manifest
version_added: 0.2.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - Versions, patches with sha256 and the CVEs they fix, the configure arguments as used, whether the build
    is open to SMTP smuggling, the runtime packages and accounts a relay needs, and who built it.
options:
  _input:
    description: One build, as returned by M(mailrelay.sendmail.artifact_builders#filter).
    type: dict
    required: true
  created:
    description: Build time to record (ISO 8601).
    type: str
seealso:
  - module: mailrelay.sendmail.artifact_pack
"""

EXAMPLES = r"""
- name: Metadata for the manifest
  ansible.builtin.set_fact:
    metadata: "{{ job | mailrelay.sendmail.artifact_metadata(created=now(utc=true).isoformat()) }}"
"""

RETURN = r"""
_value:
  description: Manifest keys (id, fingerprint, platform, inputs, versions, patches, configure_args, smtp_smuggling,
    runtime_packages, accounts, builder, created).
  type: dict
"""

from ansible_collections.mailrelay.sendmail.plugins.module_utils._build_inputs import artifact_metadata as _metadata


def artifact_metadata(build, created=None):
    return _metadata(build, created)


class FilterModule:

    def filters(self):
        return {'artifact_metadata': artifact_metadata}
