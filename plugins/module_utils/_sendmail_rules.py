# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one home of the rules about sendmail's configuration that the roles and the gate share.

PRIVATE to the mailrelay.sendmail collection: no API promise outside it. The filter plugins in
plugins/filter/ are thin wrappers around these pure functions; the unit tests feed them tables.

- What a listener (a sendmail_config_daemons entry, or a DaemonPortOptions line of a live
  sendmail.cf) means: `sendmail_listeners`, `sendmail_cf_listeners`.
- Which SASL mechanisms send a password in clear: `CLEARTEXT_MECHANISMS`, `cleartext_mechanisms`.
- The host name in a SMART_HOST value: `parse_smart_host`, `smart_host_name`.
- What Cyrus SASL's pluginviewer prints: `parse_pluginviewer`.
- Every check of the sendmail_config variables that needs nothing but the variables:
  `sendmail_config_problems`.

Facts about sendmail are taken from sendmail 8.17 (sendmail/daemon.c setsockaddroptions() and
getmodifiers(), sendmail/sendmail.h D_* flags, cf/README, cf/m4/proto.m4, doc/op/op.me) and
Cyrus SASL 2.1.28 (utils/pluginviewer.c).
"""

from __future__ import annotations

import ipaddress
import re

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.mailrelay.sendmail.plugins.module_utils._mc import trusted_peer_reason
from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp_sasl import CLEARTEXT_MECHANISMS

# --------------------------------------------------------------------------------------------
# Constants

#: SASL mechanisms that send the password itself (base64 is not encryption): defined once, in
#: _smtp_sasl (CLEARTEXT_MECHANISMS, imported above).

#: DaemonPortOptions M= letters sendmail knows for a server socket (sendmail.h, d_flags).
#: Lower case requires something, upper case turns something off.
DAEMON_MODIFIERS = {
    'a': 'AUTH required before MAIL',
    'b': 'bind outgoing connections to the address the mail came in on',
    'c': 'host name canonification required',
    'f': 'fully qualified sender addresses required',
    'h': 'use the interface name in HELO of outgoing connections',
    'r': 'fully qualified recipient addresses required',
    's': 'implicit TLS (SMTPS: TLS before the greeting)',
    'u': 'unqualified addresses accepted',
    'A': 'no AUTH offered at all',
    'C': 'no host name canonification',
    'E': 'no ETRN',
    'O': 'optional socket: sendmail starts even if it cannot be opened',
    'S': 'no STARTTLS offered',
}

#: Service names sendmail resolves with getservbyname() for Port= (Debian's /etc/services).
SERVICE_PORTS = {
    'smtp': 25,
    'submission': 587,
    'submissions': 465,
    'smtps': 465,
    'ssmtp': 465,
    'urd': 465,
}

#: First letters of DaemonPortOptions keys (sendmail looks at the first letter only).
#: These belong to fields of a sendmail_config_daemons entry ...
_OWNED_PORT_OPTION_LETTERS = {
    'A': 'addr', 'a': 'addr', 'F': 'family', 'f': 'family', 'M': 'modifiers', 'm': 'modifiers',
    'N': 'name', 'n': 'name', 'P': 'port', 'p': 'port',
}
#: ... and these may go in its `options` text (children, delivery mode, load averages, milters,
#: listen queue, buffer sizes, SuperSafe).
_EXTRA_PORT_OPTION_LETTERS = frozenset('cDdIiLlqRrSsT')

TLS_MIN_VERSIONS = ('TLSv1.2', 'TLSv1.3')
AUTH_OPTION_FLAGS = frozenset('AacdfmpuyY')
TLS_SRV_OPTION_FLAGS = frozenset('VC')

#: PrivacyOptions and DontBlameSendmail words (sendmail/conf.c, compared without case).
PRIVACY_FLAGS = frozenset((
    'public', 'needmailhelo', 'needexpnhelo', 'needvrfyhelo', 'noexpn', 'novrfy',
    'restrictexpand', 'restrictmailq', 'restrictqrun', 'noetrn', 'noverb', 'authwarnings',
    'noreceipts', 'nobodyreturn', 'goaway', 'noactualrecipient', 'noreflection',
))
DONT_BLAME_SENDMAIL_FLAGS = frozenset((
    'safe', 'assumesafechown', 'groupwritabledirpathsafe', 'groupwritableforwardfilesafe',
    'groupwritableincludefilesafe', 'groupwritablealiasfile', 'worldwritablealiasfile',
    'forwardfileinunsafedirpath', 'includefileinunsafedirpath', 'mapinunsafedirpath',
    'linkedaliasfileinwritabledir', 'linkedclassfileinwritabledir',
    'linkedforwardfileinwritabledir', 'linkedincludefileinwritabledir', 'linkedmapinwritabledir',
    'linkedserviceswitchfileinwritabledir', 'filedeliverytohardlink', 'filedeliverytosymlink',
    'writemaptohardlink', 'writemaptosymlink', 'writestatstohardlink', 'writestatstosymlink',
    'forwardfileingroupwritabledirpath', 'includefileingroupwritabledirpath',
    'classfileinunsafedirpath', 'errorheaderinunsafedirpath', 'helpfileinunsafedirpath',
    'forwardfileinunsafedirpathsafe', 'includefileinunsafedirpathsafe', 'runprograminunsafedirpath',
    'runwritableprogram', 'nonrootsafeaddr', 'truststickybit', 'dontwarnforwardfileinunsafedirpath',
    'insufficiententropy', 'groupreadablesasldbfile', 'groupwritablesasldbfile',
    'groupwritableforwardfile', 'groupwritableincludefile', 'worldwritableforwardfile',
    'worldwritableincludefile', 'groupreadablekeyfile', 'groupreadabledefaultauthinfofile',
))

#: FEATUREs that open or widen relaying (cf/README "ANTI-SPAM CONFIGURATION CONTROL"); each
#: needs its risk id "feature:<name>" in sendmail_config_accept_risks.
RELAY_FEATURES = {
    'promiscuous_relay': 'relays from any client to any destination: an open relay',
    'relay_local_from': 'relays for any client that merely claims a sender address in a local '
                        'domain (MAIL FROM is not authenticated): an open relay for spammers',
    'relay_mail_from': 'relays for any client that claims a sender listed as From: RELAY in the '
                       'access map; sender addresses are trivially forged',
    'relay_based_on_MX': 'relays to every domain whose MX points here, which anyone can arrange '
                         'without asking you',
    'loose_relay_check': 'stops sendmail from re-checking %-hack recipients (user%site@relay), '
                         'which lets outsiders route mail through the relay',
    'relay_entire_domain': 'relays for every host in class {m}, the domain of the host name; '
                           'with a short host name that is a whole top-level domain',
}
#: FEATUREs that only affect sender checks or narrow relaying: accepted without an opt-in.
#: accept_unresolvable_domains / accept_unqualified_senders let through senders sendmail would
#: otherwise refuse at MAIL FROM; they do not make anybody a relay client and do not touch
#: AUTH, so they are the owner's anti-spam choice. relay_hosts_only narrows RELAY entries
#: from domains to single hosts.
SENDER_CHECK_FEATURES = ('accept_unresolvable_domains', 'accept_unqualified_senders', 'relay_hosts_only')

#: FEATUREs the role writes itself, or that override what a variable owns.
OWNED_FEATURES = {
    'access_db': 'sendmail_config_access',
    'authinfo': 'sendmail_config_authinfo',
    'no_default_msa': 'sendmail_config_daemons',
    'msp': 'sendmail_config_daemons',
    'local_lmtp': 'sendmail_config_local_mailer',
    'local_procmail': 'sendmail_config_local_mailer',
    'nullclient': 'sendmail_config_smart_host',
    'conncontrol': 'sendmail_config_conncontrol',
    'ratecontrol': 'sendmail_config_ratecontrol',
}

#: define() names, sendmail.cf option names and m4 macros that a variable owns:
#: (m4 name or None, cf option name or None, variable).
OWNED_SETTINGS = (
    ('confDOMAIN_NAME', None, 'sendmail_config_hostname'),
    ('confAUTH_MECHANISMS', 'AuthMechanisms', 'sendmail_config_auth_mechanisms'),
    ('confAUTH_OPTIONS', 'AuthOptions', 'sendmail_config_auth_options'),
    ('confAUTH_REALM', 'AuthRealm', 'sendmail_config_auth_realm'),
    ('confDEF_AUTH_INFO', 'DefaultAuthInfo', 'sendmail_config_authinfo'),
    ('confCACERT_PATH', 'CACertPath', 'sendmail_config_tls_ca_path'),
    ('confCACERT', 'CACertFile', 'sendmail_config_tls_ca_cert'),
    ('confSERVER_CERT', 'ServerCertFile', 'sendmail_config_tls_server_cert'),
    ('confSERVER_KEY', 'ServerKeyFile', 'sendmail_config_tls_server_key'),
    ('confCLIENT_CERT', 'ClientCertFile', 'sendmail_config_tls_client_cert'),
    ('confCLIENT_KEY', 'ClientKeyFile', 'sendmail_config_tls_client_key'),
    ('confTLS_SRV_OPTIONS', 'TLSSrvOptions', 'sendmail_config_tls_srv_options'),
    ('confSERVER_SSL_OPTIONS', 'ServerSSLOptions', 'sendmail_config_tls_min_version'),
    ('confCLIENT_SSL_OPTIONS', 'ClientSSLOptions', 'sendmail_config_tls_min_version'),
    ('confCIPHER_LIST', 'CipherList', 'sendmail_config_tls_cipher_list'),
    ('confRAND_FILE', 'RandFile', 'sendmail_config_rand_file'),
    ('confLOG_LEVEL', 'LogLevel', 'sendmail_config_log_level'),
    ('confPRIVACY_FLAGS', 'PrivacyOptions', 'sendmail_config_privacy_flags'),
    ('confMAX_MESSAGE_SIZE', 'MaxMessageSize', 'sendmail_config_max_message_size'),
    ('confTO_IDENT', 'Timeout.ident', 'sendmail_config_ident_timeout'),
    ('confDONT_BLAME_SENDMAIL', 'DontBlameSendmail', 'sendmail_config_dont_blame_sendmail'),
    ('confMAX_DAEMON_CHILDREN', 'MaxDaemonChildren', 'sendmail_config_max_daemon_children'),
    ('confCONNECTION_RATE_THROTTLE', 'ConnectionRateThrottle', 'sendmail_config_connection_rate_throttle'),
    ('confBAD_RCPT_THROTTLE', 'BadRcptThrottle', 'sendmail_config_bad_rcpt_throttle'),
    ('confMAX_RCPTS_PER_MESSAGE', 'MaxRecipientsPerMessage', 'sendmail_config_max_rcpts_per_message'),
    ('SMART_HOST', None, 'sendmail_config_smart_host'),
    ('DAEMON_OPTIONS', 'DaemonPortOptions', 'sendmail_config_daemons'),
    ('TRUST_AUTH_MECH', None, 'sendmail_config_trust_auth_mechanisms'),
    ('RELAY_DOMAIN', None, 'sendmail_config_relay_domains'),
    ('RELAY_DOMAIN_FILE', None, 'sendmail_config_relay_domains'),
)
OWNED_M4_NAMES = dict((m4, var) for m4, _cf, var in OWNED_SETTINGS if m4)
OWNED_CF_OPTIONS = dict((cf.lower(), var) for _m4, cf, var in OWNED_SETTINGS if cf)
#: m4 macros (not define()s) among the owned names: sendmail_config_defines cannot set them.
_OWNED_MACROS = frozenset(('DAEMON_OPTIONS', 'TRUST_AUTH_MECH', 'RELAY_DOMAIN', 'RELAY_DOMAIN_FILE'))


def _weak_dh(value):
    return value.strip().lower() in ('5', '512', '1', '1024')


def _tls_fallback_on(value):
    return value.strip().lower() not in ('', 'false', 'f', 'no', 'n', '0', 'off')


#: define()s that no variable owns but that weaken TLS or AUTH with certain values:
#: name -> (test of the value, why, risk id).
WEAKENING_DEFINES = {
    'confTLS_FALLBACK_TO_CLEAR': (
        _tls_fallback_on,
        'after a failed TLS handshake sendmail retries without TLS, so mail and AuthInfo '
        'passwords cross the network in clear (a man in the middle only has to break the handshake)',
        'define:confTLS_FALLBACK_TO_CLEAR'),
    'confDH_PARAMETERS': (
        _weak_dh,
        'Diffie-Hellman with a 512 or 1024 bit prime can be broken (Logjam)',
        'define:confDH_PARAMETERS'),
}

#: Rulesets that decide relaying, AUTH or TLS policy. Defining them (or rules for them) in
#: sendmail_config_mc_extra can open the relay: check_rcpt returns whatever Local_check_rcpt
#: returns, so one "R$* $#OK" line there relays everything.
POLICY_RULESETS = frozenset(s.lower() for s in (
    'check_rcpt', 'Local_check_rcpt', 'Basic_check_rcpt', 'Rcpt_ok', 'Relay_ok',
    'check_relay', 'Local_check_relay', 'Basic_check_relay',
    'check_mail', 'Local_check_mail', 'Basic_check_mail',
    'Relay_Auth', 'Local_Relay_Auth', 'srv_features', 'Local_srv_features',
    'tls_server', 'Local_tls_server', 'tls_client', 'Local_tls_client',
    'tls_rcpt', 'Local_tls_rcpt', 'try_tls', 'Local_try_tls', 'RelayTLS', 'TLS_connection',
))
#: The m4 macros that add rules to those rulesets.
POLICY_RULESET_MACROS = frozenset((
    'LOCAL_SRV_FEATURES', 'LOCAL_TLS_CLIENT', 'LOCAL_TLS_SERVER', 'LOCAL_TLS_RCPT', 'LOCAL_TRY_TLS',
))
#: Rulesets the role writes itself (sendmail_config_trust_auth).
OWNED_RULESETS = {'trust_auth': 'sendmail_config_trust_auth', 'local_trust_auth': 'sendmail_config_trust_auth'}

#: Every risk id sendmail_config_accept_risks may list, with what it allows.
RISKS = dict(
    [('feature:%s' % name, 'FEATURE(`%s\'): %s' % (name, why)) for name, why in RELAY_FEATURES.items()]
    + [
        ('access:broad_relay', 'an access map entry RELAYs everything or a broad network/domain '
                               '(an empty key, a bare top-level domain, a public suffix such as '
                               'co.uk, an IPv4 prefix of /16 or wider, an IPv6 prefix shorter than /48)'),
        ('relay_domains:broad', 'relay-domains lists everything or a broad network/domain (same '
                                'rules as access:broad_relay)'),
        ('mc_extra:policy_rulesets', 'sendmail_config_mc_extra defines a ruleset that decides '
                                     'relaying, AUTH or TLS policy (check_rcpt, Local_check_rcpt, '
                                     'Relay_Auth, tls_server, ... or LOCAL_TLS_*/LOCAL_SRV_FEATURES), '
                                     'or changes any ruleset of the generated sendmail.cf'),
        ('auth:plaintext', 'PLAIN/LOGIN offered where a password can cross the network in clear '
                           '(same as sendmail_config_allow_plaintext_auth: true)'),
        ('daemons:auth_required_on_port_25', "a port 25 listener with the 'a' modifier refuses "
                                             'mail from other MTAs (same as '
                                             'sendmail_config_allow_auth_required_on_port_25: true)'),
        ('authinfo:password_without_tls', 'an AuthInfo password is sent to a host that is not '
                                          'required to use verified TLS (no TLS_Srv VERIFY)'),
        ('tls:weak_ciphers', 'sendmail_config_tls_cipher_list enables NULL, anonymous, export, '
                             'RC4, DES or other broken cipher suites'),
        ('tls:no_server_cert', "TLSSrvOptions 'C': the server may do TLS without a certificate"),
    ]
    + [(risk, '%s: %s' % (name, why)) for name, (_test, why, risk) in WEAKENING_DEFINES.items()]
)

# m4: the builtins that act even without parentheses (GNU m4), those the collection refuses
# in any value, and those that only act when called with "(".
_M4_ALWAYS = frozenset((
    'dnl', 'divert', 'undivert', 'divnum', 'changequote', 'changecom', 'm4exit', 'sysval',
    'traceon', 'traceoff', 'dumpdef', 'debugmode', 'debugfile', '__file__', '__line__',
    '__program__', 'define', 'undefine', 'include', 'sinclude', 'syscmd', 'esyscmd',
))
_M4_CALLED = frozenset((
    'defn', 'pushdef', 'popdef', 'indir', 'builtin', 'ifdef', 'ifelse', 'shift', 'eval', 'incr',
    'decr', 'len', 'index', 'substr', 'translit', 'regexp', 'patsubst', 'format', 'errprint',
    'maketemp', 'mkstemp', 'm4wrap', 'changeword',
))
#: Macros sendmail's cf/m4 files define (cfhead.m4, proto.m4) plus the usual user ones.
_SENDMAIL_MACROS = frozenset((
    'ALIAS_FILE', 'CANONIFY_DOMAIN', 'CANONIFY_DOMAIN_FILE', 'CF_LEVEL', 'CLIENT_OPTIONS',
    'CONCAT', 'DAEMON_OPTIONS', 'DATABASE_MAP_TYPE', 'DOL', 'DOMAIN', 'EXPOSED_USER',
    'EXPOSED_USER_FILE', 'FEATURE', 'GENERICS_DOMAIN', 'GENERICS_DOMAIN_FILE', 'HACK',
    'INPUT_MAIL_FILTER', 'LDAPROUTE_DOMAIN', 'LDAPROUTE_DOMAIN_FILE', 'LDAPROUTE_EQUIVALENT',
    'LDAPROUTE_EQUIVALENT_FILE', 'LOCAL_CLT_FEATURES', 'LOCAL_CONFIG', 'LOCAL_DNSBL',
    'LOCAL_DOMAIN', 'LOCAL_NET_CONFIG', 'LOCAL_RULESETS', 'LOCAL_RULE_0', 'LOCAL_RULE_1',
    'LOCAL_RULE_2', 'LOCAL_RULE_3', 'LOCAL_SRV_FEATURES', 'LOCAL_TLS_CLIENT', 'LOCAL_TLS_RCPT',
    'LOCAL_TLS_SERVER', 'LOCAL_TRY_TLS', 'LOCAL_USER', 'LOCAL_USER_FILE', 'LOCAL_UUCP', 'MAILER',
    'MAILER_DEFINITIONS', 'MAIL_FILTER', 'MAIL_SETTINGS_DIR', 'MASQUERADE_AS',
    'MASQUERADE_DOMAIN', 'MASQUERADE_DOMAIN_FILE', 'MASQUERADE_EXCEPTION',
    'MASQUERADE_EXCEPTION_FILE', 'MASQUERADE_NAME', 'MODIFY_MAILER_FLAGS', 'OSTYPE', 'POPDIVERT',
    'PUSHDIVERT', 'QUEUE_GROUP', 'RELAY_DOMAIN', 'RELAY_DOMAIN_FILE', 'SITE', 'SITECONFIG',
    'TRUST_AUTH_MECH', 'UUCPSMTP', 'VERSIONID', 'VIRTUSER_DOMAIN', 'VIRTUSER_DOMAIN_FILE',
    'SMART_HOST', 'MAIL_HUB', 'LOCAL_RELAY', 'LUSER_RELAY',
))
_M4_NAME = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')

_HOST_LABEL = r'(?!-)[A-Za-z0-9_-]{1,63}(?<!-)'
_HOST_NAME = re.compile(r'^(?=.{1,253}\Z)%s(?:\.%s)*\.?\Z' % (_HOST_LABEL, _HOST_LABEL))
_DAEMON_NAME = re.compile(r'^[A-Za-z0-9_-]+\Z')
_MECHANISM = re.compile(r'^[A-Za-z0-9_-]{1,20}\Z')
_M4_DEFINE_NAME = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*\Z')
_SASL_ID = re.compile(r'^[A-Za-z0-9._@%+=~!-]+\Z')
_CLASS_ENTRY = re.compile(r'^[A-Za-z0-9._:\[\]/-]+\Z')
_CIPHER_LIST = re.compile(r'^[A-Za-z0-9!+:@=_.,-]+\Z')
_WEAK_CIPHER_WORDS = frozenset(w.lower() for w in (
    'NULL', 'eNULL', 'aNULL', 'COMPLEMENTOFALL', 'COMPLEMENTOFDEFAULT', 'EXPORT', 'EXP', 'LOW',
    'RC4', 'DES', '3DES', 'MD5', 'ADH', 'AECDH', 'SSLv3', 'SSLv2', 'PSK', 'SRP',
))


class RuleError(ValueError):
    """A value cannot mean anything sensible to sendmail; the text says which and why."""


# --------------------------------------------------------------------------------------------
# Small helpers


def shorten(value, limit=60):
    """Show a value in one line: control characters escaped, cut at `limit` characters."""
    if value is None:
        return ''
    text = value if isinstance(value, str) else repr(value)
    out = []
    for char in text:
        if char == '\n':
            out.append('\\n')
        elif char == '\r':
            out.append('\\r')
        elif char == '\t':
            out.append('\\t')
        elif ord(char) < 0x20 or ord(char) == 0x7f:
            out.append('\\x%02x' % ord(char))
        else:
            out.append(char)
    text = ''.join(out)
    return text if len(text) <= limit else text[:limit - 3] + '...'


def _words(value):
    """A list of words from a list or from text with spaces and/or commas (as sendmail reads it)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [w for w in re.split(r'[\s,]+', value) if w]
    return [str(w).strip() for w in value if str(w).strip()]


