# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: sendmail_listeners
short_description: What each entry of sendmail_config_daemons means to sendmail
version_added: 0.2.0
author:
  - mailrelay.sendmail contributors
description:
  - The one definition of a C(sendmail_config_daemons) entry. Turns the list into normalized listeners
    that say which TLS each one speaks, whether it requires AUTH, which SASL mechanisms it offers
    before and after TLS, and the exact C(DaemonPortOptions) text for C(DAEMON_OPTIONS(`...')).
  - "Modifiers (C(M=)), as sendmail reads them: V(a) AUTH required; V(s) implicit TLS (SMTPS);
    V(S) no STARTTLS; V(A) no AUTH at all; V(E) no ETRN; V(b), V(c), V(f), V(h), V(r), V(u), V(C), V(O)
    as in sendmail's op guide. Anything else is refused."
  - "The C(tls) key: V(implicit) when the modifiers contain V(s); V(starttls) when O(tls) is true and there is
    no V(S); V(none) otherwise."
  - "C(auth_before_tls): nothing for implicit TLS or V(A); otherwise the mechanisms, less PLAIN and
    LOGIN when O(auth_options) contains V(p). C(auth_after_tls): the mechanisms when the listener
    speaks TLS and has no V(A), else nothing. Both sorted and upper case."
  - Ports may be integers or numeric strings (V("465") is port 465). Invalid entries raise an error that
    names the entry, what is wrong and how to fix it.
  - C(daemon_port_options) has the form V(Port=465, Addr=0.0.0.0, Family=inet, Name=SMTPS, M=Eas),
    followed by the C(options) text (its parts joined with V(", ")), so an existing sendmail.cf
    does not change.
positional: _input, tls, auth_mechanisms, auth_options
options:
  _input:
    description:
      - The listeners, as in C(sendmail_config_daemons) - a list of dicts with C(name) (letters, digits,
        V(-), V(_)), C(port), and optionally C(addr) (default V(0.0.0.0), or V(::) for V(inet6)),
        C(family) (V(inet) or V(inet6)), C(modifiers) and C(options) (further C(Key=value) parts such as
        V(Listen=128); the keys owned by the other fields, Port/Addr/Family/Name/Modifiers, are refused).
    type: list
    elements: dict
    required: true
  tls:
    description: Whether sendmail has a certificate (C(sendmail_config_tls)).
    type: bool
    default: true
  auth_mechanisms:
    description: The mechanisms sendmail offers (C(sendmail_config_auth_mechanisms)).
    type: list
    elements: str
    default: [LOGIN, PLAIN]
  auth_options:
    description: The AuthOptions flags (C(sendmail_config_auth_options)); a string such as V(A,p,y) works too.
    type: list
    elements: str
    default: [A, p, y]
seealso:
  - plugin: mailrelay.sendmail.sendmail_cf_listeners
    plugin_type: filter
  - plugin: mailrelay.sendmail.cleartext_mechanisms
    plugin_type: filter
  - module: mailrelay.sendmail.smtp_ehlo_info
"""

EXAMPLES = r"""
---
- name: One DAEMON_OPTIONS line per listener
  ansible.builtin.debug:
    msg: "DAEMON_OPTIONS(`{{ item.daemon_port_options }}')dnl"
  loop: >-
    {{ sendmail_config_daemons | mailrelay.sendmail.sendmail_listeners(sendmail_config_tls,
       sendmail_config_auth_mechanisms, sendmail_config_auth_options) }}

- name: The listeners that offer a password mechanism before TLS
  ansible.builtin.debug:
    msg: >-
      {{ sendmail_config_daemons | mailrelay.sendmail.sendmail_listeners(auth_options=['A', 'y'])
         | selectattr('auth_before_tls', 'contains', 'PLAIN') | map(attribute='name') | list }}
"""

RETURN = r"""
_value:
  description: One dict per entry, in the same order.
  type: list
  elements: dict
  contains:
    name:
      description: The daemon name (C(Name=)).
      type: str
      sample: SMTPS
    port:
      description: The TCP port, always an integer.
      type: int
      sample: 465
    addr:
      description: The address bound.
      type: str
      sample: 0.0.0.0
    family:
      description: V(inet) or V(inet6).
      type: str
      sample: inet
    modifiers:
      description: The C(M=) letters, as given.
      type: str
      sample: Eas
    options:
      description: The further DaemonPortOptions parts, joined with V(", ") (empty if none).
      type: str
      sample: ""
    tls:
      description: V(implicit), V(starttls) or V(none).
      type: str
      sample: implicit
    auth_required:
      description: Whether the C(a) modifier requires AUTH before MAIL.
      type: bool
      sample: true
    auth_before_tls:
      description: The mechanisms offered before TLS, sorted.
      type: list
      elements: str
      sample: []
    auth_after_tls:
      description: The mechanisms offered once TLS is up, sorted.
      type: list
      elements: str
      sample: [LOGIN, PLAIN]
    daemon_port_options:
      description: The text for C(DAEMON_OPTIONS(`...')) and what sendmail.cf shows after C(O DaemonPortOptions=).
      type: str
      sample: Port=465, Addr=0.0.0.0, Family=inet, Name=SMTPS, M=Eas
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_rules import (
    RuleError,
    sendmail_listeners,
)


def sendmail_listeners_filter(daemons, tls=True, auth_mechanisms=None, auth_options=None):
    try:
        return sendmail_listeners(
            daemons, tls=tls,
            auth_mechanisms=['LOGIN', 'PLAIN'] if auth_mechanisms is None else auth_mechanisms,
            auth_options=['A', 'p', 'y'] if auth_options is None else auth_options)
    except RuleError as exc:
        raise AnsibleFilterError('mailrelay.sendmail.sendmail_listeners: %s' % exc) from exc


class FilterModule(object):
    """sendmail listener filters"""

    def filters(self):
        return {'sendmail_listeners': sendmail_listeners_filter}
