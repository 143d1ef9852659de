#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: host_state_info
short_description: Look at many files, packages, accounts and systemd units in one round trip
version_added: 0.1.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - Returns, in one module run, what a role needs to decide whether anything must change, namely
    the type, owner, group, mode and sha256 of files and directories; the contents of small
    state files; which Debian packages are installed; whether users and groups exist; and the
    state of systemd units.
  - The roles of this collection call it first and then run a changing task only where the
    host differs from what they want, so that a run with nothing to do costs one round trip
    per role instead of one per file.
extends_documentation_fragment:
  - mailrelay.sendmail._attributes
  - mailrelay.sendmail._attributes.READ_ONLY
options:
  paths:
    description:
      - Paths to describe (without following a final symlink; RV(paths) says where it points).
    type: list
    elements: path
    default: []
  checksum:
    description: Whether to return the sha256 of regular files listed in O(paths).
    type: bool
    default: true
  read:
    description:
      - Small text files whose content to return (at most 64 KiB each), for example build
        fingerprints. Do not list files that hold secrets.
    type: list
    elements: path
    default: []
  packages:
    description: Debian package names to look up with C(dpkg-query).
    type: list
    elements: str
    default: []
  users:
    description: User names to look up.
    type: list
    elements: str
    default: []
  groups:
    description: Group names to look up.
    type: list
    elements: str
    default: []
  units:
    description: systemd units to look up with C(systemctl show).
    type: list
    elements: str
    default: []
  apt_lists:
    description:
      - Whether to report how many package index files apt has. A fresh container or cloud
        image often has none, and then nothing can be installed before C(apt-get update).
    type: bool
    default: false
notes:
  - Nothing is cached; every run looks again.
"""

EXAMPLES = r"""
- name: Look at what the build left behind
  mailrelay.sendmail.host_state_info:
    paths: [/usr/sbin/sendmail, /var/spool/mqueue]
    read: [/var/lib/mailrelay/sendmail_build.build]
    packages: [m4, libdb5.3]
    users: [smmsp]
    groups: [smmsp]
    units: [sendmail.service]
  register: state

- name: Rebuild only when the recorded fingerprint differs
  ansible.builtin.debug:
    msg: "the fingerprint is {{ state.contents['/var/lib/mailrelay/sendmail_build.build'] | default('missing', true) | trim }}"

- name: Fix the queue directory only when it is wrong
  ansible.builtin.file:
    path: /var/spool/mqueue
    state: directory
    mode: "0700"
  when: state.paths['/var/spool/mqueue'].mode != '0700'
"""

RETURN = r"""
paths:
  description: One entry per path in O(paths).
  returned: always
  type: dict
  sample:
    /var/spool/mqueue: {exists: true, type: directory, mode: "0700", owner: root, group: root, uid: 0, gid: 0}
    /usr/sbin/sendmail: {exists: true, type: file, mode: "2555", owner: root, group: smmsp, uid: 0, gid: 110, size: 875472,
                         sha256: 4b1c0d0c4f0e4e1e9c2c3a5b6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90}
  contains:
    exists:
      description: Whether the path exists (a dangling symlink exists).
      type: bool
    type:
      description: C(file), C(directory), C(link) or C(other); missing when the path does not exist.
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
    uid:
      description: Owner uid.
      type: int
    gid:
      description: Group gid.
      type: int
    size:
      description: Size in bytes (regular files).
      type: int
    sha256:
      description: sha256 of a regular file when O(checksum=true).
      type: str
    target:
      description: Where a symlink points.
      type: str
contents:
  description: Content of each file in O(read); null when the file does not exist or is not readable text.
  returned: always
  type: dict
  sample: {/var/lib/mailrelay/sendmail_build.build: "9f2c...\n"}
packages:
  description: Installed version of each package in O(packages); null when it is not installed.
  returned: always
  type: dict
  sample: {m4: 1.4.19-3, libdb5.3: null}
users:
  description: Whether each user in O(users) exists.
  returned: always
  type: dict
  sample: {smmsp: true}
groups:
  description: Whether each group in O(groups) exists.
  returned: always
  type: dict
  sample: {smmsp: true}
apt_lists:
  description: Number of package index files in C(/var/lib/apt/lists) (C(*_Packages*)); null unless O(apt_lists=true).
  returned: always
  type: int
  sample: 4