def cleartext_mechanisms(mechanisms):
    """The members of `mechanisms` that send the password in clear (PLAIN, LOGIN), in their order.

    Case does not matter; the members are returned as given. A string is read as sendmail reads
    AuthMechanisms (words separated by spaces or commas).
    """
    return [m for m in _words(mechanisms) if m.upper() in CLEARTEXT_MECHANISMS]


def parse_port(value, service_names=False):
    """A TCP port as an int, from an int or a numeric string ("465" means 465).

    With `service_names`, the names in SERVICE_PORTS are accepted too (as in a live sendmail.cf).
    Raises RuleError for anything else, booleans and numbers outside 1..65535 included.
    """
    port = None
    if isinstance(value, bool):
        port = None
    elif isinstance(value, int):
        port = value
    elif isinstance(value, str):
        text = value.strip()
        if re.match(r'^[0-9]{1,5}\Z', text):
            port = int(text)
        elif service_names and text.lower() in SERVICE_PORTS:
            port = SERVICE_PORTS[text.lower()]
    if port is None or not 1 <= port <= 65535:
        raise RuleError('port %s is not a number from 1 to 65535%s' % (
            _quote(value), ' or one of %s' % ', '.join(sorted(SERVICE_PORTS)) if service_names else ''))
    return port


def _quote(value):
    if value is None:
        return 'none'
    return "'%s'" % shorten(value) if isinstance(value, str) else shorten(value)


