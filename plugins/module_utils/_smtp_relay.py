# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the mailrelay.sendmail collection: may change without notice.
#
# The open-relay probe of smtp_relay_check: the tricks relay abusers use to get a message
# for an outside recipient accepted (percent hack, bang paths, source routes, quoted local
# parts, address literals, trailing dots, ...), each as one MAIL FROM / RCPT TO pair, and
# the sessions that try them - one per phase, RSET between tricks, a new session only when
# the server hangs up - and the outside destinations the caller adds (other top-level domains,
# parents of the relay domains, address literals) the same way. Never DATA: nothing is ever sent.

from __future__ import annotations

import ipaddress
import re

from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp import (
    SMTPError,
    empty_tls_info,
    failure_details,
    ip_literal,
    open_session,
)

PHASES = ('clear', 'tls')
VERDICTS = ('accepted', 'refused', 'inconclusive')

_DOMAIN = re.compile(r'^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+\.?$')


class TrickContext:
    """The names a trick is built from.

    user, outside: the outside recipient's local part and domain; relay: the relay's own name
    (or its address literal); relay_ip, outside_ip: address literals ([192.0.2.1],
    [IPv6:2001:db8::1]); sender: the reverse path of the recipient tricks.
    """

    def __init__(self, user, outside, relay, relay_ip, outside_ip, sender):
        self.user = user
        self.outside = outside
        self.relay = relay
        self.relay_ip = relay_ip
        self.outside_ip = outside_ip
        self.sender = sender


def _mixed_case(text):
    """ReLaY-PrObE: alternate the case of the letters, as filters that compare case-sensitively miss it."""
    out, upper = [], True
    for char in text:
        if char.isalpha():
            out.append(char.upper() if upper else char.lower())
            upper = not upper
        else:
            out.append(char)
    return ''.join(out)


def _outside(c):
    return '%s@%s' % (c.user, c.outside)


# id, what it tries, sender, recipient. Sender tricks vary the reverse path and keep the plain
# outside recipient; recipient tricks use the configured sender (the null sender by default,
# which no sender check refuses, so the answer is about the recipient).
TRICKS = (
    ('plain', 'an outside sender to an outside recipient, the first thing any abuser tries',
     _outside, _outside),
    ('null_sender', 'the null sender <> (as in bounces) to an outside recipient',
     lambda c: '', _outside),
    ('own_domain_sender', "a sender in the relay's own domain (what FEATURE(relay_local_from) trusts)",
     lambda c: 'postmaster@%s' % c.relay, _outside),
    ('ip_literal_sender', "a sender at the relay's own address literal",
     lambda c: '%s@%s' % (c.user, c.relay_ip), _outside),
    ('localhost_sender', 'a sender at localhost',
     lambda c: '%s@localhost' % c.user, _outside),
    ('percent_hack', "percent hack: the outside address hidden in a local part of the relay's own domain",
     lambda c: c.sender, lambda c: '%s%%%s@%s' % (c.user, c.outside, c.relay)),
    ('percent_hack_ip_literal', "percent hack through the relay's address literal",
     lambda c: c.sender, lambda c: '%s%%%s@%s' % (c.user, c.outside, c.relay_ip)),
    ('bang_path', 'UUCP bang path without a domain (outside!user)',
     lambda c: c.sender, lambda c: '%s!%s' % (c.outside, c.user)),
    ('bang_path_at_relay', "UUCP bang path in a local part of the relay's domain (outside!user@relay)",
     lambda c: c.sender, lambda c: '%s!%s@%s' % (c.outside, c.user, c.relay)),
    ('bang_path_via_relay', 'UUCP bang path through the relay (relay!outside!user)',
     lambda c: c.sender, lambda c: '%s!%s!%s' % (c.relay, c.outside, c.user)),
    ('source_route', 'RFC 821 source route through the relay (@relay:user@outside)',
     lambda c: c.sender, lambda c: '@%s:%s' % (c.relay, _outside(c))),
    ('source_route_list', 'RFC 821 source route with two hops (@relay,@outside:user@outside)',
     lambda c: c.sender, lambda c: '@%s,@%s:%s' % (c.relay, c.outside, _outside(c))),
    ('quoted_at_relay', 'the outside address as a quoted local part of the relay\'s domain ("user@outside"@relay)',
     lambda c: c.sender, lambda c: '"%s"@%s' % (_outside(c), c.relay)),
    ('quoted_percent_at_relay', 'a quoted percent hack ("user%outside"@relay)',
     lambda c: c.sender, lambda c: '"%s%%%s"@%s' % (c.user, c.outside, c.relay)),
    ('quoted_bang_at_relay', 'a quoted bang path ("outside!user"@relay)',
     lambda c: c.sender, lambda c: '"%s!%s"@%s' % (c.outside, c.user, c.relay)),
    ('quoted_alone', 'the outside address quoted, without a domain ("user@outside")',
     lambda c: c.sender, lambda c: '"%s"' % _outside(c)),
    ('ip_literal_recipient', 'an outside address literal as the domain (user@[192.0.2.1])',
     lambda c: c.sender, lambda c: '%s@%s' % (c.user, c.outside_ip)),
    ('trailing_dot', 'the outside domain with a trailing dot (user@outside.)',
     lambda c: c.sender, lambda c: '%s.' % _outside(c)),
    ('trailing_dot_relay', "percent hack through the relay's name with a trailing dot (user%outside@relay.)",
     lambda c: c.sender, lambda c: '%s%%%s@%s.' % (c.user, c.outside, c.relay.rstrip('.'))),
    ('double_at', "two domains, the relay's last (user@outside@relay)",
     lambda c: c.sender, lambda c: '%s@%s' % (_outside(c), c.relay)),
    ('uppercase', 'the outside address in upper case (USER@OUTSIDE)',
     lambda c: c.sender, lambda c: _outside(c).upper()),
    ('mixed_case_percent', "percent hack with the relay's name in mixed case (UsEr%OuTsIdE@ReLaY)",
     lambda c: c.sender, lambda c: _mixed_case('%s%%%s@%s' % (c.user, c.outside, c.relay))),
)

