# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Wait for an async job quietly, showing the lines of its progress file as they appear.

Documentation: plugins/modules/job_wait.py.
"""

from __future__ import annotations

import base64
import binascii
import shlex
import time

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

display = Display()

ARGUMENT_SPEC = dict(
    jid=dict(type='str', required=True),
    progress_file=dict(type='str'),
    label=dict(type='str'),
    timeout=dict(type='int', default=3600),
    poll=dict(type='int', default=3),
)
CHUNK_LIMIT = 64 * 1024   # bytes of progress read per round trip
STDERR_TAIL = 20          # lines of the job's stderr (or stdout) in the failure message


# ---------------------------------------------------------------------------------------
# the pure parts, unit-tested

def tail_command(path, offset, limit=CHUNK_LIMIT):
    """A POSIX shell command printing the file's size, then (base64) at most `limit` bytes from `offset`."""
    quoted = shlex.quote(path)
    return ('if [ -f {p} ]; then wc -c < {p}; tail -c +{start} {p} | head -c {limit} | base64; '
            'else echo missing; fi').format(p=quoted, start=offset + 1, limit=limit)


def parse_tail(stdout, offset):
    """Read tail_command()'s output: returns (new offset, new bytes)."""
    first, dummy, rest = (stdout or '').strip().partition('\n')
    first = first.strip()
    if not first.isdigit():  # missing (not written yet) or unreadable: try again later
        return offset, b''
    if int(first) < offset:  # truncated or replaced: start again from the beginning
        return 0, b''
    try:
        data = base64.b64decode(''.join(rest.split()), validate=True)
    except (binascii.Error, ValueError):
        return offset, b''
    return offset + len(data), data


def split_lines(pending, chunk, final=False):
    """Complete lines from pending + chunk; returns (lines as text, the incomplete rest as bytes)."""
    data = pending + chunk
    parts = data.split(b'\n')
    rest = parts.pop()
    if final and rest:
        parts.append(rest)
        rest = b''
    return [part.rstrip(b'\r').decode('utf-8', 'replace') for part in parts], rest


def output_tail(status, lines=STDERR_TAIL):
    """The end of the job's stderr, or of its stdout when stderr is empty."""
    for key in ('stderr', 'stdout'):
        text = status.get(key) or ''
        if isinstance(text, str) and text.strip():
            return '\n'.join(text.rstrip().splitlines()[-lines:])
    return ''


def failure_message(label, jid, status):
    reason = status.get('msg') or ''
    rc = status.get('rc')
    head = '%s: job %s failed' % (label, jid)
    if rc not in (None, 0):
        head += ' (rc=%s)' % rc
    if reason:
        head += ': %s' % reason
    tail = output_tail(status)
    return head + ('\n' + tail if tail else '')


def job_failed(status):
    return bool(status.get('failed')) or status.get('rc') not in (None, 0)


# ---------------------------------------------------------------------------------------

class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp

        dummy_validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        jid = args['jid']
        label = args['label'] or self._task.delegate_to or task_vars.get('inventory_hostname') or 'job'
        poll = max(1, args['poll'])
        timeout = max(1, args['timeout'])

        async_dir = self._remote_expand_user(self.get_shell_option('async_dir', default='~/.ansible_async'))
        started = time.monotonic()
        progress = dict(offset=0, pending=b'', lines=0)
        try:
            while True:
                status = self._execute_module(module_name='ansible.legacy.async_status', task_vars=task_vars,
                                              module_args=dict(jid=jid, mode='status', _async_dir=async_dir))
                if args['progress_file']:
                    self._show_progress(args['progress_file'], label, progress)
                if status.get('unreachable'):
                    result.update(status)
                    return result
                if status.get('finished'):
                    break
                if time.monotonic() - started >= timeout:
                    result.update(status)
                    result.update(failed=True, finished=False, waited=round(time.monotonic() - started, 1),
                                  msg='%s: job %s still runs after %ds (timeout); it goes on in the background'
                                      % (label, jid, timeout))
                    return result
                time.sleep(poll)
            if args['progress_file']:
                for dummy in range(16):  # what the job wrote just before it ended
                    if not self._show_progress(args['progress_file'], label, progress):
                        break
                self._show_progress(args['progress_file'], label, progress, final=True, read=False)
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)

        result.update(status)
        result['finished'] = True
        result['waited'] = round(time.monotonic() - started, 1)
        result['progress_lines'] = progress['lines']
        if job_failed(status):
            # ansible-core 2.19 keeps the module's own error summary in `exception` and shows that;
            # ours names the job and carries the end of its stderr
            result.pop('exception', None)
            result['failed'] = True
            result['msg'] = failure_message(label, jid, status)
        return result

    def _show_progress(self, path, label, progress, final=False, read=True):
        """Read what was added to the progress file and display its complete lines. True if anything was new."""
        chunk = b''
        if read:
            res = self._low_level_execute_command(tail_command(path, progress['offset']), sudoable=True)
            if res.get('rc', 1) == 0:
                offset, chunk = parse_tail(res.get('stdout', ''), progress['offset'])
                if offset < progress['offset']:  # the file was truncated: its old partial line is gone
                    progress['pending'] = b''
                progress['offset'] = offset
        lines, progress['pending'] = split_lines(progress['pending'], chunk, final=final)
        for line in lines:
            display.display('[%s] %s' % (label, line))
        progress['lines'] += len(lines)
        return bool(chunk)
