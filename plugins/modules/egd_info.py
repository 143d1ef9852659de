#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: egd_info
short_description: Speak the EGD protocol to an entropy daemon's socket and report what it serves
version_added: 0.2.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - Connects to the Unix socket of an EGD-speaking entropy daemon (prngd, entropybroker's
    C(eb_client_egd), egd.pl), asks how much entropy it has (command C(0x00)) and reads
    O(bytes) bytes from it, the way OpenSSL's C(RAND_egd()) does for sendmail's
    C(RandFile=egd:/path) (command C(0x01), or C(0x02) with O(blocking=true)).
  - Reports the socket's type, owner and mode, the entropy level, and how many bytes came back.
    The bytes themselves are never returned.
  - Fails with a message that says what went wrong when there is no socket, nothing listens on
    it, the peer does not speak EGD, or it does not answer within O(timeout).
extends_documentation_fragment:
  - mailrelay.sendmail._attributes
  - mailrelay.sendmail._attributes.READ_ONLY
options:
  path:
    description: The daemon's Unix socket (sendmail's C(RandFile) without the C(egd:) prefix).
    type: path
    default: /var/run/egd-pool
  bytes:
    description:
      - How many bytes to read (1 to 255; C(RAND_egd()) asks for 255). C(0) only asks for the
        entropy level.
    type: int
    default: 32
  blocking:
    description:
      - Read with the blocking command C(0x02), which waits until the daemon has O(bytes) bytes,
        instead of C(0x01), which returns what the daemon has at once.
    type: bool
    default: false
  query_pid:
    description:
      - Also ask for the daemon's process id (command C(0x04)). prngd answers it;
        entropybroker's C(eb_client_egd) does not, so this would time out there.
    type: bool
    default: false
  timeout:
    description: Seconds to wait for the connection and for each answer.
    type: float
    default: 10
notes:
  - Some daemons answer the entropy level query with a constant (entropybroker's C(eb_client_egd)
    always says 9999 bits). The read is the real test.
  - Each run takes O(bytes) bytes out of the daemon's pool; keep O(bytes) small in checks that run often.
seealso:
  - module: mailrelay.sendmail.sendmail_info
"""

EXAMPLES = r"""
- name: Read 32 bytes from the EGD socket sendmail's RandFile points at
  mailrelay.sendmail.egd_info:
    path: /var/run/egd-pool
  register: egd

- name: The daemon must hand out what was asked for
  ansible.builtin.assert:
    that:
      - egd.bytes_read == 32
      - egd.socket.mode == '0600'
    fail_msg: "{{ egd.socket.path }} served {{ egd.bytes_read }} of 32 bytes"

- name: Only ask for the entropy level and the pid (prngd)
  mailrelay.sendmail.egd_info:
    path: /var/run/egd-pool
    bytes: 0
    query_pid: true
  register: egd_level

- name: Wait for a freshly started daemon to have the bytes
  mailrelay.sendmail.egd_info:
    bytes: 16
    blocking: true
    timeout: 30
"""

RETURN = r"""
socket:
  description: The socket spoken to, and what is at its path.
  returned: always
  type: dict
  sample: {path: /var/run/egd-pool, exists: true, type: socket, mode: "0600", owner: root, group: root}
  contains:
    path:
      description: O(path).
      type: str
    exists:
      description: Whether anything is at O(path).
      type: bool
    type:
      description: C(socket), C(file), C(directory) or C(other); missing when nothing is there.
      type: str
    mode:
      description: Permission bits as four octal digits.
      type: str
    owner:
      description: Owner name (the uid as a string when it has no name).
      type: str
    group:
      description: Group name (the gid as a string when it has no name).
      type: str
entropy_bits:
  description: The daemon's answer to the entropy level query (command C(0x00)), in bits.
  returned: success
  type: int
  sample: 9999
command:
  description: The read command used, C(0x01) or C(0x02); null when O(bytes=0).
  returned: success
  type: str
  sample: "0x01"
bytes_requested:
  description: O(bytes).
  returned: always
  type: int
  sample: 32
bytes_read:
  description: How many bytes the daemon handed out.
  returned: success
  type: int
  sample: 32
distinct_bytes:
  description: How many different byte values were among them (a pool of zeros gives 1).
  returned: success
  type: int
  sample: 31
pid:
  description: The process id the daemon reported; null unless O(query_pid=true).
  returned: success
  type: str
  sample: "4242"
elapsed:
  description: Seconds the conversation took.
  returned: success
  type: float
  sample: 0.004
"""

import grp
import os
import pwd
import stat
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailrelay.sendmail.plugins.module_utils._egd import (
    MAX_READ,
    EGDClient,
    EGDError,
    EGDProtocolError,
    plausible_level,
    summarize_bytes,
)


def _name(lookup, ident):
    try:
        return lookup(ident)[0]
    except KeyError:
        return str(ident)


def describe_socket(path):
    try:
        st = os.stat(path)
    except OSError:
        return {'path': path, 'exists': False}
    if stat.S_ISSOCK(st.st_mode):
        kind = 'socket'
    elif stat.S_ISREG(st.st_mode):
        kind = 'file'
    elif stat.S_ISDIR(st.st_mode):
        kind = 'directory'
    else:
        kind = 'other'
    return {
        'path': path,
        'exists': True,
        'type': kind,
        'mode': '%04o' % stat.S_IMODE(st.st_mode),
        'owner': _name(pwd.getpwuid, st.st_uid),
        'group': _name(grp.getgrgid, st.st_gid),
    }


def argument_spec():
    return dict(
        path=dict(type='path', default='/var/run/egd-pool'),
        bytes=dict(type='int', default=32),
        blocking=dict(type='bool', default=False),
        query_pid=dict(type='bool', default=False),
        timeout=dict(type='float', default=10),
    )


def run_probe(params):
    """Talk to the socket; returns (result, error message or None)."""
    path = params['path']
    # no top-level 'path' key: AnsibleModule would add that file's attributes to the result
    result = {'socket': describe_socket(path), 'bytes_requested': params['bytes']}
    if not 0 <= params['bytes'] <= MAX_READ:
        return result, 'bytes must be between 0 and %d (one EGD read), not %d' % (MAX_READ, params['bytes'])
    if not result['socket']['exists']:
        return result, 'no socket at %s: is the entropy daemon running, and is this the path in RandFile?' % path
    if result['socket']['type'] != 'socket':
        return result, '%s is a %s, not a socket' % (path, result['socket']['type'])
    started = time.monotonic()
    try:
        with EGDClient(path, params['timeout']) as client:
            level = client.entropy_level()
            if not plausible_level(level):
                raise EGDProtocolError('%s answered the entropy level query with %s: not an EGD daemon'
                                       % (path, level.to_bytes(4, 'big')))
            result['entropy_bits'] = level
            data = b''
            result['command'] = None
            if params['bytes']:
                if params['blocking']:
                    result['command'] = '0x02'
                    data = client.read_blocking(params['bytes'])
                else:
                    result['command'] = '0x01'
                    data = client.read_nonblocking(params['bytes'])
            result.update(summarize_bytes(data))
            result['pid'] = client.pid() if params['query_pid'] else None
    except EGDError as exc:
        return result, str(exc)
    result['elapsed'] = round(time.monotonic() - started, 3)
    return result, None


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    result, error = run_probe(module.params)
    if error:
        module.fail_json(msg=error, changed=False, **result)
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
