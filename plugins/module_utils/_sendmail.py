# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private helpers for sendmail_info: parse what a sendmail binary says about itself.

This is a private module_utils (leading underscore): no API promise outside this collection.
The functions are pure so that unit tests can feed them captured sendmail output.
"""

from __future__ import annotations


import re

from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp import (
    SMTPProtocolError,
    auth_mechanisms,
    parse_ehlo,
    parse_reply,
    parse_reply_line,
)

_VERSION = re.compile(r'^Version\s+(\S+)\s*$')
_COMPILED = re.compile(r'^\s*Compiled with:\s*(.*)$')


def parse_version_output(text):
    """Parse the start of `sendmail -d0.1` output.

    Returns a dict with ``version`` (str or None) and ``compiled_with`` (list of the option
    words, in the order sendmail prints them; ``NEWDB=5.3`` style words are kept whole).
    """
    version = None
    compiled = []
    in_compiled = False
    for line in text.splitlines():
        match = _VERSION.match(line)
        if match:
            version = match.group(1)
            in_compiled = False
            continue
        match = _COMPILED.match(line)
        if match:
            compiled.extend(match.group(1).split())
            in_compiled = True
            continue
        # continuation lines of "Compiled with:" are indented (sendmail uses tabs)
        if in_compiled and line[:1] in ('\t', ' ') and line.strip():
            compiled.extend(line.split())
            continue
        in_compiled = False
    return {'version': version, 'compiled_with': compiled}


def compile_options(compiled_with):
    """Map the "Compiled with" words to a dict: NEWDB=5.3 -> {'NEWDB': '5.3'}, SASLv2 -> {'SASLv2': True}."""
    options = {}
    for word in compiled_with:
        if '=' in word:
            name, value = word.split('=', 1)
            options[name] = value
        else:
            options[word] = True
    return options


def split_replies(lines):
    """Group raw reply lines (as read from `sendmail -bs`) into complete replies.

    Lines that are not SMTP reply lines (sendmail may print diagnostics on the same stream)
    are returned separately so that callers can report them.
    """
    replies, current, noise = [], [], []
    for line in lines:
        line = line.rstrip('\r\n')
        try:
            dummy_code, last, dummy_text = parse_reply_line(line)
        except SMTPProtocolError:
            noise.append(line)
            continue
        current.append(line)
        if last:
            replies.append(parse_reply(current))
            current = []
    if current:
        noise.extend(current)
    return replies, noise


def summarize_session(banner, ehlo_reply):
    """Turn the banner and EHLO reply of a `sendmail -bs` session into the module's result keys."""
    result = {
        'banner': banner.raw if banner is not None else None,
        'ehlo_reply_code': ehlo_reply.code if ehlo_reply is not None else None,
        'extensions': {},
        'auth_mechanisms': [],
        'starttls_offered': False,
    }
    if ehlo_reply is not None and ehlo_reply.code == 250:
        dummy_greeting, extensions = parse_ehlo(ehlo_reply)
        result['extensions'] = extensions
        result['auth_mechanisms'] = auth_mechanisms(extensions)
        result['starttls_offered'] = 'STARTTLS' in extensions
    return result
