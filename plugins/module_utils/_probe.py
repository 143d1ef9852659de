# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the mailrelay.sendmail collection: may change without notice.

"""What the verification gate probes: which account, which listener on which address, which recipients."""

from __future__ import annotations

import hashlib
import ipaddress
import re


def probe_account(users):
    """The first entry of cyrus_sasl_users that is present and has a password, as {user, password}; {} if none.

    Entries may lack `state` (present is the default) or `password`; nothing here raises on them.
    """
    for entry in users or []:
        if not isinstance(entry, dict):
            continue
        state = entry.get('state') or 'present'
        name, password = entry.get('name'), entry.get('password')
        if state == 'present' and name and password:
            return {'user': str(name), 'password': str(password)}
    return {}


def _usable(address, family):
    try:
        ip = ipaddress.ip_address(str(address).split('%', maxsplit=1)[0])
    except ValueError:
        return False
    if ip.version != family or ip.is_loopback or ip.is_unspecified or ip.is_multicast:
        return False
    if ip.version == 6 and (ip.is_link_local or (ip.ipv4_mapped is not None)):
        return False
    return True


def probe_targets(listeners, addresses=None, ipv4=None, ipv6=None):
    """Every (listener, address) pair to probe.

    addresses: a name/address or a list of them that replaces the discovery (every listener is
    probed on each). Otherwise: a listener bound to 0.0.0.0 is probed on every IPv4 address of
    the relay, one bound to :: on every global IPv6 address, one bound to a specific address on
    that address (loopback-only listeners cannot be reached from outside and are skipped).
    """
    if isinstance(addresses, str):
        addresses = [addresses] if addresses.strip() else []
    addresses = [str(a) for a in (addresses or []) if str(a).strip()]
    v4 = [a for a in (ipv4 or []) if _usable(a, 4)]
    v6 = [a for a in (ipv6 or []) if _usable(a, 6)]
    targets = []
    for listener in listeners or []:
        if addresses:
            chosen = addresses
        else:
            addr = str(listener.get('addr') or '')
            family = listener.get('family') or 'inet'
            if addr in ('', '0.0.0.0') and family == 'inet':
                chosen = v4
            elif addr in ('', '::') and family == 'inet6':
                chosen = v6
            else:
                chosen = [addr] if _usable(addr, 6 if ':' in addr else 4) else []
        for address in chosen:
            targets.append({'listener': listener, 'address': address})
    return targets


# ---------------------------------------------------------------------------------------
# Where the open-relay probes send their RCPT TO (the destinations besides the tricks' own
# outside address). Nothing is ever sent to them: the probes stop at RCPT and say RSET.

# Always probed: the RFC 2606 example domains of three top-level domains.
FIXED_OUTSIDE_DOMAINS = ('example.com', 'example.net', 'example.org')
# One of these is probed each run, under a made-up label, chosen from the run's seed: country
# codes, generic and new TLDs, and public suffixes a loose relay domain may cover.
RANDOM_TLDS = ('io', 'de', 'uk', 'co.uk', 'fr', 'nl', 'info', 'biz', 'eu', 'jp', 'com.au', 'github.io', 'ch',
               'us', 'ru', 'cn', 'br', 'xyz', 'app', 'dev', 'it', 'es', 'pl', 'ca', 'in', 'online', 'co')
# Outside address literals (RFC 5737 TEST-NET-2 and -3, RFC 3849 documentation IPv6).
IP_LITERALS = ('[198.51.100.1]', '[203.0.113.1]', '[IPv6:2001:db8::1]')
PROBE_LABEL = 'mailrelay-probe'


def _digest(seed, *parts):
    text = '\0'.join([str(seed)] + [str(part) for part in parts])
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


def _is_domain(word):
    """A domain name (not an address, a network prefix like 10.1 or an IPv6 prefix)."""
    labels = word.split('.')
    return (bool(word) and ':' not in word and '[' not in word and '@' not in word
            and all(labels) and not all(label.isdigit() for label in labels)
            and not labels[-1].isdigit())


