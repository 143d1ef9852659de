# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""job_wait: the progress logic as pure functions (the shell command run for real against a
file), and the whole action in a real ansible-playbook run with a delegated async job."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from ansible_collections.mailrelay.sendmail.plugins.action import job_wait


def tail(path, offset, limit=job_wait.CHUNK_LIMIT):
    out = subprocess.run(['sh', '-c', job_wait.tail_command(path, offset, limit)], check=True,
                         stdout=subprocess.PIPE).stdout.decode()
    return job_wait.parse_tail(out, offset)


def test_tail_reads_only_the_new_part(tmp_path):
    path = str(tmp_path / "progress with 'quotes'")
    assert tail(path, 0) == (0, b'')                       # not there yet
    first, second = b'0:01 unpack\n0:02 conf', 'igure \u2713\n'.encode()
    with open(path, 'wb') as handle:
        handle.write(first)
    assert tail(path, 0) == (21, first)
    with open(path, 'ab') as handle:
        handle.write(second)
    assert tail(path, 21) == (31, second)
    assert tail(path, 31) == (31, b'')
    assert tail(path, 0, limit=5) == (5, b'0:01 ')           # at most `limit` bytes a round trip
    with open(path, 'wb') as handle:
        handle.write(b'new\n')
    assert tail(path, 31) == (0, b'')                       # truncated: start again


@pytest.mark.parametrize('pending, chunk, final, lines, rest', [
    (b'', b'a\nb\n', False, ['a', 'b'], b''),
    (b'', b'a\nb', False, ['a'], b'b'),
    (b'b', b'c\r\n', False, ['bc'], b''),
    (b'', b'', False, [], b''),
    (b'half', b'', True, ['half'], b''),
    (b'', b'\xe2\x9c', False, [], b'\xe2\x9c'),             # a character split between two reads
    (b'\xe2\x9c', b'\x93 done\n', False, ['\u2713 done'], b''),
])
def test_split_lines(pending, chunk, final, lines, rest):
    assert job_wait.split_lines(pending, chunk, final) == (lines, rest)


@pytest.mark.parametrize('status, failed, message', [
    ({'rc': 0, 'stdout': 'ok'}, False, None),
    ({'rc': 2, 'stderr': '\n'.join('line %d' % n for n in range(30))}, True, 'builder: job j1 failed (rc=2)\nline 10\n'),
    ({'failed': True, 'msg': 'could not find job'}, True, 'builder: job j1 failed: could not find job'),
    ({'rc': 1, 'stderr': '', 'stdout': 'make: *** [all] Error 2'}, True, 'make: *** [all] Error 2'),
])
def test_failure_detection(status, failed, message):
    assert job_wait.job_failed(status) is failed
    if message:
        assert message in job_wait.failure_message('builder', 'j1', status)
        assert 'line 9\n' not in job_wait.failure_message('builder', 'j1', status)


def _ansible_playbook():
    candidate = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
    return candidate if os.path.exists(candidate) else shutil.which('ansible-playbook')


def _collections_path():
    for entry in sys.path:
        if os.path.isdir(os.path.join(entry, 'ansible_collections', 'mailrelay', 'sendmail')):
            return entry
    return None


@pytest.mark.skipif(_ansible_playbook() is None, reason='needs ansible-playbook')
def test_playbook_with_a_delegated_job(tmp_path):
    progress = tmp_path / 'progress'
    (tmp_path / 'ansible.cfg').write_text('[defaults]\n')  # not the checkout's ansible.cfg
    (tmp_path / 'inventory').write_text('relay1 ansible_connection=local ansible_python_interpreter=%s\n' % sys.executable)
    (tmp_path / 'play.yml').write_text(textwrap.dedent('''\
        - hosts: relay1
          gather_facts: false
          vars:
            ansible_python_interpreter: {python}
          tasks:
            - name: Start a job that reports progress
              ansible.builtin.shell: |
                for step in configure make install; do echo "0:0$((n=n+1)) SASL: $step" >> {progress}; sleep 1; done
                printf 'no newline at the end' >> {progress}
                echo built
              async: 60
              poll: 0
              register: job
              delegate_to: localhost

            - name: Wait for it
              mailrelay.sendmail.job_wait:
                jid: "{{{{ job.ansible_job_id }}}}"
                progress_file: {progress}
                label: builder-debian-12
                poll: 1
                timeout: 30
              delegate_to: localhost
              register: waited

            - name: Check the result
              ansible.builtin.assert:
                that:
                  - waited.finished
                  - waited.rc == 0
                  - waited.stdout == 'built'
                  - waited.progress_lines == 4

            - name: Start a job that fails
              ansible.builtin.shell: "echo 'configure: error: no libdb' >&2; exit 3"
              async: 60
              poll: 0
              register: bad
              delegate_to: localhost

            - name: Wait for the failing job
              mailrelay.sendmail.job_wait:
                jid: "{{{{ bad.ansible_job_id }}}}"
                poll: 1
              delegate_to: localhost
              register: bad_result
              ignore_errors: true

            - name: Wait for a job that does not exist
              mailrelay.sendmail.job_wait:
                jid: j-no-such-job
                poll: 1
              register: missing_result
              ignore_errors: true

            - name: Start a job that outlasts the wait
              ansible.builtin.command: sleep 8
              async: 60
              poll: 0
              register: slow

            - name: Wait too briefly
              mailrelay.sendmail.job_wait:
                jid: "{{{{ slow.ansible_job_id }}}}"
                poll: 1
                timeout: 2
              register: slow_result
              ignore_errors: true

            - name: Check the failures
              ansible.builtin.assert:
                that:
                  - bad_result is failed
                  - "'job ' ~ bad.ansible_job_id ~ ' failed (rc=3)' in bad_result.msg"
                  - "'configure: error: no libdb' in bad_result.msg"
                  - missing_result is failed
                  - "'could not find job' in missing_result.msg"
                  - slow_result is failed
                  - not slow_result.finished
                  - "'still runs after 2s (timeout)' in slow_result.msg"
        ''').format(python=sys.executable, progress=progress))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=_collections_path() or '', ANSIBLE_NOCOLOR='1',
               ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_INVENTORY_UNPARSED_WARNING='0', ANSIBLE_CONFIG=str(tmp_path / 'ansible.cfg'),
               # everything in tmp_path: any user can run this, and job_wait must find jobs in a non-default async_dir
               ANSIBLE_REMOTE_TMP=str(tmp_path / 'remote-tmp'), ANSIBLE_LOCAL_TEMP=str(tmp_path / 'local-tmp'),
               ANSIBLE_ASYNC_DIR=str(tmp_path / 'async'))
    run = subprocess.run([_ansible_playbook(), '-i', str(tmp_path / 'inventory'), str(tmp_path / 'play.yml')],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=str(tmp_path), timeout=180,
                         check=False)
    out = run.stdout.decode()
    assert run.returncode == 0, out
    shown = [line for line in out.splitlines() if line.startswith('[builder-debian-12]')]
    assert shown == ['[builder-debian-12] 0:01 SASL: configure', '[builder-debian-12] 0:02 SASL: make',
                     '[builder-debian-12] 0:03 SASL: install', '[builder-debian-12] no newline at the end'], out
    assert 'RETRYING' not in out
    assert len(os.listdir(str(tmp_path / 'async'))) >= 3  # the jobs were where job_wait looked
    assert 'Task failed: Action failed: relay1: job j-no-such-job failed: could not find job' in out
