# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Small helpers on the values of variables, shared by every rule set.

PRIVATE to the mailrelay.sendmail collection: no API promise outside it. Split out of
`_sendmail_rules`, which still re-exports its names for the imports written before the split.

The error type (RuleError), a value shown on one line (`shorten`), word lists read as sendmail
reads them, booleans, counts and lists of texts as the checks accept them, control characters, and
which SASL mechanisms of a list send the password in clear (`cleartext_mechanisms`).
"""

from __future__ import annotations

import re

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp_sasl import CLEARTEXT_MECHANISMS


class RuleError(ValueError):
    """A value cannot mean anything sensible to sendmail; the text says which and why."""


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


def _quote(value):
    if value is None:
        return 'none'
    return "'%s'" % shorten(value) if isinstance(value, str) else shorten(value)


def _cap(text):
    return text[:1].upper() + text[1:]


def _control_reason(text):
    if '\n' in text or '\r' in text:
        return 'contains a line break, which would start a new line of its own in the file'
    if '\x00' in text:
        return 'contains a NUL byte'
    if re.search(r'[\x01-\x1f\x7f]', text):
        return 'contains a control character'
    return None


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