def relay_domain_list(*sources):
    """Lower-case domain names from texts or lists of texts (words of C R lines, relay-domains files:
    one or more per line, '#' comments), without duplicates, network prefixes and addresses, in the
    order first seen."""
    seen = []
    for source in sources:
        texts = [source] if isinstance(source, str) else [str(item) for item in (source or [])]
        words = [word for text in texts for line in text.splitlines() for word in line.split('#', 1)[0].split()]
        for word in words:
            domain = word.strip().strip('.').lower()
            if _is_domain(domain) and domain not in seen:
                seen.append(domain)
    return seen


_CLASS_R = re.compile(r'^C\s*(?:R|\{R\})(.*)$')
_FILE_R = re.compile(r'^F\s*(?:R|\{R\})\s*(?:-o\s*)?(/\S+)')


def cf_relay_class(cf_text):
    """What a sendmail.cf puts in class R (the domains and networks it relays for):
    {words: the words of its C R lines, files: the files its F R lines read}."""
    words, files = [], []
    for line in (cf_text or '').splitlines():
        match = _CLASS_R.match(line)
        if match:
            words.extend(match.group(1).split())
            continue
        match = _FILE_R.match(line)
        if match and match.group(1) not in files:
            files.append(match.group(1))
    return {'words': words, 'files': files}


def _covered(domain, relay_domains):
    """The relay legitimately relays to `domain`: it is, or is under, a relay domain of two labels or more."""
    return any(domain == relay or domain.endswith('.' + relay) for relay in relay_domains if '.' in relay)


def relay_destinations(relay_domains=None, seed='', user='relay-probe'):
    """The outside recipients the open-relay probes add to the tricks, for one run.

    Returns {seed, random_tld, destinations: [{id, rcpt_to, description}], skipped: [str]}:
    the RFC 2606 domains of .com, .net and .org; a made-up domain under one top-level domain (or
    public suffix) of RANDOM_TLDS that the seed picks; for every relay domain, each of its parent
    domains and a made-up sibling under each parent (a relay for sub.example.org must not relay
    to example.org nor to other.example.org); and address literals. A destination at or under a
    relay domain (of two labels or more: a top-level domain never counts) is skipped and named in
    `skipped`, as the relay may rightly take it.
    """
    domains = relay_domain_list(relay_domains)
    seed = str(seed)
    tld = RANDOM_TLDS[int(_digest(seed, 'tld'), 16) % len(RANDOM_TLDS)]
    made_up = '%s-%s' % (PROBE_LABEL, _digest(seed, 'label')[:8])
    candidates = [('outside_%s' % domain.rsplit('.', 1)[1], domain, 'an outside recipient under .%s'
                   % domain.rsplit('.', 1)[1]) for domain in FIXED_OUTSIDE_DOMAINS]
    candidates.append(('outside_random_tld', '%s.%s' % (made_up, tld),
                       'an outside recipient under .%s, the top-level domain picked for this run' % tld))
    for relay in domains:
        labels = relay.split('.')
        for index in range(1, len(labels)):
            parent = '.'.join(labels[index:])
            if index < len(labels) - 1:
                candidates.append(('parent_domain', parent, 'the parent domain %s of the relay domain %s' % (parent, relay)))
            candidates.append(('parent_domain_sibling', '%s.%s' % (made_up, parent),
                               'a made-up domain under %s, the parent of the relay domain %s' % (parent, relay)))
    destinations, skipped, seen, numbers = [], [], set(), {}
    for kind, domain, description in candidates:
        if domain in seen:
            continue
        seen.add(domain)
        if _covered(domain, domains):
            skipped.append('%s (a relay domain covers it)' % domain)
            continue
        numbers[kind] = numbers.get(kind, 0) + 1
        destinations.append({'id': kind if kind.startswith('outside_') else '%s_%d' % (kind, numbers[kind]),
                             'rcpt_to': '%s@%s' % (user, domain), 'description': description})
    for number, literal in enumerate(IP_LITERALS, 1):
        destinations.append({'id': 'ip_literal_%d' % number, 'rcpt_to': '%s@%s' % (user, literal),
                             'description': 'an outside address literal %s' % literal})
    return {'seed': seed, 'random_tld': tld, 'destinations': destinations, 'skipped': skipped}
