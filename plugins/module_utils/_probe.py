# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the mailrelay.sendmail collection: may change without notice.

"""What the verification gate probes: which account, which listener on which address."""

from __future__ import annotations

import ipaddress


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
