#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: sendmail_info
short_description: Report how a sendmail binary was built and what it advertises on EHLO
version_added: 0.1.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - Runs C(sendmail -d0.10) to read the version, the C(Compiled with) options (for example
    C(SASLv2) and C(STARTTLS)) and the C(OS Defines) (for example C(HASURANDOMDEV)), without
    reading any configuration file.
  - For a binary with STARTTLS, finds the libcrypto it links against (C(ldd)) and reads that
    library's dynamic symbol table to tell whether it has C(RAND_egd()), which sendmail's
    C(RandFile=egd:/path) needs. OpenSSL 1.1.0 and later only have it when built with
    C(enable-egd).
  - When a configuration file exists (or one is named), speaks SMTP with the binary on its
    standard input (C(sendmail -bs -Am)), sends EHLO and QUIT, and returns the extensions and
    AUTH mechanisms it advertises. No network connection is made and no mail is sent. This is
    the test the sendmail book gives for SMTP AUTH support, and must run as root.
  - Works on a binary that is not installed yet (for example the one a build just produced).
extends_documentation_fragment:
  - mailrelay.sendmail._attributes
  - mailrelay.sendmail._attributes.READ_ONLY
options:
  binary:
    description: Path of the sendmail binary to inspect.
    type: path
    default: /usr/sbin/sendmail
  config:
    description:
      - Configuration file for the EHLO session (C(-C)). The session runs only if it exists.
    type: path
    default: /etc/mail/sendmail.cf
  ehlo:
    description: Whether to run the C(-bs -Am) EHLO session when O(config) exists.
    type: bool
    default: true
  ehlo_name:
    description: Name to send with EHLO.
    type: str
    default: localhost
  timeout:
    description:
      - Seconds to wait for each answer of the binary. sendmail can stall for a minute at start
        when it cannot qualify its own host name (no FQDN, no working DNS); this bounds that.
    type: float
    default: 30
notes:
  - The EHLO session runs the binary with O(config), so it shows what the daemon would offer
    a client on the same host. Options that depend on the listener (DAEMON_OPTIONS modifiers
    such as C(M=a) or C(M=s)) and the client's address are not applied; use
    M(mailrelay.sendmail.smtp_ehlo_info) to see what a network client is offered.
  - STARTTLS is offered in the session only when the certificates in O(config) load.
seealso:
  - module: mailrelay.sendmail.smtp_ehlo_info
  - module: mailrelay.sendmail.smtp_auth_check
"""

EXAMPLES = r"""
- name: Show how the installed sendmail was built
  mailrelay.sendmail.sendmail_info:
  register: sendmail

- name: Insist on SMTP AUTH and STARTTLS support
  ansible.builtin.assert:
    that:
      - sendmail.sasl_v2
      - sendmail.starttls
    fail_msg: "sendmail {{ sendmail.version }} lacks SASLv2 or STARTTLS: {{ sendmail.compiled_with | join(' ') }}"

- name: Would this sendmail read RandFile at all?
  mailrelay.sendmail.sendmail_info:
    ehlo: false
  register: built

- name: Say where its TLS gets its randomness
  ansible.builtin.debug:
    msg: >-
      {{ 'the kernel (HASURANDOMDEV: RandFile is ignored)' if built.urandom_dev
         else 'RandFile only; egd: works: ' ~ (built.egd and built.libcrypto_rand_egd) }}

- name: Check a freshly built binary against a test configuration before installing it
  mailrelay.sendmail.sendmail_info:
    binary: /usr/local/src/sendmail-8.17.1.9/obj.Linux.6.1.0.x86_64/sendmail/sendmail
    config: /tmp/test.cf
  register: candidate

- name: The candidate must offer AUTH
  ansible.builtin.assert:
    that: candidate.auth_mechanisms | length > 0
"""

RETURN = r"""
exists:
  description: Whether O(binary) exists. All other keys are empty when it does not.
  returned: always
  type: bool
  sample: true
