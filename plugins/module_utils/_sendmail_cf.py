# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading a live sendmail.cf: logical lines, long-form options, its listeners.

PRIVATE to the mailrelay.sendmail collection: no API promise outside it. Split out of
`_sendmail_rules`, which still re-exports its names for the imports written before the split.

`sendmail_cf_listeners` gives the listeners of a sendmail.cf in the structure of
_sendmail_listeners.sendmail_listeners, so the gate compares like with like.
"""

from __future__ import annotations

import re

from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_constants import _OWNED_PORT_OPTION_LETTERS
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_values import (
    RuleError,
    _words,
    shorten,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_listeners import (
    _default_addr,
    _listener,
    parse_port,
)


def cf_logical_lines(cf_text):
    """sendmail.cf lines with continuation lines (starting with space or tab) joined."""
    lines = []
    for raw in cf_text.splitlines():
        if raw[:1] in (' ', '\t') and lines:
            lines[-1] += raw
        else:
            lines.append(raw)
    return lines


_CF_OPTION = re.compile(r'^O[ \t]+([A-Za-z][A-Za-z0-9_.]*)[ \t]*(?:=(.*))?$')


def parse_cf_options(cf_text):
    """The long-form options of a sendmail.cf: ({lowercased name: value} with the last one
    winning, as sendmail does, [every DaemonPortOptions value in order])."""
    options = {}
    daemons = []
    for line in cf_logical_lines(cf_text):
        match = _CF_OPTION.match(line)
        if not match:
            continue
        name = match.group(1).lower()
        value = (match.group(2) or '').strip()
        if name == 'daemonportoptions':
            daemons.append(value)
        else:
            options[name] = value
    return options, daemons


def parse_daemon_port_options(text):
    """Split one DaemonPortOptions value the way sendmail does (setsockaddroptions()).

    Keys are recognised by their first letter (Port, Addr, Family, Name, Modifiers); the other
    parts are kept, stripped, in order. Returns a dict with name, port, addr, family (None when
    absent), modifiers (whitespace removed) and options (list of parts).
    """
    fields = {'name': None, 'port': None, 'addr': None, 'family': None, 'modifiers': '', 'options': []}
    for part in text.split(','):
        part = part.strip()
        if not part:
            continue
        if '=' not in part:
            continue  # sendmail skips a part without '='
        key, value = part.split('=', 1)
        key = key.strip()
        value = value.strip()
        field = _OWNED_PORT_OPTION_LETTERS.get(key[:1])
        if field == 'modifiers':
            fields['modifiers'] = ''.join(c for c in value if not c.isspace())
        elif field:
            fields[field] = value
        else:
            fields['options'].append(part)
    return fields


def sendmail_cf_listeners(cf_text):
    """The listeners of a live sendmail.cf, in the structure of `sendmail_listeners`.

    AuthMechanisms, AuthOptions and the presence of a ServerCertFile give the AUTH and TLS
    part. Defaults are sendmail's: Port 25 (smtp), Family inet, Addr 0.0.0.0 (:: for inet6),
    Name Daemon<n>. Raises RuleError for a listener that is not TCP (Family=unix).
    """
    options, daemons = parse_cf_options(cf_text)
    mechanisms = _words(options.get('authmechanisms', ''))
    auth_options = _words(options.get('authoptions', ''))
    tls = bool(options.get('servercertfile', ''))
    out = []
    for index, text in enumerate(daemons):
        fields = parse_daemon_port_options(text)
        family = (fields['family'] or 'inet').lower()
        if family not in ('inet', 'inet6'):
            raise RuleError('DaemonPortOptions=%s: Family=%s is not a TCP listener (inet or inet6)'
                            % (shorten(text), fields['family']))
        try:
            port = parse_port(fields['port'] or 'smtp', service_names=True)
        except RuleError as exc:
            raise RuleError('DaemonPortOptions=%s: %s' % (shorten(text), exc))
        out.append(_listener(
            name=fields['name'] or 'Daemon%d' % index,
            port=port,
            addr=fields['addr'] or _default_addr(family),
            family=family,
            modifiers=fields['modifiers'],
            options=', '.join(fields['options']),
            tls=tls, auth_mechanisms=mechanisms, auth_options=auth_options))
    return out
