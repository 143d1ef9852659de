# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""sasldb_users against stand-ins for saslpasswd2 / sasldblistusers2 that keep a JSON file.

The stand-ins take the real tools' arguments (-p password on stdin, -c, -d, -a, -u, -f) and
print what sasldblistusers2 prints, so the module's commands and parsing are exercised; the
real tools run in the Molecule `build` scenario.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import textwrap

import pytest

from ansible_collections.mailrelay.sendmail.plugins.modules import sasldb_users

SASLPASSWD2 = textwrap.dedent('''\
    #!{python}
    import json, os, sys
    args = sys.argv[1:]
    opts, name = {{}}, args[-1]
    i = 0
    while i < len(args) - 1:
        if args[i] in ('-a', '-u', '-f'):
            opts[args[i]] = args[i + 1]; i += 2
        else:
            opts[args[i]] = True; i += 1
    path = opts['-f']
    db = json.load(open(path)) if os.path.exists(path) else {{}}
    key = name + '@' + opts['-u']
    with open(path + '.log', 'a') as log:
        log.write(' '.join(a for a in args) + '\\n')
    if '-d' in opts:
        db.pop(key, None)
    else:
        password = sys.stdin.read()
        if password.endswith('\\n'):
            password = password[:-1]
        db[key] = password
    new = not os.path.exists(path)
    json.dump(db, open(path, 'w'))
    if new:
        os.chmod(path, 0o640)
''')
LISTUSERS = textwrap.dedent('''\
    #!{python}
    import json, sys
    for key in json.load(open(sys.argv[2])):
        print(key + ': userPassword')
''')


@pytest.fixture
def tools(tmp_path):
    paths = {}
    for name, text in (('saslpasswd2', SASLPASSWD2), ('sasldblistusers2', LISTUSERS)):
        path = tmp_path / name
        path.write_text(text.format(python=sys.executable))
        path.chmod(0o755)
        paths[name] = str(path)
    db = tmp_path / 'sasldb2'
    state = tmp_path / 'state' / 'users.json'
    return dict(paths, path=str(db), state_file=str(state), owner=str(os.getuid()), group=str(os.getgid()))


def args(tools, users, **extra):
    result = dict(tools, users=users, realm='relay1.example.org', _ansible_diff=True)
    result.update(extra)
    return result


def db(tools):
    with open(tools['path']) as handle:
        return json.load(handle)


ALICE_BOB = [{'name': 'alice', 'password': 'alice-secret'}, {'name': 'bob', 'password': 'bob-secret'}]


def test_create_four_ways(run_module, tools):
    # check mode: would create both, touches nothing
    rc, result, out = run_module(sasldb_users, args(tools, ALICE_BOB), check_mode=True)
    assert rc == 0 and result['changed'] is True
    assert result['created'] == ['alice@relay1.example.org', 'bob@relay1.example.org']
    assert not os.path.exists(tools['path'])
    # real: creates both with the right passwords and the mode sendmail wants
    rc, result, out = run_module(sasldb_users, args(tools, ALICE_BOB))
    assert rc == 0 and result['changed'] is True
    assert db(tools) == {'alice@relay1.example.org': 'alice-secret', 'bob@relay1.example.org': 'bob-secret'}
    assert stat.S_IMODE(os.stat(tools['path']).st_mode) == 0o600
    # check mode again, then real again: nothing to do
    for check_mode in (True, False):
        rc, result, out = run_module(sasldb_users, args(tools, ALICE_BOB), check_mode=check_mode)
        assert rc == 0 and result['changed'] is False, result
        assert result['created'] == result['updated'] == result['deleted'] == []
        assert result['users'] == ['alice@relay1.example.org', 'bob@relay1.example.org']


def test_passwords_never_leave_the_host(run_module, tools):
    rc, result, out = run_module(sasldb_users, args(tools, ALICE_BOB))
    assert 'alice-secret' not in out and 'bob-secret' not in out
    assert result['diff']['after'] == 'alice@relay1.example.org\nbob@relay1.example.org\n'
    state_text = open(tools['state_file']).read()
    assert 'alice-secret' not in state_text
    assert stat.S_IMODE(os.stat(tools['state_file']).st_mode) == 0o600
    # the password goes to saslpasswd2 on stdin, never on its command line
    assert 'alice-secret' not in open(tools['path'] + '.log').read()


