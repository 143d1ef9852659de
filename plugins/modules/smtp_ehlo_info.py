#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: smtp_ehlo_info
short_description: Report what an SMTP server advertises before and after TLS, and check it
version_added: 0.1.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - Connects to an SMTP server, reads its banner, sends EHLO, upgrades to TLS with STARTTLS
    (RFC 3207) or starts with implicit TLS (RFC 8314), and sends EHLO again.
  - Returns the banner, the EHLO extensions and AUTH mechanisms (RFC 4954) before and after
    TLS, the TLS session with the server certificate, and how long each step took.
  - With the C(expect_*) options and O(min_tls_version) it becomes a check that fails with
    expected and actual side by side, and still returns everything it saw.
  - Never sends MAIL, RCPT or DATA, and ends with QUIT.
extends_documentation_fragment:
  - mailrelay.sendmail._attributes
  - mailrelay.sendmail._attributes.READ_ONLY
  - mailrelay.sendmail._smtp_connection
options:
  client_max_tls_version:
    description:
      - Highest TLS version the client offers. Use it to prove the server refuses old protocols,
        together with O(expect_tls_handshake_failure=true).
      - Below C(TLSv1.2) the client also lowers its own minimum and OpenSSL security level
        (C(@SECLEVEL=0)), so a refusal really comes from the server.
    type: str
    choices: [TLSv1, TLSv1.1, TLSv1.2, TLSv1.3]
  expect_starttls:
    description:
      - Whether the clear-text EHLO reply must offer STARTTLS.
      - With O(tls=starttls) and O(expect_starttls=false), a server without STARTTLS passes and no
        TLS is attempted; with O(tls=implicit) there is no clear-text EHLO, so STARTTLS is never offered.
    type: bool
  expect_auth_before_tls:
    description:
      - AUTH mechanisms the server must offer before TLS (compared case-insensitively).
      - An empty list means no AUTH in clear text at all, which is what sendmail's
        C(AuthOptions=p) should give for plain-text mechanisms.
      - With O(tls=implicit) nothing is said in clear text, so the list must be empty.
    type: list
    elements: str
  expect_auth_after_tls:
    description:
      - AUTH mechanisms the server must offer inside TLS (compared case-insensitively).
      - With O(tls=none) there is no TLS, so the list must be empty.
    type: list
    elements: str
  auth_match:
    description:
      - How O(expect_auth_before_tls) and O(expect_auth_after_tls) compare.
      - C(exact) wants exactly these mechanisms; C(at_least) wants these and allows more.
      - An empty list always means "none".
    type: str
    choices: [exact, at_least]
    default: exact
  min_tls_version:
    description:
      - Lowest TLS version the negotiated session may have.
    type: str
    choices: [TLSv1, TLSv1.1, TLSv1.2, TLSv1.3]
  expect_tls_handshake_failure:
    description:
      - The TLS handshake must fail (for example because O(client_max_tls_version) is lower than
        the server accepts). The failure is returned in RV(tls.handshake_error) and the module
        succeeds; a handshake that succeeds fails the module.
      - A certificate that does not verify is not a handshake failure; see O(validate_certs).
    type: bool
    default: false
notes:
  - Runs on the managed host. C(127.0.0.1) is the relay itself only when the task runs there.
  - The before-TLS results are empty with O(tls=implicit); the after-TLS results are empty with O(tls=none).
  - Any failure (refused connection, 4xx/5xx banner, a peer that does not speak SMTP, a timeout,
    a server that closes the connection, a TLS handshake error) fails the module with a message,
    and returns what was seen until then, with RV(error_kind) and a RV(hint) that says what to do.
seealso:
  - module: mailrelay.sendmail.smtp_auth_check
  - name: RFC 3207
    description: SMTP Service Extension for Secure SMTP over Transport Layer Security (STARTTLS).
    link: https://www.rfc-editor.org/rfc/rfc3207
  - name: RFC 4954
    description: SMTP Service Extension for Authentication (AUTH).
    link: https://www.rfc-editor.org/rfc/rfc4954
  - name: RFC 8314
    description: Cleartext Considered Obsolete - implicit TLS for mail submission (port 465).
    link: https://www.rfc-editor.org/rfc/rfc8314
"""

EXAMPLES = r"""
- name: Look at what the relay offers on port 25
  mailrelay.sendmail.smtp_ehlo_info:
    host: 127.0.0.1
    port: 25
  register: relay_ehlo

- name: Show the AUTH mechanisms offered after STARTTLS
  ansible.builtin.debug:
    var: relay_ehlo.auth_after_tls

- name: Gate - no AUTH in clear text, LOGIN and PLAIN inside TLS 1.2 or later, certificate from our CA
  mailrelay.sendmail.smtp_ehlo_info:
    host: relay.example.org
    port: 587
    tls: starttls
    ca_file: /etc/mail/certs/ca.crt
    validate_certs: true
    expect_starttls: true
    expect_auth_before_tls: []
    expect_auth_after_tls: [LOGIN, PLAIN]
    min_tls_version: TLSv1.2

