# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""generation and generation_info on a relay layout in a tmp dir."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.mailrelay.sendmail.plugins.module_utils import _generation
from ansible_collections.mailrelay.sendmail.plugins.modules import generation, generation_info

SW_A, SW_B = 'aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb'
SECRET = 'authinfo-password-never-shown'


@pytest.fixture
def root(tmp_path):
    root = tmp_path / 'mailrelay'
    for sw_id in (SW_A, SW_B):
        (root / 'sw' / sw_id / 'sbin').mkdir(parents=True)
        (root / 'sw' / sw_id / 'sbin' / 'sendmail').write_text(sw_id)
    return str(root)


def run(run_module, root, state, check_mode=False, **extra):
    args = dict(root=root, state=state, _ansible_diff=True)
    args.update(extra)
    rc, result, out = run_module(generation, args, check_mode=check_mode)
    assert rc == 0, result
    assert SECRET not in out  # names only, never contents
    return result


def info(run_module, root):
    rc, result, dummy = run_module(generation_info, dict(root=root))
    assert rc == 0 and result['changed'] is False, result
    return result


def fill_next(root, cf='V10/Berkeley\n', sw_id=SW_A, relative_sw=False):
    """What the roles do: sw link, mail/ and certs/ in next/."""
    nxt = os.path.join(root, 'next')
    for sub, mode in (('mail', 0o2755), ('certs', 0o700)):
        os.makedirs(os.path.join(nxt, sub), exist_ok=True)
        os.chmod(os.path.join(nxt, sub), mode)
    link = os.path.join(nxt, 'sw')
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink('../../sw/' + sw_id if relative_sw else os.path.join(root, 'sw', sw_id), link)
    with open(os.path.join(nxt, 'mail', 'sendmail.cf'), 'w') as handle:
        handle.write(cf)
    with open(os.path.join(nxt, 'mail', 'authinfo'), 'w') as handle:
        handle.write('AuthInfo:smarthost "P:%s"\n' % SECRET)
    os.chmod(os.path.join(nxt, 'mail', 'authinfo'), 0o600)
    with open(os.path.join(nxt, 'certs', 'relay.key'), 'w') as handle:
        handle.write('-----BEGIN PRIVATE KEY-----\n')
    os.chmod(os.path.join(nxt, 'certs', 'relay.key'), 0o600)


def current_link(root):
    return os.readlink(os.path.join(root, 'current'))


def history(root):
    with open(os.path.join(root, 'generations', 'history.json')) as handle:
        return json.load(handle)


def switch_to(run_module, root, cf, **extra):
    run(run_module, root, 'staged')
    fill_next(root, cf=cf, **extra)
    return run(run_module, root, 'switched')


def test_staged_on_a_bare_host_four_ways(run_module, root):
    result = run(run_module, root, 'staged', check_mode=True)
    assert result['changed'] is True and result['current'] is None and result['pending'] is False
    assert not os.path.exists(os.path.join(root, 'next')) and not os.path.exists(os.path.join(root, 'generations'))
    result = run(run_module, root, 'staged')
    assert result['changed'] is True and result['next'] == os.path.join(root, 'next')
    assert os.listdir(os.path.join(root, 'next')) == []
    assert stat.S_IMODE(os.stat(os.path.join(root, 'generations')).st_mode) == 0o755
    for check_mode in (True, False):
        result = run(run_module, root, 'staged', check_mode=check_mode)
        assert result['changed'] is False and result['pending'] is False
    fill_next(root)
    result = run(run_module, root, 'staged')
    assert result['changed'] is False and result['pending'] is True
    assert 'mail/sendmail.cf' in result['differences']


def test_first_switch_four_ways(run_module, root):
    run(run_module, root, 'staged')
    fill_next(root)
    result = run(run_module, root, 'switched', check_mode=True)
    assert result['changed'] is True and result['switched'] is True
    assert result['current'] == '0001' and result['previous'] is None
    assert not os.path.lexists(os.path.join(root, 'current'))
    assert os.path.isfile(os.path.join(root, 'next', 'mail', 'sendmail.cf'))

    result = run(run_module, root, 'switched')
    assert result['changed'] is True and result['current'] == '0001'
    assert current_link(root) == 'generations/0001'
    assert result['digests']['before'] is None
    assert 'mail/sendmail.cf' in result['differences'] and 'certs/relay.key' in result['differences']
    with open(os.path.join(root, 'current', 'mail', 'sendmail.cf')) as handle:
        assert handle.read() == 'V10/Berkeley\n'
    # next/ is again a copy of the live generation
    live = _generation.scan_tree(os.path.join(root, 'generations', '0001'))
    assert _generation.scan_tree(os.path.join(root, 'next')) == live
    assert result['digests']['after'] == _generation.tree_digest(live)

    for check_mode in (True, False):
        result = run(run_module, root, 'switched', check_mode=check_mode)
        assert result['changed'] is False and result['switched'] is False and result['current'] == '0001'
    record = history(root)['generations']['0001']
    assert record['status'] == 'live' and record['sw'] == os.path.join(root, 'sw', SW_A) and record['sw_id'] == SW_A
    assert record['digest'] == _generation.tree_digest(live) and len(record['switched_at']) == 1