binary:
  description: The binary inspected.
  returned: always
  type: str
  sample: /usr/sbin/sendmail
sha256:
  description: sha256 of the binary (tells two builds of the same version apart).
  returned: when the binary exists
  type: str
  sample: 4b1c0d0c4f0e4e1e9c2c3a5b6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90
version:
  description: The version sendmail reports.
  returned: when the binary exists
  type: str
  sample: 8.17.1.9
compiled_with:
  description: The C(Compiled with) words, in sendmail's order.
  returned: when the binary exists
  type: list
  elements: str
  sample: [DNSMAP, IPV6_FULL, LOG, MILTER, NEWDB=5.3, PIPELINING, SASLv2, STARTTLS, USERDB]
compile_options:
  description: The same words as a dict; C(NAME=VALUE) words map to their value, others to C(true).
  returned: when the binary exists
  type: dict
  sample: {NEWDB: "5.3", SASLv2: true, STARTTLS: true}
sasl_v2:
  description: Whether the binary has SMTP AUTH with Cyrus SASL v2 (C(SASLv2)).
  returned: always
  type: bool
  sample: true
starttls:
  description: Whether the binary has STARTTLS.
  returned: always
  type: bool
  sample: true
os_defines:
  description:
    - The C(OS Defines) words (C(-d0.10)), in sendmail's order. They say what sendmail assumed
      about the platform when it was compiled.
  returned: when the binary exists
  type: list
  elements: str
  sample: [ADDRCONFIG_IS_BROKEN, HASFCHOWN, HASFCHMOD, HASFLOCK, HASGETUSERSHELL, HASURANDOMDEV, HASWAITPID]
urandom_dev:
  description:
    - Whether the binary was built for a platform with a kernel random device (C(HASURANDOMDEV)
      in RV(os_defines); the default on Linux). sendmail then lets OpenSSL seed itself and
      ignores C(RandFile) entirely, so an entropy daemon is of no use to it.
  returned: always
  type: bool
  sample: true
egd:
  description: Whether the binary was compiled with EGD support (C(EGD) in RV(compiled_with)), without which an C(egd:) RandFile is not understood.
  returned: always
  type: bool
  sample: false
libcrypto:
  description: The libcrypto the binary loads, as C(ldd) resolves it; null without STARTTLS, when C(ldd) is missing or finds none.
  returned: when the binary exists
  type: str
  sample: /lib/x86_64-linux-gnu/libcrypto.so.3
libcrypto_rand_egd:
  description: Whether RV(libcrypto) exports C(RAND_egd) (false when there is no libcrypto to look at).
  returned: always
  type: bool
  sample: false
config:
  description: The configuration file used for the EHLO session.
  returned: always
  type: str
  sample: /etc/mail/sendmail.cf
config_exists:
  description: Whether O(config) exists.
  returned: always
  type: bool
  sample: true
session_ran:
  description: Whether the C(-bs -Am) EHLO session ran.
  returned: always
  type: bool
  sample: true
banner:
  description: The 220 greeting of the session.
  returned: when the session ran
  type: str
  sample: 220 relay1.example.org ESMTP Sendmail 8.17.1.9/8.17.1.9; Sun, 22 Nov 2026 04:39:43 GMT
extensions:
  description: EHLO keywords (upper case) and their parameters.
  returned: always
  type: dict
  sample: {AUTH: [LOGIN, PLAIN], PIPELINING: [], SIZE: ["10485760"], STARTTLS: []}
auth_mechanisms:
  description: AUTH mechanisms advertised in the session (upper case, sorted); empty when none.
  returned: always
  type: list
  elements: str
  sample: [LOGIN, PLAIN]
starttls_offered:
  description: Whether the session advertised STARTTLS.
  returned: always
  type: bool
  sample: true
transcript:
  description: The session as seen on the binary's standard input and output (C)/C(S) prefixed lines).
  returned: when the session ran
  type: list
  elements: str
  sample: ["S: 220 relay1.example.org ESMTP Sendmail 8.17.1.9/8.17.1.9", "C: EHLO localhost", "S: 250-relay1.example.org Hello"]
