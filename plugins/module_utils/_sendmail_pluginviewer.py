# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What Cyrus SASL's pluginviewer prints, as lists of mechanism names.

PRIVATE to the mailrelay.sendmail collection: no API promise outside it. Split out of
`_sendmail_rules`, which still re-exports its names for the imports written before the split.

Output format of Cyrus SASL 2.1.28 utils/pluginviewer.c.
"""

from __future__ import annotations

import re


_PV_HEADER = re.compile(
    r'^\s*(installed and properly configured|available)\s+'
    r'(auxprop|sasl \((server|client) side\))\s+mechanisms\s*(?:matching your criteria\s+)?are:\s*(.*)$',
    re.IGNORECASE)
_PV_NONE = re.compile(r'^\s*no (server|client) side sasl mechanisms matching your criteria found', re.IGNORECASE)


def parse_pluginviewer(stdout):
    """Parse what Cyrus SASL's ``pluginviewer`` (-s, -c, -a or none) prints.

    Returns a dict of lists of mechanism names, in the order printed:

    - server: "Installed and properly configured SASL (server side) mechanisms" (loaded plugins)
    - server_available: "Available SASL (server side) mechanisms matching your criteria"
    - client, client_available: the same for the client side (-c)
    - auxprop: "Installed and properly configured auxprop mechanisms" (-a)
    - available: server_available when the server side was printed, else client_available

    A list pluginviewer prints as "<none>" or "(null)" is empty.
    """
    result = {'auxprop': [], 'server': [], 'server_available': [], 'client': [], 'client_available': []}
    seen_server = False
    lines = (stdout or '').splitlines()
    for index, line in enumerate(lines):
        if _PV_NONE.match(line):
            if _PV_NONE.match(line).group(1).lower() == 'server':
                seen_server = True
            continue
        match = _PV_HEADER.match(line)
        if not match:
            continue
        kind, what, side, inline = match.group(1).lower(), match.group(2).lower(), match.group(3), match.group(4)
        listing = inline if inline.strip() else (lines[index + 1] if index + 1 < len(lines) else '')
        names = [w for w in listing.split() if w not in ('<none>', '(null)')]
        if what == 'auxprop':
            key = 'auxprop'
        else:
            key = side.lower() + ('' if kind.startswith('installed') else '_available')
            seen_server = seen_server or side.lower() == 'server'
        result[key] = names
    result['available'] = list(result['server_available'] if seen_server else result['client_available'])
    return result