def _control_reason(text):
    if '\n' in text or '\r' in text:
        return 'contains a line break, which would start a new line of its own in the file'
    if '\x00' in text:
        return 'contains a NUL byte'
    if re.search(r'[\x01-\x1f\x7f]', text):
        return 'contains a control character'
    return None


def m4_word_reason(text, extra_macros=()):
    """Why `text` would change the structure of sendmail.mc when m4 rescans it, or None.

    Values placed inside `...' are expanded again when sendmail.cf is built, so an m4 builtin
    (dnl, divert, define, include, syscmd, ...) or a sendmail macro name (conf*, _*_, FEATURE,
    SMART_HOST, ...) in them would run.
    """
    for match in _M4_NAME.finditer(text):
        word = match.group(0)
        called = text[match.end():match.end() + 1] == '('
        if (word in _M4_ALWAYS or (called and word in _M4_CALLED) or word in _SENDMAIL_MACROS
                or word in extra_macros or word.startswith('_')
                or re.match(r'^conf[A-Z0-9_]+$', word)):
            return "contains the m4 word '%s', which m4 would act on when it builds sendmail.cf" % word
    return None


def m4_quoted_reason(text, extra_macros=()):
    """Why `text` cannot be placed inside `...' in sendmail.mc, or None."""
    reason = _control_reason(text)
    if reason:
        return reason
    if '`' in text or "'" in text:
        return "contains an m4 quote (` or '), which would end the quoted value early"
    if '#' in text:
        return "contains '#', which starts an m4 comment"
    return m4_word_reason(text, extra_macros)


