# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the mailrelay.sendmail collection: may change without notice.
#
# The SMTP smuggling probe of smtp_smuggling_check (CVE-2023-51765 for sendmail): a message
# whose body hides a second transaction behind an end-of-data sequence with a bare LF or CR.
# A server that takes that sequence for the end of DATA answers the hidden MAIL FROM: that
# is the vulnerability. The message is sent, followed by QUIT, in one write; the replies up
# to QUIT's 221 tell what the server made of it.

from __future__ import annotations

from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp import (
    SMTPConnectionClosed,
    SMTPError,
    open_session,
)

# id, the sequence, what it tries. The first three are the ones sendmail before 8.18 (and
# before the distributions' CVE-2023-51765 fixes) took for the end of DATA; the bare-CR ones
# matter for other MTAs and for what the relay forwards to.
VARIANTS = (
    ('lf_dot_crlf', '\n.\r\n', 'bare LF before the dot, <LF>.<CR><LF> - the sequence of CVE-2023-51765'),
    ('lf_dot_lf', '\n.\n', 'bare LF on both sides, <LF>.<LF> - ends DATA where any LF ends a line'),
    ('crlf_dot_lf', '\r\n.\n', 'bare LF after the dot, <CR><LF>.<LF>'),
    ('cr_dot_cr', '\r.\r', 'bare CR on both sides, <CR>.<CR> - ends DATA where a CR ends a line'),
    ('cr_dot_crlf', '\r.\r\n', 'bare CR before the dot, <CR>.<CR><LF>'),
    ('crlf_dot_cr', '\r\n.\r', 'bare CR after the dot, <CR><LF>.<CR>'),
)
VARIANT_IDS = tuple(variant[0] for variant in VARIANTS)
DEFAULT_VARIANTS = ('lf_dot_crlf', 'lf_dot_lf', 'crlf_dot_lf')
VERDICTS = ('vulnerable', 'rejected', 'data', 'inconclusive')
MAX_REPLIES = 20  # a vulnerable server refusing the hidden RCPT answers each hidden line


def visible(sequence):
    """<CR><LF>-style spelling of a sequence, for results and transcripts."""
    return sequence.replace('\r', '<CR>').replace('\n', '<LF>')


def probe_message(variant_id, sequence, mail_from, rcpt_to):
    """The DATA of the probe: a first message, the sequence, a hidden transaction, the real end, QUIT."""
    first = ('From: <{sender}>\r\nTo: <{rcpt}>\r\nSubject: SMTP smuggling probe ({variant}), mailrelay.sendmail\r\n\r\n'
             'A read-only check of this relay sent this message. If a second message, "smuggled", arrives\r\n'
             'with it, the relay ends DATA at {shown} and is open to SMTP smuggling (CVE-2023-51765).\r\n'
             'probe').format(sender=mail_from, rcpt=rcpt_to, variant=variant_id, shown=visible(sequence))
    hidden = ('MAIL FROM:<{sender}>\r\nRCPT TO:<{rcpt}>\r\nDATA\r\n'
              'From: <{sender}>\r\nTo: <{rcpt}>\r\nSubject: smuggled ({variant}), mailrelay.sendmail probe\r\n\r\n'
              'The relay ended DATA at {shown}: it is open to SMTP smuggling (CVE-2023-51765).\r\n'
              '.\r\n').format(sender=mail_from, rcpt=rcpt_to, variant=variant_id, shown=visible(sequence))
    return (first + sequence + hidden).encode('utf-8') + b'QUIT\r\n'


def classify(replies):
    """(verdict, smuggled MAIL reply or None) from the replies that followed the message.

    vulnerable: the server answered something before QUIT's 221 besides the end of the
    message - it read the hidden MAIL FROM as a command. rejected: it refused the message
    (4xx or 5xx, such as sendmail 8.18's 421 for a bare LF) and started nothing else.
    data: one 250 for the whole message, then 221. inconclusive: anything else.
    """
    if not replies:
        return 'inconclusive', None
    until_quit = [reply for reply in replies if reply.code != 221]
    saw_quit = len(until_quit) < len(replies)
    first = until_quit[0] if until_quit else None
    if first is None:
        return 'inconclusive', None
    if len(until_quit) > 1:
        return 'vulnerable', until_quit[1]
    if 400 <= first.code < 600:
        return 'rejected', None
    if first.positive and saw_quit:
        return 'data', None
    return 'inconclusive', None


def _reply(reply):
    return reply.as_dict() if reply is not None else None


def probe_variant(options, variant, mail_from, rcpt_to, transcript):
    """One session for one variant; the result entry. Never raises for what the server does."""
    variant_id, sequence, description = variant
    entry = {'id': variant_id, 'description': description, 'sequence': visible(sequence), 'mail': None, 'rcpt': None,
             'data': None, 'replies': [], 'smuggled_mail': None, 'verdict': 'inconclusive', 'note': None,
             'error': None, 'error_kind': None}
    transcript.append('-- session: smuggling variant %s (%s)' % (variant_id, visible(sequence)))
    try:
        session = open_session(options, transcript)
    except SMTPError as exc:
        session = getattr(exc, 'session', None)
        if session is not None:
            session.quit()
        entry['error'], entry['error_kind'] = exc.message, exc.kind
        return entry, exc
    client = session.client
    try:
        steps = (('mail', 'MAIL FROM:<%s>' % mail_from, 250), ('rcpt', 'RCPT TO:<%s>' % rcpt_to, 250),
                 ('data', 'DATA', 354))
        for step, line, wanted in steps:
            reply = client.command(line, step)
            entry[step] = _reply(reply)
            if reply.code // 100 != wanted // 100:
                entry['error'] = '%s was answered %s, so the message could not be sent' % (
                    line.split(':')[0], reply.summary())
                entry['error_kind'] = 'expectation'
                return entry, None
        client.send_raw(probe_message(variant_id, sequence, mail_from, rcpt_to), 'message',
                        '<message with %s, a hidden MAIL FROM/RCPT TO/DATA, the end of data and QUIT>' % visible(sequence))
        replies, dropped = [], False
        while len(replies) < MAX_REPLIES:
            try:
                reply = client.read_reply('end of data')
            except SMTPError as exc:
                dropped = isinstance(exc, SMTPConnectionClosed)
                if not replies or not dropped:
                    entry['error'], entry['error_kind'] = exc.message, exc.kind
                break
            replies.append(reply)
            if reply.code in (221, 421):
                break
        entry['replies'] = [_reply(reply) for reply in replies]
        entry['verdict'], smuggled = classify(replies)
        entry['smuggled_mail'] = _reply(smuggled)
        if not replies and dropped:
            # it stopped reading in the middle of the message (its 421 may be lost to the reset)
            entry['verdict'] = 'rejected'
            entry['note'] = 'the server closed the connection during the message without a reply: %s' % entry['error']
        if entry['verdict'] == 'inconclusive' and entry['error'] is None:
            entry['error'] = 'the replies after the message do not say how the server read it'
        if entry['verdict'] != 'inconclusive':
            entry['error'] = entry['error_kind'] = None
        client.broken = True  # QUIT was sent with the message
        return entry, None
    except SMTPError as exc:
        entry['error'], entry['error_kind'] = exc.message, exc.kind
        return entry, None
    finally:
        session.quit()
