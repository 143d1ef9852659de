# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The AUTH and TLS checks of sendmail_config_problems.

PRIVATE to the mailrelay.sendmail collection: no API promise outside it. Split out of
`_sendmail_rules`, which still re-exports its names for the imports written before the split.

SASL mechanisms, AuthOptions and Local_trust_auth rules (`_check_auth`), certificate paths,
TLSSrvOptions, the TLS version, the cipher list and RandFile (`_check_tls`), clear-text mechanisms
before TLS (`_check_plaintext`), AuthInfo passwords and the TLS they need (`_check_authinfo`), and
the peers trusted by certificate (`_check_trusted_peers`).
"""

from __future__ import annotations

import re

from ansible_collections.mailrelay.sendmail.plugins.module_utils._mc import trusted_peer_reason
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_constants import (
    AUTH_OPTION_FLAGS,
    TLS_MIN_VERSIONS,
    TLS_SRV_OPTION_FLAGS,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_values import (
    _bool,
    _control_reason,
    _quote,
    _str_list,
    _words,
    cleartext_mechanisms,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_m4 import (
    _host_reason,
    _path_reason,
    m4_word_reason,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_listeners import _auth_flags


_MECHANISM = re.compile(r'^[A-Za-z0-9_-]{1,20}\Z')


_SASL_ID = re.compile(r'^[A-Za-z0-9._@%+=~!-]+\Z')


_CIPHER_LIST = re.compile(r'^[A-Za-z0-9!+:@=_.,-]+\Z')
_WEAK_CIPHER_WORDS = frozenset(w.lower() for w in (
    'NULL', 'eNULL', 'aNULL', 'COMPLEMENTOFALL', 'COMPLEMENTOFDEFAULT', 'EXPORT', 'EXP', 'LOW',
    'RC4', 'DES', '3DES', 'MD5', 'ADH', 'AECDH', 'SSLv3', 'SSLv2', 'PSK', 'SRP',
))


TLS_PATH_VARIABLES = (
    'sendmail_config_tls_ca_path', 'sendmail_config_tls_ca_cert', 'sendmail_config_tls_server_cert',
    'sendmail_config_tls_server_key', 'sendmail_config_tls_client_cert', 'sendmail_config_tls_client_key',
)
OTHER_PATH_VARIABLES = (
    'sendmail_config_sasl_config', 'sendmail_config_sasl_pluginviewer', 'sendmail_config_cf_dir',
)


def _check_auth(get, problems):
    mechanisms = []
    for variable in ('sendmail_config_auth_mechanisms', 'sendmail_config_trust_auth_mechanisms'):
        value = get(variable)
        if value is None:
            continue
        entries = _str_list(value)
        if entries is None:
            problems.add(variable, value, 'is not a list of mechanism names',
                         'sendmail reads it as a list of words', 'write [LOGIN, PLAIN]')
            continue
        for name in entries:
            reason = None if _MECHANISM.match(name) else 'is not a SASL mechanism name (letters, digits, - and _)'
            reason = reason or m4_word_reason(name)
            if reason:
                problems.add(variable, name, 'the mechanism %s %s' % (_quote(name), reason),
                             'it is written into sendmail.mc inside quotes', 'use names such as PLAIN or CRAM-MD5')
        if variable == 'sendmail_config_auth_mechanisms':
            mechanisms = [m for m in entries if _MECHANISM.match(m)]
    options = get('sendmail_config_auth_options')
    entries = _str_list(options)
    if entries is None:
        problems.add('sendmail_config_auth_options', options, 'is not a list of flags',
                     'AuthOptions decides what is offered before TLS', 'write [A, p, y]')
    else:
        for flag in entries:
            if flag not in AUTH_OPTION_FLAGS:
                problems.add('sendmail_config_auth_options', flag,
                             'the flag %s is not an AuthOptions flag' % _quote(flag),
                             'it is written into sendmail.mc and sendmail would ignore or misread it',
                             'use single letters from %s' % ', '.join(sorted(AUTH_OPTION_FLAGS)))
    rules = get('sendmail_config_trust_auth')
    if not isinstance(rules, (list, tuple)):
        problems.add('sendmail_config_trust_auth', rules, 'is not a list of {authid, may_act_as}',
                     'the Local_trust_auth rules are built from it', 'write [{authid: relay2, may_act_as: ["*"]}]')
        return mechanisms
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict) or 'authid' not in rule or 'may_act_as' not in rule:
            problems.add('sendmail_config_trust_auth', None, 'entry %d lacks authid or may_act_as' % (index + 1),
                         'a rule without them cannot say who may act as whom',
                         'write {authid: alice, may_act_as: [alice@example.org]}')
            continue
        authid = rule['authid']
        if not isinstance(authid, str) or not _SASL_ID.match(authid) or m4_word_reason(authid):
            problems.add('sendmail_config_trust_auth', authid,
                         'entry %d: authid %s is empty or contains whitespace, a quote, $ or an m4 word'
                         % (index + 1, _quote(authid)),
                         'it becomes the left side of a sendmail.cf rule, where whitespace and $ change what '
                         'matches (R$* would let every user act as anyone)',
                         'give the authenticated id as it is, e.g. alice or relay2')
        identities = rule['may_act_as']
        entries = _str_list(identities)
        if entries is None or not entries:
            problems.add('sendmail_config_trust_auth', identities,
                         'entry %d: may_act_as is not a non-empty list' % (index + 1),
                         'the rules are built from its members', 'write may_act_as: [alice@example.org] or ["*"]')
            continue
        for identity in entries:
            if identity != '*' and (not _SASL_ID.match(identity) or m4_word_reason(identity)):
                problems.add('sendmail_config_trust_auth', identity,
                             'entry %d: may_act_as %s contains whitespace, a quote, $ or an m4 word'
                             % (index + 1, _quote(identity)),
                             'it becomes the left side of a sendmail.cf rule, where they change what matches',
                             "list addresses or ids, or '*' for anyone")
    return mechanisms


def _check_tls(get, problems, tls):
    for variable in TLS_PATH_VARIABLES + OTHER_PATH_VARIABLES:
        value = get(variable)
        if value in (None, ''):
            if tls and variable in ('sendmail_config_tls_ca_cert', 'sendmail_config_tls_server_cert',
                                    'sendmail_config_tls_server_key'):
                problems.add(variable, value, 'is empty while sendmail_config_tls is true',
                             'sendmail would start without STARTTLS',
                             'point it at the file, or set sendmail_config_tls: false')
            continue
        reason = 'is not text' if not isinstance(value, str) else _path_reason(value)
        if reason:
            problems.add(variable, value, '%s %s' % (_quote(value), reason),
                         'it is written into sendmail.mc inside quotes or used on a command line',
                         'give an absolute path of letters, digits and / . _ - + @ % =')
    srv = get('sendmail_config_tls_srv_options')
    if srv not in (None, ''):
        flags = _words(srv) if isinstance(srv, str) else None
        if flags is None or any(f not in TLS_SRV_OPTION_FLAGS for f in flags):
            problems.add('sendmail_config_tls_srv_options', srv, '%s is not a list of V and C' % _quote(srv),
                         'it is written into sendmail.mc', 'use V (the default)')
        elif 'C' in flags:
            problems.add('sendmail_config_tls_srv_options', srv, "contains 'C'",
                         'the server may then run TLS without a certificate, and clients cannot tell it from '
                         'a man in the middle', 'use V', risk='tls:no_server_cert')
    version = get('sendmail_config_tls_min_version')
    if version not in TLS_MIN_VERSIONS:
        problems.add('sendmail_config_tls_min_version', version,
                     '%s is not one of %s' % (_quote(version), ', '.join(TLS_MIN_VERSIONS)),
                     'older TLS versions are broken (RFC 8996)', 'use TLSv1.2 or TLSv1.3')
    ciphers = get('sendmail_config_tls_cipher_list')
    if ciphers not in (None, ''):
        if not isinstance(ciphers, str) or not _CIPHER_LIST.match(ciphers) or m4_word_reason(ciphers):
            problems.add('sendmail_config_tls_cipher_list', ciphers,
                         '%s is not an OpenSSL cipher string' % _quote(ciphers),
                         'it is written into sendmail.mc inside quotes',
                         'use words joined by colons, such as HIGH:!aNULL:!eNULL')
        else:
            weak = [w for w in re.split(r'[:, ]+', ciphers)
                    if w and w[0] not in '!-' and w.lstrip('+').lower() in _WEAK_CIPHER_WORDS]
            if weak:
                problems.add('sendmail_config_tls_cipher_list', ciphers,
                             'enables %s' % ', '.join(weak),
                             'these cipher suites are broken or unauthenticated',
                             'use the default HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES:!CAMELLIA:!PSK:!SRP',
                             risk='tls:weak_ciphers')
    rand = get('sendmail_config_rand_file')
    if rand not in (None, ''):
        reason = 'is not text' if not isinstance(rand, str) else None
        if not reason:
            match = re.match(r'^(egd|file):(.*)\Z', rand, re.DOTALL)
            reason = ('is not egd:/path or file:/path' if not match else _path_reason(match.group(2)))
        if reason:
            problems.add('sendmail_config_rand_file', rand, '%s %s' % (_quote(rand), reason),
                         'it is written into sendmail.mc inside quotes',
                         'write egd:/var/run/egd-pool or file:/path, or leave it empty')


def _check_plaintext(get, problems, tls, mechanisms, listeners):
    offered = cleartext_mechanisms(mechanisms)
    if not offered:
        return
    allowed = bool(_bool(get('sendmail_config_allow_plaintext_auth'), False))
    flags = _auth_flags(_str_list(get('sendmail_config_auth_options')) or [])
    variable = 'sendmail_config_auth_mechanisms'
    if 'p' not in flags:
        upper = set(m.upper() for m in offered)
        exposed = [l['name'] for l in listeners if upper & set(l['auth_before_tls'])]
        problems.add(variable, ' '.join(offered),
                     "offers %s, which send the password in clear, but sendmail_config_auth_options lacks 'p' "
                     "(no plaintext mechanism before STARTTLS)%s"
                     % (' and '.join(offered), ', so %s offer(s) them before TLS' % ', '.join(exposed) if exposed else ''),
                     'passwords would cross the network readable by anyone on the path',
                     "keep 'p' in sendmail_config_auth_options, or offer only CRAM-MD5/DIGEST-MD5",
                     risk='auth:plaintext', opted_in=allowed)
    elif not [l for l in listeners if l['tls'] != 'none' and tls]:
        problems.add(variable, ' '.join(offered),
                     'offers %s, but no listener can do TLS (sendmail_config_tls is %s; a listener needs no '
                     "'S' modifier, or 's' for implicit TLS)" % (' and '.join(offered), 'true' if tls else 'false'),
                     'clients could only use them without TLS, where the password crosses in clear',
                     'keep sendmail_config_tls true with a STARTTLS or implicit TLS listener, or offer only '
                     'CRAM-MD5/DIGEST-MD5', risk='auth:plaintext', opted_in=allowed)


def _may_send_cleartext(mechanisms):
    """Whether sendmail as a client may use PLAIN or LOGIN with these AuthInfo mechanisms (none
    given: whatever the server offers, which a man in the middle chooses)."""
    names = _str_list(mechanisms) if mechanisms not in (None, '') else None
    return names is None or bool(cleartext_mechanisms(names))


def _check_authinfo(get, problems, tls, smart_host, access):
    variable = 'sendmail_config_authinfo'
    entries = get(variable)
    if not isinstance(entries, (list, tuple)):
        problems.add(variable, None, 'is not a list of {host, user, password}',
                     'the authinfo map is built from it', 'write [{host: relay1.example.org, user: relay2, password: ...}]')
        return
    verified = set()
    if tls and smart_host and bool(_bool(get('sendmail_config_smart_host_tls_verify'), True)):
        verified.add(smart_host.lower())
    for key, value in access:
        if key.lower().startswith('tls_srv:') and re.match(r'^(VERIFY|ENCR:)', value, re.IGNORECASE) and tls:
            verified.add(key.split(':', 1)[1].strip('[]').rstrip('.').lower())
    if tls:
        # with TLS on, the role itself requires every AuthInfo host (and the smart host) to show a
        # certificate that verifies and names it (TLS_Srv:<host> VERIFY+CN:<host>): see tls_srv_entry
        verified.update(str(e.get('host') or '').strip().strip('[]').rstrip('.').lower()
                        for e in entries if isinstance(e, dict))
    for index, entry in enumerate(entries):
        label = 'entry %d' % (index + 1)
        if not isinstance(entry, dict) or not all(k in entry for k in ('host', 'user', 'password')):
            problems.add(variable, None, '%s lacks host, user or password' % label,
                         'sendmail needs all three to log in', 'write {host: relay1.example.org, user: relay2, password: ...}')
            continue
        host = entry['host']
        host_text = host.strip() if isinstance(host, str) else None
        if host_text in (None, '', '*'):
            problems.add(variable, host, "%s has an empty host%s" % (label, " ('*')" if host_text == '*' else ''),
                         "an AuthInfo entry without a host is sendmail's default for every server, so the "
                         'password would be offered to any mail server this relay talks to',
                         'name the relay the credentials belong to, e.g. host: relay1.example.org')
        else:
            reason = _host_reason(host_text, allow_brackets=True)
            if reason:
                problems.add(variable, host, '%s: the host %s %s' % (label, _quote(host), reason),
                             'it becomes the key of the authinfo map line', 'write the host name sendmail connects to')
            elif host_text.strip('[]').rstrip('.').lower() not in verified and _may_send_cleartext(entry.get('mechanisms')):
                problems.add(variable, host_text,
                             '%s sends its password to %s, which is not required to use verified TLS'
                             % (label, _quote(host_text)),
                             'a man in the middle can strip STARTTLS and read the password (sendmail as a '
                             'client does not refuse PLAIN or LOGIN without TLS)',
                             'keep sendmail_config_tls: true (the role then requires every AuthInfo host to show a '
                             'certificate that verifies and names it), or offer it no clear-text mechanism',
                             risk='authinfo:password_without_tls')
        for field in ('user', 'authid', 'realm'):
            if field not in entry or (field != 'user' and entry[field] in (None, '')):
                continue
            text = entry[field]
            if not isinstance(text, str) or not _SASL_ID.match(text):
                problems.add(variable, text, '%s: %s %s is empty or contains whitespace or a quote'
                             % (label, field, _quote(text)),
                             'the authinfo line quotes it ("U:user"), so a quote or whitespace would end it early',
                             'write the %s without quotes or whitespace' % field)
        password = entry['password']
        if not isinstance(password, str) or not password:
            problems.add(variable, None, 'the password of %s is empty or not text' % label,
                         'sendmail would log in with an empty password', 'set the password (from a vault)')
        mechanisms = entry.get('mechanisms')
        if mechanisms not in (None, ''):
            names = _str_list(mechanisms)
            if names is None or not all(_MECHANISM.match(m) for m in names):
                problems.add(variable, mechanisms, '%s: mechanisms is not a list of SASL mechanism names' % label,
                             'the authinfo line quotes them ("M:...")', 'write mechanisms: [PLAIN]')


def _check_trusted_peers(get, problems):
    variable = 'sendmail_config_trusted_peers'
    peers = get(variable)
    if not isinstance(peers, (list, tuple)):
        problems.add(variable, peers, 'is not a list of {name, subject, addresses}',
                     'the peers trusted by certificate are built from it',
                     'write [{name: relay3.example.org, addresses: [192.0.2.27]}]')
    else:
        for index, peer in enumerate(peers):
            reason = trusted_peer_reason(peer)
            if reason:
                problems.add(variable, None, 'entry %d %s' % (index + 1, reason),
                             'each entry becomes access map lines (CERTSUBJECT, Srv_Features, TLS_Srv)',
                             'write {name: relay3.example.org, subject: "/CN=relay3.example.org", addresses: [192.0.2.27]}')
    variable = 'sendmail_config_trusted_peer_group'
    group = get(variable)
    if group is not None and (not isinstance(group, str) or re.search(r'[\s\'"`]', group)):
        problems.add(variable, group, 'is not the name of an inventory group',
                     'the other hosts of that group are trusted by certificate',
                     'write a group name such as relays, or "" to trust no group')
    variable = 'sendmail_config_trusted_peer_issuers'
    issuers = _str_list(get(variable))
    if issuers is None or not all(i.startswith('/') and '=' in i and not _control_reason(i) for i in issuers):
        problems.add(variable, get(variable), 'is not a list of DNs in /CN=... form',
                     'each becomes a CERTISSUER line of the access map',
                     'write ["/O=Example/CN=Example CA"] as openssl x509 -noout -issuer -nameopt compat shows it, '
                     'or [] to use the subject of sendmail_config_tls_ca_cert')