def _host_reason(text, allow_brackets=False):
    """Why `text` is not a host name (or [address] with allow_brackets), or None."""
    reason = _control_reason(text)
    if reason:
        return reason
    if not text.strip():
        return 'is empty'
    if re.search(r'\s', text):
        return 'contains whitespace'
    if re.search('[\'"`]', text):
        return 'contains a quote'
    inner = text
    if allow_brackets and text.startswith('[') and text.endswith(']'):
        inner = text[1:-1]
        if inner[:5].lower() == 'ipv6:':
            try:
                ipaddress.IPv6Address(inner[5:])
                return None
            except ValueError:
                return 'is not an IPv6 address literal'
        try:
            ipaddress.IPv4Address(inner)
            return None
        except ValueError:
            pass
    if not _HOST_NAME.match(inner):
        return 'is not a host name (letters, digits, -, _ and dots)'
    return m4_word_reason(inner)


def _path_reason(text):
    """Why `text` is not an absolute path that is safe in sendmail.mc and a command line."""
    reason = _control_reason(text)
    if reason:
        return reason
    if not text.startswith('/'):
        return 'is not an absolute path'
    if re.search(r'[\s\'"`#$(),;&|<>*?\\]', text):
        return 'contains whitespace, a quote or a shell/m4 special character'
    return m4_word_reason(text)


# --------------------------------------------------------------------------------------------
# Listeners


def _auth_flags(auth_options):
    return set(_words(auth_options))


def _listener(name, port, addr, family, modifiers, options, tls, auth_mechanisms, auth_options):
    """The normalized listener dict: what sendmail does on this socket (the single definition)."""
    mechanisms = sorted(set(m.upper() for m in _words(auth_mechanisms)))
    flags = _auth_flags(auth_options)
    if 's' in modifiers:
        tls_mode = 'implicit'
    elif tls and 'S' not in modifiers:
        tls_mode = 'starttls'
    else:
        tls_mode = 'none'
    no_auth = 'A' in modifiers
    if tls_mode == 'implicit' or no_auth:
        before = []
    elif 'p' in flags:
        before = [m for m in mechanisms if m not in CLEARTEXT_MECHANISMS]
    else:
        before = list(mechanisms)
    after = [] if tls_mode == 'none' or no_auth else list(mechanisms)
    parts = ['Port=%d' % port, 'Addr=%s' % addr, 'Family=%s' % family, 'Name=%s' % name]
    if modifiers:
        parts.append('M=%s' % modifiers)
    if options:
        parts.append(options)
    return {
        'name': name,
        'port': port,
        'addr': addr,
        'family': family,
        'modifiers': modifiers,
        'options': options,
        'tls': tls_mode,
        'auth_required': 'a' in modifiers,
        'auth_before_tls': before,
        'auth_after_tls': after,
        'daemon_port_options': ', '.join(parts),
    }


def _default_addr(family):
    return '::' if family == 'inet6' else '0.0.0.0'


def daemon_entry_errors(entry):
    """Check one sendmail_config_daemons entry.

    Returns (fields, errors): `fields` is a dict of the normalized name, port, addr, family,
    modifiers and options (None when an error leaves nothing to normalize), `errors` a list of
    (what is wrong, why it matters, how to fix it) triples.
    """
    errors = []
    if not isinstance(entry, dict):
        return None, [('is not a dict but %s' % _quote(entry), 'a listener needs name and port',
                       'write {name: MSA, port: 587, modifiers: Ea}')]
    unknown = sorted(set(entry) - {'name', 'port', 'addr', 'family', 'modifiers', 'options'})
    if unknown:
        errors.append(('has unknown keys %s' % ', '.join(unknown),
                       'a misspelt key is silently ignored',
                       'use only name, port, addr, family, modifiers and options'))
    name = entry.get('name')
    if not isinstance(name, str) or not _DAEMON_NAME.match(name):
        errors.append(('name %s is missing or not letters, digits, - and _' % _quote(name),
                       'Name= appears in logs and must not break the DaemonPortOptions line',
                       'give each listener a name such as MTA, MSA or SMTPS'))
    port = None
    if entry.get('port') is None:
        errors.append(('has no port', 'sendmail needs a port to listen on', 'add port: 25, 587 or 465'))
    else:
        try:
            port = parse_port(entry.get('port'))
        except RuleError as exc:
            errors.append((str(exc), 'sendmail would not listen where you expect',
                           'write the port as a number, e.g. 587'))
    family = entry.get('family')
    family = 'inet' if family in (None, '') else family
    if family not in ('inet', 'inet6'):
        errors.append(('family %s is not inet or inet6' % _quote(family),
                       'the role only sets up TCP listeners', 'use family: inet or family: inet6'))
        family = 'inet'
    addr = entry.get('addr')
    if addr in (None, ''):
        addr = _default_addr(family)
    elif not isinstance(addr, str):
        errors.append(('addr %s is not text' % _quote(addr), 'Addr= takes an address or a host name',
                       "quote it, e.g. addr: '192.0.2.25'"))
    else:
        addr = addr.strip()
        reason = _addr_reason(addr, family)
        if reason:
            errors.append(('addr %s %s' % (_quote(addr), reason),
                           'sendmail would bind elsewhere or fail to start',
                           'use an IPv4 address with family inet, an IPv6 address with family inet6, '
                           'or leave addr out for all addresses'))
    modifiers = entry.get('modifiers')
    modifiers = '' if modifiers is None else modifiers
    if not isinstance(modifiers, str):
        errors.append(('modifiers %s is not text' % _quote(modifiers), 'M= is a string of letters',
                       'write modifiers: Ea'))
        modifiers = ''
    else:
        bad = sorted(set(c for c in modifiers if c not in DAEMON_MODIFIERS))
        if bad:
            errors.append(('modifiers %s contain %s, which are not sendmail daemon modifiers'
                           % (_quote(modifiers), ', '.join(repr(c) for c in bad)),
                           'the M= value would break the DaemonPortOptions line or mean nothing',
                           'use only %s' % ''.join(sorted(DAEMON_MODIFIERS))))
            modifiers = ''.join(c for c in modifiers if c in DAEMON_MODIFIERS)
    options, option_errors = _normalize_port_options(entry.get('options'))
    errors.extend(option_errors)
    if errors and (port is None or not isinstance(name, str)):
        return None, errors
    return {'name': name, 'port': port, 'addr': addr, 'family': family, 'modifiers': modifiers,
            'options': options}, errors


