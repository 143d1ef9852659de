# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: verify_listener_report
short_description: Judge one listener of a relay from the results of the SMTP probes
version_added: 0.2.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - Takes the registered results of the probe modules for one listener of one relay and returns
    the verification gate's report for it - one human-readable line, one entry per check, and one
    failure message per failed check that names the listener, the check and what to do.
  - Never fails on what it is given. A probe that is missing, skipped, failed with an
    C(error_kind) (connection refused, timeout, TLS, credentials withheld, ...), or failed without
    one (a module error, a result with nothing but C(failed) and C(msg)) gives a failed or skipped
    check with the reason and the hint, not an error.
  - The probes are meant to run with C(failed_when) set to false, so a registered C(failed) is
    always false; a probe counts as failed when its result has C(error_kind), C(msg),
    C(exception), C(module_stderr) or C(unreachable).
  - The checks are C(ehlo), C(starttls), C(tls_version), C(certificate), C(tls11_refused),
    C(auth_before_tls), C(auth_after_tls), C(auth), C(relay_without_auth), C(relay_with_auth),
    C(data) (the message of the DATA probe got 250), C(relay_tricks), C(relay_destinations) (the
    outside destinations the relay probe added, each refused), C(smuggling) and C(probe_host); a check that does not apply to the listener
    (TLS checks on a clear-text listener, AUTH checks without credentials) is left out or skipped.
options:
  _input:
    description:
      - C(listener) - a dict with C(name), C(port), C(tls) (V(starttls), V(implicit) or V(none)),
        C(auth_before_tls) and C(auth_after_tls) (the mechanisms the listener must offer; a key
        that is absent is not compared) and C(address) (the address probed, shown in the report).
      - C(ehlo) - the result of M(mailrelay.sendmail.smtp_ehlo_info).
      - C(tls11) - the result of M(mailrelay.sendmail.smtp_ehlo_info) with
        C(client_max_tls_version=TLSv1.1) and C(expect_tls_handshake_failure=true); may be skipped.
      - C(auth) - the result of M(mailrelay.sendmail.smtp_auth_check) (with its relay probe, and its
        DATA probe when O(mailrelay.sendmail.smtp_auth_check#module:data_rcpt) was given).
      - C(relay) - the result of M(mailrelay.sendmail.smtp_relay_check).
      - C(smuggling) - the result of M(mailrelay.sendmail.smtp_smuggling_check); may be skipped or absent.
      - C(options) - C(credentials_given) (bool, default false), C(allow_plaintext_auth) (bool,
        default false), C(require_certificates) (bool, default true), C(ca_file_given) (bool,
        default true), C(require_credentials) (bool, default false - fail a listener that offers
        AUTH when no credentials were given), C(min_tls_version) (default V(TLSv1.2)),
        C(data_check) (bool - V(true) fails a listener that offers AUTH when the DATA probe did not
        run, V(false) reports the C(data) check as skipped, absent judges only a DATA probe that ran),
        C(relay_destinations) (the destinations' addresses, shown in the report),
        C(cert_warn_days) and C(cert_fail_days) (int - the C(certificate) check is V(warning) when the
        presented certificate has fewer than C(cert_warn_days) whole days left and V(failed) below
        C(cert_fail_days); without them only an expired certificate fails; the rule is the one of
        P(mailrelay.sendmail.certificate_expiry#filter)) and
        C(variables), a dict that names the gate's own variables in the hints, with the keys
        C(credentials), C(ca_file), C(allow_plaintext_auth), C(certificates), C(probe_from), C(data_check),
        C(cert_warn_days), C(cert_fail_days) and C(auth_optional) (named in the hint of a failed C(auth)
        check as the way to say that the relay has no AUTH users on purpose).
    type: dict
    required: true
seealso:
  - module: mailrelay.sendmail.smtp_ehlo_info
  - module: mailrelay.sendmail.smtp_auth_check
  - module: mailrelay.sendmail.smtp_relay_check
  - module: mailrelay.sendmail.smtp_smuggling_check
  - plugin: mailrelay.sendmail.cleartext_mechanisms
    plugin_type: filter
  - plugin: mailrelay.sendmail.certificate_expiry
    plugin_type: filter
"""

EXAMPLES = r"""
---
- name: Judge one listener
  ansible.builtin.set_fact:
    listener_report: >-
      {{ {'listener': listener | combine({'address': relay_address}),
          'ehlo': ehlo_result, 'tls11': tls11_result, 'auth': auth_result,
          'relay': relay_result, 'smuggling': smuggling_result,
          'options': {'credentials_given': probe_user is defined, 'ca_file_given': ca_file | length > 0,
                      'variables': {'ca_file': 'relay_gate_ca_file'}}}
         | mailrelay.sendmail.verify_listener_report }}

- name: Show the line, fail on the failures
  ansible.builtin.assert:
    that: listener_report.ok
    fail_msg: "{{ listener_report.failures | join('; ') }}"
    success_msg: "{{ listener_report.line }}"
"""

RETURN = r"""
_value:
  description: The report of the listener.
  type: dict
  contains:
    line:
      description:
        - One line for the report, starting with two blanks - the listener and address, its TLS mode,
          then what each probe found.
      type: str
      sample: "  MTA:25 [192.0.2.25] (starttls): STARTTLS offered, AUTH before TLS [], after TLS [LOGIN PLAIN],
        TLSv1.3 verified, certificate 364 days left, TLS 1.1 refused, AUTH LOGIN ok, relay without AUTH denied (550),
        with AUTH accepted (250), relay tricks: 44/44 refused, smuggling: not vulnerable"
    ok:
      description: True when no check failed.
      type: bool
    checks:
      description:
        - One entry per check that applies, in a fixed order - C(name), C(ok) (false only when it
          failed), C(status) (V(passed), V(warning) - passed but needs attention soon, V(failed) or
          V(skipped)) and C(detail).
      type: list
      elements: dict
    failures:
      description:
        - One message per failed check - the listener and address, the check, what was wrong and,
          after C( - ), what to do.
      type: list
      elements: str
    warnings:
      description:
        - One message per check with status V(warning) (a certificate near its end), in the same form.
      type: list
      elements: str
"""

from ansible_collections.mailrelay.sendmail.plugins.module_utils._verify_report import listener_report


def verify_listener_report(data):
    return listener_report(data)


class FilterModule:
    """The verification gate's judgement of a listener."""

    def filters(self):
        return {'verify_listener_report': verify_listener_report}
