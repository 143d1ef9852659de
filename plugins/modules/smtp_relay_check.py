#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: smtp_relay_check
short_description: Probe an SMTP server for open relaying with the tricks relay abusers use
version_added: 0.2.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - Tries to get outside recipients accepted without authentication, the way relay abusers do -
    a plain outside address, the null sender, the relay's own domain and address as sender, the
    percent hack, UUCP bang paths, RFC 821 source routes, quoted local parts, address literals,
    trailing dots, a second C(@), upper and mixed case. The list, with what each trick tries, is
    in C(docs/smtp-checks.md); RV(phases.clear) returns each with its replies.
  - Every trick is one C(MAIL FROM) and one C(RCPT TO), then C(RSET). It never sends C(DATA), so
    no message is ever sent, and never authenticates.
  - A trick is V(accepted) when C(RCPT) gets a 2xx reply, V(refused) on a 4xx or 5xx reply to
    C(MAIL) or C(RCPT), and V(inconclusive) when the session breaks or the server closes it (421)
    before it answered.
  - On a STARTTLS listener the tricks run twice by default, in clear text before STARTTLS and
    again inside TLS, because a relay may decide differently in the two.
  - It uses one session per phase, with C(RSET) between tricks. When the server hangs up (for
    example after too many refused recipients) it opens a new session, tries the interrupted trick
    once more and says so in the C(notes) of RV(phases.clear) or RV(phases.tls).
  - O(destinations) adds outside recipients to try the same way, with the recipient tricks' sender
    (other top-level domains, the parent domains of the relay domains, address literals); each is
    one more C(RCPT TO) in the same sessions, and is reported like a trick with C(kind=destination).
  - With O(expect_denied) (the default) it is a check that fails when any outside recipient is
    accepted or any trick stays inconclusive, and still returns everything it saw.
extends_documentation_fragment:
  - mailrelay.sendmail._attributes
  - mailrelay.sendmail._attributes.READ_ONLY
  - mailrelay.sendmail._smtp_connection
