#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: smtp_smuggling_check
short_description: Probe an SMTP server for SMTP smuggling (CVE-2023-51765)
version_added: 0.2.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - Sends, per variant in its own session, one message to O(rcpt_to) whose body hides a second
    transaction (C(MAIL FROM), C(RCPT TO), C(DATA) and a second message) behind an end-of-data
    sequence with a bare LF or CR, such as C(<LF>.<CR><LF>). The message is followed by C(QUIT)
    in the same write, and the replies up to C(QUIT)'s 221 say how the server read it.
  - V(vulnerable) - the server took the sequence for the end of C(DATA) and answered the hidden
    C(MAIL FROM) (sendmail before 8.18.1 without the CVE-2023-51765 fix does). V(rejected) - it
    refused the message (sendmail 8.18 answers 421 with "Bare linefeed (LF) not allowed" and closes).
    V(data) - it read the sequence as part of the message and accepted one message.
    V(inconclusive) - anything else, with the reason.
  - With O(expect_not_vulnerable) (the default) it is a check that fails when a variant is
    vulnerable or inconclusive, and still returns everything it saw.
extends_documentation_fragment:
  - mailrelay.sendmail._attributes
  - mailrelay.sendmail._attributes.READ_ONLY
  - mailrelay.sendmail._smtp_connection
