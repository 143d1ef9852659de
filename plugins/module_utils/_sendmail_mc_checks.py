# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The checks of the free-form m4 text: defines, FEATUREs and sendmail_config_mc_extra.

PRIVATE to the mailrelay.sendmail collection: no API promise outside it. Split out of
`_sendmail_rules`, which still re-exports its names for the imports written before the split.

`check_feature_text` is shared with _cf_judge; `_check_defines`, `_check_features` and
`_check_mc_extra` are run by sendmail_config_problems. Facts from sendmail 8.17 cf/README and
cf/m4/proto.m4.
"""

from __future__ import annotations

import re

from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_constants import (
    OWNED_CF_OPTIONS,
    OWNED_FEATURES,
    OWNED_M4_NAMES,
    OWNED_RULESETS,
    POLICY_RULESETS,
    POLICY_RULESET_MACROS,
    RELAY_FEATURES,
    WEAKENING_DEFINES,
    _OWNED_MACROS,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_values import (
    _control_reason,
    _quote,
    _str_list,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_m4 import (
    _M4_NAME,
    _call_arguments,
    m4_code,
    m4_quoted_reason,
    m4_word_reason,
    split_m4_args,
)


_M4_DEFINE_NAME = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*\Z')


def _check_defines(defines, problems, define_names):
    variable = 'sendmail_config_defines'
    if not isinstance(defines, dict):
        problems.add(variable, defines, 'is not a dict of name: value', 'each item becomes define(`name\', `value\')',
                     "write {confTO_QUEUEWARN: 4h}")
        return
    for name, value in defines.items():
        name_text = str(name)
        if not _M4_DEFINE_NAME.match(name_text):
            problems.add(variable, name_text, 'the name %s is not an m4 macro name' % _quote(name_text),
                         'it is written into sendmail.mc inside quotes', 'use names such as confTO_QUEUEWARN')
            continue
        if name_text in OWNED_M4_NAMES and name_text not in _OWNED_MACROS:
            owner = OWNED_M4_NAMES[name_text]
            problems.add(variable, name_text, 'defines %s' % name_text,
                         'the role sets it from %s, and this define would silently override that (and the '
                         'checks made on it)' % owner, 'set %s instead' % owner)
            continue
        if name_text in OWNED_M4_NAMES:
            owner = OWNED_M4_NAMES[name_text]
            problems.add(variable, name_text, 'defines the macro %s' % name_text,
                         'that would replace the macro the role uses for %s' % owner, 'set %s instead' % owner)
            continue
        if name_text.startswith('_'):
            problems.add(variable, name_text, 'defines %s, an internal macro of sendmail\'s m4 files' % name_text,
                         'FEATUREs set these (_PROMISCUOUS_RELAY_ is an open relay), so defining them bypasses '
                         'the checks on sendmail_config_features', 'use sendmail_config_features')
            continue
        value_text = value if isinstance(value, str) else (
            str(value).lower() if isinstance(value, bool) else str(value) if isinstance(value, (int, float)) else None)
        reason = 'is not text or a number' if value_text is None else m4_quoted_reason(value_text, define_names)
        if reason:
            problems.add(variable, value, 'the value of %s %s' % (name_text, reason),
                         'it is written into sendmail.mc inside quotes and read again by m4',
                         'write the value on one line without ` \' # or m4 words')
            continue
        if name_text in WEAKENING_DEFINES:
            test, why, risk = WEAKENING_DEFINES[name_text]
            if test(value_text):
                problems.add(variable, '%s=%s' % (name_text, value_text), 'sets %s to %s' % (name_text, _quote(value_text)),
                             why, 'leave %s out' % name_text, risk=risk)


def _check_features(features, problems, variable):
    entries = _str_list(features)
    if entries is None:
        problems.add(variable, features, 'is not a list of FEATURE() arguments',
                     'each entry becomes FEATURE(entry)', "write [\"`nocanonify'\"]")
        return
    for index, text in enumerate(entries):
        check_feature_text(text, problems, variable, 'entry %d' % (index + 1))


def check_feature_text(text, problems, variable, label):
    """Check the argument text of one FEATURE( ... ) (name first, then its arguments)."""
    reason = _control_reason(text)
    args, error = ([], None) if reason else split_m4_args(text)
    reason = reason or error
    if not reason and (not args or not re.match(r'^[A-Za-z0-9_]+\Z', args[0])):
        reason = 'does not start with a feature name'
    if not reason:
        for arg in args[1:]:
            reason = m4_word_reason(arg)
            if reason:
                break
    prefix = label + ' ' if label else ''
    if reason:
        problems.add(variable, text, '%s%s %s' % (prefix, _quote(text), reason),
                     'it is written into sendmail.mc as FEATURE(...) and must not change what follows',
                     "write the feature name and its arguments, e.g. \"`mailertable', `hash -o /etc/mail/mailertable'\"")
        return
    name = args[0]
    if name in RELAY_FEATURES:
        problems.add(variable, name, '%senables FEATURE(%s)' % (prefix, name), RELAY_FEATURES[name],
                     'let clients authenticate (SMTP AUTH on port 587), or RELAY single hosts in sendmail_config_access',
                     risk='feature:%s' % name)
    elif name in OWNED_FEATURES:
        owner = OWNED_FEATURES[name]
        problems.add(variable, name, '%senables FEATURE(%s)' % (prefix, name),
                     'the role sets that up from %s; a second FEATURE(%s) would override it and the checks '
                     'made on it' % (owner, name), 'set %s instead' % owner)


_CF_LINE_OPTION = re.compile(r'^\s*O\s*([A-Za-z][A-Za-z0-9_.]*)\s*=')
_CF_LINE_RULESET = re.compile(r'^\s*S\s*([A-Za-z_][A-Za-z0-9_]*)')
_CF_LINE_CLASS = re.compile(r'^\s*[CF]\s*(\{R\}|\{TrustAuthMech\}|R)')
_CF_LINE_MACRO_J = re.compile(r'^\s*D\s*(j|\{j\})')
_M4_FEATURE_CALL = re.compile(r'\bFEATURE\s*\(')
_MC_EXTRA_M4_REFUSED = frozenset((
    'changequote', 'changecom', 'divert', 'undivert', 'syscmd', 'esyscmd', 'include', 'sinclude',
    'm4exit', 'm4wrap', 'undefine', 'pushdef', 'popdef', 'indir', 'builtin', 'changeword',
))


def _check_mc_extra(text, problems, define_names):
    variable = 'sendmail_config_mc_extra'
    if text in (None, ''):
        return
    if not isinstance(text, str):
        problems.add(variable, text, 'is not text', 'it is appended to sendmail.mc', 'write m4 text')
        return
    if '\x00' in text or '\r' in text:
        problems.add(variable, None, 'contains a NUL byte or a carriage return', 'm4 and sendmail.cf are line based',
                     'write plain lines')
        return
    code, depth = m4_code(text)
    if depth:
        problems.add(variable, None, "has an unbalanced m4 quote (a ` without its ')",
                     'm4 would swallow the rest of sendmail.mc (the MAILER lines included) into the quote',
                     "close every ` with a '")
        return
    seen = set()

    def once(key, *args, **kwargs):
        if key not in seen:
            seen.add(key)
            problems.add(variable, *args, **kwargs)

    for match in _M4_NAME.finditer(code):
        word = match.group(0)
        if word in _MC_EXTRA_M4_REFUSED:
            once(word, word, "uses the m4 builtin '%s'" % word,
                 'it changes how the rest of sendmail.mc is read, or runs commands or reads files that no '
                 'check sees', 'write plain sendmail m4 (define, FEATURE, LOCAL_CONFIG, ...)')
        elif word in OWNED_M4_NAMES:
            owner = OWNED_M4_NAMES[word]
            once(word, word, 'uses %s' % word,
                 'the role sets that from %s; mc_extra comes later and would silently override it and the '
                 'checks made on it' % owner, 'set %s instead' % owner)
        elif word in WEAKENING_DEFINES:
            once(word, word, 'uses %s' % word, 'its value can weaken TLS and is only checked in sendmail_config_defines',
                 'set it in sendmail_config_defines')
        elif word in POLICY_RULESET_MACROS:
            once(word, word, 'uses %s' % word, 'rules added there decide TLS or AUTH policy and can weaken it',
                 'leave the policy rulesets to the role', risk='mc_extra:policy_rulesets')
        elif re.match(r'^_[A-Za-z0-9_]*_$', word):
            once(word, word, 'uses %s, an internal macro of sendmail\'s m4 files' % word,
                 'FEATUREs set these (_PROMISCUOUS_RELAY_ is an open relay), so using them bypasses the checks '
                 'on sendmail_config_features', 'use sendmail_config_features')
    for match in _M4_FEATURE_CALL.finditer(code):
        inner = _call_arguments(code, match.end())
        if inner is None:
            once('FEATURE(', 'FEATURE(', 'has a FEATURE( without its closing parenthesis',
                 'm4 would read the rest of sendmail.mc as its arguments', 'close the call')
            continue
        check_feature_text(inner, problems, variable, '')
    for line in code.splitlines():
        stripped = line.replace("`'", '')
        match = _CF_LINE_OPTION.match(stripped)
        if match and match.group(1).lower() in OWNED_CF_OPTIONS:
            owner = OWNED_CF_OPTIONS[match.group(1).lower()]
            once('O' + match.group(1).lower(), line.strip(), 'sets the sendmail.cf option %s' % match.group(1),
                 'the role sets it from %s; a second line would silently override it' % owner,
                 'set %s instead' % owner)
        if match and match.group(1).lower() in ('tlsfallbacktoclear', 'dhparameters'):
            once('O' + match.group(1).lower(), line.strip(), 'sets the sendmail.cf option %s' % match.group(1),
                 'its value can weaken TLS and is only checked in sendmail_config_defines',
                 'set confTLS_FALLBACK_TO_CLEAR / confDH_PARAMETERS in sendmail_config_defines')
        match = _CF_LINE_CLASS.match(stripped)
        if match:
            owner = ('sendmail_config_trust_auth_mechanisms' if 'Trust' in match.group(1)
                     else 'sendmail_config_relay_domains')
            once('C' + match.group(1), line.strip(), 'adds to the sendmail.cf class %s' % match.group(1),
                 'the role fills it from %s, where broad entries are refused' % owner, 'set %s instead' % owner)
        if _CF_LINE_MACRO_J.match(stripped):
            once('Dj', line.strip(), 'sets the sendmail.cf macro $j', 'the role sets it from sendmail_config_hostname',
                 'set sendmail_config_hostname instead')
        match = _CF_LINE_RULESET.match(stripped)
        if match:
            name = match.group(1).lower()
            if name in OWNED_RULESETS:
                once('S' + name, match.group(1), 'defines the ruleset %s' % match.group(1),
                     'the role writes it from sendmail_config_trust_auth', 'set sendmail_config_trust_auth instead')
            elif name in POLICY_RULESETS:
                once('S' + name, match.group(1), 'defines the ruleset %s' % match.group(1),
                     'it decides relaying, AUTH or TLS policy: check_rcpt returns what Local_check_rcpt '
                     'returns, so one rule there can relay for everybody',
                     'let clients authenticate, or RELAY single hosts in sendmail_config_access',
                     risk='mc_extra:policy_rulesets')