units:
  description: State of each unit in O(units) (C(LoadState), C(ActiveState), C(UnitFileState) as systemd says them).
  returned: always
  type: dict
  sample: {sendmail.service: {load_state: loaded, active_state: active, unit_file_state: enabled}}
"""

import grp
import hashlib
import os
import pwd
import stat

from ansible.module_utils.basic import AnsibleModule

MAX_READ = 64 * 1024


def _name(lookup, ident):
    try:
        return lookup(ident)[0]
    except KeyError:
        return str(ident)


def describe(path, checksum):
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return {'exists': False}
    except OSError as exc:
        return {'exists': False, 'error': str(exc)}
    info = {
        'exists': True,
        'mode': '%04o' % stat.S_IMODE(st.st_mode),
        'uid': st.st_uid,
        'gid': st.st_gid,
        'owner': _name(pwd.getpwuid, st.st_uid),
        'group': _name(grp.getgrgid, st.st_gid),
    }
    if stat.S_ISLNK(st.st_mode):
        info['type'] = 'link'
        info['target'] = os.readlink(path)
    elif stat.S_ISDIR(st.st_mode):
        info['type'] = 'directory'
    elif stat.S_ISREG(st.st_mode):
        info['type'] = 'file'
        info['size'] = st.st_size
        if checksum:
            digest = hashlib.sha256()
            with open(path, 'rb') as handle:
                for chunk in iter(lambda: handle.read(1024 * 1024), b''):
                    digest.update(chunk)
            info['sha256'] = digest.hexdigest()
    else:
        info['type'] = 'other'
    return info


def read_small(path):
    try:
        with open(path, 'rb') as handle:
            data = handle.read(MAX_READ + 1)
    except OSError:
        return None
    if len(data) > MAX_READ:
        return None
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError:
        return None


def package_versions(module, names):
    result = dict((name, None) for name in names)
    if not names:
        return result
    dpkg_query = module.get_bin_path('dpkg-query')
    if dpkg_query is None:
        module.fail_json(msg='packages can only be looked up on hosts with dpkg-query (Debian family)')
    # unknown names make dpkg-query exit 1 but still print the known ones
    dummy_rc, out, dummy_err = module.run_command([dpkg_query, '-W', '-f', '${Package}\t${db:Status-Status}\t${Version}\n'] + names)
    for line in out.splitlines():
        parts = line.split('\t')
        if len(parts) == 3 and parts[1] == 'installed':
            name = parts[0].split(':', 1)[0]
            if name in result:
                result[name] = parts[2]
    return result


def unit_states(module, names):
    result = {}
    if not names:
        return result
    systemctl = module.get_bin_path('systemctl')
    for name in names:
        state = {'load_state': None, 'active_state': None, 'unit_file_state': None}
        if systemctl is not None:
            rc, out, dummy_err = module.run_command([systemctl, 'show', name, '--property=LoadState,ActiveState,UnitFileState'])
            if rc == 0:
                for line in out.splitlines():
                    key, dummy, value = line.partition('=')
                    if key == 'LoadState':
                        state['load_state'] = value
                    elif key == 'ActiveState':
                        state['active_state'] = value
                    elif key == 'UnitFileState':
                        state['unit_file_state'] = value or None
        result[name] = state
    return result


def apt_list_count(path='/var/lib/apt/lists'):
    try:
        return len([name for name in os.listdir(path) if '_Packages' in name])
    except OSError:
        return 0


def exists(lookup, name):
    try:
        lookup(name)
        return True
    except KeyError:
        return False


def main():
    module = AnsibleModule(
        argument_spec=dict(
            paths=dict(type='list', elements='path', default=[]),
            checksum=dict(type='bool', default=True),
            read=dict(type='list', elements='path', default=[]),
            packages=dict(type='list', elements='str', default=[]),
            users=dict(type='list', elements='str', default=[]),
            groups=dict(type='list', elements='str', default=[]),
            units=dict(type='list', elements='str', default=[]),
            apt_lists=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    result = dict(
        changed=False,
        paths=dict((path, describe(path, params['checksum'])) for path in params['paths']),
        contents=dict((path, read_small(path)) for path in params['read']),
        packages=package_versions(module, params['packages']),
        users=dict((name, exists(pwd.getpwnam, name)) for name in params['users']),
        groups=dict((name, exists(grp.getgrnam, name)) for name in params['groups']),
        units=unit_states(module, params['units']),
        apt_lists=apt_list_count() if params['apt_lists'] else None,
    )
    module.exit_json(**result)


if __name__ == '__main__':
    main()