TRICK_IDS = tuple(trick[0] for trick in TRICKS)


def render_tricks(context, ids=None):
    """The tricks as dicts {id, kind, description, mail_from, rcpt_to}, in table order, restricted to ids."""
    wanted = set(ids) if ids else None
    return [{'id': trick_id, 'kind': 'trick', 'description': description, 'mail_from': sender(context),
             'rcpt_to': recipient(context)}
            for trick_id, description, sender, recipient in TRICKS if wanted is None or trick_id in wanted]


_ADDRESS = re.compile(r'^[^\s<>@]+@[^\s<>@]+$')


def destinations_problem(destinations):
    """A message for a destinations list that cannot be probed, or None: ids unique and not a trick id,
    every rcpt_to a plain address (local@domain or local@[literal])."""
    seen = set()
    for index, destination in enumerate(destinations or []):
        destination_id, rcpt_to = destination.get('id') or '', destination.get('rcpt_to') or ''
        if not destination_id or destination_id in TRICK_IDS or destination_id in seen:
            return ('destinations[%d]: id %r must be set, unique, and not the id of a trick'
                    % (index, destination_id))
        seen.add(destination_id)
        if not _ADDRESS.match(rcpt_to):
            return 'destinations[%d]: rcpt_to %r is not an address like user@example.net or user@[192.0.2.1]' % (
                index, rcpt_to)
    return None


def render_destinations(context, destinations):
    """Each outside destination as a probe like a trick: the tricks' sender, RCPT TO the destination."""
    return [{'id': destination['id'], 'kind': 'destination',
             'description': destination.get('description') or 'an outside recipient %s' % destination['rcpt_to'],
             'mail_from': context.sender, 'rcpt_to': destination['rcpt_to']}
            for destination in destinations or []]


def is_ip_address(text):
    try:
        ipaddress.ip_address((text or '').strip('[]').split('%')[0])
        return True
    except ValueError:
        return False


def banner_name(banner):
    """The host name a banner announces (first word of "220 relay.example.org ESMTP ..."), or None."""
    if banner is None or not banner.lines:
        return None
    words = banner.lines[0].split()
    if words and _DOMAIN.match(words[0]) and not is_ip_address(words[0]):
        return words[0].rstrip('.')
    return None


def default_phases(tls):
    """Clear text and TLS for STARTTLS listeners; only what the listener speaks otherwise."""
    return {'starttls': ['clear', 'tls'], 'implicit': ['tls'], 'none': ['clear']}[tls]


def check_phases(tls, phases):
    """A message when a phase cannot happen with this tls mode, else None."""
    if tls == 'none' and 'tls' in phases:
        return 'phases: "tls" needs tls=starttls or tls=implicit (tls=none never starts TLS)'
    if tls == 'implicit' and 'clear' in phases:
        return 'phases: "clear" is impossible with tls=implicit (the session starts with TLS); use phases: [tls]'
    return None


def classify_trick(mail, rcpt, error=None):
    """(verdict, refused_at) for one trick.

    accepted: RCPT got 2xx. refused: 4xx or 5xx to MAIL or RCPT. inconclusive: the session
    broke, the server said 421 (closing) or answered out of the ordinary (1xx, 3xx).
    """
    for step, reply in (('mail', mail), ('rcpt', rcpt)):
        if reply is None:
            return 'inconclusive', None
        if reply.code == 421:
            return 'inconclusive', None
        if 400 <= reply.code < 600:
            return 'refused', step
        if not reply.positive:
            return 'inconclusive', None
        if step == 'rcpt':
            return 'accepted', None
    return 'inconclusive', None  # not reached


