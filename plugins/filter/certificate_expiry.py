# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: certificate_expiry
short_description: Judge how close the certificates of a PEM file are to their end (ok, warn, fail)
version_added: 0.2.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - Reads every certificate of a PEM file or bundle (no C(cryptography) library needed) and judges each
    by the gate's one expiry rule - V(fail) with fewer than O(fail_days) whole days left (always once
    expired), V(warn) with fewer than O(warn_days), V(ok) otherwise.
  - The verification gate (role C(mailrelay.sendmail.verify)) uses it for the CA certificate it verifies
    the relays against; the certificate each listener presents is judged by the same rule inside
    P(mailrelay.sendmail.verify_listener_report#filter).
  - Never fails; a file that cannot be read or holds no certificate gives verdict V(unknown) and a failure.
options:
  _input:
    description: The text of a PEM file (one certificate or a bundle).
    type: str
    required: true
  warn_days:
    description: Warn when a certificate has fewer than this many days left. Not given, never warns.
    type: int
  fail_days:
    description: Fail when a certificate has fewer than this many days left.
    type: int
    default: 0
  what:
    description: What the file is, for the messages.
    type: str
    default: the certificate
  path:
    description: Where the file is, for the messages.
    type: str
    default: ""
  variables:
    description: Names of the thresholds for the messages, keys C(warn_days) and C(fail_days).
    type: dict
seealso:
  - plugin: mailrelay.sendmail.verify_listener_report
    plugin_type: filter
  - module: community.crypto.x509_certificate_info
"""

EXAMPLES = r"""
- name: Judge the CA certificate
  ansible.builtin.set_fact:
    ca_expiry: >-
      {{ lookup('ansible.builtin.file', '/srv/pki/ca.crt')
         | mailrelay.sendmail.certificate_expiry(warn_days=30, fail_days=7, what='the CA certificate',
                                                 path='/srv/pki/ca.crt') }}

- name: Fail below the failure threshold
  ansible.builtin.assert:
    that: ca_expiry.verdict in ['ok', 'warn']
    fail_msg: "{{ ca_expiry.failures | join('; ') }}"
"""

RETURN = r"""
_value:
  description: The verdict of the file and of each certificate in it.
  type: dict
  contains:
    verdict:
      description: The worst verdict of the certificates - V(ok), V(warn), V(fail), or V(unknown) when nothing could be read.
      type: str
    certificates:
      description: One entry per certificate - C(subject) (its CN), C(not_after), C(days_left), C(verdict), C(fingerprint_sha256).
      type: list
      elements: dict
    failures:
      description: One message per certificate below O(fail_days) (or the reason the file could not be read).
      type: list
      elements: str
    warnings:
      description: One message per certificate below O(warn_days) but not below O(fail_days).
      type: list
      elements: str
    summary:
      description: One line for a report - each certificate's subject and days left, marked when it is below a threshold.
      type: str
      sample: '"Mailrelay CA" 3649 days left'
"""

from ansible_collections.mailrelay.sendmail.plugins.module_utils._cert_expiry import certificate_file_expiry


def certificate_expiry(text, warn_days=None, fail_days=0, what='the certificate', path='', variables=None):
    return certificate_file_expiry(text, warn_days=warn_days, fail_days=fail_days, what=what, path=path,
                                   variables=variables)


class FilterModule:
    """The gate's rule for certificates near their end."""

    def filters(self):
        return {'certificate_expiry': certificate_expiry}