- name: Implicit TLS on port 465 offers at least PLAIN
  mailrelay.sendmail.smtp_ehlo_info:
    port: 465
    tls: implicit
    expect_auth_after_tls: [PLAIN]
    auth_match: at_least

- name: Prove the relay refuses TLS 1.1
  mailrelay.sendmail.smtp_ehlo_info:
    client_max_tls_version: TLSv1.1
    expect_tls_handshake_failure: true

- name: Warn when the relay certificate expires within 30 days
  mailrelay.sendmail.smtp_ehlo_info:
    host: relay.example.org
  register: relay_tls
  failed_when: relay_tls.tls.days_left < 30
"""

RETURN = r"""
banner:
  description: The server's greeting, all lines, each with its code.
  returned: when the server sent one
  type: str
  sample: 220 relay.example.org ESMTP Sendmail 8.17.1.9/8.17.1.9; Sat, 22 Nov 2025 04:20:00 GMT
banner_code:
  description: Reply code of the greeting (220 when the server accepts the session).
  returned: when the server sent one
  type: int
  sample: 220
ehlo_greeting:
  description: First line of the last EHLO reply; sendmail puts the client's name and address there.
  returned: when the server answered EHLO
  type: str
  sample: relay.example.org Hello client.example.org [192.0.2.10], pleased to meet you
extensions_before_tls:
  description:
    - EHLO keywords offered in clear text, upper-cased, each with its list of parameters.
    - The old C(AUTH=LOGIN PLAIN) form is merged into C(AUTH).
  returned: always
  type: dict
  sample: {"8BITMIME": [], "AUTH": [], "PIPELINING": [], "SIZE": ["20485760"], "STARTTLS": []}
auth_before_tls:
  description: AUTH mechanisms offered in clear text, upper-cased and sorted. Empty when none.
  returned: always
  type: list
  elements: str
  sample: []
starttls_offered:
  description: Whether the clear-text EHLO reply offered STARTTLS.
  returned: always
  type: bool
  sample: true
extensions_after_tls:
  description: EHLO keywords offered inside TLS, as in RV(extensions_before_tls).
  returned: always
  type: dict
  sample: {"AUTH": ["LOGIN", "PLAIN"], "SIZE": ["20485760"]}
auth_after_tls:
  description: AUTH mechanisms offered inside TLS, upper-cased and sorted.
  returned: always
  type: list
  elements: str
  sample: [LOGIN, PLAIN]
tls:
  description:
    - The TLS session. Every key is present; a key is null when it does not apply (no TLS, or the
      handshake failed before it was known).
  returned: always
  type: dict
  contains:
    established:
      description: Whether a TLS session was established.
      returned: always
      type: bool
    version:
      description: Negotiated protocol.
      returned: always
      type: str
      sample: TLSv1.3
    cipher:
      description: Negotiated cipher suite (OpenSSL name).
      returned: always
      type: str
      sample: TLS_AES_256_GCM_SHA384
    bits:
      description: Secret bits of the cipher.
      returned: always
      type: int
      sample: 256
    server_name:
      description: Name sent as SNI and checked against the certificate.
      returned: always
      type: str
    verified:
      description:
        - True when the certificate verified (against O(ca_file) or the system store), false when
          it did not, null when it was not checked (no O(ca_file) and O(validate_certs=false)).
      returned: always
      type: bool
    verify_error:
      description: Why the certificate did not verify.
      returned: always
      type: str
      sample: "certificate verify failed: unable to get local issuer certificate"
    handshake_error:
      description: Why the TLS handshake failed, when it did for another reason than verification.
      returned: always
      type: str
    subject:
      description: Subject of the server certificate, short attribute names as keys.
      returned: always
      type: dict
      sample: {"CN": "relay.example.org", "O": "Example"}
    issuer:
      description: Issuer of the server certificate, as RV(tls.subject).
      returned: always
      type: dict
    sans:
      description: Subject alternative names, OpenSSL style.
      returned: always
      type: list
      elements: str
      sample: ["DNS:relay.example.org", "IP:192.0.2.25"]
    serial_number:
      description: Serial number of the certificate.
      returned: always
      type: int
    not_before:
      description: Start of validity, ASN.1 time in UTC.
      returned: always
      type: str
      sample: "20251122000000Z"
    not_after:
      description: End of validity, ASN.1 time in UTC.
      returned: always
      type: str
      sample: "20261122000000Z"
    days_left:
      description: Whole days until RV(tls.not_after); negative once expired.
      returned: always
      type: int
      sample: 364
    fingerprint_sha256:
      description: SHA-256 fingerprint of the certificate, colon-separated hex.
      returned: always
      type: str
timings_ms:
  description:
    - Milliseconds each step took. Keys appear for the steps that ran - V(connect), V(banner),
      V(ehlo), V(starttls), V(tls_handshake), V(ehlo_after_tls), V(quit); V(total) runs from
      connect to the last EHLO.
  returned: always
  type: dict
  sample: {"connect": 0.21, "banner": 1.3, "ehlo": 0.6, "starttls": 0.4, "tls_handshake": 4.8, "ehlo_after_tls": 0.5, "total": 7.9}