def _reply(reply):
    return reply.as_dict() if reply is not None else None


class _ServerClosing(SMTPError):
    """The server answered 421: it closes the session."""


class RelayProber:
    """Run the tricks phase by phase; every session it opens is recorded in the transcript."""

    def __init__(self, options, transcript):
        self.options = options
        self.transcript = transcript
        self.first = None       # the first session that opened: addresses, banner
        self.tls = empty_tls_info()

    def open(self, phase, label):
        """A session for `phase` ('clear' stays in clear text even on a STARTTLS listener)."""
        options = self.options.replace(tls='none') if phase == 'clear' else self.options
        self.transcript.append('-- session: %s' % label)
        try:
            session = open_session(options, self.transcript)
        except SMTPError as exc:
            session = getattr(exc, 'session', None)
            if session is not None:
                self._remember(phase, session)
                session.quit()
            raise
        self._remember(phase, session)
        return session

    def _remember(self, phase, session):
        if self.first is None and session.client_address:
            self.first = session
        if phase == 'tls' and not self.tls['established'] and session.tls['established']:
            self.tls = dict(session.tls)

    def run_phase(self, phase, tricks, session=None):
        """Try every trick of `tricks` (rendered dicts) in `phase`; return the phase result.

        `session` is an already open session for this phase (the first one, which the caller
        needed to learn the relay's address); it is used for the first tricks. A trick whose
        session breaks is tried once more in a new session.
        """
        result = {'sessions': 1 if session is not None else 0, 'reconnects': 0, 'notes': [], 'error': None,
                  'error_kind': None, 'hint': None, 'tricks': []}
        for trick in tricks:
            entry = dict(trick, mail=None, rcpt=None, verdict='inconclusive', refused_at=None, error=None)
            result['tricks'].append(entry)
            replies = {}
            for attempt in (1, 2):
                if result['error'] is not None:  # no session can be opened any more
                    entry['error'] = 'not tried: %s' % result['error']
                    break
                if session is None:
                    try:
                        session = self.open(phase, '%s phase%s' % (phase, ', again' if result['sessions'] else ''))
                    except SMTPError as exc:
                        result['error'] = exc.message
                        result.update(failure_details(exc, self.options))
                        entry['error'] = 'not tried: %s' % exc.message
                        break
                    if result['sessions']:
                        result['reconnects'] += 1
                    result['sessions'] += 1
                replies = {}
                try:
                    self._try(session.client, entry, replies)
                    entry['error'] = None
                except SMTPError as exc:
                    entry['error'] = exc.message
                    if attempt == 1:
                        note = 'the session broke during trick %s (%s); trying it again in a new session' % (
                            trick['id'], exc.message)
                        result['notes'].append(note)
                        self.transcript.append('-- ' + note)
                if session.client.broken or session.client.sock is None:
                    session.quit()  # closes without waiting for a server that is gone
                    session = None
                if entry['error'] is None:
                    break
            entry['mail'] = _reply(replies.get('mail'))
            entry['rcpt'] = _reply(replies.get('rcpt'))
            entry['verdict'], entry['refused_at'] = classify_trick(replies.get('mail'), replies.get('rcpt'))
            if entry['verdict'] == 'inconclusive' and entry['error'] is None:
                entry['error'] = 'the server did not answer MAIL and RCPT with a success or a refusal'
        if session is not None:
            session.quit()
        for verdict in VERDICTS:
            result[verdict] = [t['id'] for t in result['tricks'] if t['verdict'] == verdict]
        return result

    @staticmethod
    def _try(client, entry, replies):
        """MAIL, RCPT (when MAIL was accepted), RSET; replies are kept in `replies` as they come.

        A 421 (the server is closing) or a broken session raises SMTPError. A failed RSET does
        not: the trick has its answers, and the next trick gets a new session.
        """
        mail = replies['mail'] = client.command('MAIL FROM:<%s>' % entry['mail_from'], 'mail')
        if mail.code == 421:
            client.broken = True
            raise _ServerClosing('mail', 'the server closed the session: %s' % mail.summary())
        if mail.positive:
            rcpt = replies['rcpt'] = client.command('RCPT TO:<%s>' % entry['rcpt_to'], 'rcpt')
            if rcpt.code == 421:
                client.broken = True
                raise _ServerClosing('rcpt', 'the server closed the session: %s' % rcpt.summary())
        try:
            if client.command('RSET', 'rset').code == 421:
                client.broken = True
        except SMTPError:
            pass  # SMTPClient marked itself broken


def relay_literal(address):
    """The address literal of the relay, from an address with or without brackets; None if not an IP."""
    try:
        return ip_literal(address)
    except ValueError:
        return None


def default_relay_name(options, banner):
    """tls_server_name, else host when it is a name, else the name in the banner, else None."""
    if options.tls_server_name:
        return options.tls_server_name
    if not is_ip_address(options.host):
        return options.host
    return banner_name(banner)