@pytest.mark.parametrize('policy, expect_update', [('on_change', True), ('on_create', False), ('always', True)])
def test_changed_password(run_module, tools, policy, expect_update):
    run_module(sasldb_users, args(tools, ALICE_BOB, update_password=policy))
    changed = [{'name': 'alice', 'password': 'new-alice-secret'}, ALICE_BOB[1]]
    rc, result, out = run_module(sasldb_users, args(tools, changed, update_password=policy))
    assert result['changed'] is expect_update
    assert (result['updated'] != []) is expect_update
    assert db(tools)['alice@relay1.example.org'] == ('new-alice-secret' if expect_update else 'alice-secret')
    if policy == 'on_change':
        assert result['updated'] == ['alice@relay1.example.org']  # bob's password did not change
        rc, result, out = run_module(sasldb_users, args(tools, changed, update_password=policy))
        assert result['changed'] is False


def test_always_resets_every_run(run_module, tools):
    run_module(sasldb_users, args(tools, ALICE_BOB, update_password='always'))
    rc, result, out = run_module(sasldb_users, args(tools, ALICE_BOB, update_password='always'))
    assert result['changed'] is True
    assert result['updated'] == ['alice@relay1.example.org', 'bob@relay1.example.org']


def test_user_created_elsewhere_gets_the_given_password(run_module, tools):
    # a user that exists without a recorded hash (made by hand) is reset once, then left alone
    with open(tools['path'], 'w') as handle:
        json.dump({'alice@relay1.example.org': 'typed-by-hand'}, handle)
    rc, result, out = run_module(sasldb_users, args(tools, ALICE_BOB[:1]))
    assert result['updated'] == ['alice@relay1.example.org']
    assert db(tools)['alice@relay1.example.org'] == 'alice-secret'
    rc, result, out = run_module(sasldb_users, args(tools, ALICE_BOB[:1]))
    assert result['changed'] is False


def test_absent_and_realm(run_module, tools):
    run_module(sasldb_users, args(tools, ALICE_BOB + [{'name': 'carol', 'password': 'c', 'realm': 'other.example'}]))
    rc, result, out = run_module(sasldb_users, args(tools, [{'name': 'bob', 'state': 'absent'},
                                                            {'name': 'mallory', 'state': 'absent'}]))
    assert result['changed'] is True
    assert result['deleted'] == ['bob@relay1.example.org']
    assert sorted(db(tools)) == ['alice@relay1.example.org', 'carol@other.example']
    rc, result, out = run_module(sasldb_users, args(tools, [{'name': 'bob', 'state': 'absent'}]))
    assert result['changed'] is False


def test_mode_is_fixed(run_module, tools):
    run_module(sasldb_users, args(tools, ALICE_BOB))
    os.chmod(tools['path'], 0o644)
    rc, result, out = run_module(sasldb_users, args(tools, ALICE_BOB), check_mode=True)
    assert result['changed'] is True
    assert stat.S_IMODE(os.stat(tools['path']).st_mode) == 0o644
    rc, result, out = run_module(sasldb_users, args(tools, ALICE_BOB))
    assert result['changed'] is True
    assert stat.S_IMODE(os.stat(tools['path']).st_mode) == 0o600


def test_present_without_password_fails(run_module, tools):
    rc, result, out = run_module(sasldb_users, args(tools, [{'name': 'alice'}]))
    assert rc == 1
    assert 'alice' in result['msg'] and 'no password' in result['msg']
    assert not os.path.exists(tools['path'])


def test_missing_tools_fail_cleanly(run_module, tools, tmp_path):
    rc, result, out = run_module(sasldb_users, args(tools, ALICE_BOB, saslpasswd2=str(tmp_path / 'none')))
    assert rc == 1
    assert 'saslpasswd2 not found' in result['msg']


@pytest.mark.parametrize('exclusive, expect_left', [
    (True, {'alice@relay1.example.org'}),
    (False, {'alice@relay1.example.org', 'bob@relay1.example.org'}),
])
def test_exclusive_removes_users_no_longer_listed(run_module, tools, exclusive, expect_left):
    run_module(sasldb_users, args(tools, ALICE_BOB))
    only_alice = ALICE_BOB[:1]
    rc, result, out = run_module(sasldb_users, args(tools, only_alice, exclusive=exclusive), check_mode=True)
    assert rc == 0 and result['changed'] is exclusive
    assert set(db(tools)) == {'alice@relay1.example.org', 'bob@relay1.example.org'}  # check mode touched nothing
    rc, result, out = run_module(sasldb_users, args(tools, only_alice, exclusive=exclusive))
    assert rc == 0 and result['changed'] is exclusive
    assert result['deleted'] == (['bob@relay1.example.org'] if exclusive else [])
    assert set(db(tools)) == expect_left
    assert 'bob-secret' not in out and 'alice-secret' not in out
    rc, result, out = run_module(sasldb_users, args(tools, only_alice, exclusive=exclusive))
    assert rc == 0 and result['changed'] is False
