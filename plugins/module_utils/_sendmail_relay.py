# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Relay and access rules: broad relay keys, the access map and relay-domains.

PRIVATE to the mailrelay.sendmail collection: no API promise outside it. Split out of
`_sendmail_rules`, which still re-exports its names for the imports written before the split.

- Whether an access map key or relay-domains entry covers everything or a broad network or
  domain (`broad_relay_reason`), with the Public Suffix List (`is_public_suffix`).
- The checks of sendmail_config_access and sendmail_config_relay_domains for
  sendmail_config_problems (`_check_access`, `_check_relay_domains`).
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_values import (
    _control_reason,
    _quote,
    _str_list,
    shorten,
)


#: The Public Suffix List as Debian's publicsuffix package installs it on the controller.
PUBLIC_SUFFIX_LIST = '/usr/share/publicsuffix/public_suffix_list.dat'
#: Used when that file is missing: the suffixes most often mistaken for a site's own domain.
_FALLBACK_PUBLIC_SUFFIXES = frozenset((
    'co.uk', 'org.uk', 'ac.uk', 'gov.uk', 'com.au', 'net.au', 'org.au', 'co.nz', 'co.jp', 'ne.jp',
    'or.jp', 'com.br', 'com.cn', 'com.mx', 'co.za', 'co.in', 'com.tr', 'com.ar', 'co.kr',
    'github.io', 'gitlab.io', 'herokuapp.com', 'azurewebsites.net', 'cloudfront.net',
    'blogspot.com', 'appspot.com', 'netlify.app', 'vercel.app', 'pages.dev', 'workers.dev',
    'amazonaws.com', 'dyndns.org', 'no-ip.org', 'duckdns.org',
))
_public_suffixes = {}


def public_suffix_rules(path=PUBLIC_SUFFIX_LIST):
    """(rules, wildcards, exceptions) of the Public Suffix List at `path` (lower case, without
    "*." and "!"), read once; a built-in list of common suffixes when the file cannot be read."""
    if path not in _public_suffixes:
        rules, wildcards, exceptions = set(), set(), set()
        try:
            with open(path, encoding='utf-8') as handle:
                for line in handle:
                    word = line.split(None, 1)[0].lower() if line.strip() else ''
                    if not word or word.startswith('//'):
                        continue
                    if word.startswith('!'):
                        exceptions.add(word[1:])
                    elif word.startswith('*.'):
                        wildcards.add(word[2:])
                    else:
                        rules.add(word)
        except (IOError, OSError):
            rules = set(_FALLBACK_PUBLIC_SUFFIXES)
        _public_suffixes[path] = (frozenset(rules), frozenset(wildcards), frozenset(exceptions))
    return _public_suffixes[path]


def is_public_suffix(domain, path=PUBLIC_SUFFIX_LIST):
    """True when `domain` is itself a public suffix (co.uk, com.au, github.io, ...): a name under
    which unrelated parties register their own domains."""
    name = domain.strip().strip('.').lower()
    if not name or name.startswith('['):
        return False
    rules, wildcards, exceptions = public_suffix_rules(path)
    if name in exceptions:
        return False
    if name in rules:
        return True
    parent = name.split('.', 1)[1] if '.' in name else ''
    return bool(parent) and parent in wildcards


