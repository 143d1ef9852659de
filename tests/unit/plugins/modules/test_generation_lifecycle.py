# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""generation's lifecycle states (locked, unlocked, marked, served, owners) and what generation_info
reports about them, on a relay layout in a tmp dir."""

from __future__ import annotations

import json
import os

import pytest
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailrelay.sendmail.plugins.module_utils import _generation
from ansible_collections.mailrelay.sendmail.plugins.modules import generation, generation_info

SW_A = 'aaaaaaaaaaaaaaaa'
WARNINGS = []


@pytest.fixture
def root(tmp_path):
    root = tmp_path / 'mailrelay'
    (root / 'sw' / SW_A / 'sbin').mkdir(parents=True)
    (root / 'sw' / SW_A / 'sbin' / 'sendmail').write_text(SW_A)
    return str(root)


@pytest.fixture(autouse=True)
def capture_warnings(monkeypatch):
    """The module's warnings as it gives them (once controller code is imported, ansible-core
    sends them to the display instead of the result)."""
    monkeypatch.setattr(AnsibleModule, 'warn', lambda self, warning, *args, **kwargs: WARNINGS.append(warning))


def call(run_module, root, state, check_mode=False, **extra):
    args = dict(root=root, state=state, _ansible_diff=True)
    args.update(extra)
    WARNINGS.clear()
    rc, result, dummy = run_module(generation, args, check_mode=check_mode)
    result['warning_texts'] = list(WARNINGS)
    return rc, result


def run(run_module, root, state, check_mode=False, **extra):
    rc, result = call(run_module, root, state, check_mode, **extra)
    assert rc == 0, result
    return result


def warnings(result):
    return result['warning_texts']


def fail(run_module, root, state, **extra):
    rc, result = call(run_module, root, state, **extra)
    assert rc == 1, result
    return result['msg']


def info(run_module, root, **extra):
    rc, result, dummy = run_module(generation_info, dict(root=root, **extra))
    assert rc == 0 and result['changed'] is False, result
    return result


def fill_next(root, cf):
    nxt = os.path.join(root, 'next')
    os.makedirs(os.path.join(nxt, 'mail'), exist_ok=True)
    if not os.path.lexists(os.path.join(nxt, 'sw')):
        os.symlink(os.path.join(root, 'sw', SW_A), os.path.join(nxt, 'sw'))
    with open(os.path.join(nxt, 'mail', 'sendmail.cf'), 'w') as handle:
        handle.write(cf)


def switch_to(run_module, root, cf, **extra):
    run(run_module, root, 'staged', **extra)
    fill_next(root, cf)
    return run(run_module, root, 'switched', **extra)


def write_lock(root, owner, created='2025-01-01T12:00:00Z'):
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, 'lock'), 'w') as handle:
        json.dump(dict(owner=owner, created=created, host='ctl', pid=42), handle)


def lock_owner(root):
    with open(os.path.join(root, 'lock')) as handle:
        return json.load(handle)['owner']


def snapshot(root):
    """Everything under root: entries with file checksums, link targets, modes and owners."""
    return _generation.scan_tree(root) if os.path.isdir(root) else None


# --- the lock --------------------------------------------------------------------------

def test_lock_acquire_same_owner_release(run_module, root):
    result = run(run_module, root, 'locked', owner='run-a')
    assert result['changed'] is True and result['lock']['owner'] == 'run-a' and result['lock']['taken_over'] is False
    assert result['diff']['prepared'] == '%s/lock: free -> held by run %r\n' % (root, 'run-a')
    assert lock_owner(root) == 'run-a'
    result = run(run_module, root, 'locked', owner='run-a')
    assert result['changed'] is False and 'diff' not in result
    assert info(run_module, root)['lock']['owner'] == 'run-a'
    result = run(run_module, root, 'unlocked', owner='run-a')
    assert result['changed'] is True and result['lock'] is None
    assert not os.path.exists(os.path.join(root, 'lock'))
    result = run(run_module, root, 'unlocked', owner='run-a')
    assert result['changed'] is False and result['lock'] is None
    assert info(run_module, root)['lock'] is None


@pytest.mark.parametrize('timeout', [0, 1])
def test_another_owners_lock_waits_then_fails(run_module, root, monkeypatch, timeout):
    monkeypatch.setattr(_generation, 'LOCK_POLL_SECONDS', 0.05)
    write_lock(root, 'run-b', created=_generation.utc_now())
    message = fail(run_module, root, 'locked', owner='run-a', lock_timeout=timeout)
    assert "held by run 'run-b' on ctl, pid 42 since" in message
    assert 'waited %ds' % timeout in message and 'remove %s/lock' % root in message
    assert lock_owner(root) == 'run-b'


def test_a_stale_lock_is_taken_over_with_a_warning(run_module, root):
    write_lock(root, 'run-b', created='2000-01-01T00:00:00Z')
    result = run(run_module, root, 'locked', owner='run-a', lock_timeout=0, lock_expiry=60)
    assert result['changed'] is True and result['lock']['taken_over'] is True
    assert any("took over the stale lock" in warning and "'run-b'" in warning for warning in warnings(result))
    assert lock_owner(root) == 'run-a'


def test_unlock_by_another_owner_leaves_the_lock(run_module, root):
    write_lock(root, 'run-b')
    result = run(run_module, root, 'unlocked', owner='run-a')
    assert result['changed'] is False and result['lock']['owner'] == 'run-b'
    assert any("held by run 'run-b'" in warning and 'left in place' in warning for warning in warnings(result))
    assert lock_owner(root) == 'run-b'


def test_locked_and_unlocked_need_an_owner(run_module, root):
    for state in ('locked', 'unlocked'):
        assert 'owner' in fail(run_module, root, state)
    assert 'lock_timeout must be 0 or more' in fail(run_module, root, 'locked', owner='a', lock_timeout=-1)
    assert 'lock_expiry must be at least 1' in fail(run_module, root, 'locked', owner='a', lock_expiry=0)


# --- two runs: the lock and the owner of next/ -------------------------------------------

@pytest.mark.parametrize('state, extra', [
    ('switched', {}), ('staged', {}), ('rolled_back', {}), ('marked', dict(mark='passed')),
    ('served', dict(services=['sendmail'])),
])
def test_states_refuse_under_another_owners_lock(run_module, root, state, extra):
    switch_to(run_module, root, 'one\n')
    switch_to(run_module, root, 'two\n')
    fill_next(root, 'the other run wrote this\n')
    write_lock(root, 'run-b')
    before = snapshot(root)
    message = fail(run_module, root, state, owner='run-a', **extra)
    assert "held by run 'run-b'" in message and "not by 'run-a'" in message
    assert snapshot(root) == before
    # in check mode it is a warning: a real run would have waited at state=locked
    result = run(run_module, root, state, check_mode=True, owner='run-a', **extra)
    assert any("held by run 'run-b'" in warning for warning in warnings(result))
    assert snapshot(root) == before
    # without an owner, the lock is not looked at (callers that do not lock yet)
    assert call(run_module, root, state, check_mode=True, **extra)[0] == 0


def test_switched_refuses_next_staged_by_another_owner(run_module, root):
    switch_to(run_module, root, 'one\n', owner='run-b')
    run(run_module, root, 'staged', owner='run-b')
    fill_next(root, 'unproven, written by run-b\n')
    assert _generation.read_next_owner(os.path.join(root, 'next.owner')) == 'run-b'
    # run-b died; run-a takes the relay and goes straight to the switch
    before = snapshot(root)
    message = fail(run_module, root, 'switched', owner='run-a')
    assert "staged by run 'run-b', not by 'run-a'" in message and 'Re-run' in message
    assert snapshot(root) == before
    # staging again as run-a discards run-b's candidate (check mode first: nothing changes)
    result = run(run_module, root, 'staged', check_mode=True, owner='run-a')
    assert result['changed'] is True and result['differences'] == [] and snapshot(root) == before
    result = run(run_module, root, 'staged', owner='run-a')
    assert result['changed'] is True and result['pending'] is False and result['lock'] is None
    assert any("staged by run 'run-b'" in warning for warning in warnings(result))
    with open(os.path.join(root, 'next', 'mail', 'sendmail.cf')) as handle:
        assert handle.read() == 'one\n'
    # staging again as the same owner is idempotent, and the owner file does not touch the digest
    result = run(run_module, root, 'staged', owner='run-a')
    assert result['changed'] is False
    assert _generation.read_next_owner(os.path.join(root, 'next.owner')) == 'run-a'
    assert not os.path.exists(os.path.join(root, 'next', '.owner'))
    fill_next(root, 'proven by run-a\n')
    result = run(run_module, root, 'switched', owner='run-a')
    assert result['switched'] is True and result['current'] == '0002'
    # the new next/ is a clean copy of the live generation: nobody's candidate
    assert not os.path.exists(os.path.join(root, 'next.owner'))
    assert _generation.load_history(os.path.join(root, 'generations', 'history.json'))['events'][-1]['owner'] == 'run-a'


def test_staged_claims_an_unowned_next_without_a_change(run_module, root):
    switch_to(run_module, root, 'one\n')
    result = run(run_module, root, 'staged', owner='run-a')
    assert result['changed'] is False
    assert _generation.read_next_owner(os.path.join(root, 'next.owner')) == 'run-a'
    assert run(run_module, root, 'switched', owner='run-a')['changed'] is False


def test_a_check_run_switches_next_staged_by_the_run_before_with_a_warning(run_module, root):
    # --check: state=staged writes nothing, so next.owner still names the previous run
    switch_to(run_module, root, 'one\n')
    run(run_module, root, 'staged', owner='run-a')
    before = snapshot(root)
    result = run(run_module, root, 'staged', check_mode=True, owner='run-b')
    result = run(run_module, root, 'switched', check_mode=True, owner='run-b')
    assert result['changed'] is False
    assert any("staged by run 'run-a', not by 'run-b'" in warning for warning in warnings(result))
    assert snapshot(root) == before


def test_a_run_that_left_next_as_the_live_generation_leaves_nothing_to_recreate(run_module, root):
    # every no-op rollout stages next/ with its own owner and switches nothing: the next run takes
    # that next/ over without a change (it holds nothing of the other run's)
    switch_to(run_module, root, 'one\n')
    run(run_module, root, 'staged', owner='run-a')
    assert run(run_module, root, 'switched', owner='run-a')['changed'] is False
    before = snapshot(root)
    for check_mode in (True, False):
        result = run(run_module, root, 'staged', check_mode=check_mode, owner='run-b')
        assert result['changed'] is False and result['pending'] is False, result
        assert not any('staged by run' in warning for warning in warnings(result))
    # only the bookkeeping of who staged next/ changed
    assert [entry for entry in snapshot(root) if entry['path'] != 'next.owner'] == \
        [entry for entry in before if entry['path'] != 'next.owner']
    assert _generation.read_next_owner(os.path.join(root, 'next.owner')) == 'run-b'


# --- gate verdicts -----------------------------------------------------------------------

def test_a_first_install_whose_gate_failed_stays_current_but_failed(run_module, root):
    switch_to(run_module, root, 'relays for anyone\n')
    result = run(run_module, root, 'marked', mark='failed', check_mode=True)
    assert result['changed'] is True and result['current_status'] == 'failed' and result['gate'] == 'failed'
    assert info(run_module, root)['current_status'] == 'live'
    result = run(run_module, root, 'marked', mark='failed')
    assert result['changed'] is True and result['current'] == '0001' and result['to'] == '0001'
    assert result['gate'] == 'failed' and result['current_status'] == 'failed'
    assert result['diff']['prepared'] == 'generation 0001: gate (none) -> failed, status live -> failed\n'
    state = info(run_module, root)
    assert state['current'] == '0001' and state['current_status'] == 'failed' and state['gate'] == 'failed'
    assert state['generations'][0]['status'] == 'failed'
    for check_mode in (True, False):
        assert run(run_module, root, 'marked', mark='failed', check_mode=check_mode)['changed'] is False
    # the second run switches nothing new (same candidate); its gate passes this time
    assert switch_to(run_module, root, 'relays for anyone\n')['switched'] is False
    assert info(run_module, root)['current_status'] == 'failed'
    result = run(run_module, root, 'marked', mark='passed', to='1')
    assert result['changed'] is True and result['current_status'] == 'live' and result['to'] == '0001'
    state = info(run_module, root)
    assert state['current_status'] == 'live' and state['gate'] == 'passed'
    assert run(run_module, root, 'marked', mark='passed')['changed'] is False


def test_a_generation_whose_gate_failed_is_no_rollback_target(run_module, root):
    switch_to(run_module, root, 'one\n')
    run(run_module, root, 'marked', mark='passed')
    switch_to(run_module, root, 'two\n')
    run(run_module, root, 'marked', mark='failed')
    switch_to(run_module, root, 'three\n')
    state = info(run_module, root)
    assert state['previous'] == '0001'
    assert dict((gen['id'], (gen['status'], gen['gate'])) for gen in state['generations']) == {
        '0001': ('previous', 'passed'), '0002': ('failed', 'failed'), '0003': ('live', None)}
    assert run(run_module, root, 'rolled_back')['to'] == '0001'


@pytest.mark.parametrize('extra, message', [
    (dict(mark='failed'), 'nothing is live'),
    (dict(mark='failed', to='0009'), 'generation 0009 does not exist'),
    (dict(), 'mark'),
])
def test_marked_refusals(run_module, root, extra, message):
    assert message in fail(run_module, root, 'marked', **extra)


# --- served records ------------------------------------------------------------------------

def test_a_run_cut_between_switch_and_reload_leaves_stale_services(run_module, root):
    # a first install cut before the daemons were started: only the expected services show it
    switch_to(run_module, root, 'one\n')
    assert info(run_module, root)['stale_services'] == []
    assert info(run_module, root, services=['sendmail', 'saslauthd'])['stale_services'] == ['saslauthd', 'sendmail']
    result = run(run_module, root, 'served', services=['sendmail', 'saslauthd'])
    assert result['changed'] is True and result['stale_services'] == [] and result['to'] == '0001'
    assert sorted(result['served']) == ['saslauthd', 'sendmail']
    assert result['diff']['prepared'] == 'served saslauthd: (none) -> 0001\nserved sendmail: (none) -> 0001\n'
    assert run(run_module, root, 'served', services=['sendmail', 'saslauthd'])['changed'] is False
    # the next run switches and is cut before the reload: no served call
    switch_to(run_module, root, 'two\n')
    state = info(run_module, root, services=['sendmail', 'saslauthd'])
    assert state['current'] == '0002' and state['stale_services'] == ['saslauthd', 'sendmail']
    assert state['served']['sendmail']['generation'] == '0001'
    # the run after reloads sendmail only: saslauthd still needs its restart
    result = run(run_module, root, 'served', services=['sendmail'])
    assert result['changed'] is True and result['stale_services'] == ['saslauthd']
    run(run_module, root, 'served', services=['saslauthd'])
    assert info(run_module, root)['stale_services'] == []


@pytest.mark.parametrize('extra, message', [
    (dict(services=['sendmail']), 'nothing is live'),
    (dict(services=[]), 'services'),
    (dict(services=['sendmail', ' ']), 'no name may be empty'),
])
def test_served_refusals(run_module, root, extra, message):
    assert message in fail(run_module, root, 'served', **extra)


# --- check mode changes nothing, for every state -----------------------------------------

@pytest.mark.parametrize('state, extra, lock', [
    ('locked', dict(owner='run-a'), None),
    ('locked', dict(owner='run-a', lock_expiry=60), 'run-b-stale'),
    ('locked', dict(owner='run-a'), 'run-b'),
    ('unlocked', dict(owner='run-a'), 'run-a'),
    ('marked', dict(mark='failed'), None),
    ('marked', dict(mark='failed', to='0001'), None),
    ('served', dict(services=['sendmail', 'saslauthd']), None),
    ('staged', dict(owner='run-a'), 'run-a'),
    ('switched', dict(owner='run-a'), 'run-a'),
    ('rolled_back', dict(owner='run-a'), 'run-a'),
])
def test_check_mode_changes_nothing(run_module, root, state, extra, lock):
    switch_to(run_module, root, 'one\n')
    switch_to(run_module, root, 'two\n')
    if state == 'staged':
        _generation.remove_tree(os.path.join(root, 'next'))
    if state == 'switched':
        fill_next(root, 'three\n')
    if lock:
        write_lock(root, lock.replace('-stale', ''), created='2000-01-01T00:00:00Z' if 'stale' in lock else _generation.utc_now())
    before = snapshot(root)
    result = run(run_module, root, state, check_mode=True, **extra)
    assert result['changed'] is True, result
    assert snapshot(root) == before