def _addr_reason(addr, family):
    reason = _control_reason(addr)
    if reason:
        return reason
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        ip = None
    if ip is not None:
        if (ip.version == 6) != (family == 'inet6'):
            return 'is an IPv%d address but family is %s' % (ip.version, family)
        return None
    if not _HOST_NAME.match(addr):
        return 'is neither an IP address nor a host name'
    return m4_word_reason(addr)


def _normalize_port_options(options):
    """The `options` text as "Key=value, Key=value", and the errors in it."""
    if options in (None, ''):
        return '', []
    if not isinstance(options, str):
        return '', [('options %s is not text' % _quote(options), 'options is appended to DaemonPortOptions',
                     "write options: 'Listen=128'")]
    reason = _control_reason(options) or (
        "contains an m4 quote (` or ')" if re.search("[`']", options) else None)
    if reason:
        return '', [('options %s %s' % (_quote(options), reason),
                     'it would break the DAEMON_OPTIONS line of sendmail.mc',
                     'write Key=value pairs separated by commas on one line')]
    parts = [p.strip() for p in options.split(',') if p.strip()]
    errors = []
    for part in parts:
        key = part.split('=', 1)[0].strip()
        if '=' not in part or not key:
            errors.append(("options part %s has no Key=value form" % _quote(part),
                           'sendmail ignores it silently', 'write Key=value'))
        elif key[0] in _OWNED_PORT_OPTION_LETTERS:
            field = _OWNED_PORT_OPTION_LETTERS[key[0]]
            errors.append(("options part %s sets %s (sendmail reads a key by its first letter)"
                           % (_quote(part), field),
                           'it would override the %s of the entry, which the checks rely on' % field,
                           'use the %s key of the entry instead' % field))
        elif key[0] not in _EXTRA_PORT_OPTION_LETTERS:
            errors.append(("options part %s is not a DaemonPortOptions key" % _quote(part),
                           'sendmail refuses unknown keys', 'see DaemonPortOptions in sendmail\'s op guide'))
        else:
            reason = m4_word_reason(part)
            if reason:
                errors.append(('options part %s %s' % (_quote(part), reason),
                               'it would change sendmail.mc', 'remove it'))
    return ', '.join(parts), errors


def _describe_entry(index, entry):
    name = entry.get('name') if isinstance(entry, dict) else None
    return 'entry %d%s' % (index + 1, ' (%s)' % shorten(name, 30) if isinstance(name, str) and name else '')


def sendmail_listeners(daemons, tls=True, auth_mechanisms=('LOGIN', 'PLAIN'), auth_options=('A', 'p', 'y')):
    """Normalize sendmail_config_daemons into listener dicts (see the module docstring).

    Raises RuleError naming the first entry that is not valid.
    """
    if not isinstance(daemons, (list, tuple)):
        raise RuleError('sendmail_config_daemons must be a list of {name, port, ...}, not %s' % _quote(daemons))
    tls = bool(_bool(tls, True))
    out = []
    for index, entry in enumerate(daemons):
        fields, errors = daemon_entry_errors(entry)
        if errors:
            what, why, fix = errors[0]
            raise RuleError('sendmail_config_daemons %s: %s. %s. Fix: %s.' % (
                _describe_entry(index, entry), what, _cap(why), fix))
        out.append(_listener(tls=tls, auth_mechanisms=auth_mechanisms, auth_options=auth_options,
                             **fields))
    return out


def _cap(text):
    return text[:1].upper() + text[1:]


# --------------------------------------------------------------------------------------------
# A live sendmail.cf


def cf_logical_lines(cf_text):
    """sendmail.cf lines with continuation lines (starting with space or tab) joined."""
    lines = []
    for raw in cf_text.splitlines():
        if raw[:1] in (' ', '\t') and lines:
            lines[-1] += raw
        else:
            lines.append(raw)
    return lines


_CF_OPTION = re.compile(r'^O[ \t]+([A-Za-z][A-Za-z0-9_.]*)[ \t]*(?:=(.*))?$')


def parse_cf_options(cf_text):
    """The long-form options of a sendmail.cf: ({lowercased name: value} with the last one
    winning, as sendmail does, [every DaemonPortOptions value in order])."""
    options = {}
    daemons = []
    for line in cf_logical_lines(cf_text):
        match = _CF_OPTION.match(line)
        if not match:
            continue
        name = match.group(1).lower()
        value = (match.group(2) or '').strip()
        if name == 'daemonportoptions':
            daemons.append(value)
        else:
            options[name] = value
    return options, daemons


def parse_daemon_port_options(text):
    """Split one DaemonPortOptions value the way sendmail does (setsockaddroptions()).

    Keys are recognised by their first letter (Port, Addr, Family, Name, Modifiers); the other
    parts are kept, stripped, in order. Returns a dict with name, port, addr, family (None when
    absent), modifiers (whitespace removed) and options (list of parts).
    """
    fields = {'name': None, 'port': None, 'addr': None, 'family': None, 'modifiers': '', 'options': []}
    for part in text.split(','):
        part = part.strip()
        if not part:
            continue
        if '=' not in part:
            continue  # sendmail skips a part without '='
        key, value = part.split('=', 1)
        key = key.strip()
        value = value.strip()
        field = _OWNED_PORT_OPTION_LETTERS.get(key[:1])
        if field == 'modifiers':
            fields['modifiers'] = ''.join(c for c in value if not c.isspace())
        elif field:
            fields[field] = value
        else:
            fields['options'].append(part)
    return fields