def broad_relay_reason(text, allow_tag=True):
    """Why relaying for `text` (an access map key, or a relay-domains entry with allow_tag False)
    covers everything or a broad network/domain, or None.

    Broad: an empty key or a tag alone ("Connect:", "To:"), "*", ".", "0", 0.0.0.0, ::, an IPv4
    prefix of one or two octets (/16 or wider: sendmail matches at octet boundaries, so the next
    narrower prefix is a /24, which is as wide as a site's own network usually is), an IPv6 prefix
    of fewer than three groups (shorter than /48, a site's allocation), a bare top-level domain
    (other than localhost), a public suffix (co.uk, com.au, github.io: `is_public_suffix`), or
    "user@" with no domain.
    """
    key = text.strip()
    if allow_tag:
        match = re.match(r'^(connect|to|from):(.*)$', key, re.IGNORECASE)
        if match:
            key = match.group(2).strip()
    if key in ('', '*', '.', '@'):
        return 'covers every client or destination'
    if '@' in key and not key.startswith('['):
        local, domain = key.rsplit('@', 1)
        if not domain:
            return "'%s@' matches that sender/recipient at every domain" % local
        key = domain
    key = key.lstrip('.')
    if key[:5].lower() == 'ipv6:':
        rest = key[5:]
        if '::' in rest:
            try:
                if ipaddress.IPv6Address(rest) == ipaddress.IPv6Address('::'):
                    return 'is the unspecified IPv6 address (everything)'
            except ValueError:
                return 'is not an IPv6 address or prefix'
            return None
        groups = [g for g in rest.split(':') if g]
        if len(groups) < 3:
            return 'is an IPv6 prefix of %d group(s), shorter than /48' % len(groups)
        if all(set(g) <= {'0'} for g in groups):
            return 'is the unspecified IPv6 address (everything)'
        return None
    if re.match(r'^[0-9]+(\.[0-9]+)*\.?$', key):
        octets = [o for o in key.split('.') if o]
        if all(int(o) == 0 for o in octets):
            return 'is 0.0.0.0 (everything)'
        if len(octets) < 3:
            return 'is an IPv4 prefix of %d octet(s), /%d or wider' % (len(octets), 8 * len(octets))
        return None
    if key in ('::', '0:0:0:0:0:0:0:0'):
        return 'is the unspecified IPv6 address (everything)'
    if key.startswith('['):
        return None
    if '.' not in key.rstrip('.') and key.lower().rstrip('.') != 'localhost':
        return "is the bare top-level domain '%s' (every host or address under it)" % key
    if is_public_suffix(key):
        return ("is the public suffix '%s' (the Public Suffix List: unrelated parties register "
                "domains under it)" % key.rstrip('.'))
    return None


_CLASS_ENTRY = re.compile(r'^[A-Za-z0-9._:\[\]/-]+\Z')


def _access_value_reason(value):
    reason = _control_reason(value)
    if reason:
        return reason
    if not value.strip():
        return 'is empty'
    text = value.strip()
    message_form = re.match(r'^(ERROR:|QUARANTINE:|DISCARD:|[2-5][0-9][0-9][ \t])', text, re.IGNORECASE) or \
        re.match(r'^"[2-5][0-9][0-9] ', text)
    if re.search(r'\s', text) and not message_form:
        return 'contains whitespace (only ERROR:, QUARANTINE: and "### text" values may)'
    return None


_OWNED_ACCESS_DEFAULTS = {'clientrate': 'sendmail_config_ratecontrol', 'clientconn': 'sendmail_config_conncontrol'}


def _cidr(key):
    return bool(re.search(r'[0-9a-fA-F:.]/[0-9]{1,3}$', key))


