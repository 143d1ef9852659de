# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: sendmail_config_problems
short_description: Every problem in the sendmail_config variables, before any change
version_added: 0.2.0
author:
  - mailrelay.sendmail contributors
description:
  - The preflight rules of the C(mailrelay.sendmail.sendmail_config) role in one place. Takes the role's
    variables by their full names and returns one entry per problem; an empty list means the
    variables are fine. A missing variable has its role default; the host name and realm, whose
    defaults come from facts, are then not checked.
  - A problem with a risk id is left out when C(sendmail_config_accept_risks) lists that id - a named,
    documented opt-in. Problems without a risk id (hostile values, settings that a dedicated variable
    owns) cannot be accepted; their message names the variable to use instead.
  - >-
    Messages read V(<variable>: <what is wrong, value shortened>. <why it is dangerous>. Fix: <safe
    alternative>[; or add '<risk id>' to sendmail_config_accept_risks if you really mean it].) They
    never contain a password (an AuthInfo password is called "the password of entry N").
  - "B(Open or wider relaying, each with a risk id.) FEATUREs - V(feature:promiscuous_relay) relays
    from anyone to anywhere; V(feature:relay_local_from) relays for any client that claims a local
    sender; V(feature:relay_mail_from) relays for claimed senders listed as C(From:... RELAY) (forged
    at will); V(feature:relay_based_on_MX) relays to any domain whose MX points here, which anyone can
    arrange; V(feature:loose_relay_check) lets %-hack recipients through unchecked;
    V(feature:relay_entire_domain) relays for the whole domain of the host name (a TLD if the host name
    is short). The same FEATUREs in C(sendmail_config_mc_extra) carry the same ids."
  - "Not refused: C(accept_unresolvable_domains) and C(accept_unqualified_senders) (they accept senders
    sendmail would refuse at MAIL FROM; nobody becomes a relay client and AUTH is untouched, so they
    are the owner's anti-spam choice) and C(relay_hosts_only) (it narrows RELAY entries to single
    hosts)."
  - "V(access:broad_relay) - a C(sendmail_config_access) entry with value RELAY (any case) whose key,
    untagged or tagged C(Connect:), C(To:) or C(From:), covers everything or a broad network/domain: an
    empty key or a tag alone, V(*), V(.), V(0), V(0.0.0.0), V(::), an IPv4 prefix of one or two octets
    (/16 or wider - sendmail matches whole octets, so the next narrower prefix is a /24, a site's
    usual network), an IPv6 prefix of fewer than three groups (shorter than /48, a site's
    allocation), a bare top-level domain other than V(localhost), a public suffix (V(co.uk), V(com.au),
    V(github.io) - the Public Suffix List in C(/usr/share/publicsuffix/public_suffix_list.dat), Debian's
    C(publicsuffix) package, or a built-in list of common ones when that file is missing), or V(user@)
    without a domain. OK is not relaying (cf/README - OK allows less than RELAY) and is not checked."
  - "V(relay_domains:broad) - a C(sendmail_config_relay_domains) entry that is broad by the same rules."
  - "V(mc_extra:policy_rulesets) - C(sendmail_config_mc_extra) defines a ruleset that decides
    relaying, AUTH or TLS policy (check_rcpt, Local_check_rcpt, Basic_check_rcpt, Rcpt_ok, Relay_ok,
    check_relay, check_mail and their Local_/Basic_ variants, Relay_Auth, Local_Relay_Auth,
    srv_features, tls_server, tls_client, tls_rcpt, try_tls and their Local_ variants, RelayTLS,
    TLS_connection) or uses LOCAL_SRV_FEATURES, LOCAL_TLS_CLIENT, LOCAL_TLS_SERVER, LOCAL_TLS_RCPT
    or LOCAL_TRY_TLS. check_rcpt returns whatever Local_check_rcpt returns, so one rule there can
    relay for everybody. Other rulesets (header checks, LOCAL_RULE_n) pass these text checks; the
    generated sendmail.cf is judged after m4 by P(mailrelay.sendmail.sendmail_cf_problems#filter),
    which refuses any changed sendmail ruleset with the same risk id."
  - "B(Weaker AUTH or TLS, each with a risk id.) V(auth:plaintext) - PLAIN or LOGIN offered while
    C(sendmail_config_auth_options) lacks V(p), or while no listener can do TLS (also accepted by
    C(sendmail_config_allow_plaintext_auth=true)); V(daemons:auth_required_on_port_25) - V(a) on a
    port 25 listener (also accepted by C(sendmail_config_allow_auth_required_on_port_25=true));
    V(authinfo:password_without_tls) - an AuthInfo entry for a host that is not required to show a
    verified certificate (neither the smart host with C(sendmail_config_smart_host_tls_verify) nor
    a C(TLS_Srv:<host>) VERIFY or ENCR entry in C(sendmail_config_access)) and whose C(mechanisms) do
    not exclude PLAIN and LOGIN, so a man in the middle who strips STARTTLS gets the password; V(tls:weak_ciphers) - the cipher list enables NULL,
    anonymous, export, low, RC4, DES, 3DES, MD5, PSK or SRP suites; V(tls:no_server_cert) -
    TLSSrvOptions V(C); V(define:confTLS_FALLBACK_TO_CLEAR) - retry without TLS after a failed
    handshake; V(define:confDH_PARAMETERS) - a 512 or 1024 bit Diffie-Hellman prime."
  - "B(Owned by a dedicated variable, refused without opt-in), in C(sendmail_config_defines),
    C(sendmail_config_features) and C(sendmail_config_mc_extra) - confDOMAIN_NAME (hostname),
    confAUTH_MECHANISMS, confAUTH_OPTIONS, confAUTH_REALM, confDEF_AUTH_INFO (authinfo),
    confCACERT_PATH, confCACERT, confSERVER_CERT, confSERVER_KEY, confCLIENT_CERT, confCLIENT_KEY,
    confTLS_SRV_OPTIONS, confSERVER_SSL_OPTIONS and confCLIENT_SSL_OPTIONS (tls_min_version),
    confCIPHER_LIST, confRAND_FILE, confLOG_LEVEL, confPRIVACY_FLAGS, confMAX_MESSAGE_SIZE,
    confTO_IDENT (ident_timeout), confDONT_BLAME_SENDMAIL, confMAX_DAEMON_CHILDREN,
    confCONNECTION_RATE_THROTTLE, confBAD_RCPT_THROTTLE, confMAX_RCPTS_PER_MESSAGE, SMART_HOST,
    DAEMON_OPTIONS (daemons), TRUST_AUTH_MECH (trust_auth_mechanisms), RELAY_DOMAIN and
    RELAY_DOMAIN_FILE (relay_domains), the matching sendmail.cf lines (C(O AuthOptions=...), C(CR...),
    C(C{TrustAuthMech}...), C(Dj...)), the rulesets trust_auth/Local_trust_auth (trust_auth), and the
    FEATUREs access_db, authinfo, no_default_msa, msp, local_lmtp, local_procmail (local_mailer),
    nullclient (it sets SMART_HOST - use smart_host), conncontrol and ratecontrol (the abuse-limit
    variables; likewise the access keys C(ClientConn:) and C(ClientRate:) without an address).
    confTRUSTED_USERS is not owned and not refused - it trusts local users to set envelope senders
    and does not touch network AUTH or relaying."
  - "Internal macros of sendmail's m4 files (names such as _PROMISCUOUS_RELAY_) are refused in defines
    and mc_extra - FEATUREs set them, so setting them by hand bypasses the FEATURE checks. In
    mc_extra the m4 builtins changequote, changecom, divert, undivert, undefine, pushdef, popdef,
    indir, builtin, include, sinclude, syscmd, esyscmd, m4exit, m4wrap and changeword are refused,
    as is an unbalanced quote (it would swallow the rest of sendmail.mc). Comments (dnl, #) are not
    looked at."
  - "B(Hostile values, refused without opt-in.) Everything that flows into sendmail.mc, a map, a class
    file or a command line is checked: no line break, CR, NUL or other control character; no m4 quote
    (` or ') or V(#) in values placed inside `...'; no m4 word that m4 would act on (dnl, divert,
    changequote, define, undefine, include, sinclude, syscmd, esyscmd and the other builtins that work
    without arguments, any builtin followed by V((), conf* and _* macro names and sendmail's own
    macros such as FEATURE or SMART_HOST) in the host name, realm, paths, mechanisms, define values,
    FEATURE arguments and smart host; host names without spaces; paths absolute; ports integers from 1
    to 65535 (a numeric string such as V(\"465\") is fine and is checked as 465); daemon names matching
    V(^[A-Za-z0-9_-]+$); modifiers only sendmail's letters; daemon C(options) without keys that
    belong to other fields (sendmail reads a key by its first letter - Port, Addr, Family, Name,
    Modifiers); access keys without whitespace or quotes, values on one line (spaces only in ERROR:,
    QUARANTINE: and V(\"### text\") values), CIDR notation refused (sendmail would never match it);
    AuthInfo hosts neither empty nor V(*) (an empty AuthInfo host is sendmail's default entry for every
    server) and user, authid and realm without quotes or whitespace; trust_auth ids without whitespace,
    quotes or V($); alias names (and C(sendmail_config_probe_alias)) without V(:), whitespace or
    quotes; a smart host with nothing after the host (sendmail has no host:port syntax)."
  - "B(Moved from the role's preflight tasks.) An empty listener list, duplicate listener names, two
    listeners on the same address and port, port 465 without V(s), V(s) while C(sendmail_config_tls) is
    false, C(sendmail_config_tls_min_version) other than V(TLSv1.2)/V(TLSv1.3), missing keys in
    access, authinfo and trust_auth entries, empty certificate paths while TLS is on."
  - "B(Numbers.) C(sendmail_config_log_level), C(_max_message_size), C(_ident_timeout),
    and the abuse limits C(_max_daemon_children), C(_connection_rate_throttle),
    C(_conncontrol), C(_ratecontrol), C(_bad_rcpt_throttle), C(_max_rcpts_per_message) must be
    non-negative integers (numeric strings are fine). C(sendmail_config_privacy_flags) and
    C(_dont_blame_sendmail) must be words sendmail knows. An unknown id in
    C(sendmail_config_accept_risks) is a problem too (a misspelt id accepts nothing)."
positional: _input
options:
  _input:
    description:
      - >-
        The role's variables by their full names, for example
        V({'sendmail_config_daemons': sendmail_config_daemons, 'sendmail_config_accept_risks': [...]}).
    type: dict
    required: true
seealso:
  - plugin: mailrelay.sendmail.sendmail_listeners
    plugin_type: filter
  - plugin: mailrelay.sendmail.smart_host_name
    plugin_type: filter
"""

EXAMPLES = r"""
---
- name: Refuse risky or hostile sendmail_config variables before any change
  vars:
    __names: "{{ query('ansible.builtin.varnames', '^sendmail_config_') }}"
    __problems: >-
      {{ dict(__names | zip(query('ansible.builtin.vars', *__names)))
         | mailrelay.sendmail.sendmail_config_problems }}
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems | map(attribute='message') | join(' ') }} Nothing was changed."
    quiet: true

- name: Open the relay to one legacy sender domain, knowingly
  ansible.builtin.debug:
    msg: >-
      {{ {'sendmail_config_features': ["`relay_mail_from', `domain'"],
          'sendmail_config_accept_risks': ['feature:relay_mail_from']}
         | mailrelay.sendmail.sendmail_config_problems }}
"""

RETURN = r"""
_value:
  description: One dict per problem; empty when the variables are fine.
  type: list
  elements: dict
  contains:
    variable:
      description: The full name of the variable at fault.
      type: str
      sample: sendmail_config_features
    value:
      description: The offending value, shortened to one line of at most 60 characters (null where
        there is nothing safe to show, such as a password).
      type: str
      sample: relay_local_from
    risk:
      description: The risk id that C(sendmail_config_accept_risks) may list to accept this problem, or
        null when it cannot be accepted.
      type: str
      sample: feature:relay_local_from
    message:
      description: What is wrong, why it is dangerous and how to fix it, naming the variable.
      type: str
      sample: >-
        sendmail_config_features: entry 1 enables FEATURE(relay_local_from). Relays for any client
        that merely claims a sender address in a local domain (MAIL FROM is not authenticated): an
        open relay for spammers. Fix: let clients authenticate (SMTP AUTH on port 587), or RELAY
        single hosts in sendmail_config_access; or add 'feature:relay_local_from' to
        sendmail_config_accept_risks if you really mean it.
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_rules import (
    RuleError,
    sendmail_config_problems,
)


def sendmail_config_problems_filter(config):
    try:
        return sendmail_config_problems(config)
    except RuleError as exc:
        raise AnsibleFilterError('mailrelay.sendmail.sendmail_config_problems: %s' % exc) from exc


class FilterModule(object):
    """sendmail_config preflight filter"""

    def filters(self):
        return {'sendmail_config_problems': sendmail_config_problems_filter}
