#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: smtp_auth_check
short_description: Try SMTP AUTH mechanisms and probe whether a relay relays without authentication
version_added: 0.1.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - Logs in to an SMTP server with each SASL mechanism asked for (RFC 4954), each in its own
    session after STARTTLS (RFC 3207) or on implicit TLS (RFC 8314), and returns the server's
    reply per mechanism (235 accepted, 535 refused, 538 or 530 encryption or authentication
    required, 504 unknown mechanism, 503 bad sequence, ...).
  - By default it sends credentials only inside TLS whose certificate verified and named the
    server (see O(auth_requires_verified_tls)). Anywhere else it sends no C(AUTH) command at all,
    says why in RV(auth_withheld), and the unauthenticated relay probe still runs.
  - Optionally probes relaying without ever sending a message - C(MAIL FROM) and C(RCPT TO) to an
    outside address, then C(RSET) and C(QUIT), never C(DATA) - once in a session without
    authentication and once after a successful AUTH.
  - With O(data_rcpt), sends one small message (about 400 bytes) after a successful AUTH to an
    address on the relay that discards it, and reports the reply after the end of data
    (RV(data)). This is the only part that sends mail.
  - With O(expect_success), O(expect_relay_denied_without_auth), O(expect_relay_allowed_with_auth)
    and O(expect_data_accepted) it becomes a check that fails with expected and actual side
    by side, and still returns everything it saw.
extends_documentation_fragment:
  - mailrelay.sendmail._attributes
  - mailrelay.sendmail._attributes.READ_ONLY
  - mailrelay.sendmail._smtp_connection
options:
  username:
    description:
      - SASL authentication identity. Needed for AUTH, and for the authenticated half of the relay probe.
    type: str
  password:
    description:
      - Password for O(username). Never shown in the result or the transcript.
    type: str
  mechanisms:
    description:
      - Mechanisms to try, each in a new session. A mechanism the server does not offer is
        still tried (the server should answer 504), and RV(auth) says it was not advertised.
      - Defaults to every mechanism of this list the server offers in the session where AUTH happens.
    type: list
    elements: str
    choices: [PLAIN, LOGIN, CRAM-MD5, DIGEST-MD5]
  auth_requires_verified_tls:
    description:
      - The safety default. V(true) - credentials are sent only inside a TLS session whose
        certificate verified against O(ca_file) (or the system trust store when O(ca_file) is not
        set) and matched O(tls_server_name) (or O(host)). With O(tls=none), a certificate that
        does not verify, or O(tls_check_hostname=false), no C(AUTH) command and no credential byte
        is sent; every mechanism gets C(success=false) and an C(error) that starts with C(not sent),
        followed by the reason, and RV(auth_withheld) holds the reason.
      - When a certificate does not verify, the module looks at it again in a second, unverified
        session to report it. That session never carries credentials, whatever this option says.
      - V(false) is an explicit opt-out for labs (a test server with a throwaway certificate, or
        clear text). Never use it against a relay reached over a network you do not control.
    type: bool
    default: true
  expect_success:
    description:
      - V(true) - every mechanism tried must be accepted (235). V(false) - none may be.
      - Not set - report only.
      - Credentials withheld (see O(auth_requires_verified_tls)) fail either expectation, because
        nothing was shown.
    type: bool
  relay_probe:
    description:
      - Run the relay probe. Setting O(expect_relay_denied_without_auth) or
        O(expect_relay_allowed_with_auth) runs it too.
    type: bool
    default: false
  mail_from:
    description:
      - Reverse path of the probe's C(MAIL FROM). The empty default is the null sender C(<>),
        which sendmail accepts without looking up a sender domain, so a refusal is about relaying.
    type: str
    default: ''
  rcpt_to:
    description:
      - Outside recipient of the probe's C(RCPT TO). The default is in a domain reserved by RFC 2606;
        no message is ever sent to it.
    type: str
    default: relay-probe@example.com
  expect_relay_denied_without_auth:
    description:
      - V(true) - a session without authentication must not be able to relay (C(RCPT) refused with
        5xx, or C(MAIL) refused with 530 authentication required).
      - Only meaningful from a client the relay does not trust by address; see the notes.
    type: bool
  expect_relay_allowed_with_auth:
    description:
      - V(true) - after a successful AUTH, C(RCPT) to the outside address must be accepted.
    type: bool
  data_rcpt:
    description:
      - An address on the relay that discards what it gets (an alias to C(/dev/null), such as the
        C(mailrelay-probe) alias the sendmail_config role writes). After the first successful AUTH,
        in the same session, one small message from O(mail_from) goes to it - C(MAIL), C(RCPT),
        C(DATA), the message, the end of data.
      - Needs O(username) and O(password). Never point it at an outside address.
    type: str
  expect_data_accepted:
    description:
      - V(true) - the message to O(data_rcpt) must be accepted (C(354) to C(DATA), C(250) after the
        end of data). A relay with a tiny size limit, a broken milter or a full queue disk fails it.
      - Without O(data_rcpt) nothing is sent and this expectation is ignored.
    type: bool
