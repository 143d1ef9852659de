# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How m4 reads the text the roles put into sendmail.mc.

PRIVATE to the mailrelay.sendmail collection: no API promise outside it. Split out of
`_sendmail_rules`, which still re-exports its names for the imports written before the split.

- What may stand inside `...' without changing sendmail.mc when m4 rescans it:
  `m4_word_reason`, `m4_quoted_reason`, and host names and paths (`_host_reason`, `_path_reason`).
- The m4 lexer: comments and quote depth (`m4_code`), macro arguments (`split_m4_args`), the
  argument text of a call (`_call_arguments`).

Builtins as GNU m4 1.4 knows them; sendmail's macros from cf/m4/cfhead.m4 and proto.m4.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_values import _control_reason


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