options:
  rcpt_to:
    description:
      - A recipient the relay accepts and delivers locally, such as C(postmaster@relay.example.org).
        The probe messages go there.
    type: str
    required: true
  mail_from:
    description:
      - Reverse path of the probe message and of the hidden one. Defaults to C(probe@) followed by
        the domain of O(rcpt_to) (the relay's own domain, which it accepts without a DNS lookup), or by
        O(ehlo_name) when O(rcpt_to) has no domain.
      - The relay must accept it; sendmail refuses sender domains that do not resolve, such as the
        short host name of a controller.
    type: str
  variants:
    description:
      - The end-of-data sequences to try, one session each.
      - V(lf_dot_crlf) is C(<LF>.<CR><LF>), the sequence of CVE-2023-51765; V(lf_dot_lf) is
        C(<LF>.<LF>); V(crlf_dot_lf) is C(<CR><LF>.<LF>). These are the default, because sendmail
        took all three for the end of C(DATA).
      - V(cr_dot_cr) (C(<CR>.<CR>)), V(cr_dot_crlf) (C(<CR>.<CR><LF>)) and V(crlf_dot_cr)
        (C(<CR><LF>.<CR>)) matter for MTAs that end lines at a bare CR.
    type: list
    elements: str
    choices: [lf_dot_crlf, lf_dot_lf, crlf_dot_lf, cr_dot_cr, cr_dot_crlf, crlf_dot_cr]
    default: [lf_dot_crlf, lf_dot_lf, crlf_dot_lf]
  expect_not_vulnerable:
    description:
      - V(true) - fail when any variant is vulnerable or inconclusive.
      - V(false) - report only.
    type: bool
    default: true
notes:
  - This probe is not free of effects. A server that is not vulnerable still delivers one small
    message per variant to O(rcpt_to) (verdict V(data)), unless it refuses the bare line ending
    and closes the session with 421 (V(rejected)). A vulnerable server delivers two per variant,
    the second being the smuggled one. Point O(rcpt_to) at a mailbox that expects them.
  - The module still reports C(changed=false), like the other probes, because it changes nothing
    in the configuration of the host.
  - On failure, RV(error_kind) says what kind of failure it was and RV(hint) what to do.
seealso:
  - module: mailrelay.sendmail.smtp_relay_check
  - name: CVE-2023-51765
    description: sendmail SMTP smuggling - bare LF before the end-of-data dot.
    link: https://nvd.nist.gov/vuln/detail/CVE-2023-51765
  - name: RFC 5321 section 4.1.1.4
    description: DATA ends with CRLF . CRLF only.
    link: https://www.rfc-editor.org/rfc/rfc5321#section-4.1.1.4
"""

EXAMPLES = r"""
- name: The relay is not open to SMTP smuggling
  mailrelay.sendmail.smtp_smuggling_check:
    host: relay.example.org
    port: 25
    tls: none
    rcpt_to: postmaster@relay.example.org
  delegate_to: client.example.org

- name: All six variants, inside STARTTLS, report only
  mailrelay.sendmail.smtp_smuggling_check:
    host: relay.example.org
    port: 587
    rcpt_to: postmaster@relay.example.org
    mail_from: probe@client.example.org
    variants: [lf_dot_crlf, lf_dot_lf, crlf_dot_lf, cr_dot_cr, cr_dot_crlf, crlf_dot_cr]
    expect_not_vulnerable: false
  register: smuggling

- name: Implicit TLS on the submissions port, the certificate verified against our CA
  mailrelay.sendmail.smtp_smuggling_check:
    host: relay.example.org
    port: 465
    tls: implicit
    ca_file: /etc/ssl/certs/relay-ca.pem
    validate_certs: true
    rcpt_to: postmaster@relay.example.org

- name: Show the verdict per variant
  ansible.builtin.debug:
    msg: "{{ smuggling.variants | items2dict(key_name='id', value_name='verdict') }}"
"""

RETURN = r"""
vulnerable:
  description:
    - True when at least one variant is vulnerable, false when every variant was tested and
      none is, null when a variant stayed inconclusive and none is vulnerable.
  returned: always
  type: bool
  sample: false
variants:
  description:
    - One entry per variant, in the order asked for.
    - C(id), C(description), C(sequence) (for example C(<LF>.<CR><LF>)); C(mail), C(rcpt) and
      C(data) are the replies to C(MAIL FROM), C(RCPT TO) and C(DATA) (C(code),
      C(enhanced_status), C(text), or null when not sent); C(replies) are the replies after the
      message, up to C(QUIT)'s 221; C(smuggled_mail) is the reply to the hidden C(MAIL FROM) when
      the server answered it; C(verdict) is V(vulnerable), V(rejected), V(data) or V(inconclusive);
      C(note) explains a V(rejected) without a reply (the server closed the connection in the
      middle of the message); C(error) and C(error_kind) say why a variant is inconclusive.
  returned: always
  type: list
  elements: dict
  sample:
    - id: lf_dot_crlf
      description: bare LF before the dot, <LF>.<CR><LF> - the sequence of CVE-2023-51765
      sequence: <LF>.<CR><LF>
      mail: {"code": 250, "enhanced_status": "2.1.0", "text": "2.1.0 <probe@client.example.org>... Sender ok"}
      rcpt: {"code": 250, "enhanced_status": "2.1.5", "text": "2.1.5 <postmaster@relay.example.org>... Recipient ok"}
      data: {"code": 354, "enhanced_status": null, "text": "Enter mail, end with \".\" on a line by itself"}
      replies: [{"code": 421, "enhanced_status": "4.5.0", "text": "4.5.0 Bare linefeed (LF) not allowed"}]
      smuggled_mail: null
      verdict: rejected
      note: null
      error: null
      error_kind: null
vulnerable_variants:
  description: Ids of the variants that are vulnerable.
  returned: always
  type: list
  elements: str
  sample: []
inconclusive_variants:
  description: Ids of the variants that stayed inconclusive.
  returned: always
  type: list
  elements: str
  sample: []
messages_accepted:
  description: How many messages the server said it accepted for delivery to O(rcpt_to) (hidden ones included).
  returned: always
  type: int
  sample: 3
expectation_failures:
  description: One message per vulnerable or inconclusive variant, when O(expect_not_vulnerable) is set.
  returned: always
  type: list
  elements: str
error_kind:
  description:
    - What kind of failure made the module fail; null when it succeeded. One of
      V(connection_refused), V(timeout), V(dns), V(tls_handshake), V(tls_verify), V(protocol),
      V(expectation) (a variant is vulnerable or inconclusive, or the relay refused O(rcpt_to)).
  returned: always
  type: str
hint:
  description: What to do about the failure, in one sentence; null when the module succeeded.
  returned: always
  type: str
transcript:
  description:
    - All sessions, C(C:) for the client, C(S:) for the server, C(--) for notes. The message
      itself is shown as one line that names the sequence.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp import (
    CONNECTION_ARGUMENT_SPEC,
    ConnectionOptions,
    failure_details,
    failure_hint,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp_smuggling import (
    DEFAULT_VARIANTS,
    VARIANT_IDS,
    VARIANTS,
    probe_variant,
)

HINT_VULNERABLE = ('the relay ends DATA at a bare line ending, so forged messages can be smuggled through it: upgrade '
                   'sendmail to 8.18.1 or later, or build it with the CVE-2023-51765 fix (sendmail_build patches)')


def argument_spec():
    spec = dict(CONNECTION_ARGUMENT_SPEC)
    spec.update(
        rcpt_to=dict(type='str', required=True),
        mail_from=dict(type='str'),
        variants=dict(type='list', elements='str', choices=list(VARIANT_IDS), default=list(DEFAULT_VARIANTS)),
        expect_not_vulnerable=dict(type='bool', default=True),
    )
    return spec


def run_check(params):
    """Return (result, failure message or None); network trouble becomes a message."""
    options = ConnectionOptions.from_params(params)
    rcpt_domain = params['rcpt_to'].rpartition('@')[2] if '@' in params['rcpt_to'] else ''
    mail_from = params.get('mail_from') or 'probe@%s' % (rcpt_domain or options.ehlo_name)
    wanted = list(dict.fromkeys(params.get('variants') or DEFAULT_VARIANTS))
    transcript = []
    result = {'changed': False, 'vulnerable': None, 'variants': [], 'vulnerable_variants': [],
              'inconclusive_variants': [], 'messages_accepted': 0, 'expectation_failures': [],
              'error_kind': None, 'hint': None, 'transcript': transcript}
    for variant in VARIANTS:
        if variant[0] not in wanted:
            continue
        entry, connect_error = probe_variant(options, variant, mail_from, params['rcpt_to'], transcript)
        result['variants'].append(entry)
        if connect_error is not None:  # the server cannot be reached: no use trying the others
            result.update(failure_details(connect_error, options))
            _summarise(result)
            return result, 'variant %s: %s' % (entry['id'], connect_error.message)
    _summarise(result)
    if params.get('expect_not_vulnerable') is False:
        return result, None
    failures = []
    for entry in result['variants']:
        if entry['verdict'] == 'vulnerable':
            failures.append('smuggling %s (%s): vulnerable - the server ended DATA there and answered the hidden '
                            'MAIL FROM with %s' % (entry['id'], entry['sequence'], _summary(entry['smuggled_mail'])))
        elif entry['verdict'] == 'inconclusive':
            failures.append('smuggling %s (%s) inconclusive: %s' % (entry['id'], entry['sequence'], entry['error']))
    result['expectation_failures'] = failures
    if not failures:
        return result, None
    result['error_kind'] = 'expectation'
    if result['vulnerable_variants']:
        result['hint'] = HINT_VULNERABLE
    elif any(entry['error_kind'] == 'expectation' for entry in result['variants']):
        result['hint'] = ('the relay did not take the probe message: rcpt_to must be a recipient it delivers locally '
                          '(such as postmaster@ the relay) and mail_from a sender it accepts')
    else:
        kinds = [entry['error_kind'] for entry in result['variants'] if entry['error_kind']]
        result['error_kind'] = kinds[0] if kinds else 'expectation'
        result['hint'] = (failure_hint(kinds[0], options) if kinds else
                          'see the replies after the message of each variant and the transcript')
    count = len(failures)
    return result, '%d smuggling check%s failed: %s' % (count, '' if count == 1 else 's', '; '.join(failures))


def _summary(reply):
    if not reply:
        return 'nothing'
    return '%s %s' % (reply['code'], (reply['text'] or '').split('\n', 1)[0])


def _summarise(result):
    variants = result['variants']
    result['vulnerable_variants'] = [entry['id'] for entry in variants if entry['verdict'] == 'vulnerable']
    result['inconclusive_variants'] = [entry['id'] for entry in variants if entry['verdict'] == 'inconclusive']
    if result['vulnerable_variants']:
        result['vulnerable'] = True
    elif variants and not result['inconclusive_variants']:
        result['vulnerable'] = False
    # a 250 ends a message when it answers the message itself or follows the hidden DATA's 354
    result['messages_accepted'] = sum(
        1 for entry in variants for index, reply in enumerate(entry['replies'])
        if reply['code'] == 250 and (index == 0 or entry['replies'][index - 1]['code'] == 354))


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    result, failure = run_check(module.params)
    if failure:
        module.fail_json(msg=failure, **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