notes:
  - Sendmail trusts clients on loopback and on the relay's own addresses to relay without
    authentication. A relay probe run on the relay against C(127.0.0.1) therefore proves nothing
    about outside clients. Run the task on another host (C(delegate_to) a client) or bind a
    O(source_address) the relay does not consider its own. The module warns when the client
    address is loopback or the server's own.
  - O(tls=none) never carries credentials unless O(auth_requires_verified_tls=false); then they go
    in clear text, which exists for tests. Sendmail with C(AuthOptions=p) (C(confAUTH_OPTIONS)
    containing C(p)) offers no plain-text mechanism there, and the module warns.
  - On failure, RV(error_kind) says what kind of failure it was and RV(hint) what to do.
  - DIGEST-MD5 uses the first realm the server offers, C(digest-uri) C(smtp/<tls_server_name or host>),
    and checks the server's C(rspauth); a server that cannot prove it knows the password is refused.
seealso:
  - module: mailrelay.sendmail.smtp_ehlo_info
  - name: RFC 4954
    description: SMTP Service Extension for Authentication (AUTH).
    link: https://www.rfc-editor.org/rfc/rfc4954
  - name: RFC 3207
    description: SMTP Service Extension for Secure SMTP over Transport Layer Security (STARTTLS).
    link: https://www.rfc-editor.org/rfc/rfc3207
  - name: RFC 8314
    description: Cleartext Considered Obsolete - implicit TLS for mail submission (port 465).
    link: https://www.rfc-editor.org/rfc/rfc8314
"""

EXAMPLES = r"""
- name: Log in with PLAIN and LOGIN after STARTTLS on the submission port
  mailrelay.sendmail.smtp_auth_check:
    host: relay.example.org
    port: 587
    ca_file: /etc/ssl/certs/relay-ca.pem
    username: relayuser
    password: "{{ relay_password }}"
    mechanisms: [PLAIN, LOGIN]
    expect_success: true
  register: relay_login

- name: A wrong password must be refused
  mailrelay.sendmail.smtp_auth_check:
    host: relay.example.org
    port: 587
    ca_file: /etc/ssl/certs/relay-ca.pem
    username: relayuser
    password: not-the-password
    expect_success: false

- name: Prove the relay is not open, from a client host
  mailrelay.sendmail.smtp_auth_check:
    host: relay.example.org
    port: 587
    ca_file: /etc/ssl/certs/relay-ca.pem
    validate_certs: true
    username: relayuser
    password: "{{ relay_password }}"
    expect_relay_denied_without_auth: true
    expect_relay_allowed_with_auth: true
  delegate_to: client.example.org