def sendmail_cf_listeners(cf_text):
    """The listeners of a live sendmail.cf, in the structure of `sendmail_listeners`.

    AuthMechanisms, AuthOptions and the presence of a ServerCertFile give the AUTH and TLS
    part. Defaults are sendmail's: Port 25 (smtp), Family inet, Addr 0.0.0.0 (:: for inet6),
    Name Daemon<n>. Raises RuleError for a listener that is not TCP (Family=unix).
    """
    options, daemons = parse_cf_options(cf_text)
    mechanisms = _words(options.get('authmechanisms', ''))
    auth_options = _words(options.get('authoptions', ''))
    tls = bool(options.get('servercertfile', ''))
    out = []
    for index, text in enumerate(daemons):
        fields = parse_daemon_port_options(text)
        family = (fields['family'] or 'inet').lower()
        if family not in ('inet', 'inet6'):
            raise RuleError('DaemonPortOptions=%s: Family=%s is not a TCP listener (inet or inet6)'
                            % (shorten(text), fields['family']))
        try:
            port = parse_port(fields['port'] or 'smtp', service_names=True)
        except RuleError as exc:
            raise RuleError('DaemonPortOptions=%s: %s' % (shorten(text), exc))
        out.append(_listener(
            name=fields['name'] or 'Daemon%d' % index,
            port=port,
            addr=fields['addr'] or _default_addr(family),
            family=family,
            modifiers=fields['modifiers'],
            options=', '.join(fields['options']),
            tls=tls, auth_mechanisms=mechanisms, auth_options=auth_options))
    return out


# --------------------------------------------------------------------------------------------
# SMART_HOST


def parse_smart_host(value):
    """Split a SMART_HOST value as sendmail's MailerToTriple ruleset reads it.

    Accepted forms: ``host``, ``[host]``, ``[192.0.2.1]``, ``[IPv6:2001:db8::1]``, each with an
    optional ``mailer:`` prefix (a single word: letters, digits, -, _), and ``mailer:user@host``.
    Returns a dict: mailer ('' if none), user ('' if none), host (without brackets and without a
    trailing dot), bracketed (bool) and rest: whatever follows the first host (sendmail reads
    ``host:more`` as a list of hosts, so ``relay:relay1.example.org:587`` means the hosts
    ``relay1.example.org`` and ``587`` -- sendmail has no host:port syntax).
    """
    text = (value or '').strip()
    result = {'mailer': '', 'user': '', 'host': '', 'bracketed': False, 'rest': ''}
    if not text:
        return result
    match = re.match(r'^([A-Za-z0-9_-]+):(.*)$', text)
    if match and not text.startswith('['):
        result['mailer'], text = match.group(1), match.group(2)
    if not text.startswith('[') and '@' in text:
        result['user'], text = text.rsplit('@', 1)
    if text.startswith('['):
        end = text.find(']')
        result['bracketed'] = True
        if end < 0:
            host, rest = text[1:], ''
        else:
            host, rest = text[1:end], text[end + 1:]
    else:
        host, _sep, rest = text.partition(':')
        rest = ':' + rest if _sep else ''
    result['host'] = host.strip().rstrip('.')
    result['rest'] = rest
    return result


def smart_host_name(value):
    """The host name in a SMART_HOST value ('' for an empty value); see `parse_smart_host`."""
    return parse_smart_host(value)['host']


# --------------------------------------------------------------------------------------------
# pluginviewer

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


# --------------------------------------------------------------------------------------------
# Broad relay keys (access map, relay-domains)

#: The Public Suffix List as Debian's publicsuffix package installs it on the controller.
PUBLIC_SUFFIX_LIST = '/usr/share/publicsuffix/public_suffix_list.dat'
#: Used when that file is missing: the suffixes most often mistaken for a site's own domain.
_FALLBACK_PUBLIC_SUFFIXES = frozenset((
    'co.uk', 'org.uk', 'ac.uk', 'gov.uk', 'com.au', 'net.au', 'org.au', 'co.nz', 'co.jp', 'ne.jp',
    'or.jp', 'com.br', 'com.cn', 'com.mx', 'co.za', 'co.in', 'com.tr', 'com.ar', 'co.kr',
    'github.io', 'gitlab.io', 'herokuapp.com', 'azurewebsites.net', 'cloudfront.net',
    'blogspot.com', 'appspot.com', 'netlify.app', 'vercel.app', 'pages.dev', 'workers.dev',
    'amazonaws.com', 'dyndns.org', 'no-ip.org', 'duckdns.org',
))
_public_suffixes = {}


def public_suffix_rules(path=PUBLIC_SUFFIX_LIST):
    """(rules, wildcards, exceptions) of the Public Suffix List at `path` (lower case, without
    "*." and "!"), read once; a built-in list of common suffixes when the file cannot be read."""
    if path not in _public_suffixes:
        rules, wildcards, exceptions = set(), set(), set()
        try:
            with open(path, encoding='utf-8') as handle:
                for line in handle:
                    word = line.split(None, 1)[0].lower() if line.strip() else ''
                    if not word or word.startswith('//'):
                        continue
                    if word.startswith('!'):
                        exceptions.add(word[1:])
                    elif word.startswith('*.'):
                        wildcards.add(word[2:])
                    else:
                        rules.add(word)
        except (IOError, OSError):
            rules = set(_FALLBACK_PUBLIC_SUFFIXES)
        _public_suffixes[path] = (frozenset(rules), frozenset(wildcards), frozenset(exceptions))
    return _public_suffixes[path]


def is_public_suffix(domain, path=PUBLIC_SUFFIX_LIST):
    """True when `domain` is itself a public suffix (co.uk, com.au, github.io, ...): a name under
    which unrelated parties register their own domains."""
    name = domain.strip().strip('.').lower()
    if not name or name.startswith('['):
        return False
    rules, wildcards, exceptions = public_suffix_rules(path)
    if name in exceptions:
        return False
    if name in rules:
        return True
    parent = name.split('.', 1)[1] if '.' in name else ''
    return bool(parent) and parent in wildcards


def broad_relay_reason(text, allow_tag=True):
    """Why relaying for `text` (an access map key, or a relay-domains entry with allow_tag False)
    covers everything or a broad network/domain, or None.

    Broad: an empty key or a tag alone ("Connect:", "To:"), "*", ".", "0", 0.0.0.0, ::, an IPv4
    prefix of one or two octets (/16 or wider: sendmail matches at octet boundaries, so the next
    narrower prefix is a /24, which is as wide as a site's own network usually is), an IPv6 prefix
    of fewer than three groups (shorter than /48, a site's allocation), a bare top-level domain
    (other than localhost), a public suffix (co.uk, com.au, github.io: `is_public_suffix`), or
    "user@" with no domain.
    """
    key = text.strip()
    if allow_tag:
        match = re.match(r'^(connect|to|from):(.*)$', key, re.IGNORECASE)
        if match:
            key = match.group(2).strip()
    if key in ('', '*', '.', '@'):
        return 'covers every client or destination'
    if '@' in key and not key.startswith('['):
        local, domain = key.rsplit('@', 1)
        if not domain:
            return "'%s@' matches that sender/recipient at every domain" % local
        key = domain
    key = key.lstrip('.')
    if key[:5].lower() == 'ipv6:':
        rest = key[5:]
        if '::' in rest:
            try:
                if ipaddress.IPv6Address(rest) == ipaddress.IPv6Address('::'):
                    return 'is the unspecified IPv6 address (everything)'
            except ValueError:
                return 'is not an IPv6 address or prefix'
            return None
        groups = [g for g in rest.split(':') if g]
        if len(groups) < 3:
            return 'is an IPv6 prefix of %d group(s), shorter than /48' % len(groups)
        if all(set(g) <= {'0'} for g in groups):
            return 'is the unspecified IPv6 address (everything)'
        return None
    if re.match(r'^[0-9]+(\.[0-9]+)*\.?$', key):
        octets = [o for o in key.split('.') if o]
        if all(int(o) == 0 for o in octets):
            return 'is 0.0.0.0 (everything)'
        if len(octets) < 3:
            return 'is an IPv4 prefix of %d octet(s), /%d or wider' % (len(octets), 8 * len(octets))
        return None
    if key in ('::', '0:0:0:0:0:0:0:0'):
        return 'is the unspecified IPv6 address (everything)'
    if key.startswith('['):
        return None
    if '.' not in key.rstrip('.') and key.lower().rstrip('.') != 'localhost':
        return "is the bare top-level domain '%s' (every host or address under it)" % key
    if is_public_suffix(key):
        return ("is the public suffix '%s' (the Public Suffix List: unrelated parties register "
                "domains under it)" % key.rstrip('.'))
    return None


