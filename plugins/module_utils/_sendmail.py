# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private helpers for sendmail_info: parse what a sendmail binary says about itself.

This is a private module_utils (leading underscore): no API promise outside this collection.
The functions are pure so that unit tests can feed them captured sendmail output.
"""

from __future__ import annotations


import os
import re
import select
import subprocess
import time

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp import (
    SMTPProtocolError,
    auth_mechanisms,
    parse_ehlo,
    parse_reply,
    parse_reply_line,
)

_VERSION = re.compile(r'^Version\s+(\S+)\s*$')
# The option lists sendmail prints with -d0.1 ("Compiled with"), -d0.10 ("OS Defines"),
# -d0.12 ("libsm Defines") and -d0.13 ("FFR Defines"); sm_printoptions() continues a list on
# lines that start with two tabs.
_SECTIONS = {
    'Compiled with': 'compiled_with',
    'OS Defines': 'os_defines',
    'libsm Defines': 'libsm_defines',
    'FFR Defines': 'ffr_defines',
}
_SECTION = re.compile(r'^\s*(%s):\s*(.*)$' % '|'.join(re.escape(name) for name in _SECTIONS))


def parse_version_output(text):
    """Parse the start of `sendmail -d0.1` (or -d0.10 ... -d0.13) output.

    Returns a dict with ``version`` (str or None) and the option lists ``compiled_with``,
    ``os_defines``, ``libsm_defines`` and ``ffr_defines`` (lists of the words in sendmail's
    order, empty when that level was not asked for; ``NEWDB=5.3`` style words are kept whole).
    """
    result = {'version': None}
    result.update((key, []) for key in _SECTIONS.values())
    current = None
    for line in text.splitlines():
        match = _VERSION.match(line)
        if match:
            result['version'] = match.group(1)
            current = None
            continue
        match = _SECTION.match(line)
        if match:
            current = _SECTIONS[match.group(1)]
            result[current].extend(match.group(2).split())
            continue
        # continuation lines are indented (sendmail uses tabs) and carry only option words;
        # the "Conf file:", "Pid file:" lines of -d0.10 are indented too but have a label
        if current and line[:1] in ('\t', ' ') and line.strip() and ':' not in line:
            result[current].extend(line.split())
            continue
        current = None
    return result


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


def parse_ldd(text):
    """Map the libraries in `ldd` output to the files the dynamic linker would load.

    ``libcrypto.so.3 => /lib/x86_64-linux-gnu/libcrypto.so.3 (0x...)`` gives
    ``{'libcrypto.so.3': '/lib/x86_64-linux-gnu/libcrypto.so.3'}``; a library that is not found
    maps to None; the vDSO and the loader line (no "=>") are left out.
    """
    libraries = {}
    for line in text.splitlines():
        name, arrow, rest = line.strip().partition(' => ')
        if not arrow:
            continue
        target = rest.split(' (', 1)[0].strip()
        libraries[name.strip()] = None if target in ('', 'not found') else target
    return libraries


def libcrypto_path(libraries):
    """The libcrypto among parse_ldd()'s libraries (None when the binary does not link one)."""
    for name in sorted(libraries):
        if name.startswith('libcrypto.so'):
            return libraries[name]
    return None


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


class SessionError(Exception):
    pass


class StdioSession:
    """An SMTP conversation with `sendmail -bs` over pipes, one reply at a time.

    sendmail 8.18 (and the CVE-2023-51765 backport) answers "554 5.5.0 SMTP protocol error"
    to a client that talks before the greeting, so the commands cannot be handed over at once
    (as AnsibleModule.run_command's data= would): every command waits for the previous reply.
    """

    def __init__(self, argv, timeout):
        self.timeout = timeout
        self.transcript = []
        self._buffer = b''
        # pylint: disable-next=consider-using-with
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, close_fds=True)

    def _readline(self, deadline):
        while b'\n' not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SessionError('no answer within %s seconds' % self.timeout)
            ready, dummy_w, dummy_x = select.select([self.proc.stdout], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                raise SessionError('sendmail closed its output')
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b'\n', 1)
        return to_text(line, errors='surrogate_or_replace').rstrip('\r')

    def read_reply(self):
        deadline = time.monotonic() + self.timeout
        lines = []
        while True:
            line = self._readline(deadline)
            self.transcript.append('S: ' + line)
            lines.append(line)
            replies, dummy_noise = split_replies(lines)
            if replies:
                return replies[0]

    def send(self, command):
        self.transcript.append('C: ' + command)
        try:
            self.proc.stdin.write(command.encode('ascii') + b'\r\n')
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise SessionError('sendmail stopped reading: %s' % exc)

    def close(self):
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def ehlo_session(binary, config, ehlo_name, timeout):
    session = StdioSession([binary, '-C', config, '-bs', '-Am'], timeout)
    banner = ehlo = None
    try:
        banner = session.read_reply()
        if banner.code != 220:
            raise SessionError('greeting is not 220: %s' % banner.summary())
        session.send('EHLO %s' % ehlo_name)
        ehlo = session.read_reply()
        session.send('QUIT')
        session.read_reply()
    except SessionError as exc:
        return banner, ehlo, session.transcript, str(exc)
    finally:
        session.close()
    return banner, ehlo, session.transcript, None