- name: Same probe run on the relay, from an address it does not trust
  mailrelay.sendmail.smtp_auth_check:
    host: 192.0.2.25
    source_address: 192.0.2.99
    relay_probe: true
  register: relay_probe

- name: Lab only - log in to a test server with a self-signed certificate
  mailrelay.sendmail.smtp_auth_check:
    host: 127.0.0.1
    port: 587
    username: testuser
    password: test-password
    auth_requires_verified_tls: false
    expect_success: true

- name: Show both RCPT answers
  ansible.builtin.debug:
    msg: >-
      without auth {{ relay_probe.relay.without_auth.rcpt.code | default('-') }},
      with auth {{ relay_probe.relay.with_auth.rcpt.code | default('-') }}
"""

RETURN = r"""
banner:
  description: The server's greeting in the first session, all lines, each with its code.
  returned: when the server sent one
  type: str
  sample: 220 relay.example.org ESMTP Sendmail 8.17.1.9/8.17.1.9; Sat, 22 Nov 2025 04:20:00 GMT
starttls_offered:
  description: Whether the clear-text EHLO of the first session offered STARTTLS.
  returned: always
  type: bool
  sample: true
auth_offered:
  description: AUTH mechanisms offered where authentication happens (after TLS, or in clear with O(tls=none)).
  returned: always
  type: list
  elements: str
  sample: [LOGIN, PLAIN]
tls:
  description:
    - The TLS session of the first session, with the same keys as the C(tls) result of
      M(mailrelay.sendmail.smtp_ehlo_info) - established, version, cipher, bits, server_name,
      verified, verify_error, handshake_error, subject, issuer, sans, serial_number, not_before,
      not_after, days_left, fingerprint_sha256.
  returned: always
  type: dict
  sample: {"established": true, "version": "TLSv1.3", "cipher": "TLS_AES_256_GCM_SHA384", "bits": 256, "verified": true}
auth:
  description: One entry per mechanism tried, keyed by mechanism name.
  returned: always
  type: dict
  sample: {"PLAIN": {"advertised": true, "success": true, "code": 235, "enhanced_status": "2.0.0",
                     "text": "2.0.0 OK Authenticated", "error": null}}
  contains:
    advertised:
      description: Whether the server offered the mechanism.
      returned: always
      type: bool
    success:
      description: Whether the server accepted the credentials (235).
      returned: always
      type: bool
    code:
      description: Reply code that ended the exchange; null if the session broke off first.
      returned: always
      type: int
      sample: 535
    enhanced_status:
      description: Enhanced status code (RFC 3463) of that reply, when the server sent one.
      returned: always
      type: str
      sample: 5.7.0
    text:
      description: Text of that reply.
      returned: always
      type: str
      sample: 5.7.0 authentication failed
    error:
      description: Why the exchange broke off (connection closed, timeout, a challenge that could not be answered).
      returned: always
      type: str
auth_withheld:
  description:
    - Why no credentials were sent, when O(auth_requires_verified_tls) withheld them. Null when
      they were sent or none were given.
  returned: always
  type: str
  sample: "the session with 192.0.2.25:25 is not encrypted (tls=none)"
auth_succeeded:
  description: Mechanisms the server accepted, in the order tried.
  returned: always
  type: list
  elements: str
  sample: [PLAIN, LOGIN]
auth_failed:
  description: Mechanisms that did not end with 235, in the order tried.
  returned: always
  type: list
  elements: str
  sample: []
