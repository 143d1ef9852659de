# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the mailrelay.sendmail collection: may change without notice.

"""Small pieces of sendmail.mc and its maps that more than one place needs."""

from __future__ import annotations


def tls_srv_entry(host):
    """The access map entry that makes sendmail require, for connections to `host`, a certificate
    that verifies against its CA and whose CN is `host` (a temporary error otherwise, so mail waits).
    """
    host = str(host or '').strip()
    if not host or any(ch.isspace() for ch in host) or host in ('*', '.'):
        raise ValueError('a TLS_Srv entry needs a host name, got %r' % (host,))
    return {'key': 'TLS_Srv:%s' % host, 'value': 'VERIFY+CN:%s' % host}