"""

import hashlib
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailrelay.sendmail.plugins.module_utils._elf import ELFError, exports
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail import (
    compile_options,
    ehlo_session,
    libcrypto_path,
    parse_ldd,
    parse_version_output,
    summarize_session,
)


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b''):
            digest.update(chunk)
    return digest.hexdigest()


def tls_library(module, binary):
    """The libcrypto the binary links against, and whether it has RAND_egd."""
    ldd = module.get_bin_path('ldd')
    if ldd is None:
        return None, False
    dummy_rc, out, dummy_err = module.run_command([ldd, binary])
    path = libcrypto_path(parse_ldd(out))
    if path is None:
        return None, False
    try:
        return path, exports(path, 'RAND_egd')
    except (OSError, ELFError) as exc:
        module.warn('cannot read the symbols of %s: %s' % (path, exc))
        return path, False


def main():
    module = AnsibleModule(
        argument_spec=dict(
            binary=dict(type='path', default='/usr/sbin/sendmail'),
            config=dict(type='path', default='/etc/mail/sendmail.cf'),
            ehlo=dict(type='bool', default=True),
            ehlo_name=dict(type='str', default='localhost'),
            timeout=dict(type='float', default=30),
        ),
        supports_check_mode=True,
    )
    binary = module.params['binary']
    config = module.params['config']
    result = dict(
        changed=False, exists=False, binary=binary, config=config,
        config_exists=os.path.isfile(config), session_ran=False,
        sasl_v2=False, starttls=False, extensions={}, auth_mechanisms=[], starttls_offered=False,
        urandom_dev=False, egd=False, libcrypto_rand_egd=False,
    )
    if not os.path.exists(binary):
        module.exit_json(**result)
    if not os.access(binary, os.X_OK):
        module.fail_json(msg='%s exists but is not executable' % binary, **result)
    result['exists'] = True
    result['sha256'] = file_sha256(binary)

    # -C /dev/null: version and options are printed before sendmail reads (and refuses) the
    # configuration, so no configuration, DNS or queue is touched. -d0.10 adds the OS Defines.
    rc, out, err = module.run_command([binary, '-d0.10', '-bt', '-C', '/dev/null'], data='')
    parsed = parse_version_output(out + '\n' + err)
    if parsed['version'] is None:
        module.fail_json(msg='%s did not report a version (rc=%s): %s' % (binary, rc, (err or out).strip()[:500]), **result)
    result['version'] = parsed['version']
    result['compiled_with'] = parsed['compiled_with']
    options = compile_options(parsed['compiled_with'])
    result['compile_options'] = options
    result['sasl_v2'] = 'SASLv2' in options
    result['starttls'] = 'STARTTLS' in options
    result['os_defines'] = parsed['os_defines']
    result['urandom_dev'] = 'HASURANDOMDEV' in parsed['os_defines']
    result['egd'] = 'EGD' in options
    result['libcrypto'] = None
    if result['starttls']:
        result['libcrypto'], result['libcrypto_rand_egd'] = tls_library(module, binary)

    if module.params['ehlo'] and result['config_exists']:
        if os.geteuid() != 0:
            module.fail_json(msg='the -bs -Am EHLO session must run as root (SASL refuses otherwise); '
                                 'use become: true or ehlo: false', **result)
        banner, ehlo, transcript, error = ehlo_session(binary, config, module.params['ehlo_name'],
                                                       module.params['timeout'])
        result['session_ran'] = True
        result['transcript'] = transcript
        result.update(summarize_session(banner, ehlo))
        if error:
            module.fail_json(msg='EHLO session with %s -C %s -bs -Am failed: %s' % (binary, config, error), **result)
        if ehlo is None or ehlo.code != 250:
            module.fail_json(msg='EHLO was refused: %s' % (ehlo.summary() if ehlo else 'no reply'), **result)

    module.exit_json(**result)


if __name__ == '__main__':
    main()