relay:
  description: The relay probe.
  returned: when the relay probe ran
  type: dict
  contains:
    mail_from:
      description: The reverse path used (empty for the null sender).
      returned: always
      type: str
    rcpt_to:
      description: The outside recipient used.
      returned: always
      type: str
    client_address:
      description: Local address of the unauthenticated probe's connection.
      returned: always
      type: str
      sample: 192.0.2.10
    server_address:
      description: Server address the probe connected to.
      returned: always
      type: str
      sample: 192.0.2.25
    client_is_relay_host:
      description:
        - True when the client address is loopback or the server's own address. Sendmail trusts
          such clients to relay, so the probe then says nothing about outside clients.
      returned: always
      type: bool
    without_auth:
      description:
        - The session without authentication. C(mail) and C(rcpt) are replies (C(code),
          C(enhanced_status), C(text)) or null when not sent; C(verdict) is V(accepted), V(denied),
          V(inconclusive) or V(not_run); C(error) says why the session broke off.
      returned: always
      type: dict
      sample: {"mail": {"code": 250, "enhanced_status": "2.1.0", "text": "2.1.0 <>... Sender ok"},
               "rcpt": {"code": 550, "enhanced_status": "5.7.1", "text": "5.7.1 <relay-probe@example.com>... Relaying denied"},
               "verdict": "denied", "error": null}
    with_auth:
      description:
        - The same after AUTH, in the session of the first mechanism that succeeded; C(mechanism)
          names it. C(verdict) is V(not_run) when nothing authenticated.
      returned: always
      type: dict
    denied_without_auth:
      description: True when relaying without authentication was refused, false when accepted, null when inconclusive.
      returned: always
      type: bool
    allowed_with_auth:
      description: True when relaying after AUTH was accepted, false when refused, null when not tested or inconclusive.
      returned: always
      type: bool
data:
  description:
    - The DATA probe. C(mail), C(rcpt), C(data) (the reply to C(DATA)) and C(end) (the reply after
      the end of data) are replies (C(code), C(enhanced_status), C(text)) or null when not reached;
      C(verdict) is V(accepted), V(refused) (C(refused_at) says where - V(mail), V(rcpt), V(data),
      V(end)), V(inconclusive) or V(not_run) (no login succeeded); C(size) is the message's size in
      bytes; C(mechanism) the mechanism of the session; C(error) why the session broke off.
  returned: when O(data_rcpt) is set
  type: dict
  sample: {"mail_from": "", "rcpt_to": "mailrelay-probe@relay.example.org", "mechanism": "PLAIN", "size": 398,
           "mail": {"code": 250, "enhanced_status": "2.1.0", "text": "2.1.0 <>... Sender ok"},
           "rcpt": {"code": 250, "enhanced_status": "2.1.5", "text": "2.1.5 <mailrelay-probe@relay.example.org>... Recipient ok"},
           "data": {"code": 354, "enhanced_status": null, "text": "Enter mail, end with \".\" on a line by itself"},
           "end": {"code": 250, "enhanced_status": "2.0.0", "text": "2.0.0 5B7H3a1x012345 Message accepted for delivery"},
           "verdict": "accepted", "refused_at": null, "error": null}
expectation_failures:
  description: One message per expectation that failed, expected and actual side by side.
  returned: always
  type: list
  elements: str
error_kind:
  description:
    - What kind of failure made the module fail; null when it succeeded.
    - V(connection_refused) (nothing accepted the connection), V(timeout), V(dns) (the host does
      not resolve), V(tls_handshake), V(tls_verify) (the certificate did not verify, or O(ca_file)
      cannot be read), V(protocol) (the server refused the session or broke the dialogue),
      V(no_credentials) (an AUTH expectation without O(username)), V(credentials_withheld)
      (an AUTH expectation, but O(auth_requires_verified_tls) kept the credentials back),
      V(expectation) (the server answered, but not as expected).
  returned: always
  type: str
  sample: credentials_withheld
hint:
  description: What to do about the failure, in one sentence; null when the module succeeded.
  returned: always
  type: str