options:
  relay_name:
    description:
      - The relay's own host name, for the tricks that hide an outside address behind it (percent
        hack, bang paths, source routes, quoted local parts, own-domain sender).
      - Defaults to O(tls_server_name), else O(host) when it is a name, else the name the server
        announces in its banner, else the address literal of the server.
    type: str
  relay_address:
    description:
      - The relay's IP address, for the address-literal tricks (C(user%outside@[192.0.2.25]),
        C(user@[192.0.2.25]) as sender). IPv6 addresses become C([IPv6:...]) literals.
      - Defaults to the address the connection reached.
    type: str
  outside_domain:
    description:
      - A domain the relay must not relay to. The default is reserved by RFC 2606; nothing is
        ever sent to it.
    type: str
    default: example.com
  outside_user:
    description:
      - Local part of the outside recipient (and of the outside sender of the V(plain) trick).
    type: str
    default: relay-probe
  outside_address:
    description:
      - An IP address outside the relay's networks, for the V(ip_literal_recipient) trick. The
        default is from TEST-NET-1 (RFC 5737).
    type: str
    default: 192.0.2.1
  mail_from:
    description:
      - Reverse path of the recipient tricks. The empty default is the null sender C(<>), which a
        sender check does not refuse, so the reply is about the recipient. The sender tricks set
        their own.
    type: str
    default: ''
  phases:
    description:
      - Where the tricks run - V(clear) in clear text (on a STARTTLS listener, before STARTTLS),
        V(tls) inside TLS (after STARTTLS in a new session, or with implicit TLS).
      - Defaults to both with O(tls=starttls), V(tls) with O(tls=implicit) and V(clear) with O(tls=none).
    type: list
    elements: str
    choices: [clear, tls]
  tricks:
    description:
      - Run only these tricks (the C(id) of each trick in RV(phases.clear)). Default is all.
    type: list
    elements: str
    choices:
      - plain
      - null_sender
      - own_domain_sender
      - ip_literal_sender
      - localhost_sender
      - percent_hack
      - percent_hack_ip_literal
      - bang_path
      - bang_path_at_relay
      - bang_path_via_relay
      - source_route
      - source_route_list
      - quoted_at_relay
      - quoted_percent_at_relay
      - quoted_bang_at_relay
      - quoted_alone
      - ip_literal_recipient
      - trailing_dot
      - trailing_dot_relay
      - double_at
      - uppercase
      - mixed_case_percent
  destinations:
    description:
      - More outside recipients the relay must refuse, each tried after the tricks in every phase.
        P(mailrelay.sendmail.relay_destinations#filter) makes the list the verification gate uses.
      - Nothing is ever sent to them (no C(DATA)).
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description: A name for the probe in the results; unique, and not the id of a trick.
        type: str
        required: true
      rcpt_to:
        description: The recipient, C(user@domain) or C(user@[192.0.2.1]).
        type: str
        required: true
      description:
        description: What the destination tries, for the results.
        type: str
  expect_denied:
    description:
      - V(true) - fail when any outside recipient is accepted, or any trick stays inconclusive
        (an inconclusive trick proves nothing).
      - V(false) - report only.
    type: bool
    default: true
notes:
  - Sendmail lets clients on loopback and on the relay's own addresses relay without
    authentication. Run the task on another host (C(delegate_to)) or bind a O(source_address) the
    relay does not trust; the module warns otherwise, and RV(client_is_relay_host) says so.
  - A certificate is reported in RV(tls) but not required to verify unless O(validate_certs) is
    set; this module never sends credentials.
  - On failure, RV(error_kind) says what kind of failure it was and RV(hint) what to do.
seealso:
  - module: mailrelay.sendmail.smtp_auth_check
  - module: mailrelay.sendmail.smtp_ehlo_info
  - name: RFC 5321
    description: Simple Mail Transfer Protocol (address literals, source routes in appendix C and F.2).
    link: https://www.rfc-editor.org/rfc/rfc5321
  - name: RFC 2505
    description: Anti-Spam Recommendations for SMTP MTAs (section 2, relaying tricks).
    link: https://www.rfc-editor.org/rfc/rfc2505
"""

EXAMPLES = r"""
- name: The relay is not open, in clear text and after STARTTLS, seen from a client
  mailrelay.sendmail.smtp_relay_check:
    host: 192.0.2.25
    port: 25
    tls_server_name: relay.example.org
  delegate_to: client.example.org

- name: Implicit TLS on the submissions port, IPv6
  mailrelay.sendmail.smtp_relay_check:
    host: "2001:db8::25"
    port: 465
    tls: implicit
    relay_name: relay.example.org
  delegate_to: client.example.org

- name: Only the percent hack and the bang paths, report without failing
  mailrelay.sendmail.smtp_relay_check:
    host: relay.example.org
    tricks: [percent_hack, bang_path, bang_path_at_relay, bang_path_via_relay]
    expect_denied: false
  register: relay_tricks

- name: Show what got through
  ansible.builtin.debug:
    msg: "accepted {{ relay_tricks.accepted }}, {{ relay_tricks.counts.refused }}/{{ relay_tricks.counts.probes }} refused"
"""

RETURN = r"""
relay_name:
  description: The name the tricks used for the relay.
  returned: always
  type: str
  sample: relay.example.org
relay_address:
  description: The address the address-literal tricks used; null when the module could not connect.
  returned: always
  type: str
  sample: 192.0.2.25
phases:
  description:
    - One entry per phase that ran, V(clear) and/or V(tls), each with the same keys.
  returned: always
  type: dict
  contains:
    clear:
      description:
        - The tricks in clear text. C(sessions) and C(reconnects) count the sessions; C(notes)
          say why a session was opened again; C(error), C(error_kind) and C(hint) say why no
          session could be opened (the remaining tricks are then inconclusive).
        - C(tricks) is a list with one entry per trick and per destination - C(id), C(kind)
          (V(trick) or V(destination)), C(description), C(mail_from),
          C(rcpt_to), C(mail) and C(rcpt) (replies with C(code), C(enhanced_status), C(text), or
          null when not sent), C(verdict) (V(accepted), V(refused), V(inconclusive)),
          C(refused_at) (V(mail), V(rcpt) or null) and C(error).
        - C(accepted), C(refused) and C(inconclusive) list the trick ids by verdict.
      returned: when the phase ran
      type: dict
      sample:
        sessions: 1
        reconnects: 0
        notes: []
        error: null
        error_kind: null
        hint: null
        tricks:
          - id: percent_hack
            kind: trick
            description: "percent hack: the outside address hidden in a local part of the relay's own domain"
            mail_from: ""
            rcpt_to: relay-probe%example.com@relay.example.org
            mail: {"code": 250, "enhanced_status": "2.1.0", "text": "2.1.0 <>... Sender ok"}
            rcpt: {"code": 550, "enhanced_status": "5.7.1", "text": "5.7.1 <relay-probe%example.com@relay.example.org>... Relaying denied"}
            verdict: refused
            refused_at: rcpt
            error: null
        accepted: []
        refused: [percent_hack]
        inconclusive: []
    tls:
      description: The tricks inside TLS, with the same keys as RV(phases.clear).
      returned: when the phase ran
      type: dict
destinations:
  description: The ids of O(destinations), in the order they were tried.
  returned: always
  type: list
  elements: str
  sample: [outside_com, outside_random_tld, parent_domain_1, ip_literal_1]
accepted:
  description: Ids of the tricks and destinations that relayed in any phase, in the order they were tried.
  returned: always
  type: list
  elements: str
  sample: []
inconclusive:
  description: Ids of the tricks that got no clear answer in some phase.
  returned: always
  type: list
  elements: str
  sample: []
counts:
  description: How many probes (tricks times phases) ended how.
  returned: always
  type: dict
  sample: {"probes": 44, "accepted": 0, "refused": 44, "inconclusive": 0}
client_address:
  description: Local address of the first connection (what the relay sees, unless NAT intervenes).
  returned: always
  type: str
  sample: 192.0.2.10
server_address:
  description: Server address the first connection reached.
  returned: always
  type: str
  sample: 192.0.2.25
client_is_relay_host:
  description:
    - True when the client address is loopback or the server's own address. Sendmail trusts such
      clients to relay, so the probe then says nothing about outside clients.
  returned: always
  type: bool
tls:
  description:
    - The first TLS session of the V(tls) phase, with the same keys as the C(tls) result of
      M(mailrelay.sendmail.smtp_ehlo_info). C(established) is false when no TLS phase ran.
  returned: always
  type: dict
expectation_failures:
  description: One message per accepted or inconclusive trick and phase, when O(expect_denied) is set.
  returned: always
  type: list
  elements: str
  sample: ["relay trick percent_hack (tls): RCPT TO:<relay-probe%example.com@relay.example.org> accepted: 250 2.1.5 Recipient ok"]
error_kind:
  description:
    - What kind of failure made the module fail; null when it succeeded. One of
      V(connection_refused), V(timeout), V(dns), V(tls_handshake), V(tls_verify), V(protocol),
      V(expectation) (a trick relayed or stayed inconclusive).
  returned: always
  type: str
hint:
  description: What to do about the failure, in one sentence; null when the module succeeded.
  returned: always
  type: str
transcript:
  description: All sessions, C(C:) for the client, C(S:) for the server, C(--) for notes.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp import (
    CONNECTION_ARGUMENT_SPEC,
    ConnectionOptions,
    SMTPError,
    empty_tls_info,
    failure_details,
    is_relay_host_address,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp_relay import (
    PHASES,
    TRICK_IDS,
    VERDICTS,
    RelayProber,
    TrickContext,
    check_phases,
    default_phases,
    default_relay_name,
    destinations_problem,
    relay_literal,
    render_destinations,
    render_tricks,
)


def argument_spec():
    spec = dict(CONNECTION_ARGUMENT_SPEC)
    spec.update(
        relay_name=dict(type='str'),
        relay_address=dict(type='str'),
        outside_domain=dict(type='str', default='example.com'),
        outside_user=dict(type='str', default='relay-probe'),
        outside_address=dict(type='str', default='192.0.2.1'),
        mail_from=dict(type='str', default=''),
        phases=dict(type='list', elements='str', choices=list(PHASES)),
        tricks=dict(type='list', elements='str', choices=list(TRICK_IDS)),
        destinations=dict(type='list', elements='dict', default=[], options=dict(
            id=dict(type='str', required=True),
            rcpt_to=dict(type='str', required=True),
            description=dict(type='str'),
        )),
        expect_denied=dict(type='bool', default=True),
    )
    return spec


def argument_problem(params):
    """A message for option values the spec cannot judge, or None."""
    tls = params.get('tls') or 'starttls'
    problem = check_phases(tls, params.get('phases') or default_phases(tls))
    if problem:
        return problem
    if relay_literal(params.get('outside_address') or '192.0.2.1') is None:
        return 'outside_address: %r is not an IP address' % params.get('outside_address')
    if params.get('relay_address') and relay_literal(params['relay_address']) is None:
        return 'relay_address: %r is not an IP address' % params['relay_address']
    return destinations_problem(params.get('destinations'))


class RelayCheck:
    """One smtp_relay_check run."""

    def __init__(self, params):
        self.params = params
        self.options = ConnectionOptions.from_params(params)
        self.phases = list(dict.fromkeys(params.get('phases') or default_phases(self.options.tls)))
        self.transcript = []
        self.warnings = []
        self.prober = RelayProber(self.options, self.transcript)
        self.result = {
            'changed': False,
            'relay_name': params.get('relay_name'),
            'relay_address': params.get('relay_address'),
            'phases': {},
            'destinations': [destination['id'] for destination in params.get('destinations') or []],
            'accepted': [],
            'inconclusive': [],
            'counts': {'probes': 0, 'accepted': 0, 'refused': 0, 'inconclusive': 0},
            'client_address': None,
            'server_address': None,
            'client_is_relay_host': False,
            'tls': empty_tls_info(),
            'expectation_failures': [],
            'error_kind': None,
            'hint': None,
            'transcript': self.transcript,
        }

    def run(self):
        """Return (result, failure message or None); network trouble becomes a message."""
        first_phase = self.phases[0]
        try:
            session = self.prober.open(first_phase, '%s phase' % first_phase)
        except SMTPError as exc:
            self._addresses()
            self.result.update(failure_details(exc, self.options))
            return self.result, exc.message
        self._addresses()
        context = self._context(session)
        tricks = render_tricks(context, self.params.get('tricks')) + render_destinations(
            context, self.params.get('destinations'))
        for phase in self.phases:
            outcome = self.prober.run_phase(phase, tricks, session if phase == first_phase else None)
            self.result['phases'][phase] = outcome
        self.result['tls'] = self.prober.tls
        self._summarise()
        return self._verdict()

    def _addresses(self):
        first = self.prober.first
        if first is None:
            return
        self.result['client_address'] = first.client_address
        self.result['server_address'] = first.server_address
        self.result['client_is_relay_host'] = is_relay_host_address(first.client_address, first.server_address)

    def _context(self, session):
        params = self.params
        relay_address = params.get('relay_address') or session.server_address
        relay_ip = relay_literal(relay_address) or relay_literal(session.server_address)
        relay_name = params.get('relay_name') or default_relay_name(self.options, session.banner) or relay_ip
        self.result['relay_name'] = relay_name
        self.result['relay_address'] = relay_address
        return TrickContext(user=params.get('outside_user') or 'relay-probe',
                            outside=params.get('outside_domain') or 'example.com',
                            relay=relay_name, relay_ip=relay_ip,
                            outside_ip=relay_literal(params.get('outside_address') or '192.0.2.1'),
                            sender=params.get('mail_from') or '')

    def _summarise(self):
        result = self.result
        order = {trick_id: index for index, trick_id in enumerate(TRICK_IDS + tuple(result['destinations']))}
        for verdict in ('accepted', 'inconclusive'):
            ids = set()
            for phase in result['phases'].values():
                ids.update(phase[verdict])
            result[verdict] = sorted(ids, key=order.get)
        counts = {'probes': 0}
        counts.update((verdict, 0) for verdict in VERDICTS)
        for phase in result['phases'].values():
            for trick in phase['tricks']:
                counts['probes'] += 1
                counts[trick['verdict']] += 1
        result['counts'] = counts
        if result['client_is_relay_host']:
            self.warnings.append(
                'the relay probe ran from %s to %s, an address the relay host itself owns; sendmail lets such clients '
                'relay without authentication, so the probe does not show what outside clients get. Delegate the task '
                'to another host, or set source_address to an address the relay does not trust'
                % (result['client_address'], result['server_address']))

    def _verdict(self):
        result = self.result
        for phase in self.phases:  # a phase that could not run at all is a failure of the probe
            outcome = result['phases'][phase]
            if outcome['error'] is not None:
                result['error_kind'], result['hint'] = outcome['error_kind'], outcome['hint']
                message = '%s phase: %s' % (phase, outcome['error'])
                result['expectation_failures'] = self._failures() if self.params.get('expect_denied', True) else []
                return result, message
        if not self.params.get('expect_denied', True):
            return result, None
        failures = self._failures()
        result['expectation_failures'] = failures
        if not failures:
            return result, None
        result['error_kind'] = 'expectation'
        if result['accepted']:
            hint = ('the relay accepts outside recipients without authentication: look for RELAY entries in the access '
                    'map and for FEATURE(promiscuous_relay), loose_relay_check, relay_local_from, relay_based_on_MX or '
                    'relay_entire_domain in sendmail.mc')
            if result['client_is_relay_host']:
                hint = ('the probe ran from %s, an address sendmail trusts to relay: run it from another host or set '
                        'source_address; if it still relays, %s' % (result['client_address'], hint[hint.index('look'):]))
        else:
            hint = ('some tricks got no clear answer: see the notes of each phase and the transcript; a relay that '
                    'closes sessions (421) may be rate-limiting the probe host')
        result['hint'] = hint
        count = len(failures)
        return result, '%d relay check%s failed: %s' % (count, '' if count == 1 else 's', '; '.join(failures))

    def _failures(self):
        failures = []
        for phase in self.phases:
            for trick in self.result['phases'][phase]['tricks']:
                if trick['verdict'] == 'accepted':
                    failures.append('relay %s %s (%s): RCPT TO:<%s> from <%s> accepted: %s %s' % (
                        trick.get('kind', 'trick'), trick['id'], phase, trick['rcpt_to'], trick['mail_from'], trick['rcpt']['code'],
                        trick['rcpt']['text'].split('\n', 1)[0]))
                elif trick['verdict'] == 'inconclusive':
                    failures.append('relay %s %s (%s) inconclusive: %s' % (
                        trick.get('kind', 'trick'), trick['id'], phase, trick['error']))
        return failures


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    problem = argument_problem(module.params)
    if problem:
        module.fail_json(msg=problem)
    check = RelayCheck(module.params)
    result, failure = check.run()
    for warning in check.warnings:
        module.warn(warning)
    if failure:
        module.fail_json(msg=failure, **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
