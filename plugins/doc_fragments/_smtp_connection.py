# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the mailrelay.sendmail collection: may change without notice.

from __future__ import annotations


class ModuleDocFragment:

    # How the SMTP probe modules connect; mirrors CONNECTION_ARGUMENT_SPEC in module_utils._smtp.
    DOCUMENTATION = r"""
options:
  host:
    description:
      - Name or address of the SMTP server.
      - The module runs on the managed host, so C(127.0.0.1) is the relay itself when the task
        runs on the relay. Use C(delegate_to) to probe it from elsewhere.
      - An IPv6 address may be given as it is (V(2001:db8::25)) or in brackets (V([2001:db8::25])).
    type: str
    default: 127.0.0.1
  port:
    description:
      - TCP port. C(25) is the MTA port, C(587) message submission (RFC 6409), C(465)
        submission over implicit TLS (RFC 8314).
    type: int
    default: 25
  tls:
    description:
      - C(starttls) sends EHLO, upgrades the connection with STARTTLS (RFC 3207) and sends EHLO again.
      - C(implicit) starts TLS before the server's banner, as on port 465 (RFC 8314).
      - C(none) stays in clear text.
    type: str
    choices: [starttls, implicit, none]
    default: starttls
  ehlo_name:
    description:
      - The name the client gives in EHLO. Defaults to the host name of the machine the module runs on.
    type: str
  timeout:
    description:
      - Seconds to wait for the connection, for the TLS handshake and for each complete server reply.
    type: float
    default: 10
  source_address:
    description:
      - Local address to connect from (bind before connect).
      - Sendmail lets clients on the relay's own addresses and on loopback relay without
        authentication, so a probe from there says nothing about outside clients. Bind an
        address the relay does not consider its own, or delegate the task to another host.
    type: str
  tls_server_name:
    description:
      - Name sent as SNI and checked against the certificate. Defaults to O(host).
      - In smtp_auth_check it is also the host part of the DIGEST-MD5 C(digest-uri) (C(smtp/<name>)).
    type: str
  ca_file:
    description:
      - PEM file with the CA certificates the server certificate must chain to.
      - When set, the result says in C(tls.verified) whether it did; whether that is fatal is
        O(validate_certs).
      - M(mailrelay.sendmail.smtp_auth_check) sends credentials only when the certificate verified
        against it (or against the system trust store when it is not set) and named the server.
    type: path
  validate_certs:
    description:
      - Fail when the server certificate does not verify (against O(ca_file), or the system's
        trust store when O(ca_file) is not set).
      - When false and O(ca_file) is set, a certificate that does not verify is reported in
        C(tls.verified) and C(tls.verify_error) without failing.
    type: bool
    default: false
  tls_check_hostname:
    description:
      - When the certificate is verified, also require that it names O(tls_server_name) (or O(host)).
      - V(false) counts as "not verified" for M(mailrelay.sendmail.smtp_auth_check), which then
        sends no credentials.
    type: bool
    default: true
"""