def test_second_switch_names_the_differences_only(run_module, root):
    switch_to(run_module, root, 'one\n')
    run(run_module, root, 'staged')
    with open(os.path.join(root, 'next', 'mail', 'sendmail.cf'), 'w') as handle:
        handle.write('two\n')
    with open(os.path.join(root, 'next', 'mail', 'authinfo'), 'a') as handle:
        handle.write('AuthInfo:other "P:%s-2"\n' % SECRET)
    os.unlink(os.path.join(root, 'next', 'certs', 'relay.key'))
    result = run(run_module, root, 'switched')
    assert result['current'] == '0002' and result['previous'] == '0001'
    assert result['differences'] == ['certs/relay.key', 'mail/authinfo', 'mail/sendmail.cf']
    assert result['diff']['prepared'].splitlines() == [
        'current: 0001 -> 0002', 'changed: mail/authinfo', 'changed: mail/sendmail.cf', 'removed: certs/relay.key']
    statuses = dict((gid, rec['status']) for gid, rec in history(root)['generations'].items())
    assert statuses == {'0001': 'previous', '0002': 'live'}


def test_copies_are_faithful(run_module, root):
    switch_to(run_module, root, 'cf\n')
    old = os.path.join(root, 'generations', '0001')
    os.utime(os.path.join(old, 'mail', 'sendmail.cf'), (1000000000, 1000000000))
    # recreate next from the live generation: modes with set-group-ID, symlinks, times
    _generation.remove_tree(os.path.join(root, 'next'))
    run(run_module, root, 'staged')
    new = os.path.join(root, 'next')
    assert _generation.scan_tree(new) == _generation.scan_tree(old)
    assert stat.S_IMODE(os.lstat(os.path.join(new, 'mail')).st_mode) == 0o2755
    assert os.readlink(os.path.join(new, 'sw')) == os.path.join(root, 'sw', SW_A)
    for rel in ('mail/sendmail.cf', 'certs/relay.key', 'sw', 'mail'):
        assert os.lstat(os.path.join(new, rel)).st_mtime_ns == os.lstat(os.path.join(old, rel)).st_mtime_ns, rel


def test_rollback_to_previous_byte_for_byte(run_module, root):
    switch_to(run_module, root, 'one\n')
    switch_to(run_module, root, 'two\n')
    switch_to(run_module, root, 'three\n')
    fill_next(root, cf='a candidate\n')
    result = run(run_module, root, 'rolled_back', check_mode=True)
    assert result['changed'] is True and result['from'] == '0003' and result['to'] == '0002'
    assert current_link(root) == 'generations/0003'

    result = run(run_module, root, 'rolled_back')
    assert result['changed'] is True and result['current'] == '0002' and result['differences'] == ['mail/sendmail.cf']
    assert current_link(root) == 'generations/0002'
    with open(os.path.join(root, 'current', 'mail', 'sendmail.cf')) as handle:
        assert handle.read() == 'two\n'
    # the candidate in next/ was replaced by a copy of the generation rolled back to
    with open(os.path.join(root, 'next', 'mail', 'sendmail.cf')) as handle:
        assert handle.read() == 'two\n'
    statuses = dict((gid, rec['status']) for gid, rec in history(root)['generations'].items())
    assert statuses == {'0001': 'previous', '0002': 'live', '0003': 'failed'}
    # the default target skips the failed generation
    result = run(run_module, root, 'rolled_back')
    assert result['to'] == '0001' and current_link(root) == 'generations/0001'
    # rolling back to what is live changes nothing; a number from YAML is an id
    for check_mode in (True, False):
        result = run(run_module, root, 'rolled_back', check_mode=check_mode, to='1')
        assert result['changed'] is False and result['current'] == '0001'
    # a failed generation can be chosen explicitly, and then is live (not failed) again
    result = run(run_module, root, 'rolled_back', to='0003')
    assert result['changed'] is True
    assert history(root)['generations']['0003']['status'] == 'live'
    assert history(root)['generations']['0003']['failed_at'] is None


