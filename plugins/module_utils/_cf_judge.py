# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Judge a generated sendmail.cf by what it does, not by how its sendmail.mc was spelt.

PRIVATE to the mailrelay.sendmail collection: no API promise outside it. The filters
mailrelay.sendmail.sendmail_cf_problems and mailrelay.sendmail.sendmail_cf_baseline wrap it.

m4 sits between the variables and sendmail.cf, so any check of the variables' text can be talked
around (a define that shadows a FEATURE name, a quote split, changequote, include, ...). This module
compares the CANDIDATE sendmail.cf with a BASELINE sendmail.cf that the same variables give without
their free-form parts (`baseline_parts`: no sendmail_config_mc_extra, no sendmail_config_defines,
only the sendmail_config_features entries that are real sendmail FEATUREs the text checks allow).
Every difference that can open relaying or weaken AUTH or TLS is a problem (`cf_problems`):

- class {R} entries and class files (FR) the baseline lacks, and the other policy classes;
- rulesets whose rules differ from the baseline's, or new rulesets that sendmail calls by name;
- the options the role's variables own (AuthOptions, AuthMechanisms, certificates, TLSSrvOptions,
  CipherList, DaemonPortOptions, ...), weak TLS options, short-form options, $j, changed maps;
- a cf cut short (m4exit, divert): rulesets, mailers or maps of the baseline missing;
- the relay FEATUREs, recognised by their effect on the rulesets.

