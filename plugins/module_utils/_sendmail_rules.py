# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Compatibility facade: the names of the rules about sendmail's configuration, where they were.

PRIVATE to the mailrelay.sendmail collection: no API promise outside it. This module used to hold
every rule the roles and the gate share; they now live in cohesive modules, and this one only
re-exports the names its callers imported before the split (the filter plugins, _cf_judge and the
unit tests), so no import breaks. New code imports from the module that holds the rule:

- _sendmail_constants: sendmail's vocabulary (DaemonPortOptions modifiers, AuthOptions, privacy
  and DontBlameSendmail flags), what the role owns (FEATUREs, define()s, options, rulesets), RISKS.
- _sendmail_values: RuleError, `shorten`, word lists, booleans, counts, `cleartext_mechanisms`.
- _sendmail_m4: what may stand inside `...' in sendmail.mc (`m4_word_reason`,
  `m4_quoted_reason`), and the m4 lexer (`m4_code`, `split_m4_args`).
- _sendmail_listeners: what a listener means (`sendmail_listeners`, `daemon_entry_errors`,
  `parse_port`) and the check of sendmail_config_daemons.
- _sendmail_cf: a live sendmail.cf (`cf_logical_lines`, `parse_cf_options`,
  `parse_daemon_port_options`, `sendmail_cf_listeners`).
- _sendmail_smart_host: `parse_smart_host`, `smart_host_name` and the check of the smart host.
- _sendmail_pluginviewer: what Cyrus SASL's pluginviewer prints (`parse_pluginviewer`).
- _sendmail_relay: broad relay keys (`broad_relay_reason`, `is_public_suffix`), the checks of the
  access map and relay-domains.
- _sendmail_auth_tls: the AUTH, TLS, AuthInfo and trusted-peer checks.
- _sendmail_mc_checks: the checks of defines, FEATUREs (`check_feature_text`) and mc_extra.
- _sendmail_problems: the problems engine (`sendmail_config_problems`, DEFAULTS, `_Problems`).

Facts about sendmail are taken from sendmail 8.17 (sendmail/daemon.c setsockaddroptions() and
getmodifiers(), sendmail/sendmail.h D_* flags, cf/README, cf/m4/proto.m4, doc/op/op.me) and
Cyrus SASL 2.1.28 (utils/pluginviewer.c).
"""

from __future__ import annotations

from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp_sasl import CLEARTEXT_MECHANISMS
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_constants import (
    AUTH_OPTION_FLAGS,
    DAEMON_MODIFIERS,
    DONT_BLAME_SENDMAIL_FLAGS,
    OWNED_CF_OPTIONS,
    OWNED_FEATURES,
    OWNED_M4_NAMES,
    OWNED_RULESETS,
    OWNED_SETTINGS,
    POLICY_RULESETS,
    POLICY_RULESET_MACROS,
    PRIVACY_FLAGS,
    RELAY_FEATURES,
    RISKS,
    SENDER_CHECK_FEATURES,
    SERVICE_PORTS,
    TLS_MIN_VERSIONS,
    TLS_SRV_OPTION_FLAGS,
    WEAKENING_DEFINES,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_values import (
    RuleError,
    _control_reason,
    _str_list,
    cleartext_mechanisms,
    shorten,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_m4 import (
    m4_code,
    m4_quoted_reason,
    m4_word_reason,
    split_m4_args,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_listeners import (
    daemon_entry_errors,
    parse_port,
    sendmail_listeners,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_cf import (
    cf_logical_lines,
    parse_cf_options,
    parse_daemon_port_options,
    sendmail_cf_listeners,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_smart_host import (
    parse_smart_host,
    smart_host_name,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_pluginviewer import parse_pluginviewer
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_relay import (
    PUBLIC_SUFFIX_LIST,
    broad_relay_reason,
    is_public_suffix,
    public_suffix_rules,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_auth_tls import (
    OTHER_PATH_VARIABLES,
    TLS_PATH_VARIABLES,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_mc_checks import check_feature_text
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_problems import (
    BOOL_VARIABLES,
    COUNT_VARIABLES,
    DEFAULTS,
    _Problems,
    sendmail_config_problems,
)

#: Everything this facade promises: the public names of the module before the split, and the
#: private helpers _cf_judge imports (_Problems, _control_reason, _str_list).
__all__ = (
    'AUTH_OPTION_FLAGS',
    'BOOL_VARIABLES',
    'CLEARTEXT_MECHANISMS',
    'COUNT_VARIABLES',
    'DAEMON_MODIFIERS',
    'DEFAULTS',
    'DONT_BLAME_SENDMAIL_FLAGS',
    'OTHER_PATH_VARIABLES',
    'OWNED_CF_OPTIONS',
    'OWNED_FEATURES',
    'OWNED_M4_NAMES',
    'OWNED_RULESETS',
    'OWNED_SETTINGS',
    'POLICY_RULESETS',
    'POLICY_RULESET_MACROS',
    'PRIVACY_FLAGS',
    'PUBLIC_SUFFIX_LIST',
    'RELAY_FEATURES',
    'RISKS',
    'RuleError',
    'SENDER_CHECK_FEATURES',
    'SERVICE_PORTS',
    'TLS_MIN_VERSIONS',
    'TLS_PATH_VARIABLES',
    'TLS_SRV_OPTION_FLAGS',
    'WEAKENING_DEFINES',
    '_Problems',
    '_control_reason',
    '_str_list',
    'broad_relay_reason',
    'cf_logical_lines',
    'check_feature_text',
    'cleartext_mechanisms',
    'daemon_entry_errors',
    'is_public_suffix',
    'm4_code',
    'm4_quoted_reason',
    'm4_word_reason',
    'parse_cf_options',
    'parse_daemon_port_options',
    'parse_pluginviewer',
    'parse_port',
    'parse_smart_host',
    'public_suffix_rules',
    'sendmail_cf_listeners',
    'sendmail_config_problems',
    'sendmail_listeners',
    'shorten',
    'smart_host_name',
    'split_m4_args',
)
