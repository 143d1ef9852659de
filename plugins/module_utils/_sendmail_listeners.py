# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a listener (a sendmail_config_daemons entry) means, in one definition.

PRIVATE to the mailrelay.sendmail collection: no API promise outside it. Split out of
`_sendmail_rules`, which still re-exports its names for the imports written before the split.

`_listener` builds the normalized listener dict (TLS mode, AUTH before and after TLS, the
DaemonPortOptions line) that the writing side (`sendmail_listeners`), the check of the variable
(`_check_daemons`, for sendmail_config_problems) and the read-back of a live sendmail.cf
(_sendmail_cf.sendmail_cf_listeners) all use. Facts from sendmail 8.17 sendmail/daemon.c
(setsockaddroptions(), getmodifiers()) and sendmail/sendmail.h (D_* flags).
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp_sasl import CLEARTEXT_MECHANISMS
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_constants import (
    DAEMON_MODIFIERS,
    SERVICE_PORTS,
    _EXTRA_PORT_OPTION_LETTERS,
    _OWNED_PORT_OPTION_LETTERS,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_values import (
    RuleError,
    _bool,
    _cap,
    _control_reason,
    _quote,
    _str_list,
    _words,
    shorten,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_m4 import (
    _HOST_NAME,
    m4_word_reason,
)


_DAEMON_NAME = re.compile(r'^[A-Za-z0-9_-]+\Z')


def parse_port(value, service_names=False):
    """A TCP port as an int, from an int or a numeric string ("465" means 465).

    With `service_names`, the names in SERVICE_PORTS are accepted too (as in a live sendmail.cf).
    Raises RuleError for anything else, booleans and numbers outside 1..65535 included.
    """
    port = None
    if isinstance(value, bool):
        port = None
    elif isinstance(value, int):
        port = value
    elif isinstance(value, str):
        text = value.strip()
        if re.match(r'^[0-9]{1,5}\Z', text):
            port = int(text)
        elif service_names and text.lower() in SERVICE_PORTS:
            port = SERVICE_PORTS[text.lower()]
    if port is None or not 1 <= port <= 65535:
        raise RuleError('port %s is not a number from 1 to 65535%s' % (
            _quote(value), ' or one of %s' % ', '.join(sorted(SERVICE_PORTS)) if service_names else ''))
    return port


def _auth_flags(auth_options):
    return set(_words(auth_options))


def _listener(name, port, addr, family, modifiers, options, tls, auth_mechanisms, auth_options):
    """The normalized listener dict: what sendmail does on this socket (the single definition)."""
    mechanisms = sorted(set(m.upper() for m in _words(auth_mechanisms)))
    flags = _auth_flags(auth_options)
    if 's' in modifiers:
        tls_mode = 'implicit'
    elif tls and 'S' not in modifiers:
        tls_mode = 'starttls'
    else:
        tls_mode = 'none'
    no_auth = 'A' in modifiers
    if tls_mode == 'implicit' or no_auth:
        before = []
    elif 'p' in flags:
        before = [m for m in mechanisms if m not in CLEARTEXT_MECHANISMS]
    else:
        before = list(mechanisms)
    after = [] if tls_mode == 'none' or no_auth else list(mechanisms)
    parts = ['Port=%d' % port, 'Addr=%s' % addr, 'Family=%s' % family, 'Name=%s' % name]
    if modifiers:
        parts.append('M=%s' % modifiers)
    if options:
        parts.append(options)
    return {
        'name': name,
        'port': port,
        'addr': addr,
        'family': family,
        'modifiers': modifiers,
        'options': options,
        'tls': tls_mode,
        'auth_required': 'a' in modifiers,
        'auth_before_tls': before,
        'auth_after_tls': after,
        'daemon_port_options': ', '.join(parts),
    }


def _default_addr(family):
    return '::' if family == 'inet6' else '0.0.0.0'


def daemon_entry_errors(entry):
    """Check one sendmail_config_daemons entry.

    Returns (fields, errors): `fields` is a dict of the normalized name, port, addr, family,
    modifiers and options (None when an error leaves nothing to normalize), `errors` a list of
    (what is wrong, why it matters, how to fix it) triples.
    """
    errors = []
    if not isinstance(entry, dict):
        return None, [('is not a dict but %s' % _quote(entry), 'a listener needs name and port',
                       'write {name: MSA, port: 587, modifiers: Ea}')]
    unknown = sorted(set(entry) - {'name', 'port', 'addr', 'family', 'modifiers', 'options'})
    if unknown:
        errors.append(('has unknown keys %s' % ', '.join(unknown),
                       'a misspelt key is silently ignored',
                       'use only name, port, addr, family, modifiers and options'))
    name = entry.get('name')
    if not isinstance(name, str) or not _DAEMON_NAME.match(name):
        errors.append(('name %s is missing or not letters, digits, - and _' % _quote(name),
                       'Name= appears in logs and must not break the DaemonPortOptions line',
                       'give each listener a name such as MTA, MSA or SMTPS'))
    port = None
    if entry.get('port') is None:
        errors.append(('has no port', 'sendmail needs a port to listen on', 'add port: 25, 587 or 465'))
    else:
        try:
            port = parse_port(entry.get('port'))
        except RuleError as exc:
            errors.append((str(exc), 'sendmail would not listen where you expect',
                           'write the port as a number, e.g. 587'))
    family = entry.get('family')
    family = 'inet' if family in (None, '') else family
    if family not in ('inet', 'inet6'):
        errors.append(('family %s is not inet or inet6' % _quote(family),
                       'the role only sets up TCP listeners', 'use family: inet or family: inet6'))
        family = 'inet'
    addr = entry.get('addr')
    if addr in (None, ''):
        addr = _default_addr(family)
    elif not isinstance(addr, str):
        errors.append(('addr %s is not text' % _quote(addr), 'Addr= takes an address or a host name',
                       "quote it, e.g. addr: '192.0.2.25'"))
    else:
        addr = addr.strip()
        reason = _addr_reason(addr, family)
        if reason:
            errors.append(('addr %s %s' % (_quote(addr), reason),
                           'sendmail would bind elsewhere or fail to start',
                           'use an IPv4 address with family inet, an IPv6 address with family inet6, '
                           'or leave addr out for all addresses'))
    modifiers = entry.get('modifiers')
    modifiers = '' if modifiers is None else modifiers
    if not isinstance(modifiers, str):
        errors.append(('modifiers %s is not text' % _quote(modifiers), 'M= is a string of letters',
                       'write modifiers: Ea'))
        modifiers = ''
    else:
        bad = sorted(set(c for c in modifiers if c not in DAEMON_MODIFIERS))
        if bad:
            errors.append(('modifiers %s contain %s, which are not sendmail daemon modifiers'
                           % (_quote(modifiers), ', '.join(repr(c) for c in bad)),
                           'the M= value would break the DaemonPortOptions line or mean nothing',
                           'use only %s' % ''.join(sorted(DAEMON_MODIFIERS))))
            modifiers = ''.join(c for c in modifiers if c in DAEMON_MODIFIERS)
    options, option_errors = _normalize_port_options(entry.get('options'))
    errors.extend(option_errors)
    if errors and (port is None or not isinstance(name, str)):
        return None, errors
    return {'name': name, 'port': port, 'addr': addr, 'family': family, 'modifiers': modifiers,
            'options': options}, errors


def _addr_reason(addr, family):
    reason = _control_reason(addr)
    if reason:
        return reason
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        ip = None
    if ip is not None:
        if (ip.version == 6) != (family == 'inet6'):
            return 'is an IPv%d address but family is %s' % (ip.version, family)
        return None
    if not _HOST_NAME.match(addr):
        return 'is neither an IP address nor a host name'
    return m4_word_reason(addr)


def _normalize_port_options(options):
    """The `options` text as "Key=value, Key=value", and the errors in it."""
    if options in (None, ''):
        return '', []
    if not isinstance(options, str):
        return '', [('options %s is not text' % _quote(options), 'options is appended to DaemonPortOptions',
                     "write options: 'Listen=128'")]
    reason = _control_reason(options) or (
        "contains an m4 quote (` or ')" if re.search("[`']", options) else None)
    if reason:
        return '', [('options %s %s' % (_quote(options), reason),
                     'it would break the DAEMON_OPTIONS line of sendmail.mc',
                     'write Key=value pairs separated by commas on one line')]
    parts = [p.strip() for p in options.split(',') if p.strip()]
    errors = []
    for part in parts:
        key = part.split('=', 1)[0].strip()
        if '=' not in part or not key:
            errors.append(("options part %s has no Key=value form" % _quote(part),
                           'sendmail ignores it silently', 'write Key=value'))
        elif key[0] in _OWNED_PORT_OPTION_LETTERS:
            field = _OWNED_PORT_OPTION_LETTERS[key[0]]
            errors.append(("options part %s sets %s (sendmail reads a key by its first letter)"
                           % (_quote(part), field),
                           'it would override the %s of the entry, which the checks rely on' % field,
                           'use the %s key of the entry instead' % field))
        elif key[0] not in _EXTRA_PORT_OPTION_LETTERS:
            errors.append(("options part %s is not a DaemonPortOptions key" % _quote(part),
                           'sendmail refuses unknown keys', 'see DaemonPortOptions in sendmail\'s op guide'))
        else:
            reason = m4_word_reason(part)
            if reason:
                errors.append(('options part %s %s' % (_quote(part), reason),
                               'it would change sendmail.mc', 'remove it'))
    return ', '.join(parts), errors


def _describe_entry(index, entry):
    name = entry.get('name') if isinstance(entry, dict) else None
    return 'entry %d%s' % (index + 1, ' (%s)' % shorten(name, 30) if isinstance(name, str) and name else '')


def sendmail_listeners(daemons, tls=True, auth_mechanisms=('LOGIN', 'PLAIN'), auth_options=('A', 'p', 'y')):
    """Normalize sendmail_config_daemons into listener dicts (see the module docstring).

    Raises RuleError naming the first entry that is not valid.
    """
    if not isinstance(daemons, (list, tuple)):
        raise RuleError('sendmail_config_daemons must be a list of {name, port, ...}, not %s' % _quote(daemons))
    tls = bool(_bool(tls, True))
    out = []
    for index, entry in enumerate(daemons):
        fields, errors = daemon_entry_errors(entry)
        if errors:
            what, why, fix = errors[0]
            raise RuleError('sendmail_config_daemons %s: %s. %s. Fix: %s.' % (
                _describe_entry(index, entry), what, _cap(why), fix))
        out.append(_listener(tls=tls, auth_mechanisms=auth_mechanisms, auth_options=auth_options,
                             **fields))
    return out


def _check_daemons(get, problems, tls, mechanisms):
    daemons = get('sendmail_config_daemons')
    variable = 'sendmail_config_daemons'
    if not isinstance(daemons, (list, tuple)):
        problems.add(variable, daemons, 'is not a list of listeners', 'sendmail would not listen as intended',
                     'write [{name: MTA, port: 25}, {name: MSA, port: 587, modifiers: Ea}]')
        return []
    if not daemons:
        problems.add(variable, None, 'is empty', 'sendmail would not listen at all (FEATURE(no_default_msa) is set)',
                     'list at least {name: MTA, port: 25}')
        return []
    listeners = []
    for index, entry in enumerate(daemons):
        fields, errors = daemon_entry_errors(entry)
        for what, why, fix in errors:
            problems.add(variable, entry.get('name') if isinstance(entry, dict) else entry,
                         '%s %s' % (_describe_entry(index, entry), what), why, fix)
        if fields and not errors:
            listeners.append(_listener(tls=tls, auth_mechanisms=mechanisms,
                                       auth_options=_str_list(get('sendmail_config_auth_options')) or [],
                                       **fields))
    names = [d.get('name') for d in daemons if isinstance(d, dict)]
    duplicates = sorted(set(n for n in names if isinstance(n, str) and names.count(n) > 1))
    if duplicates:
        problems.add(variable, ', '.join(duplicates), 'the names %s are used twice' % ', '.join(duplicates),
                     'names tell listeners apart in logs and in the gate', 'give every listener its own name')
    sockets = [(l['family'], l['addr'], l['port']) for l in listeners]
    for family, addr, port in sorted(set(s for s in sockets if sockets.count(s) > 1)):
        problems.add(variable, '%s:%d' % (addr, port), 'two listeners bind %s port %d' % (addr, port),
                     'the second cannot open its socket', 'give each listener its own port or address')
    bad_465 = [l['name'] for l in listeners if l['port'] == 465 and l['tls'] != 'implicit']
    if bad_465:
        problems.add(variable, ', '.join(bad_465),
                     "the listener(s) %s on port 465 lack the 's' modifier" % ', '.join(bad_465),
                     'port 465 is SMTPS (RFC 8314): clients start TLS before SMTP and would hang on a '
                     'clear-text greeting', "give it modifiers with 's', e.g. {name: SMTPS, port: 465, modifiers: Eas}")
    if not tls:
        implicit = [l['name'] for l in listeners if l['tls'] == 'implicit']
        if implicit:
            problems.add(variable, ', '.join(implicit),
                         "the listener(s) %s have the 's' modifier while sendmail_config_tls is false"
                         % ', '.join(implicit),
                         'sendmail has no certificate to start implicit TLS with',
                         "set sendmail_config_tls: true, or drop the listener")
    on_25 = [l['name'] for l in listeners if l['port'] == 25 and l['auth_required']]
    if on_25:
        problems.add(variable, ', '.join(on_25),
                     "the listener(s) %s on port 25 have the 'a' modifier (AUTH required)" % ', '.join(on_25),
                     'sendmail would refuse mail from every other MTA',
                     "drop 'a' on port 25 (use port 587 with M=Ea for submission)",
                     risk='daemons:auth_required_on_port_25',
                     opted_in=bool(_bool(get('sendmail_config_allow_auth_required_on_port_25'), False)))
    return listeners
