# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The DATA probe's transaction and verdict, against a scripted client: every step that can refuse."""

from __future__ import annotations

import pytest

from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp import Reply, SMTPConnectionClosed
from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp_data import (
    data_summary,
    message_transaction,
    probe_message,
)


class ScriptedClient:
    """Answers each command with the next reply; None means the server hung up."""

    def __init__(self, replies):
        self.replies = list(replies)
        self.sent = []

    def _next(self, step):
        reply = self.replies.pop(0)
        if reply is None:
            raise SMTPConnectionClosed(step, 'server closed the connection during %s' % step)
        code, text = reply
        return Reply(code, [text])

    def command(self, line, step):
        self.sent.append(line)
        return self._next(step)

    def send_raw(self, data, step, shown):
        self.sent.append(data)

    def read_reply(self, step):
        return self._next(step)


OK = [(250, '2.1.0 Sender ok'), (250, '2.1.5 Recipient ok'), (354, 'Enter mail')]


@pytest.mark.parametrize('replies, verdict, refused_at, summary', [
    (OK + [(250, '2.0.0 Message accepted for delivery')], 'accepted', None,
     'accepted after the end of data: 250 2.0.0 Message accepted for delivery'),
    (OK + [(552, '5.3.4 Message size exceeds fixed maximum message size (100)')], 'refused', 'end',
     'refused after the end of data: 552 5.3.4 Message size exceeds fixed maximum message size (100)'),
    (OK + [(451, '4.3.0 Milter: error')], 'refused', 'end', 'refused after the end of data: 451 4.3.0 Milter: error'),
    (OK[:2] + [(452, '4.4.5 Insufficient disk space; try again later')], 'refused', 'data',
     'refused at DATA: 452 4.4.5 Insufficient disk space; try again later'),
    ([(552, '5.2.3 Message size exceeds maximum value')], 'refused', 'mail',
     'refused at MAIL: 552 5.2.3 Message size exceeds maximum value'),
    (OK[:1] + [(550, '5.1.1 User unknown')], 'refused', 'rcpt', 'refused at RCPT: 550 5.1.1 User unknown'),
    (OK + [(421, '4.4.2 closing')], 'inconclusive', None, 'inconclusive: the server answered the end of data 421'),
    (OK[:2] + [(250, 'odd')], 'inconclusive', None, 'inconclusive: the server answered DATA 250'),
    (OK + [None], 'inconclusive', None, 'inconclusive: server closed the connection during end of data'),
])
def test_message_transaction(replies, verdict, refused_at, summary):
    client = ScriptedClient(replies)
    result = message_transaction(client, '', 'mailrelay-probe@relay.test')
    assert (result['verdict'], result['refused_at']) == (verdict, refused_at)
    assert data_summary(result).startswith(summary)
    assert client.sent[:2] == ['MAIL FROM:<>', 'RCPT TO:<mailrelay-probe@relay.test>'][:len(client.sent[:2])]
    # the message goes out only after 354
    assert (result['data'] is not None and result['data']['code'] == 354) == any(
        isinstance(item, bytes) for item in client.sent)


def test_probe_message_is_small_and_well_formed():
    message = probe_message('', 'mailrelay-probe@relay.test', date='Mon, 07 Dec 2026 17:00:00 -0000', message_id='x@y')
    assert message.endswith(b'\r\n.\r\n') and b'\n' not in message.replace(b'\r\n', b'')
    assert b'To: <mailrelay-probe@relay.test>\r\n' in message and b'Message-ID: <x@y>\r\n' in message
    assert b'\r\n.\r\n' not in message[:-5]  # no line of the body ends the data early
    assert len(message) < 500