def test_rollback_refusals(run_module, root):
    rc, result, dummy = run_module(generation, dict(root=root, state='rolled_back'))
    assert rc == 1 and 'nothing is live' in result['msg']
    switch_to(run_module, root, 'one\n')
    rc, result, dummy = run_module(generation, dict(root=root, state='rolled_back'))
    assert rc == 1 and 'no earlier generation' in result['msg'] and '0001' in result['msg']
    rc, result, dummy = run_module(generation, dict(root=root, state='rolled_back', to='0007'))
    assert rc == 1 and 'generation 0007 does not exist' in result['msg']
    # a generation whose software directory is gone cannot become live again
    switch_to(run_module, root, 'two\n', sw_id=SW_B)
    _generation.remove_tree(os.path.join(root, 'sw', SW_A))
    rc, result, dummy = run_module(generation, dict(root=root, state='rolled_back'))
    assert rc == 1 and 'cannot roll back to 0001' in result['msg'] and 'sw ->' in result['msg']
    assert current_link(root) == 'generations/0002'


@pytest.mark.parametrize('breakage, message', [
    ('no sw', 'sw is not a symlink'),
    ('dangling sw', 'does not lead to an installed software directory'),
    ('no cf', 'mail/sendmail.cf is missing'),
    ('empty', 'it is empty'),
])
def test_switch_refuses_an_incomplete_candidate(run_module, root, breakage, message):
    run(run_module, root, 'staged')
    if breakage != 'empty':
        fill_next(root)
    if breakage == 'no sw':
        os.unlink(os.path.join(root, 'next', 'sw'))
    elif breakage == 'dangling sw':
        os.unlink(os.path.join(root, 'next', 'sw'))
        os.symlink(os.path.join(root, 'sw', 'cccccccccccccccc'), os.path.join(root, 'next', 'sw'))
    elif breakage == 'no cf':
        os.unlink(os.path.join(root, 'next', 'mail', 'sendmail.cf'))
    rc, result, dummy = run_module(generation, dict(root=root, state='switched'))
    assert rc == 1 and message in result['msg'], result['msg']
    assert not os.path.lexists(os.path.join(root, 'current'))


def test_relative_sw_link_is_resolved_from_the_generation(run_module, root):
    result = switch_to(run_module, root, 'cf\n', relative_sw=True)
    assert result['current'] == '0001'
    assert os.path.isfile(os.path.join(root, 'current', 'sw', 'sbin', 'sendmail'))
    assert history(root)['generations']['0001']['sw_id'] == SW_A


def test_switch_without_staging_fails(run_module, root):
    rc, result, dummy = run_module(generation, dict(root=root, state='switched'))
    assert rc == 1 and 'run state=staged first' in result['msg']


def test_check_mode_switch_without_next(run_module, root):
    # a whole play in check mode: staged only said it would create next/
    result = run(run_module, root, 'switched', check_mode=True)
    assert result['changed'] is True and result['current'] == '0001'
    assert not os.path.exists(os.path.join(root, 'generations'))
    switch_to(run_module, root, 'one\n')
    _generation.remove_tree(os.path.join(root, 'next'))
    result = run(run_module, root, 'switched', check_mode=True)
    assert result['changed'] is False and result['current'] == '0001'


def test_current_must_be_a_symlink(run_module, root):
    os.makedirs(os.path.join(root, 'current'))
    rc, result, dummy = run_module(generation, dict(root=root, state='staged'))
    assert rc == 1 and 'is not a symlink' in result['msg']


def test_prune_keeps_live_and_previous(run_module, root):
    for number in range(1, 6):
        switch_to(run_module, root, 'cf %d\n' % number)
    assert sorted(os.listdir(os.path.join(root, 'generations'))) == ['0003', '0004', '0005', 'history.json']
    # roll back to 0003: live 0003, 0005 failed; previous is 0004
    run(run_module, root, 'rolled_back', to='0003')
    result = run(run_module, root, 'pruned', keep=1, check_mode=True)
    assert result['changed'] is True and result['pruned'] == ['0005']
    assert os.path.isdir(os.path.join(root, 'generations', '0005'))
    result = run(run_module, root, 'pruned', keep=1)
    assert result['pruned'] == ['0005']
    assert sorted(history(root)['generations']) == ['0003', '0004']
    assert history(root)['events'][-1]['action'] == 'pruned'
    for check_mode in (True, False):
        assert run(run_module, root, 'pruned', keep=1, check_mode=check_mode)['changed'] is False
    # ids are never reused
    assert switch_to(run_module, root, 'cf 6\n')['current'] == '0006'


