# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: sendmail_cf_listeners
short_description: The listeners of a live sendmail.cf, as sendmail_listeners describes them
version_added: 0.2.0
author:
  - mailrelay.sendmail contributors
description:
  - Reads the C(O DaemonPortOptions=...) lines of a sendmail.cf and returns the same normalized
    listeners as P(mailrelay.sendmail.sendmail_listeners#filter), built by the same code, so a listener
    written from C(sendmail_config_daemons) reads back equal.
  - C(O AuthMechanisms=...) gives the mechanisms, C(O AuthOptions=...) the flags (V(p) removes PLAIN
    and LOGIN before TLS), and a non-empty C(O ServerCertFile=...) means TLS is configured.
  - "Keys are recognised by their first letter, as sendmail does (V(Port), V(Addr), V(Family), V(Name),
    V(Modifiers)/V(M)). Missing ones take sendmail's defaults: port 25, family V(inet), address
    V(0.0.0.0) (V(::) for V(inet6)), name V(Daemon<n>)."
  - Port names are mapped as in C(/etc/services) - V(smtp) 25, V(submission) 587, V(smtps),
    V(submissions), V(ssmtp) and V(urd) 465.
  - Continuation lines (starting with a space or tab) are joined; commented-out options (C(#O ...)) are ignored.
    When an option appears twice the last one counts, as in sendmail.
  - A listener that is not TCP (C(Family=unix)) or has an unknown port name raises an error.
positional: _input
options:
  _input:
    description: The text of sendmail.cf.
    type: str
    required: true
seealso:
  - plugin: mailrelay.sendmail.sendmail_listeners
    plugin_type: filter
  - module: mailrelay.sendmail.sendmail_info
"""

EXAMPLES = r"""
---
- name: Read the live sendmail.cf
  ansible.builtin.slurp:
    src: /etc/mail/sendmail.cf
  register: __cf

- name: What every listener must offer
  ansible.builtin.debug:
    msg: "{{ __cf.content | b64decode | mailrelay.sendmail.sendmail_cf_listeners }}"
"""

RETURN = r"""
_value:
  description:
    - One dict per DaemonPortOptions line, in the order of the file, with the keys C(name), C(port),
      C(addr), C(family), C(modifiers), C(options), C(tls), C(auth_required), C(auth_before_tls),
      C(auth_after_tls) and C(daemon_port_options) described in P(mailrelay.sendmail.sendmail_listeners#filter).
  type: list
  elements: dict
  sample:
    - name: MSA
      port: 587
      addr: 0.0.0.0
      family: inet
      modifiers: Ea
      options: ""
      tls: starttls
      auth_required: true
      auth_before_tls: []
      auth_after_tls: [LOGIN, PLAIN]
      daemon_port_options: Port=587, Addr=0.0.0.0, Family=inet, Name=MSA, M=Ea
"""

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_rules import (
    RuleError,
    sendmail_cf_listeners,
)


def sendmail_cf_listeners_filter(cf_text):
    if not isinstance(cf_text, (str, bytes)):
        raise AnsibleFilterError('mailrelay.sendmail.sendmail_cf_listeners: the input must be the text of '
                                 'sendmail.cf, not %s' % type(cf_text).__name__)
    try:
        return sendmail_cf_listeners(to_text(cf_text))
    except RuleError as exc:
        raise AnsibleFilterError('mailrelay.sendmail.sendmail_cf_listeners: %s' % exc) from exc


class FilterModule(object):
    """sendmail.cf listener filter"""

    def filters(self):
        return {'sendmail_cf_listeners': sendmail_cf_listeners_filter}
