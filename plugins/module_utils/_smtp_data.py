# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the mailrelay.sendmail collection: may change without notice.
#
# The DATA probe of smtp_auth_check: one small message, in an authenticated session, to an
# address on the relay that discards it. A relay that answers MAIL and RCPT but refuses every
# real message (a tiny size limit, a broken milter, a full queue disk) only shows it here:
# at the 354 to DATA or at the reply after the end of data, which must be 250.

from __future__ import annotations

import email.utils
import uuid

from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp import SMTPError

DATA_VERDICTS = ('accepted', 'refused', 'inconclusive', 'not_run')


def probe_message(mail_from, rcpt_to, date=None, message_id=None):
    """The probe message as bytes on the wire: headers, a short body, CRLF line ends, the end of data."""
    lines = [
        'From: <%s>' % (mail_from or 'mailer-daemon@mailrelay-verify.invalid'),
        'To: <%s>' % rcpt_to,
        'Subject: mailrelay.sendmail verification gate: DATA probe',
        'Date: %s' % (date or email.utils.formatdate(localtime=False)),
        'Message-ID: <%s>' % (message_id or '%s@mailrelay-verify.invalid' % uuid.uuid4().hex),
        'Auto-Submitted: auto-generated',
        '',
        'This message proves that the relay takes real mail after DATA.',
        'It is addressed to an alias that discards it; nobody reads it.',
    ]
    return ('\r\n'.join(lines) + '\r\n.\r\n').encode('utf-8')


def empty_data_result(mail_from, rcpt_to):
    return {'mail_from': mail_from, 'rcpt_to': rcpt_to, 'mechanism': None, 'size': None, 'mail': None, 'rcpt': None,
            'data': None, 'end': None, 'verdict': 'not_run', 'refused_at': None, 'error': None}


def _reply(reply):
    return reply.as_dict() if reply is not None else None


def message_transaction(client, mail_from, rcpt_to, message=None):
    """MAIL, RCPT, DATA, the message, the end of data; return the DATA probe's result.

    verdict: accepted (2xx after the end of data), refused (4xx or 5xx at MAIL, RCPT, DATA or
    the end of data; refused_at says where), inconclusive (the session broke, 421, or an
    out-of-the-ordinary reply). The session is left as it is: the caller says QUIT.
    """
    result = empty_data_result(mail_from, rcpt_to)
    message = message if message is not None else probe_message(mail_from, rcpt_to)
    result['size'] = len(message)
    steps = (('mail', 'MAIL FROM:<%s>' % mail_from, 2), ('rcpt', 'RCPT TO:<%s>' % rcpt_to, 2), ('data', 'DATA', 3))
    try:
        for step, line, wanted in steps:
            reply = client.command(line, step)
            result[step] = _reply(reply)
            if not _judge(result, step, reply, wanted):
                return result
        client.send_raw(message, 'message', '<a message of %d bytes, then the end of data>' % len(message))
        reply = client.read_reply('end of data')
        result['end'] = _reply(reply)
        _judge(result, 'end', reply, 2)
    except SMTPError as exc:
        result['verdict'], result['error'] = 'inconclusive', exc.message
    return result


def _judge(result, step, reply, wanted):
    """Record the verdict a reply gives; True when the transaction goes on."""
    if reply.code // 100 == wanted and step != 'end':
        return True
    if reply.code // 100 == wanted:
        result['verdict'] = 'accepted'
    elif reply.code != 421 and 400 <= reply.code < 600:
        result['verdict'], result['refused_at'] = 'refused', step
    else:
        result['verdict'] = 'inconclusive'
        result['error'] = 'the server answered %s %s' % (
            {'end': 'the end of data', 'data': 'DATA'}.get(step, step.upper()), reply.summary())
    return False


def data_summary(result):
    """One line: what became of the probe message. Never raises on a result of another shape."""
    verdict = result.get('verdict')
    if verdict == 'not_run':
        return 'not sent%s' % (': %s' % result['error'] if result.get('error') else '')
    if verdict not in ('accepted', 'refused'):
        return 'inconclusive: %s' % (result.get('error') or 'no answer')
    step = result.get('refused_at') or 'end'
    reply = result.get(step) if isinstance(result.get(step), dict) else {}
    where = {'end': 'after the end of data', 'data': 'at DATA'}.get(step, 'at %s' % str(step).upper())
    return '%s %s: %s %s' % (verdict, where, reply.get('code', '-'), str(reply.get('text') or '').split('\n', 1)[0])