# --------------------------------------------------------------------------------------------
# m4 text of sendmail_config_mc_extra and sendmail_config_features


def m4_code(text):
    """`text` without m4 comments (# to end of line, dnl through the newline) and the quote
    depth left open at its end (0 when every ` has its ')."""
    out = []
    depth = 0
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        if depth == 0 and char == '#':
            end = text.find('\n', i)
            i = n if end < 0 else end
            continue
        if (depth == 0 and text.startswith('dnl', i) and (i == 0 or not _is_name_char(text[i - 1]))
                and (i + 3 >= n or not _is_name_char(text[i + 3]))):
            end = text.find('\n', i)
            i = n if end < 0 else end + 1
            out.append('\n')
            continue
        if char == '`':
            depth += 1
        elif char == "'" and depth > 0:
            depth -= 1
        out.append(char)
        i += 1
    return ''.join(out), depth


def _is_name_char(char):
    return char.isalnum() or char == '_'


def split_m4_args(text):
    """Split the argument text of a macro call on top-level commas.

    Returns (args with one level of `...' removed, error or None). An error is reported for an
    unbalanced quote and for a parenthesis outside quotes (it would end the call early).
    """
    args = []
    current = []
    depth = 0
    for char in text:
        if char == '`':
            depth += 1
            if depth == 1:
                continue
        elif char == "'" and depth > 0:
            depth -= 1
            if depth == 0:
                continue
        elif depth == 0 and char in '()':
            return [], "has a parenthesis outside `...' quotes, which would end FEATURE( early"
        elif depth == 0 and char == ',':
            args.append(''.join(current).strip())
            current = []
            continue
        current.append(char)
    if depth:
        return [], "has an unbalanced m4 quote (a ` without its ')"
    args.append(''.join(current).strip())
    return args, None


