# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SMART_HOST: its value split as sendmail reads it, and the check of sendmail_config_smart_host.

PRIVATE to the mailrelay.sendmail collection: no API promise outside it. Split out of
`_sendmail_rules`, which still re-exports its names for the imports written before the split.
"""

from __future__ import annotations

import re

from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_values import (
    _control_reason,
    _quote,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_m4 import (
    _host_reason,
    m4_word_reason,
)


def parse_smart_host(value):
    """Split a SMART_HOST value as sendmail's MailerToTriple ruleset reads it.

    Accepted forms: ``host``, ``[host]``, ``[192.0.2.1]``, ``[IPv6:2001:db8::1]``, each with an
    optional ``mailer:`` prefix (a single word: letters, digits, -, _), and ``mailer:user@host``.
    Returns a dict: mailer ('' if none), user ('' if none), host (without brackets and without a
    trailing dot), bracketed (bool) and rest: whatever follows the first host (sendmail reads
    ``host:more`` as a list of hosts, so ``relay:relay1.example.org:587`` means the hosts
    ``relay1.example.org`` and ``587`` -- sendmail has no host:port syntax).
    """
    text = (value or '').strip()
    result = {'mailer': '', 'user': '', 'host': '', 'bracketed': False, 'rest': ''}
    if not text:
        return result
    match = re.match(r'^([A-Za-z0-9_-]+):(.*)$', text)
    if match and not text.startswith('['):
        result['mailer'], text = match.group(1), match.group(2)
    if not text.startswith('[') and '@' in text:
        result['user'], text = text.rsplit('@', 1)
    if text.startswith('['):
        end = text.find(']')
        result['bracketed'] = True
        if end < 0:
            host, rest = text[1:], ''
        else:
            host, rest = text[1:end], text[end + 1:]
    else:
        host, _sep, rest = text.partition(':')
        rest = ':' + rest if _sep else ''
    result['host'] = host.strip().rstrip('.')
    result['rest'] = rest
    return result


def smart_host_name(value):
    """The host name in a SMART_HOST value ('' for an empty value); see `parse_smart_host`."""
    return parse_smart_host(value)['host']


def _check_smart_host(get, problems):
    variable = 'sendmail_config_smart_host'
    value = get(variable)
    if value in (None, ''):
        return ''
    if not isinstance(value, str):
        problems.add(variable, value, 'is not text', 'it becomes SMART_HOST', 'write "[relay1.example.org]"')
        return ''
    reason = _control_reason(value) or ('contains whitespace or a quote' if re.search('[\\s\'"`#]', value) else None)
    if reason:
        problems.add(variable, value, '%s %s' % (_quote(value), reason),
                     'it is written into sendmail.mc inside quotes and into the access map',
                     'write "[relay1.example.org]"')
        return ''
    parsed = parse_smart_host(value)
    host = parsed['host']
    reason = m4_word_reason(parsed['mailer'] + ' ' + parsed['user'])
    if reason:
        problems.add(variable, value, '%s: the mailer or user part %s' % (_quote(value), reason),
                     'it is written into sendmail.mc inside quotes', 'write "[relay1.example.org]"')
        return ''
    reason = _host_reason('[%s]' % host if parsed['bracketed'] else host, allow_brackets=True) if host else 'is missing'
    if reason:
        problems.add(variable, value, '%s: the host %s' % (_quote(value), reason),
                     'sendmail could not deliver through it and the TLS_Srv check would name another host',
                     'write "[relay1.example.org]"')
        return ''
    if parsed['rest']:
        problems.add(variable, value, '%s has %s after the host' % (_quote(value), _quote(parsed['rest'])),
                     'sendmail has no host:port syntax; it reads what follows a colon as further hosts '
                     '(":587" would be a host named 587), and only the first host is checked for TLS',
                     'write one "[host]" and set the port with define(`RELAY_MAILER_ARGS\', `TCP $h 587\') '
                     'in sendmail_config_defines (ESMTP_MAILER_ARGS for an esmtp: prefix)')
    return host