def test_prune_sw(run_module, root):
    switch_to(run_module, root, 'one\n', sw_id=SW_A)
    os.makedirs(os.path.join(root, 'sw', SW_A + '.corrupt-20250101T000000Z'))
    os.makedirs(os.path.join(root, 'sw', 'cccccccccccccccc'))  # installed, not yet linked by anything
    result = switch_to(run_module, root, 'two\n', sw_id=SW_B)
    assert result['pruned_sw'] == []
    result = run(run_module, root, 'pruned', keep=1, prune_sw=True, check_mode=True)
    assert result['pruned'] == [] and result['pruned_sw'] == ['cccccccccccccccc']  # 0001 (previous) still uses SW_A
    # next/ links the new software: it is kept even though no generation uses it yet
    os.unlink(os.path.join(root, 'next', 'sw'))
    os.symlink(os.path.join(root, 'sw', 'cccccccccccccccc'), os.path.join(root, 'next', 'sw'))
    result = run(run_module, root, 'pruned', keep=1, prune_sw=True)
    assert result['changed'] is False and result['pruned_sw'] == []
    result = switch_to(run_module, root, 'three\n', sw_id='cccccccccccccccc')
    result = run(run_module, root, 'switched', keep=1, prune_sw=True)
    assert result['pruned'] == ['0001'] and result['pruned_sw'] == [SW_A]
    assert sorted(os.listdir(os.path.join(root, 'sw'))) == [SW_A + '.corrupt-20250101T000000Z', SW_B, 'cccccccccccccccc']


def test_a_crash_before_the_repoint_leaves_the_old_generation_live(run_module, root, monkeypatch):
    switch_to(run_module, root, 'one\n')
    run(run_module, root, 'staged')
    fill_next(root, cf='two\n')

    def crash(*args):
        raise OSError(5, 'simulated crash')
    monkeypatch.setattr(generation, 'atomic_symlink', crash)
    rc, result, dummy = run_module(generation, dict(root=root, state='switched'))
    assert rc == 1 and 'simulated crash' in result['msg']
    monkeypatch.undo()
    # the promoted tree is complete but not live; current still names a complete generation
    assert current_link(root) == 'generations/0001'
    with open(os.path.join(root, 'current', 'mail', 'sendmail.cf')) as handle:
        assert handle.read() == 'one\n'
    state = info(run_module, root)
    assert [(g['id'], g['status']) for g in state['generations']] == [('0001', 'live'), ('0002', 'retired')]
    # the next run starts over: a new next/, and a new id for the next switch
    result = switch_to(run_module, root, 'two\n')
    assert result['current'] == '0003' and current_link(root) == 'generations/0003'


def test_generation_info(run_module, root):
    state = info(run_module, root)
    assert state['current'] is None and state['generations'] == [] and state['next']['exists'] is False
    switch_to(run_module, root, 'one\n')
    switch_to(run_module, root, 'two\n', sw_id=SW_B)
    fill_next(root, cf='three\n', sw_id=SW_B)
    state = info(run_module, root)
    assert state['current'] == '0002' and state['previous'] == '0001'
    assert state['next']['pending'] is True and state['differences'] == ['mail/sendmail.cf']
    assert state['next']['sw_id'] == SW_B
    by_id = dict((g['id'], g) for g in state['generations'])
    assert by_id['0001']['status'] == 'previous' and by_id['0002']['status'] == 'live'
    assert by_id['0001']['intact'] is True and by_id['0001']['sw_id'] == SW_A and by_id['0001']['sw_exists'] is True
    assert state['sw'] == [dict(id=SW_A, used_by=['0001']), dict(id=SW_B, used_by=['0002', 'next'])]
    # a generation edited in place no longer matches its recorded digest
    os.chmod(os.path.join(root, 'generations', '0001', 'mail', 'authinfo'), 0o644)
    state = info(run_module, root)
    assert dict((g['id'], g['intact']) for g in state['generations']) == {'0001': False, '0002': True}