client_address:
  description: Local address the connection came from (what the server sees, unless NAT intervenes).
  returned: when connected
  type: str
  sample: 192.0.2.10
expectation_failures:
  description: One message per expectation that failed, expected and actual side by side.
  returned: always
  type: list
  elements: str
  sample: ["auth_before_tls: expected no AUTH mechanisms, server offered [LOGIN, PLAIN]"]
error_kind:
  description:
    - What kind of failure made the module fail; null when it succeeded.
    - V(connection_refused) (nothing accepted the connection - refused, unreachable, or a
      O(source_address) that is not on the host), V(timeout), V(dns) (O(host) does not resolve),
      V(tls_handshake) (no STARTTLS, or the handshake failed), V(tls_verify) (the certificate did
      not verify with O(validate_certs), or O(ca_file) cannot be read), V(protocol) (the server
      refused the session or broke the dialogue), V(expectation) (the server answered, but not as
      expected).
  returned: always
  type: str
  sample: tls_verify
hint:
  description: What to do about the failure, in one sentence; null when the module succeeded.
  returned: always
  type: str
transcript:
  description: The dialogue, C(C:) for the client, C(S:) for the server, C(--) for notes.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp import (
    CONNECTION_ARGUMENT_SPEC,
    MATCH_MODES,
    TLS_VERSIONS,
    ConnectionOptions,
    SMTPError,
    STARTTLSNotOffered,
    TLSHandshakeError,
    check_min_tls_version,
    compare_mechanisms,
    failure_details,
    failure_hint,
    open_session,
)


def argument_spec():
    spec = dict(CONNECTION_ARGUMENT_SPEC)
    spec.update(
        client_max_tls_version=dict(type='str', choices=list(TLS_VERSIONS)),
        expect_starttls=dict(type='bool'),
        expect_auth_before_tls=dict(type='list', elements='str'),
        expect_auth_after_tls=dict(type='list', elements='str'),
        auth_match=dict(type='str', choices=list(MATCH_MODES), default='exact'),
        min_tls_version=dict(type='str', choices=list(TLS_VERSIONS)),
        expect_tls_handshake_failure=dict(type='bool', default=False),
    )
    return spec


def expectation_failures(params, result):
    """Compare what the server offered with what the task expects. Pure: dicts in, messages out."""
    failures = []
    if params.get('expect_starttls') is not None and params['expect_starttls'] != result['starttls_offered']:
        failures.append('starttls: expected %s, server %s' % (
            'STARTTLS offered' if params['expect_starttls'] else 'no STARTTLS',
            'offered STARTTLS' if result['starttls_offered'] else 'did not offer STARTTLS'))
    match = params.get('auth_match') or 'exact'
    for option, key in (('expect_auth_before_tls', 'auth_before_tls'), ('expect_auth_after_tls', 'auth_after_tls')):
        if params.get(option) is not None:
            failure = compare_mechanisms(key, params[option], result[key], match)
            if failure:
                failures.append(failure)
    if params.get('min_tls_version'):
        failure = check_min_tls_version(params['min_tls_version'], result['tls']['version'])
        if failure:
            failures.append(failure)
    return failures


def run_probe(params):
    """Run the check. Return (result, failure message or None); never raises for network trouble."""
    options = ConnectionOptions.from_params(params)
    transcript = []
    result = {'changed': False, 'error_kind': None, 'hint': None}
    error, session = None, None
    try:
        session = open_session(options, transcript)
    except SMTPError as exc:
        error, session = exc, getattr(exc, 'session', None)
    if session is not None:
        session.quit()
        result.update(session.summary())
        result['timings_ms'] = session.timings
        result['client_address'] = session.client_address
    result['transcript'] = transcript

    if isinstance(error, STARTTLSNotOffered) and params.get('expect_starttls') is False:
        error = None
    elif isinstance(error, TLSHandshakeError) and error.verify_error is None and params.get('expect_tls_handshake_failure'):
        error = None  # the refusal is the result; tls.handshake_error says what it was
    elif error is None and params.get('expect_tls_handshake_failure'):
        tls = result['tls']
        error_message = 'expected the TLS handshake to fail, but it succeeded: %s %s' % (tls['version'], tls['cipher'])
        result['expectation_failures'] = [error_message]
        result['error_kind'] = 'expectation'
        result['hint'] = ('the server accepted a TLS version the task expected it to refuse%s: raise its minimum TLS '
                          'version (sendmail: TLS_SRV_OPTIONS / ServerSSLOptions, or CipherList)'
                          % (' (%s)' % options.client_max_tls_version if options.client_max_tls_version else ''))
        return result, error_message
    if error is not None:
        result['expectation_failures'] = []
        result.update(failure_details(error, options))
        return result, error.message

    failures = expectation_failures(params, result)
    result['expectation_failures'] = failures
    if failures:
        result['error_kind'] = 'expectation'
        result['hint'] = failure_hint('expectation', options)
        count = len(failures)
        return result, '%d expectation%s failed: %s' % (count, '' if count == 1 else 's', '; '.join(failures))
    return result, None


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    result, failure = run_probe(module.params)
    if failure:
        module.fail_json(msg=failure, **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