transcript:
  description:
    - All sessions, C(C:) for the client, C(S:) for the server, C(--) for notes. Credentials,
      SASL responses and DIGEST-MD5's C(rspauth) are shown as C(<redacted>).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp import (
    CONNECTION_ARGUMENT_SPEC,
    SUPPORTED_MECHANISMS,
    ConnectionOptions,
    SMTPError,
    TLSHandshakeError,
    authenticate,
    auth_mechanisms,
    classify_relay,
    credentials_refusal,
    empty_tls_info,
    failure_details,
    failure_hint,
    format_list,
    is_relay_host_address,
    open_session,
    relay_transaction,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp_data import (
    data_summary,
    empty_data_result,
    message_transaction,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp_sasl import cleartext_mechanisms


def argument_spec():
    spec = dict(CONNECTION_ARGUMENT_SPEC)
    spec.update(
        username=dict(type='str'),
        password=dict(type='str', no_log=True),
        mechanisms=dict(type='list', elements='str', choices=list(SUPPORTED_MECHANISMS)),
        auth_requires_verified_tls=dict(type='bool', default=True),
        expect_success=dict(type='bool'),
        relay_probe=dict(type='bool', default=False),
        mail_from=dict(type='str', default=''),
        rcpt_to=dict(type='str', default='relay-probe@example.com'),
        expect_relay_denied_without_auth=dict(type='bool'),
        expect_relay_allowed_with_auth=dict(type='bool'),
        data_rcpt=dict(type='str'),
        expect_data_accepted=dict(type='bool'),
    )
    return spec


def _reply(reply):
    return reply.as_dict() if reply is not None else None


def _relay_attempt(mail=None, rcpt=None, error=None, mechanism=None):
    attempt = {
        'mail': _reply(mail),
        'rcpt': _reply(rcpt),
        'verdict': classify_relay(mail, rcpt) if mail is not None else 'not_run',
        'error': error,
    }
    if error and attempt['verdict'] == 'not_run':
        attempt['verdict'] = 'inconclusive'
    if mechanism is not None:
        attempt['mechanism'] = mechanism
    return attempt


def _attempt_summary(attempt):
    parts = []
    for step in ('mail', 'rcpt'):
        if attempt.get(step):
            parts.append('%s %s %s' % (step.upper(), attempt[step]['code'], attempt[step]['text'].split('\n')[0]))
    if attempt.get('error'):
        parts.append(attempt['error'])
    return ', '.join(parts) or 'nothing sent'


class AuthCheck:
    """The sessions of one smtp_auth_check run, and what they saw."""

    def __init__(self, params):
        self.params = params
        self.has_credentials = params.get('username') is not None
        # the safety default: None (not given) counts as true
        self.require_verified = params.get('auth_requires_verified_tls') is not False
        self.options = ConnectionOptions.from_params(params)
        # verify every session that may carry credentials, even without ca_file (system store)
        self.options.always_verify = self.require_verified and self.has_credentials and self.options.tls != 'none'
        self.transcript = []
        self.warnings = []
        self.result = {
            'changed': False,
            'banner': None,
            'starttls_offered': False,
            'auth_offered': [],
            'tls': empty_tls_info(),
            'auth': {},
            'auth_withheld': None,
            'auth_succeeded': [],
            'auth_failed': [],
            'transcript': self.transcript,
            'expectation_failures': [],
            'error_kind': None,
            'hint': None,
        }
        self.relay_wanted = bool(params.get('relay_probe')
                                 or params.get('expect_relay_denied_without_auth') is not None
                                 or params.get('expect_relay_allowed_with_auth') is not None)
        self.relay = None
        self.data = empty_data_result(params.get('mail_from') or '', params['data_rcpt']) if params.get('data_rcpt') else None

    def _open(self, label):
        """Open a session; if that fails, say goodbye to whatever answered and re-raise."""
        self.transcript.append('-- session: %s' % label)
        try:
            return open_session(self.options, self.transcript)
        except SMTPError as exc:
            session = getattr(exc, 'session', None)
            if session is not None:
                if self.result['banner'] is None:
                    self._record(session)
                session.quit()
            raise

    def _record(self, session):
        summary = session.summary()
        self.result.update(banner=summary['banner'], starttls_offered=summary['starttls_offered'],
                           tls=summary['tls'], auth_offered=auth_mechanisms(session.extensions))

    # --- the credential rule ------------------------------------------------------------

    def withhold_reason(self, session):
        """Why this session must not carry credentials, or None. The rule: see credentials_refusal()."""
        if not self.require_verified and not session.unverified_retry:
            return None
        return credentials_refusal(session)

    def may_send_credentials(self, session):
        """The last gate before a credential byte leaves: an explicit look at the session itself.

        Redundant with withhold_reason() on purpose, so that a later change to the options,
        their defaults or open_session() cannot let the unverified second look carry a password.
        """
        if session.unverified_retry or session.tls['verified'] is False:
            return False
        if not self.require_verified:
            return True
        return bool(session.verify and session.tls['established'] and session.tls['verified'] is True
                    and self.options.tls_check_hostname)

    def withhold(self, mechanism, reason):
        self.result['auth'][mechanism] = {
            'advertised': mechanism in self.result['auth_offered'], 'success': False, 'code': None,
            'enhanced_status': None, 'text': None, 'error': 'not sent: %s' % reason}
        if self.result['auth_withheld'] is None:
            self.result['auth_withheld'] = reason
            self.transcript.append('-- credentials withheld: %s' % reason)
        self.result['auth_failed'].append(mechanism)

    # --- sessions ----------------------------------------------------------------------------

    def first_session(self):
        """Learn what the server offers; run the unauthenticated half of the relay probe there."""
        session = self._open('relay probe without AUTH' if self.relay_wanted else 'what the server offers')
        self._record(session)
        try:
            if self.has_credentials:
                reason = self.withhold_reason(session)
                if reason:  # no session to this server will get a password: do not open more
                    self.result['auth_withheld'] = reason
                    self.transcript.append('-- credentials withheld: %s' % reason)
            if self.relay_wanted:
                self.relay = {
                    'mail_from': self.params['mail_from'],
                    'rcpt_to': self.params['rcpt_to'],
                    'client_address': session.client_address,
                    'server_address': session.server_address,
                    'client_is_relay_host': is_relay_host_address(session.client_address, session.server_address),
                    'without_auth': None,
                    'with_auth': _relay_attempt(),
                }
                try:
                    mail, rcpt = relay_transaction(session.client, self.params['mail_from'], self.params['rcpt_to'])
                    self.relay['without_auth'] = _relay_attempt(mail, rcpt)
                except SMTPError as exc:
                    self.relay['without_auth'] = _relay_attempt(error=exc.message)
        finally:
            session.quit()

    def try_mechanism(self, mechanism):
        if self.result['auth_withheld'] is not None:
            self.withhold(mechanism, self.result['auth_withheld'])
            return
        entry = {'advertised': mechanism in self.result['auth_offered'], 'success': False,
                 'code': None, 'enhanced_status': None, 'text': None, 'error': None}
        session = self._open('AUTH %s' % mechanism)
        try:
            # every session is checked again: the server may present another certificate each time
            reason = self.withhold_reason(session)
            if reason is None and not self.may_send_credentials(session):
                reason = 'the session with %s is not verified' % session.client.where
            if reason:
                self.withhold(mechanism, reason)
                return
            self.result['auth'][mechanism] = entry
            reply = authenticate(session.client, mechanism, self.params['username'], self.params['password'],
                                 self.options.server_name)
            entry.update(reply.as_dict())
            entry['success'] = reply.code == 235
            if entry['success'] and self.relay is not None and self.relay['with_auth']['verdict'] == 'not_run':
                try:
                    mail, rcpt = relay_transaction(session.client, self.params['mail_from'], self.params['rcpt_to'])
                    self.relay['with_auth'] = _relay_attempt(mail, rcpt, mechanism=mechanism)
                except SMTPError as exc:
                    self.relay['with_auth'] = _relay_attempt(error=exc.message, mechanism=mechanism)
            if entry['success'] and self.data is not None and self.data['verdict'] == 'not_run' and not session.client.broken:
                self.data = message_transaction(session.client, self.data['mail_from'], self.data['rcpt_to'])
                self.data['mechanism'] = mechanism
        except SMTPError as exc:
            entry['error'] = exc.message
            self.result['auth'][mechanism] = entry
        finally:
            session.quit()
        (self.result['auth_succeeded'] if entry['success'] else self.result['auth_failed']).append(mechanism)

    def run(self):
        """Return (result, failure message or None). Network trouble becomes a message, not an exception."""
        try:
            self.first_session()
            if self.has_credentials:
                if self.options.tls == 'none' and not self.require_verified:
                    offered = cleartext_mechanisms(self.mechanisms())
                    self.warnings.append(
                        'AUTH over a clear-text connection (tls=none, auth_requires_verified_tls=false) sends '
                        'credentials unprotected%s; sendmail\'s AuthOptions \'p\' forbids plain-text mechanisms there'
                        % (' (%s carry the password itself)' % ' and '.join(offered) if offered else ''))
                for mechanism in self.mechanisms():
                    self.try_mechanism(mechanism)
        except SMTPError as exc:
            if (self.has_credentials and isinstance(exc, TLSHandshakeError) and exc.verify_error is not None
                    and self.require_verified):
                # validate_certs made the certificate fatal; say what became of the credentials too
                for mechanism in self.mechanisms():
                    if mechanism not in self.result['auth']:
                        self.withhold(mechanism, exc.message)
            self.finish()
            self.result.update(failure_details(exc, self.options))
            return self.result, exc.message
        self.finish()
        failures = self.expectation_failures()
        self.result['expectation_failures'] = failures
        if failures:
            kind = self.failure_kind()
            self.result['error_kind'] = kind
            self.result['hint'] = failure_hint(kind, self.options)
            count = len(failures)
            return self.result, '%d expectation%s failed: %s' % (count, '' if count == 1 else 's', '; '.join(failures))
        return self.result, None

    def failure_kind(self):
        """The kind of an expectation failure: withheld or missing credentials explain it best."""
        params = self.params
        auth_expected = (params.get('expect_success') is not None or params.get('expect_relay_allowed_with_auth')
                         or (params.get('expect_data_accepted') and self.data is not None))
        if auth_expected and self.result['auth_withheld'] is not None:
            return 'credentials_withheld'
        if auth_expected and not self.has_credentials:
            return 'no_credentials'
        return 'expectation'

    def mechanisms(self):
        wanted = self.params.get('mechanisms')
        if wanted:
            return list(dict.fromkeys(m.upper() for m in wanted))
        return [m for m in SUPPORTED_MECHANISMS if m in self.result['auth_offered']]

    def finish(self):
        if self.data is not None:
            if self.data['verdict'] == 'not_run' and self.data['error'] is None:
                self.data['error'] = 'no login succeeded'
            self.result['data'] = self.data
        if self.relay is None:
            return
        without = self.relay['without_auth'] or _relay_attempt()
        with_auth = self.relay['with_auth']
        self.relay['without_auth'] = without
        self.relay['denied_without_auth'] = {'denied': True, 'accepted': False}.get(without['verdict'])
        self.relay['allowed_with_auth'] = {'accepted': True, 'denied': False}.get(with_auth['verdict'])
        self.result['relay'] = self.relay
        if self.relay['client_is_relay_host']:
            self.warnings.append(
                'the relay probe ran from %s to %s, an address the relay host itself owns; sendmail lets such clients '
                'relay without authentication, so the probe does not show what outside clients get. Delegate the task '
                'to another host, or set source_address to an address the relay does not trust'
                % (self.relay['client_address'], self.relay['server_address']))

    def _withheld_failure(self, what):
        return ('%s: credentials withheld: %s; fix: give the CA that signed the relay certificate as ca_file and a name '
                'it carries as tls_server_name, or fix the certificate (auth_requires_verified_tls=false only in a lab)'
                % (what, self.result['auth_withheld']))

    def expectation_failures(self):
        failures = []
        params, result = self.params, self.result
        expect_success = params.get('expect_success')
        if expect_success is not None:
            tried = [m for m in result['auth'] if not (result['auth'][m]['error'] or '').startswith('not sent: ')]
            if result['auth_withheld'] is not None:
                failures.append(self._withheld_failure('auth'))
            elif not tried:
                failures.append('auth: expected %s, but no mechanism was tried (server offered %s; username %s)' % (
                    'success' if expect_success else 'failure', format_list(result['auth_offered']),
                    'given' if self.has_credentials else 'not given'))
            wrong = [m for m in tried if result['auth'][m]['success'] != expect_success]
            if wrong:
                failures.append('auth: expected %s, got %s' % (
                    '235 for every mechanism' if expect_success else 'no mechanism to succeed',
                    '; '.join('%s %s' % (m, self._auth_outcome(m)) for m in wrong)))
        relay = self.relay
        if params.get('expect_relay_denied_without_auth') is not None:
            want = params['expect_relay_denied_without_auth']
            attempt = relay['without_auth']
            if relay['denied_without_auth'] is not want:
                failure = 'relay without auth: expected %s, got %s (%s)' % (
                    'denied' if want else 'accepted', attempt['verdict'], _attempt_summary(attempt))
                if relay['client_is_relay_host'] and attempt['verdict'] == 'accepted':
                    failure += ' - the client %s is an address sendmail trusts by default; probe from another host' % (
                        relay['client_address'])
                failures.append(failure)
        if params.get('expect_relay_allowed_with_auth') is not None:
            want = params['expect_relay_allowed_with_auth']
            attempt = relay['with_auth']
            if relay['allowed_with_auth'] is not want:
                if attempt['verdict'] == 'not_run' and result['auth_withheld'] is not None:
                    failures.append(self._withheld_failure('relay with auth: expected %s, got not_run'
                                                           % ('accepted' if want else 'denied')))
                else:
                    detail = _attempt_summary(attempt) if attempt['verdict'] != 'not_run' else (
                        'no mechanism authenticated: ' + ('; '.join('%s %s' % (m, self._auth_outcome(m))
                                                                    for m in result['auth'])
                                                          or 'no username/password or no mechanism to try'))
                    failures.append('relay with auth: expected %s, got %s (%s)' % (
                        'accepted' if want else 'denied', attempt['verdict'], detail))
        if params.get('expect_data_accepted') and self.data is not None and self.data['verdict'] != 'accepted':
            if self.data['verdict'] == 'not_run' and result['auth_withheld'] is not None:
                failures.append(self._withheld_failure('data: expected the message to be accepted, got not_run'))
            else:
                failures.append('data: expected the message of %s bytes to <%s> to be accepted (250 after the end of '
                                'data), got %s' % (self.data['size'] or '-', self.data['rcpt_to'], data_summary(self.data)))
        return failures

    def _auth_outcome(self, mechanism):
        entry = self.result['auth'][mechanism]
        if entry['error']:
            return entry['error']
        return '%s %s' % (entry['code'], (entry['text'] or '').split('\n')[0])


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_together=[('username', 'password')],
        required_by={'mechanisms': ('username', 'password'), 'data_rcpt': ('username', 'password')},
        supports_check_mode=True,
    )
    check = AuthCheck(module.params)
    if module.params['username'] is None and not check.relay_wanted:
        module.fail_json(msg='nothing to check: give username and password, or ask for the relay probe '
                             '(relay_probe or expect_relay_*)')
    result, failure = check.run()
    for warning in check.warnings:
        module.warn(warning)
    if failure:
        module.fail_json(msg=failure, **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
