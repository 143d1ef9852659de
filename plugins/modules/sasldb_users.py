#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: sasldb_users
short_description: Manage Cyrus SASL sasldb users (the passwords sendmail's SMTP AUTH checks)
version_added: 0.1.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - Creates, updates and deletes users in a Cyrus SASL sasldb file with C(saslpasswd2 -a <app>),
    and gives the file the owner, group and mode sendmail accepts.
  - sasldb keeps passwords in clear text, so whether a given password is the stored one cannot
    be asked cheaply. The module remembers a salted sha256 of each password it set, in a
    root-only state file, and resets a password only when the one given differs
    (O(update_password=on_change)).
  - Passwords are never returned, logged or shown in a diff; the diff lists user names only.
extends_documentation_fragment:
  - mailrelay.sendmail._attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff shows the users (C(name@realm)) before and after, never passwords.
  idempotent:
    support: full
    details:
      - Not with O(update_password=always), which resets every password on every run.
options:
  users:
    description:
      - The users to manage. Users in the sasldb that are not listed are left alone, unless
        O(exclusive) is set.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: User name, without realm.
        type: str
        required: true
      password:
        description: Password; required when O(users[].state=present).
        type: str
      realm:
        description: Realm; defaults to O(realm).
        type: str
      state:
        description: Whether the user exists.
        type: str
        choices: [present, absent]
        default: present
  exclusive:
    description:
      - Delete every user of the sasldb that O(users) does not list (with the realm it would get),
        so that the list is the whole truth and a user removed from it can no longer log in.
    type: bool
    default: false
    version_added: 0.2.0
  realm:
    description:
      - Default realm. sendmail looks users up as C(name@realm) with the realm it is given by
        C(AuthRealm), which defaults to its host name C($j); the two must agree.
    type: str
    required: true
  path:
    description: The sasldb file.
    type: path
    default: /etc/sasldb2
  app_name:
    description: Application name passed to C(saslpasswd2 -a).
    type: str
    default: Sendmail
  update_password:
    description:
      - C(on_change) resets a password when it differs from the one this module last set.
      - C(on_create) never touches the password of an existing user.
      - C(always) resets every password on every run (and reports a change every time).
    type: str
    choices: [on_change, on_create, always]
    default: on_change
  state_file:
    description: Where the salted hashes of the passwords set are kept (mode 0600).
    type: path
    default: /var/lib/mailrelay/cyrus_sasl.users
  saslpasswd2:
    description: Path of C(saslpasswd2).
    type: path
    default: /usr/local/sbin/saslpasswd2
  sasldblistusers2:
    description: Path of C(sasldblistusers2).
    type: path
    default: /usr/local/sbin/sasldblistusers2
  owner:
    description: Owner of the sasldb file.
    type: str
    default: root
  group:
    description: Group of the sasldb file.
    type: str
    default: root
  mode:
    description:
      - Mode of the sasldb file. sendmail refuses a group-readable sasldb unless
        C(DontBlameSendmail) contains C(GroupReadableSASLDBFile).
    type: raw
    default: "0600"
notes:
  - The role C(mailrelay.sendmail.cyrus_sasl) builds Cyrus SASL and calls this module for its C(cyrus_sasl_users).
"""

EXAMPLES = r"""
- name: Two relay users
  mailrelay.sendmail.sasldb_users:
    realm: relay1.example.org
    users:
      - name: alice
        password: "{{ vault_alice_password }}"
      - name: bob
        password: "{{ vault_bob_password }}"
      - name: mallory
        state: absent
"""

RETURN = r"""
created:
  description: Users created (C(name@realm)).
  returned: always
  type: list
  elements: str
  sample: [alice@relay1.example.org]
updated:
  description: Users whose password was reset.
  returned: always
  type: list
  elements: str
  sample: []
deleted:
  description: Users deleted.
  returned: always
  type: list
  elements: str
  sample: [mallory@relay1.example.org]
users:
  description: All users in the sasldb afterwards (in check mode, as they would be).
  returned: always
  type: list
  elements: str
  sample: [alice@relay1.example.org, bob@relay1.example.org]
"""

import hashlib
import hmac
import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule


def digest(salt, key, password):
    return hashlib.sha256(('%s:%s:%s' % (salt, key, password)).encode('utf-8')).hexdigest()


def list_users(module):
    if not os.path.exists(module.params['path']):
        return []
    rc, out, err = module.run_command([module.params['sasldblistusers2'], '-f', module.params['path']])
    if rc != 0:
        module.fail_json(msg='sasldblistusers2 failed (rc=%d): %s' % (rc, (err or out).strip()))
    users = []
    for line in out.splitlines():
        key, sep, kind = line.rpartition(': ')
        if sep and kind.strip() == 'userPassword':
            users.append(key)
    return users


def load_state(path):
    try:
        with open(path) as handle:
            state = json.load(handle)
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def save_state(path, state):
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.sasldb_users.')
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, 'w') as handle:
            json.dump(state, handle, indent=2, sort_keys=True)
            handle.write('\n')
        os.rename(tmp, path)
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main():
    module = AnsibleModule(
        argument_spec=dict(
            users=dict(type='list', elements='dict', required=True, options=dict(
                name=dict(type='str', required=True),
                password=dict(type='str', no_log=True),
                realm=dict(type='str'),
                state=dict(type='str', choices=['present', 'absent'], default='present'),
            )),
            realm=dict(type='str', required=True),
            exclusive=dict(type='bool', default=False),
            path=dict(type='path', default='/etc/sasldb2'),
            app_name=dict(type='str', default='Sendmail'),
            update_password=dict(type='str', choices=['on_change', 'on_create', 'always'], default='on_change'),
            state_file=dict(type='path', default='/var/lib/mailrelay/cyrus_sasl.users'),
            saslpasswd2=dict(type='path', default='/usr/local/sbin/saslpasswd2'),
            sasldblistusers2=dict(type='path', default='/usr/local/sbin/sasldblistusers2'),
            owner=dict(type='str', default='root'),
            group=dict(type='str', default='root'),
            mode=dict(type='raw', default='0600'),
        ),
        supports_check_mode=True,
    )
    params = module.params
    missing = [u['name'] for u in params['users'] if u['state'] == 'present' and u.get('password') is None]
    if missing:
        module.fail_json(msg='users %s have state=present but no password' % ', '.join(missing))
    for tool in ('saslpasswd2', 'sasldblistusers2'):
        if not os.access(params[tool], os.X_OK):
            module.fail_json(msg='%s not found at %s (is Cyrus SASL built?)' % (tool, params[tool]))

    before = list_users(module)
    state = load_state(params['state_file'])
    salt = state.get('salt') or hashlib.sha256(os.urandom(32)).hexdigest()[:32]
    known = dict(state.get('users') or {})

    created, updated, deleted = [], [], []
    plan = []  # (action, user, realm, key)
    for user in params['users']:
        realm = user.get('realm') or params['realm']
        key = '%s@%s' % (user['name'], realm)
        if user['state'] == 'absent':
            known.pop(key, None)
            if key in before:
                plan.append(('delete', user, realm, key))
                deleted.append(key)
            continue
        wanted = digest(salt, key, user['password'])
        if key not in before:
            plan.append(('set', user, realm, key))
            created.append(key)
        elif (params['update_password'] == 'always'
              or (params['update_password'] == 'on_change' and not hmac.compare_digest(known.get(key, ''), wanted))):
            plan.append(('set', user, realm, key))
            updated.append(key)
        if plan and plan[-1][3] == key or params['update_password'] != 'on_create':
            known[key] = wanted  # on_create keeps no hash for a password it did not set

    if params['exclusive']:
        listed = set('%s@%s' % (u['name'], u.get('realm') or params['realm']) for u in params['users'])
        for key in sorted(set(before) - listed):
            name, _sep, realm = key.rpartition('@')
            known.pop(key, None)
            plan.append(('delete', {'name': name}, realm, key))
            deleted.append(key)

    after = sorted((set(before) | set(created)) - set(deleted))
    changed = bool(plan)

    if not module.check_mode:
        for action, user, realm, key in plan:
            argv = [params['saslpasswd2']]
            if action == 'set':
                argv += ['-p', '-c', '-a', params['app_name'], '-u', realm, '-f', params['path'], user['name']]
                rc, out, err = module.run_command(argv, data=user['password'], binary_data=False)
            else:
                argv += ['-d', '-a', params['app_name'], '-u', realm, '-f', params['path'], user['name']]
                rc, out, err = module.run_command(argv)
            if rc != 0:
                module.fail_json(msg='saslpasswd2 failed for %s (rc=%d): %s' % (key, rc, (err or out).strip()),
                                 created=created, updated=updated, deleted=deleted, users=before)
        new_state = {'salt': salt, 'users': dict((k, v) for k, v in known.items() if k in after)}
        if new_state != state:
            save_state(params['state_file'], new_state)

    if os.path.exists(params['path']):
        file_args = module.load_file_common_arguments(dict(
            path=params['path'], owner=params['owner'], group=params['group'], mode=params['mode']))
        changed = module.set_fs_attributes_if_different(file_args, changed)

    result = dict(changed=changed, created=created, updated=updated, deleted=deleted, users=after)
    if module._diff:
        result['diff'] = dict(before='\n'.join(sorted(before)) + '\n', after='\n'.join(after) + '\n',
                              before_header='%s (users)' % params['path'], after_header='%s (users)' % params['path'])
    module.exit_json(**result)


if __name__ == '__main__':
    main()