def _check_access(get, problems):
    variable = 'sendmail_config_access'
    entries = get(variable)
    if not isinstance(entries, (list, tuple)):
        problems.add(variable, entries, 'is not a list of {key, value}', 'the access map is built from it',
                     'write [{key: "Connect:192.0.2.10", value: RELAY}]')
        return []
    good = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or 'key' not in entry or 'value' not in entry:
            problems.add(variable, None, 'entry %d lacks key or value' % (index + 1),
                         'every line of the access map needs both', 'write {key: "Connect:192.0.2.10", value: RELAY}')
            continue
        key, value = entry['key'], entry['value']
        key_text = key if isinstance(key, str) else None
        reason = 'is not text' if key_text is None else (
            _control_reason(key_text) or ('is empty' if not key_text else None)
            or ('contains whitespace' if re.search(r'\s', key_text) else None)
            or ('contains a quote' if re.search('[\'"`]', key_text) else None))
        if reason:
            problems.add(variable, key, 'entry %d: the key %s %s' % (index + 1, _quote(key), reason),
                         'makemap splits key and value at the first whitespace and reads a line break as a '
                         'new entry, so such a key would make a different entry than the one written',
                         'write the key without whitespace or quotes, e.g. Connect:192.0.2.10')
            continue
        value_text = value if isinstance(value, str) else None
        reason = 'is not text' if value_text is None else _access_value_reason(value_text)
        if reason:
            what = 'entry %d (%s): the value %s %s' % (index + 1, shorten(key_text, 40), _quote(value), reason)
            problems.add(variable, value, what,
                         'a line break would add map entries of its own and other whitespace changes the '
                         'meaning of the value', 'write RELAY, OK, REJECT, DISCARD, SKIP, VERIFY or ERROR:"550 text"')
            continue
        good.append((key_text, value_text.strip()))
        match = re.match(r'^([A-Za-z_]+):', key_text)
        tag = match.group(1).lower() if match and match.group(1).lower() != 'ipv6' else ''
        if _cidr(key_text):
            problems.add(variable, key_text, 'entry %d: the key %s uses CIDR notation' % (index + 1, _quote(key_text)),
                         'sendmail matches networks by leading octets or IPv6 groups, so the entry would never '
                         'match', 'write Connect:192.0.2 for 192.0.2.0/24 (IPv6:2001:db8:1 for 2001:db8:1::/48)')
            continue
        if value_text.strip().upper() == 'RELAY' and tag in ('', 'connect', 'to', 'from'):
            reason = broad_relay_reason(key_text)
            if reason:
                problems.add(variable, '%s %s' % (key_text, value_text),
                             'entry %d: RELAY for %s, which %s' % (index + 1, _quote(key_text), reason),
                             'everybody in it could send mail anywhere through this relay',
                             'RELAY single hosts or /24 networks (Connect:192.0.2.10), and let roaming users '
                             'authenticate on port 587', risk='access:broad_relay')
        if tag in _OWNED_ACCESS_DEFAULTS and not key_text.split(':', 1)[1]:
            owner = _OWNED_ACCESS_DEFAULTS[tag]
            problems.add(variable, key_text, 'entry %d: %s sets the limit for every client' % (index + 1, _quote(key_text)),
                         'the role writes that default from %s' % owner, 'set %s instead' % owner)
    return good


def _check_relay_domains(get, problems):
    variable = 'sendmail_config_relay_domains'
    value = get(variable)
    entries = _str_list(value)
    if entries is None:
        problems.add(variable, value, 'is not a list of domains', 'relay-domains is built from it',
                     'write [example.org]')
        return
    for index, entry in enumerate(entries):
        reason = _control_reason(entry) or (None if _CLASS_ENTRY.match(entry) or entry in ('*', '.') else
                                            'contains whitespace, a quote or another character no domain has')
        if reason:
            problems.add(variable, entry, 'entry %d %s %s' % (index + 1, _quote(entry), reason),
                         'each entry is one line of /etc/mail/relay-domains; anything else relays for other names',
                         'list one domain or network per entry')
            continue
        if _cidr(entry):
            problems.add(variable, entry, 'entry %d %s uses CIDR notation' % (index + 1, _quote(entry)),
                         'sendmail matches class {R} by leading octets or IPv6 groups, so it would never match',
                         'write 192.0.2 for 192.0.2.0/24 (IPv6:2001:db8:1 for 2001:db8:1::/48)')
            continue
        reason = broad_relay_reason(entry, allow_tag=False)
        if reason:
            problems.add(variable, entry, 'entry %d %s %s' % (index + 1, _quote(entry), reason),
                         'sendmail relays without AUTH for every client and recipient in class {R}',
                         'list the exact domains or /24 networks, and let users authenticate instead',
                         risk='relay_domains:broad')
