# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The problems engine: every check of the sendmail_config variables that needs nothing but them.

PRIVATE to the mailrelay.sendmail collection: no API promise outside it. Split out of
`_sendmail_rules`, which still re-exports its names for the imports written before the split.

`sendmail_config_problems` reads the variables (a missing one has its role default, DEFAULTS),
runs the checks of _sendmail_listeners, _sendmail_auth_tls, _sendmail_relay,
_sendmail_smart_host and _sendmail_mc_checks, and collects their problems in `_Problems` (which
leaves out the ones whose risk id sendmail_config_accept_risks lists). The identity, alias, count
and flag checks live here.
"""

from __future__ import annotations

import re

from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_constants import (
    DONT_BLAME_SENDMAIL_FLAGS,
    PRIVACY_FLAGS,
    RISKS,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_values import (
    RuleError,
    _bool,
    _cap,
    _control_reason,
    _count,
    _quote,
    _str_list,
    shorten,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_m4 import (
    _host_reason,
    _path_reason,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_listeners import _check_daemons
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_smart_host import _check_smart_host
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_relay import (
    _CLASS_ENTRY,
    _check_access,
    _check_relay_domains,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_auth_tls import (
    _check_auth,
    _check_authinfo,
    _check_plaintext,
    _check_tls,
    _check_trusted_peers,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_mc_checks import (
    _check_defines,
    _check_features,
    _check_mc_extra,
)


#: What a missing variable means (the role's defaults that are not templates).
DEFAULTS = {
    'sendmail_config_local_mailer': '/usr/sbin/mail.local',
    'sendmail_config_aliases': {'postmaster': 'root', 'MAILER-DAEMON': 'postmaster', 'abuse': 'postmaster'},
    'sendmail_config_probe_alias': 'mailrelay-probe',
    'sendmail_config_auth_mechanisms': ['LOGIN', 'PLAIN'],
    'sendmail_config_auth_options': ['A', 'p', 'y'],
    'sendmail_config_allow_plaintext_auth': False,
    'sendmail_config_trust_auth': [],
    'sendmail_config_tls': True,
    'sendmail_config_tls_ca_path': '/etc/mail/certs',
    'sendmail_config_tls_ca_cert': '/etc/mail/certs/ca.crt',
    'sendmail_config_tls_server_cert': '/etc/mail/certs/server.crt',
    'sendmail_config_tls_server_key': '/etc/mail/certs/server.key',
    'sendmail_config_tls_srv_options': 'V',
    'sendmail_config_tls_min_version': 'TLSv1.2',
    'sendmail_config_tls_cipher_list': 'HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES:!CAMELLIA:!PSK:!SRP',
    'sendmail_config_rand_file': '',
    'sendmail_config_daemons': [
        {'name': 'MTA', 'port': 25},
        {'name': 'MSA', 'port': 587, 'modifiers': 'Ea'},
        {'name': 'SMTPS', 'port': 465, 'modifiers': 'Eas'},
    ],
    'sendmail_config_allow_auth_required_on_port_25': False,
    'sendmail_config_access': [],
    'sendmail_config_relay_domains': [],
    'sendmail_config_smart_host': '',
    'sendmail_config_smart_host_tls_verify': True,
    'sendmail_config_authinfo': [],
    'sendmail_config_trusted_peers': [],
    'sendmail_config_trusted_peer_group': 'relays',
    'sendmail_config_trusted_peer_issuers': [],
    'sendmail_config_log_level': 10,
    'sendmail_config_privacy_flags': ['authwarnings', 'noexpn', 'novrfy', 'noverb', 'noreceipts', 'restrictqrun'],
    'sendmail_config_max_message_size': 26214400,
    'sendmail_config_ident_timeout': 0,
    'sendmail_config_dont_blame_sendmail': [],
    'sendmail_config_defines': {},
    'sendmail_config_features': [],
    'sendmail_config_mc_extra': '',
    'sendmail_config_service_enabled': True,
    'sendmail_config_accept_risks': [],
}


#: Variables that must be non-negative integers (a numeric string is fine).
COUNT_VARIABLES = (
    'sendmail_config_log_level', 'sendmail_config_max_message_size', 'sendmail_config_ident_timeout',
    'sendmail_config_max_daemon_children',
    'sendmail_config_connection_rate_throttle', 'sendmail_config_conncontrol',
    'sendmail_config_ratecontrol', 'sendmail_config_bad_rcpt_throttle',
    'sendmail_config_max_rcpts_per_message',
)
BOOL_VARIABLES = (
    'sendmail_config_tls', 'sendmail_config_allow_plaintext_auth', 'sendmail_config_allow_auth_required_on_port_25',
    'sendmail_config_smart_host_tls_verify', 'sendmail_config_service_enabled',
)


class _Problems(object):
    def __init__(self, accepted):
        self.accepted = accepted
        self.items = []

    def add(self, variable, value, what, why, fix, risk=None, opted_in=False):
        if risk and (risk in self.accepted or opted_in):
            return
        message = '%s: %s. %s. Fix: %s' % (variable, what.rstrip('.'), _cap(why.rstrip('.')), fix.rstrip('.'))
        if risk:
            message += "; or add '%s' to sendmail_config_accept_risks if you really mean it" % risk
        self.items.append({
            'variable': variable,
            'value': None if value is None else shorten(value),
            'risk': risk,
            'message': message + '.',
        })


def sendmail_config_problems(config):
    """Every problem in the sendmail_config variables that can be seen without the host.

    `config` maps the variables' full names to their values; a missing variable has its role
    default (DEFAULTS), and the ones whose default is a template (host name, realm) are then not
    checked. Returns a list of {variable, value, risk, message}; empty when all is well. A
    problem with a risk id is left out when sendmail_config_accept_risks lists that id (or, for
    auth:plaintext and daemons:auth_required_on_port_25, when the older allow_* variable is true).
    Password values are never part of a value or a message.
    """
    if not isinstance(config, dict):
        raise RuleError('sendmail_config_problems needs a dict of variables, not %s' % _quote(config))

    def get(name):
        return config[name] if name in config else DEFAULTS.get(name)

    accepted_raw = get('sendmail_config_accept_risks')
    accepted = _str_list(accepted_raw)
    problems = _Problems(set(accepted or []))
    if accepted is None:
        problems.add('sendmail_config_accept_risks', accepted_raw, 'is not a list of risk ids',
                     'a wrong type would silently accept nothing or everything',
                     'list ids such as feature:relay_mail_from')
    else:
        for risk in accepted:
            if risk not in RISKS:
                problems.add('sendmail_config_accept_risks', risk, '%s is not a known risk id' % _quote(risk),
                             'a misspelt id accepts nothing',
                             'use one of %s' % ', '.join(sorted(RISKS)))

    for variable in BOOL_VARIABLES:
        if _bool(get(variable), False) is None:
            problems.add(variable, get(variable), '%s is not true or false' % _quote(get(variable)),
                         'the checks and the role read it as a switch', 'write true or false')
    tls = _bool(get('sendmail_config_tls'), True)
    tls = True if tls is None else tls

    defines = get('sendmail_config_defines')
    define_names = tuple(defines) if isinstance(defines, dict) else ()

    _check_identity(config, get, problems)
    mechanisms = _check_auth(get, problems)
    _check_tls(get, problems, tls)
    listeners = _check_daemons(get, problems, tls, mechanisms)
    _check_plaintext(get, problems, tls, mechanisms, listeners)
    access = _check_access(get, problems)
    _check_relay_domains(get, problems)
    smart_host = _check_smart_host(get, problems)
    _check_authinfo(get, problems, tls, smart_host, access)
    _check_trusted_peers(get, problems)
    _check_counts_and_flags(config, get, problems)
    _check_defines(defines, problems, define_names)
    _check_features(get('sendmail_config_features'), problems, 'sendmail_config_features')
    _check_mc_extra(get('sendmail_config_mc_extra'), problems, define_names)
    return problems.items


def _check_identity(config, get, problems):
    for variable in ('sendmail_config_hostname', 'sendmail_config_auth_realm'):
        if variable not in config:
            continue
        value = config[variable]
        if variable == 'sendmail_config_auth_realm' and value in ('', None):
            continue
        reason = 'is not text' if not isinstance(value, str) else _host_reason(value)
        if reason:
            problems.add(variable, value, '%s %s' % (_quote(value), reason),
                         'it is written into sendmail.mc inside quotes and must not change its structure',
                         'give a plain host name such as relay1.example.org')
    names = get('sendmail_config_local_host_names')
    if names is not None:
        entries = _str_list(names)
        if entries is None:
            problems.add('sendmail_config_local_host_names', names, 'is not a list of names',
                         'each entry becomes a line of /etc/mail/local-host-names', 'list host names')
        else:
            for index, name in enumerate(entries):
                reason = _control_reason(name) or (
                    None if _CLASS_ENTRY.match(name) else 'is not a host name or [address]')
                if reason:
                    problems.add('sendmail_config_local_host_names', name,
                                 'entry %d %s %s' % (index + 1, _quote(name), reason),
                                 'each entry is one line of a class file; anything else adds other names',
                                 'list one host name per entry')
    mailer = get('sendmail_config_local_mailer')
    if mailer not in ('', None):
        reason = 'is not text' if not isinstance(mailer, str) else _path_reason(mailer)
        if reason:
            problems.add('sendmail_config_local_mailer', mailer, '%s %s' % (_quote(mailer), reason),
                         'it is written into FEATURE(local_lmtp) in sendmail.mc',
                         'give the absolute path of mail.local, or empty')
    aliases = get('sendmail_config_aliases')
    if not isinstance(aliases, dict):
        problems.add('sendmail_config_aliases', aliases, 'is not a dict of name: target',
                     'the aliases file is built from it', 'write {postmaster: root}')
    else:
        for name, target in aliases.items():
            name_text = str(name)
            reason = _alias_name_reason(name_text)
            if reason:
                problems.add('sendmail_config_aliases', name_text, 'the alias name %s %s' % (_quote(name_text), reason),
                             'the name ends at the first colon of its line in /etc/mail/aliases, so such a '
                             'name would define another alias or break the file',
                             'use a plain local part such as postmaster')
            target_text = target if isinstance(target, str) else None
            reason = 'is not text' if target_text is None else (
                _control_reason(target_text) or ('is empty' if not target_text.strip() else None))
            if reason:
                problems.add('sendmail_config_aliases', target,
                             'the target of %s %s %s' % (_quote(name_text), _quote(target), reason),
                             'a line break in a target adds aliases of its own',
                             'write the targets on one line, separated by commas')
    probe = get('sendmail_config_probe_alias')
    if probe not in ('', None):
        reason = 'is not text' if not isinstance(probe, str) else _alias_name_reason(probe)
        if reason:
            problems.add('sendmail_config_probe_alias', probe, '%s %s' % (_quote(probe), reason),
                         'it becomes an alias name in /etc/mail/aliases, so such a name would define another '
                         'alias or break the file', 'use a plain local part such as mailrelay-probe, or empty')


def _alias_name_reason(name_text):
    """Why `name_text` cannot be an alias name in /etc/mail/aliases, or None."""
    reason = _control_reason(name_text)
    if not reason and (not name_text.strip() or re.search(r'[\s:"\'`#,]', name_text)):
        reason = 'is empty or contains whitespace, a colon, a comma, # or a quote'
    return reason


def _check_counts_and_flags(config, get, problems):
    for variable in COUNT_VARIABLES:
        if variable not in config and variable not in DEFAULTS:
            continue
        value = get(variable)
        if _count(value) is None:
            problems.add(variable, value, '%s is not a non-negative whole number' % _quote(value),
                         'it is written into sendmail.mc as a number', 'write a number such as 10 (0 where it means off)')
    for variable, known, example in (
            ('sendmail_config_privacy_flags', PRIVACY_FLAGS, 'noexpn'),
            ('sendmail_config_dont_blame_sendmail', DONT_BLAME_SENDMAIL_FLAGS, 'GroupReadableSASLDBFile')):
        value = get(variable)
        entries = _str_list(value)
        if entries is None:
            problems.add(variable, value, 'is not a list of flags', 'it is joined into sendmail.mc', 'write [%s]' % example)
            continue
        for flag in entries:
            if flag.lower() not in known:
                problems.add(variable, flag, '%s is not a flag sendmail knows' % _quote(flag),
                             'it is written into sendmail.mc and sendmail would stop at it',
                             "use sendmail's names, e.g. %s" % example)