Facts are taken from sendmail 8.17.1.9 (cf/m4/proto.m4, cf/feature/*.m4, doc/op/op.me).
"""

from __future__ import annotations

import re
from collections import Counter

from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_rules import (
    DEFAULTS,
    OWNED_CF_OPTIONS,
    WEAKENING_DEFINES,
    _Problems,
    _control_reason,
    _str_list,
    broad_relay_reason,
    cf_logical_lines,
    check_feature_text,
    m4_code,
    shorten,
    split_m4_args,
)

#: The FEATUREs of sendmail 8.17.1.9 (cf/feature/*.m4).
KNOWN_FEATURES = frozenset((
    'accept_unqualified_senders', 'accept_unresolvable_domains', 'access_db', 'allmasquerade',
    'always_add_domain', 'authinfo', 'badmx', 'bcc', 'bestmx_is_local', 'bitdomain',
    'blacklist_recipients', 'block_bad_helo', 'blocklist_recipients', 'check_cert_altnames',
    'check_other', 'compat_check', 'conncontrol', 'delay_checks', 'dnsbl', 'domaintable',
    'enhdnsbl', 'generics_entire_domain', 'genericstable', 'greet_pause', 'ldap_routing',
    'limited_masquerade', 'local_lmtp', 'local_no_masquerade', 'local_procmail', 'lookupdotdomain',
    'loose_relay_check', 'mailertable', 'masquerade_entire_domain', 'masquerade_envelope', 'msp',
    'mtamark', 'no_default_msa', 'nocanonify', 'nopercenthack', 'notsticky', 'nouucp', 'nullclient',
    'prefixmod', 'preserve_local_plus_detail', 'preserve_luser_host', 'promiscuous_relay',
    'queuegroup', 'ratecontrol', 'redirect', 'relay_based_on_MX', 'relay_entire_domain',
    'relay_hosts_only', 'relay_local_from', 'relay_mail_from', 'require_rdns', 'smrsh', 'stickyhost',
    'sts', 'tls_failures', 'tls_session_features', 'use_client_ptr', 'use_ct_file', 'use_cw_file',
    'uucpdomain', 'virtuser_entire_domain', 'virtusertable',
))

FREE_FORM_VARIABLES = ('sendmail_config_mc_extra', 'sendmail_config_defines', 'sendmail_config_features')

#: Classes that decide relaying, AUTH or TLS trust, and the variable that owns each.
POLICY_CLASSES = {
    'R': 'sendmail_config_relay_domains',
    'TrustAuthMech': 'sendmail_config_trust_auth_mechanisms',
    'm': 'sendmail_config_hostname',
    'Accept': None,
    'ResOk': None,
    'Tls': None,
    'TlsVerified': None,
}

#: Rulesets sendmail calls by name (doc/op/op.me "The check_* rulesets", STARTTLS, AUTH): a new
#: one in the candidate decides policy even though the baseline does not have it.
_CALLED_BY_NAME = re.compile(
    r'^(check_\w+|Local_\w+|Basic_\w+|trust_auth|srv_features|clt_features|tls_\w+|try_tls|'
    r'authinfo|queuegroup|greet_pause|Rcpt_ok|Relay_ok|Relay_Auth|RelayTLS|TLS_connection|'
    r'Parse\w*|[0-9]+)$', re.IGNORECASE)

#: sendmail.cf options that weaken TLS with some values but belong to no variable.
_WEAKENING_OPTIONS = {'tlsfallbacktoclear': 'confTLS_FALLBACK_TO_CLEAR', 'dhparameters': 'confDH_PARAMETERS'}
#: AUTH and TLS options judged besides the owned ones (TrustedUsers, a CRL or client options are
#: the owner's choice: they neither grant relaying nor weaken AUTH or TLS).
_OTHER_JUDGED_OPTIONS = {
    'authmaxbits': 'sendmail_config_auth_options',
    'authrequirements': 'sendmail_config_auth_options',
    'ciphersuites': 'sendmail_config_tls_cipher_list',
    'clientcipherlist': 'sendmail_config_tls_cipher_list',
    'servercipherlist': 'sendmail_config_tls_cipher_list',
}

#: The relay FEATUREs by their effect on the rulesets: (feature, 'added' or 'removed', text of a
#: normalised rule that only that FEATURE adds or removes).
RELAY_FEATURE_EFFECTS = (
    ('promiscuous_relay', 'removed', 'Relaying denied'),
    ('relay_local_from', 'added', '< @ $=w >\t$@ RELAY'),
    ('relay_mail_from', 'added', '<RELAY>\t$@ RELAY'),
    ('relay_based_on_MX', 'added', '$(mxserved'),
    ('loose_relay_check', 'removed', '$>ParseRecipient $1'),
    ('relay_entire_domain', 'added', '$=m'),
)

_OPEN_RHS = re.compile(r'^\$[@:]\s*(RELAY|OK)\b|^\$#\s*OK\b')


# --------------------------------------------------------------------------------------------
# Reading a sendmail.cf


def _braced_name(rest):
    """(name, remainder) of a class, macro or option letter: {Name} or one character."""
    if rest.startswith('{'):
        end = rest.find('}')
        if end > 0:
            return rest[1:end], rest[end + 1:]
    return rest[:1], rest[1:]


def normalize_rule(text):
    """A rule (without its leading R) as "LHS<TAB>RHS": the comment dropped, spaces folded."""
    fields = [f for f in re.split(r'\t+', text) if f != '']
    lhs = ' '.join(fields[0].split()) if fields else ''
    rhs = ' '.join(fields[1].split()) if len(fields) > 1 else ''
    return '%s\t%s' % (lhs, rhs)


def parse_cf(cf_text):
    """The parts of a sendmail.cf the judge compares, as a dict:

    rulesets {name: [normalised rules]} (rules of a repeated S line appended, as sendmail does;
    rules before any S belong to ruleset 0, parse), classes {name: set of words}, class_files
    {name: [specs]}, options {lowercased long name: value} (the last wins), daemons [every
    DaemonPortOptions], short_options [lines such as "Oa..."], macros {name: value}, maps {name:
    definition}, mailers {name: line}.
    """
    cf = {'rulesets': {}, 'classes': {}, 'class_files': {}, 'options': {}, 'daemons': [],
          'short_options': [], 'macros': {}, 'maps': {}, 'mailers': {}}
    numbers = {'0': 'parse'}
    current = None
    for line in cf_logical_lines(cf_text or ''):
        kind, rest = line[:1], line[1:]
        if kind == 'S':
            name, _sep, number = rest.strip().partition('=')
            name = name.strip()
            if number.strip():
                numbers[number.strip()] = name
            name = numbers.get(name, name)
            current = name
            cf['rulesets'].setdefault(name, [])
        elif kind == 'R':
            cf['rulesets'].setdefault(current or 'parse', []).append(normalize_rule(rest))
        elif kind == 'C':
            name, words = _braced_name(rest)
            cf['classes'].setdefault(name, set()).update(words.split())
        elif kind == 'F':
            name, spec = _braced_name(rest)
            cf['class_files'].setdefault(name, []).append(spec.strip())
        elif kind == 'O':
            match = re.match(r'^[ \t]+([A-Za-z][A-Za-z0-9_.]*)[ \t]*(?:=(.*))?$', rest)
            if not match:
                cf['short_options'].append(line.strip())
            elif match.group(1).lower() == 'daemonportoptions':
                cf['daemons'].append((match.group(2) or '').strip())
            else:
                cf['options'][match.group(1).lower()] = (match.group(2) or '').strip()
        elif kind == 'D':
            name, value = _braced_name(rest)
            cf['macros'][name] = value.strip()
        elif kind == 'K':
            parts = rest.split(None, 1)
            if parts:
                cf['maps'][parts[0]] = ' '.join((parts[1] if len(parts) > 1 else '').split())
        elif kind == 'M':
            name = rest.split(',', 1)[0].strip()
            if name:
                cf['mailers'][name] = ' '.join(rest.split())
    return cf


# --------------------------------------------------------------------------------------------
# The baseline


def baseline_features(config):
    """The sendmail_config_features entries the baseline keeps: real sendmail FEATUREs that the
    text checks allow (with the accepted risk ids), whose words no sendmail_config_defines name
    shadows."""
    def get(name):
        return config[name] if name in config else DEFAULTS.get(name)

    entries = _str_list(get('sendmail_config_features')) or []
    accepted = set(_str_list(get('sendmail_config_accept_risks')) or [])
    defines = get('sendmail_config_defines')
    shadowing = set(defines) if isinstance(defines, dict) else set()
    kept = []
    for text in entries:
        if _control_reason(text):
            continue
        args, error = split_m4_args(text)
        if error or not args or args[0] not in KNOWN_FEATURES:
            continue
        if shadowing & set(re.findall(r'[A-Za-z_][A-Za-z0-9_]*', text)):
            continue
        problems = _Problems(accepted)
        check_feature_text(text, problems, 'sendmail_config_features', '')
        if not problems.items:
            kept.append(text)
    return kept


def baseline_parts(config):
    """The free-form variables as the baseline sendmail.mc gets them: {features, defines, mc_extra}."""
    if not isinstance(config, dict):
        config = {}
    return {'features': baseline_features(config), 'defines': {}, 'mc_extra': ''}


# --------------------------------------------------------------------------------------------
# The judgement


def _text_of(value):
    if isinstance(value, dict):
        return ' '.join('%s %s' % (k, v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ' '.join(str(v) for v in value)
    return '' if value is None else str(value)


def _cause(config, needles):
    """The free-form variable that most likely made a difference: the first (mc_extra, defines,
    features) whose m4 code names one of `needles`, else the first one that is not empty."""
    texts = []
    for variable in FREE_FORM_VARIABLES:
        text = _text_of(config.get(variable))
        if variable == 'sendmail_config_mc_extra':
            text = m4_code(text)[0]
        texts.append((variable, text))
    for variable, text in texts:
        for needle in needles:
            if needle and re.search(r'(?<![A-Za-z0-9_])%s(?![A-Za-z0-9_])' % re.escape(needle), text):
                return variable
    for variable, text in texts:
        if variable == 'sendmail_config_features':
            baseline = set(baseline_features(config))
            if [t for t in (_str_list(config.get(variable)) or []) if t not in baseline]:
                return variable
        elif text.strip():
            return variable
    return 'sendmail_config_mc_extra'


class _Findings(_Problems):
    """_Problems that also keeps the fix and the findings an accepted risk id let through."""

    def __init__(self, accepted):
        super(_Findings, self).__init__(accepted)
        self.let_through = []

    def add(self, variable, value, what, why, fix, risk=None, opted_in=False):
        before = len(self.items)
        super(_Findings, self).add(variable, value, what, why, fix, risk=risk, opted_in=opted_in)
        if len(self.items) > before:
            self.items[-1]['fix'] = fix.rstrip('.')
        else:
            self.let_through.append({
                'variable': variable, 'value': None if value is None else shorten(value), 'risk': risk,
                'message': '%s: %s (accepted: %s).' % (variable, what.rstrip('.'), risk), 'fix': fix.rstrip('.'),
            })


def _feature_effects(added, removed):
    found = []
    for feature, where, text in RELAY_FEATURE_EFFECTS:
        rules = added if where == 'added' else removed
        if any(text in rule for rule in rules) and feature not in found:
            found.append(feature)
    return found


def _check_truncation(base, cand, config, findings):
    # the mailers come last in a sendmail.cf: one of them missing means m4 stopped early (a FEATURE
    # may drop a ruleset, such as promiscuous_relay, and that is judged as a ruleset difference)
    missing = ['mailer %s' % name for name in sorted(base['mailers']) if name not in cand['mailers']]
    if not missing and cand['rulesets']:
        return False
    missing += ['ruleset %s' % name for name in sorted(base['rulesets']) if name not in cand['rulesets']]
    variable = _cause(config, ('m4exit', 'divert', 'undivert', 'm4wrap', 'changequote', 'changecom', 'dnl',
                               'include', 'sinclude', 'esyscmd', 'syscmd', 'undefine', 'MAILER'))
    findings.add(variable, None,
                 'the generated sendmail.cf is cut short: %d part(s) the same variables give without the '
                 'free-form parts are missing (%s)' % (len(missing), shorten(', '.join(missing), 80)),
                 'a cf without its policy rulesets or mailers does not check relaying or cannot deliver; '
                 'm4exit, divert and unbalanced quotes do this',
                 'remove the m4 builtins (m4exit, divert, changequote, ...) and unbalanced quotes from %s' % variable)
    return True


def _check_rulesets(base, cand, config, findings):
    for name in sorted(set(cand['rulesets']) | set(base['rulesets'])):
        rules = cand['rulesets'].get(name, [])
        if name in base['rulesets']:
            before = Counter(base['rulesets'][name])
            after = Counter(rules)
            added = list((after - before).elements())
            removed = list((before - after).elements())
            if not added and not removed:
                continue
        elif _CALLED_BY_NAME.match(name):
            added, removed = rules, []
            if not added:
                continue
        else:
            continue
        features = _feature_effects(added, removed)
        variable = _cause(config, [name] + ['_%s_' % f.upper() for f in features] + features)
        opening = [r for r in added if _OPEN_RHS.match(r.split('\t', 1)[1])]
        what = 'the sendmail.cf ruleset %s differs from what the same variables give without the free-form parts ' \
               '(%d rule(s) added, %d removed%s)' % (
                   name, len(added), len(removed),
                   '; first added: %s' % shorten(added[0].replace('\t', ' '), 50) if added else '')
        if features:
            why = 'it has the effect of %s: %s' % (
                ', '.join('FEATURE(%s)' % f for f in features),
                'relaying for clients or recipients sendmail would otherwise refuse')
            fix = ('write FEATURE(`%s\') plainly in sendmail_config_features, where its risk id applies, '
                   'and remove the indirection from %s' % (features[0], variable))
        else:
            why = ('it decides relaying, AUTH or TLS policy%s'
                   % ('; a rule returns RELAY or OK, which accepts every client or recipient it matches'
                      if opening else ''))
            fix = 'remove the rules from %s; let clients authenticate, or RELAY single hosts in ' \
                  'sendmail_config_access' % variable
        risk = 'mc_extra:policy_rulesets' if variable == 'sendmail_config_mc_extra' and not features else None
        findings.add(variable, name, what, why, fix, risk=risk)


def _check_classes(base, cand, config, findings):
    for name, owner in POLICY_CLASSES.items():
        added = sorted(cand['classes'].get(name, set()) - base['classes'].get(name, set()))
        files = [f for f in cand['class_files'].get(name, []) if f not in base['class_files'].get(name, [])]
        if not added and not files:
            continue
        label = name if len(name) == 1 else '{%s}' % name
        variable = _cause(config, ['C' + name, 'F' + name, name, 'confCR_FILE' if name == 'R' else '',
                                   'RELAY_DOMAIN', 'RELAY_DOMAIN_FILE'])
        owner_fix = 'set %s instead' % owner if owner else 'leave the class to sendmail'
        if added:
            broad = [(w, broad_relay_reason(w, allow_tag=False)) for w in added] if name == 'R' else []
            broad = [(w, r) for w, r in broad if r]
            why = ('sendmail relays without AUTH for every client and recipient in class R%s'
                   % ('; %s %s' % (broad[0][0], broad[0][1]) if broad else '')
                   if name == 'R' else 'it decides who is trusted for relaying, AUTH or TLS')
            fix = owner_fix + (' (broad entries there need relay_domains:broad)' if name == 'R' else '')
            findings.add(variable, ' '.join(added), 'adds %s to the sendmail.cf class %s'
                         % (shorten(' '.join(added), 60), label), why, fix)
        if files:
            findings.add(variable, files[0], 'fills the sendmail.cf class %s from %s, which the variables do not name'
                         % (label, shorten(', '.join(files), 60)),
                         'no check sees what that file or program lists; for class R every entry is relayed '
                         'without AUTH', owner_fix)


def _check_options(base, cand, config, findings):
    judged = dict(OWNED_CF_OPTIONS)
    judged.update(_OTHER_JUDGED_OPTIONS)
    for option in sorted(set(judged) | set(_WEAKENING_OPTIONS)):
        before = base['options'].get(option)
        after = cand['options'].get(option)
        if before == after:
            continue
        variable = _cause(config, [option, _WEAKENING_OPTIONS.get(option, '')] +
                          [m4 for m4, cf in _M4_OF_OPTION.items() if cf == option])
        if option in _WEAKENING_OPTIONS:
            test, why, risk = WEAKENING_DEFINES[_WEAKENING_OPTIONS[option]]
            if after is not None and test(after):
                findings.add(variable, after, 'sets the sendmail.cf option %s to %s' % (option, after), why,
                             'leave %s out' % _WEAKENING_OPTIONS[option], risk=risk)
            continue
        owner = judged[option]
        findings.add(variable, after, 'changes the sendmail.cf option %s from %s to %s' % (
            _OPTION_NAMES.get(option, option), _show(before), _show(after)),
            'the role sets it from %s and the checks are made on that value; another value can offer AUTH '
            'before STARTTLS, weaken TLS or change the listeners' % (owner or 'nothing'),
            ('set %s instead' % owner) if owner else 'leave it out of %s' % variable)
    if base['daemons'] != cand['daemons']:
        variable = _cause(config, ['DAEMON_OPTIONS', 'DaemonPortOptions'])
        findings.add(variable, '; '.join(cand['daemons']), 'changes the sendmail.cf listeners (DaemonPortOptions)',
                     'the role sets them from sendmail_config_daemons and checks AUTH and TLS per listener',
                     'set sendmail_config_daemons instead')
    new_short = [line for line in cand['short_options'] if line not in base['short_options']]
    if new_short:
        variable = _cause(config, [])
        findings.add(variable, new_short[0], 'sets sendmail.cf options in the short form (%s)' % shorten(new_short[0], 40),
                     'a one-letter option can set anything, AuthOptions included, and no check reads it',
                     'use the variable that owns the setting, or define(`conf...\') in sendmail_config_defines')
    for macro in ('j', 'm'):
        if base['macros'].get(macro) != cand['macros'].get(macro):
            variable = _cause(config, ['D' + macro, 'confDOMAIN_NAME'])
            findings.add(variable, cand['macros'].get(macro), 'changes the sendmail.cf macro $%s' % macro,
                         'it names this host and its domain, which decide local and relayed mail',
                         'set sendmail_config_hostname instead')
    for name in sorted(base['maps']):
        if name in cand['maps'] and cand['maps'][name] != base['maps'][name]:
            variable = _cause(config, ['K' + name, name])
            findings.add(variable, cand['maps'][name], 'changes the definition of the sendmail.cf map %s' % name,
                         'the rulesets look up relaying, AUTH and TLS decisions there; another file bypasses the '
                         'checks on the map the role writes', 'leave the map %s to the role' % name)


_OPTION_NAMES = {
    'authoptions': 'AuthOptions', 'authmechanisms': 'AuthMechanisms', 'authrealm': 'AuthRealm',
    'cacertfile': 'CACertFile', 'cacertpath': 'CACertPath', 'servercertfile': 'ServerCertFile',
    'serverkeyfile': 'ServerKeyFile', 'clientcertfile': 'ClientCertFile', 'clientkeyfile': 'ClientKeyFile',
    'tlssrvoptions': 'TLSSrvOptions', 'cipherlist': 'CipherList', 'serverssloptions': 'ServerSSLOptions',
    'clientssloptions': 'ClientSSLOptions',
}
_M4_OF_OPTION = {
    'confAUTH_OPTIONS': 'authoptions', 'confAUTH_MECHANISMS': 'authmechanisms', 'confAUTH_REALM': 'authrealm',
    'confCACERT': 'cacertfile', 'confCACERT_PATH': 'cacertpath', 'confSERVER_CERT': 'servercertfile',
    'confSERVER_KEY': 'serverkeyfile', 'confCLIENT_CERT': 'clientcertfile', 'confCLIENT_KEY': 'clientkeyfile',
    'confTLS_SRV_OPTIONS': 'tlssrvoptions', 'confCIPHER_LIST': 'cipherlist',
    'confSERVER_SSL_OPTIONS': 'serverssloptions', 'confCLIENT_SSL_OPTIONS': 'clientssloptions',
}


def _show(value):
    return 'nothing' if value is None else "'%s'" % shorten(value, 40)


def cf_problems(candidate_cf, baseline_cf, config, accepted=False):
    """Every way the candidate sendmail.cf opens relaying or weakens AUTH/TLS compared with the
    baseline sendmail.cf, as {variable, value, risk, message, fix} (the shape of
    sendmail_config_problems plus the fix on its own). `config` holds the role's variables (the
    free-form ones and sendmail_config_accept_risks). With `accepted` true, the findings that an
    accepted risk id let through instead (for the run's report).
    """
    if not isinstance(config, dict):
        config = {}
    risks = _str_list(config.get('sendmail_config_accept_risks', DEFAULTS.get('sendmail_config_accept_risks')))
    findings = _Findings(set(risks or []))
    base = parse_cf(baseline_cf)
    cand = parse_cf(candidate_cf)
    if not base['rulesets']:
        findings.add('sendmail_config_cf_dir', None, 'the baseline sendmail.cf has no rulesets',
                     'without it nothing can be compared, so nothing is trusted',
                     'check that m4 and the cf tree in sendmail_config_cf_dir build a sendmail.cf')
    elif not _check_truncation(base, cand, config, findings):
        _check_rulesets(base, cand, config, findings)
        _check_classes(base, cand, config, findings)
        _check_options(base, cand, config, findings)
    return findings.let_through if accepted else findings.items


__all__ = ['KNOWN_FEATURES', 'POLICY_CLASSES', 'RELAY_FEATURE_EFFECTS', 'baseline_features', 'baseline_parts',
           'cf_problems', 'normalize_rule', 'parse_cf']
