# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: artifact_builders
short_description: Decide where each artifact is built
version_added: 0.2.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - For each artifact, a build host named for its platform, or a throwaway container on the controller
    from the image of its release. Relays are never build hosts.
  - Fails with a message naming the variable to set when a platform cannot be built.
options:
  _input:
    description: The artifacts, as returned by M(mailrelay.sendmail.artifact_builds#filter).
    type: list
    elements: dict
    required: true
  builder:
    description: V(auto), V(container) or V(host) (see O(mailrelay.sendmail.artifact#role:mailrelay_artifact_builder)).
    type: str
    default: auto
  build_hosts:
    description: Build hosts by platform.
    type: dict
    default: {}
  images:
    description: Container images by release (C(debian-12)).
    type: dict
    default: {}
  container_prefix:
    description: Name prefix of build containers.
    type: str
    default: mailrelay-build
  build_root:
    description: Work directory base on the builder.
    type: str
    default: /var/tmp/mailrelay-build
  controller_arch:
    description:
      - The controller's architecture (C(uname -m)). A platform of another architecture cannot be built in a
        container there and needs a build host.
    type: str
"""

EXAMPLES = r"""
- name: Where to build
  ansible.builtin.set_fact:
    jobs: "{{ builds | mailrelay.sendmail.artifact_builders(builder='auto', build_hosts={}, images={'debian-12': 'debian:bookworm'}) }}"
"""

RETURN = r"""
_value:
  description: The artifacts with C(kind) (container or host), C(builder), C(image), C(become) and C(work) added.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.mailrelay.sendmail.plugins.module_utils._build_inputs import artifact_builders as _builders


def artifact_builders(builds, builder='auto', build_hosts=None, images=None, container_prefix='mailrelay-build',
                      build_root='/var/tmp/mailrelay-build', controller_arch=None):
    try:
        return _builders(builds, builder, build_hosts, images, container_prefix, build_root, controller_arch)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule:

    def filters(self):
        return {'artifact_builders': artifact_builders}
