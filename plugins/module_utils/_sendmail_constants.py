# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What sendmail knows and what the collection owns: the tables every rule set reads.

PRIVATE to the mailrelay.sendmail collection: no API promise outside it. Split out of
`_sendmail_rules`, which still re-exports its names for the imports written before the split.

- sendmail's own vocabulary: DaemonPortOptions modifiers and keys, service ports, AuthOptions,
  TLSSrvOptions, PrivacyOptions and DontBlameSendmail words (sendmail 8.17: sendmail/daemon.c,
  sendmail/sendmail.h, sendmail/conf.c);
- FEATUREs that open relaying, FEATUREs, define()s, options and rulesets a role variable owns,
  define()s that weaken TLS, the policy rulesets;
- RISKS: every id sendmail_config_accept_risks may list.

The SASL mechanisms that send a password in clear are defined once, in _smtp_sasl
(CLEARTEXT_MECHANISMS). Nothing here imports another module of the collection.
"""

from __future__ import annotations


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
