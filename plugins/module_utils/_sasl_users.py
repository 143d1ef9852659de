# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the mailrelay.sendmail collection: may change without notice.

"""Rules about the cyrus_sasl_users list as a whole: what would delete every user, and a relay
whose list replaced the one its group gives the others. Nothing here returns a password."""

from __future__ import annotations

# groups Ansible makes up by itself: every host is in `all`, and `ungrouped` is not a group of yours
_IMPLICIT_GROUPS = ('all', 'ungrouped')


def _entries(users):
    return [u for u in users or [] if isinstance(u, dict) and u.get('name')]


def _present(users):
    return set(str(u['name']) for u in _entries(users) if (u.get('state') or 'present') == 'present')


def _mentioned(users):
    return set(str(u['name']) for u in _entries(users))


def users_problems(users, exclusive=True, pwcheck_method='auxprop', allow_empty=False):
    """Why this cyrus_sasl_users would be refused; [] when it is fine.

    With the sasldb (auxprop) and cyrus_sasl_users_exclusive, a list without a present user
    deletes every user of the relay: refused unless cyrus_sasl_users_allow_empty says so.
    """
    if pwcheck_method != 'auxprop' or not exclusive or allow_empty or _present(users):
        return []
    listed = _entries(users)
    what = ('cyrus_sasl_users is empty' if not listed else
            'cyrus_sasl_users only lists users to remove (%s)' % ', '.join(sorted(_mentioned(users))))
    return ['%s while cyrus_sasl_users_exclusive is true: every user in the sasldb of this relay would be deleted, and '
            'nobody could log in any more. Fix: list the users (is the inventory that holds them loaded, and does the '
            'vault open?); to delete every user on purpose, set cyrus_sasl_users_allow_empty: true; to leave the '
            'sasldb alone, set cyrus_sasl_users_exclusive: false' % what]


def users_replaced(users_by_host, groups, hosts):
    """Relays whose cyrus_sasl_users lacks users that every other member of one of their groups lists.

    Ansible does not say where a value came from, so this is judged from the values: a list set in
    host_vars (or in a more specific group) replaces the group's list instead of adding to it, and
    the users the others share are then missing here. Returns {host: warning} for those hosts only.
    """
    out = {}
    for host in hosts:
        own = _mentioned(users_by_host.get(host))
        lines = []
        for group in sorted(groups):
            members = [h for h in groups[group] or [] if h != host]
            if group in _IMPLICIT_GROUPS or host not in (groups[group] or []) or not members:
                continue
            shared = set.intersection(*[_present(users_by_host.get(h)) for h in members])
            missing = sorted(shared - own)
            if missing:
                lines.append('the other %d relay(s) of group %s all list %s' % (len(members), group, ', '.join(missing)))
        if lines:
            out[host] = ('cyrus_sasl_users of %s does not list users that %s. A cyrus_sasl_users in host_vars (or in a '
                         'more specific group) replaces the group\'s list, it does not add to it. If these users should '
                         'log in here, repeat them in that list (or combine the lists under another variable name).'
                         % (host, '; '.join(lines)))
    return out