# --------------------------------------------------------------------------------------------
# sendmail_config_problems

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
TLS_PATH_VARIABLES = (
    'sendmail_config_tls_ca_path', 'sendmail_config_tls_ca_cert', 'sendmail_config_tls_server_cert',
    'sendmail_config_tls_server_key', 'sendmail_config_tls_client_cert', 'sendmail_config_tls_client_key',
)
OTHER_PATH_VARIABLES = (
    'sendmail_config_sasl_config', 'sendmail_config_sasl_pluginviewer', 'sendmail_config_cf_dir',
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


def _bool(value, default):
    if value is None:
        return default
    try:
        return boolean(value, strict=True)
    except TypeError:
        return None


def _count(value):
    """A non-negative int from an int or numeric string, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and re.match(r'^[0-9]+\Z', value):
        return int(value)
    return None


def _str_list(value):
    """The list as a list of texts, or None if it is not a list of texts."""
    if not isinstance(value, (list, tuple)):
        return None
    if not all(isinstance(v, str) for v in value):
        return None
    return list(value)


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


def _check_daemons(get, problems, tls, mechanisms):
    daemons = get('sendmail_config_daemons')
    variable = 'sendmail_config_daemons'
    if not isinstance(daemons, (list, tuple)):
        problems.add(variable, daemons, 'is not a list of listeners', 'sendmail would not listen as intended',
                     'write [{name: MTA, port: 25}, {name: MSA, port: 587, modifiers: Ea}]')
        return []
    if not daemons:
        problems.add(variable, None, 'is empty', 'sendmail would not listen at all (FEATURE(no_default_msa) is set)',
                     'list at least {name: MTA, port: 25}')
        return []
    listeners = []
    for index, entry in enumerate(daemons):
        fields, errors = daemon_entry_errors(entry)
        for what, why, fix in errors:
            problems.add(variable, entry.get('name') if isinstance(entry, dict) else entry,
                         '%s %s' % (_describe_entry(index, entry), what), why, fix)
        if fields and not errors:
            listeners.append(_listener(tls=tls, auth_mechanisms=mechanisms,
                                       auth_options=_str_list(get('sendmail_config_auth_options')) or [],
                                       **fields))
    names = [d.get('name') for d in daemons if isinstance(d, dict)]
    duplicates = sorted(set(n for n in names if isinstance(n, str) and names.count(n) > 1))
    if duplicates:
        problems.add(variable, ', '.join(duplicates), 'the names %s are used twice' % ', '.join(duplicates),
                     'names tell listeners apart in logs and in the gate', 'give every listener its own name')
    sockets = [(l['family'], l['addr'], l['port']) for l in listeners]
    for family, addr, port in sorted(set(s for s in sockets if sockets.count(s) > 1)):
        problems.add(variable, '%s:%d' % (addr, port), 'two listeners bind %s port %d' % (addr, port),
                     'the second cannot open its socket', 'give each listener its own port or address')
    bad_465 = [l['name'] for l in listeners if l['port'] == 465 and l['tls'] != 'implicit']
    if bad_465:
        problems.add(variable, ', '.join(bad_465),
                     "the listener(s) %s on port 465 lack the 's' modifier" % ', '.join(bad_465),
                     'port 465 is SMTPS (RFC 8314): clients start TLS before SMTP and would hang on a '
                     'clear-text greeting', "give it modifiers with 's', e.g. {name: SMTPS, port: 465, modifiers: Eas}")
    if not tls:
        implicit = [l['name'] for l in listeners if l['tls'] == 'implicit']
        if implicit:
            problems.add(variable, ', '.join(implicit),
                         "the listener(s) %s have the 's' modifier while sendmail_config_tls is false"
                         % ', '.join(implicit),
                         'sendmail has no certificate to start implicit TLS with',
                         "set sendmail_config_tls: true, or drop the listener")
    on_25 = [l['name'] for l in listeners if l['port'] == 25 and l['auth_required']]
    if on_25:
        problems.add(variable, ', '.join(on_25),
                     "the listener(s) %s on port 25 have the 'a' modifier (AUTH required)" % ', '.join(on_25),
                     'sendmail would refuse mail from every other MTA',
                     "drop 'a' on port 25 (use port 587 with M=Ea for submission)",
                     risk='daemons:auth_required_on_port_25',
                     opted_in=bool(_bool(get('sendmail_config_allow_auth_required_on_port_25'), False)))
    return listeners


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


def _access_value_reason(value):
    reason = _control_reason(value)
    if reason:
        return reason
    if not value.strip():
        return 'is empty'
    text = value.strip()
    message_form = re.match(r'^(ERROR:|QUARANTINE:|DISCARD:|[2-5][0-9][0-9][ \t])', text, re.IGNORECASE) or \
        re.match(r'^"[2-5][0-9][0-9] ', text)
    if re.search(r'\s', text) and not message_form:
        return 'contains whitespace (only ERROR:, QUARANTINE: and "### text" values may)'
    return None


_OWNED_ACCESS_DEFAULTS = {'clientrate': 'sendmail_config_ratecontrol', 'clientconn': 'sendmail_config_conncontrol'}


def _cidr(key):
    return bool(re.search(r'[0-9a-fA-F:.]/[0-9]{1,3}$', key))


def _check_access(get, problems):
    variable = 'sendmail_config_access'
    entries = get(variable)
    if not isinstance(entries, (list, tuple)):
        problems.add(variable, entries, 'is not a list of {key, value}', 'the access map is built from it',
                     'write [{key: "Connect:192.0.2.10", value: RELAY}]')
        return []
    good = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or 'key' not in entry or 'value' not in entry:
            problems.add(variable, None, 'entry %d lacks key or value' % (index + 1),
                         'every line of the access map needs both', 'write {key: "Connect:192.0.2.10", value: RELAY}')
            continue
        key, value = entry['key'], entry['value']
        key_text = key if isinstance(key, str) else None
        reason = 'is not text' if key_text is None else (
            _control_reason(key_text) or ('is empty' if not key_text else None)
            or ('contains whitespace' if re.search(r'\s', key_text) else None)
            or ('contains a quote' if re.search('[\'"`]', key_text) else None))
        if reason:
            problems.add(variable, key, 'entry %d: the key %s %s' % (index + 1, _quote(key), reason),
                         'makemap splits key and value at the first whitespace and reads a line break as a '
                         'new entry, so such a key would make a different entry than the one written',
                         'write the key without whitespace or quotes, e.g. Connect:192.0.2.10')
            continue
        value_text = value if isinstance(value, str) else None
        reason = 'is not text' if value_text is None else _access_value_reason(value_text)
        if reason:
            what = 'entry %d (%s): the value %s %s' % (index + 1, shorten(key_text, 40), _quote(value), reason)
            problems.add(variable, value, what,
                         'a line break would add map entries of its own and other whitespace changes the '
                         'meaning of the value', 'write RELAY, OK, REJECT, DISCARD, SKIP, VERIFY or ERROR:"550 text"')
            continue
        good.append((key_text, value_text.strip()))
        match = re.match(r'^([A-Za-z_]+):', key_text)
        tag = match.group(1).lower() if match and match.group(1).lower() != 'ipv6' else ''
        if _cidr(key_text):
            problems.add(variable, key_text, 'entry %d: the key %s uses CIDR notation' % (index + 1, _quote(key_text)),
                         'sendmail matches networks by leading octets or IPv6 groups, so the entry would never '
                         'match', 'write Connect:192.0.2 for 192.0.2.0/24 (IPv6:2001:db8:1 for 2001:db8:1::/48)')
            continue
        if value_text.strip().upper() == 'RELAY' and tag in ('', 'connect', 'to', 'from'):
            reason = broad_relay_reason(key_text)
            if reason:
                problems.add(variable, '%s %s' % (key_text, value_text),
                             'entry %d: RELAY for %s, which %s' % (index + 1, _quote(key_text), reason),
                             'everybody in it could send mail anywhere through this relay',
                             'RELAY single hosts or /24 networks (Connect:192.0.2.10), and let roaming users '
                             'authenticate on port 587', risk='access:broad_relay')
        if tag in _OWNED_ACCESS_DEFAULTS and not key_text.split(':', 1)[1]:
            owner = _OWNED_ACCESS_DEFAULTS[tag]
            problems.add(variable, key_text, 'entry %d: %s sets the limit for every client' % (index + 1, _quote(key_text)),
                         'the role writes that default from %s' % owner, 'set %s instead' % owner)
    return good


def _check_relay_domains(get, problems):
    variable = 'sendmail_config_relay_domains'
    value = get(variable)
    entries = _str_list(value)
    if entries is None:
        problems.add(variable, value, 'is not a list of domains', 'relay-domains is built from it',
                     'write [example.org]')
        return
    for index, entry in enumerate(entries):
        reason = _control_reason(entry) or (None if _CLASS_ENTRY.match(entry) or entry in ('*', '.') else
                                            'contains whitespace, a quote or another character no domain has')
        if reason:
            problems.add(variable, entry, 'entry %d %s %s' % (index + 1, _quote(entry), reason),
                         'each entry is one line of /etc/mail/relay-domains; anything else relays for other names',
                         'list one domain or network per entry')
            continue
        if _cidr(entry):
            problems.add(variable, entry, 'entry %d %s uses CIDR notation' % (index + 1, _quote(entry)),
                         'sendmail matches class {R} by leading octets or IPv6 groups, so it would never match',
                         'write 192.0.2 for 192.0.2.0/24 (IPv6:2001:db8:1 for 2001:db8:1::/48)')
            continue
        reason = broad_relay_reason(entry, allow_tag=False)
        if reason:
            problems.add(variable, entry, 'entry %d %s %s' % (index + 1, _quote(entry), reason),
                         'sendmail relays without AUTH for every client and recipient in class {R}',
                         'list the exact domains or /24 networks, and let users authenticate instead',
                         risk='relay_domains:broad')


def _check_smart_host(get, problems):
    variable = 'sendmail_config_smart_host'
    value = get(variable)
    if value in (None, ''):
        return ''
    if not isinstance(value, str):
        problems.add(variable, value, 'is not text', 'it becomes SMART_HOST', 'write "[relay1.example.org]"')
        return ''
    reason = _control_reason(value) or ('contains whitespace or a quote' if re.search('[\\s\'"`#]', value) else None)
    if reason:
        problems.add(variable, value, '%s %s' % (_quote(value), reason),
                     'it is written into sendmail.mc inside quotes and into the access map',
                     'write "[relay1.example.org]"')
        return ''
    parsed = parse_smart_host(value)
    host = parsed['host']
    reason = m4_word_reason(parsed['mailer'] + ' ' + parsed['user'])
    if reason:
        problems.add(variable, value, '%s: the mailer or user part %s' % (_quote(value), reason),
                     'it is written into sendmail.mc inside quotes', 'write "[relay1.example.org]"')
        return ''
    reason = _host_reason('[%s]' % host if parsed['bracketed'] else host, allow_brackets=True) if host else 'is missing'
    if reason:
        problems.add(variable, value, '%s: the host %s' % (_quote(value), reason),
                     'sendmail could not deliver through it and the TLS_Srv check would name another host',
                     'write "[relay1.example.org]"')
        return ''
    if parsed['rest']:
        problems.add(variable, value, '%s has %s after the host' % (_quote(value), _quote(parsed['rest'])),
                     'sendmail has no host:port syntax; it reads what follows a colon as further hosts '
                     '(":587" would be a host named 587), and only the first host is checked for TLS',
                     'write one "[host]" and set the port with define(`RELAY_MAILER_ARGS\', `TCP $h 587\') '
                     'in sendmail_config_defines (ESMTP_MAILER_ARGS for an esmtp: prefix)')
    return host


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


def _call_arguments(code, start):
    """The text between the "(" just before `start` and its matching ")" (quotes respected)."""
    depth = 0
    parens = 1
    for i in range(start, len(code)):
        char = code[i]
        if char == '`':
            depth += 1
        elif char == "'" and depth:
            depth -= 1
        elif not depth and char == '(':
            parens += 1
        elif not depth and char == ')':
            parens -= 1
            if not parens:
                return code[start:i]
    return None
