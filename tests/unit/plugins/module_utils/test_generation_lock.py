# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lifecycle parts of _generation: gate verdicts, served records, stale services and the relay lock."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.mailrelay.sendmail.plugins.module_utils import _generation as g

T0 = '2025-01-01T12:00:00Z'
T0_EPOCH = 1735732800


class Clock:
    """A clock that only moves when the code sleeps; `on_sleep` runs at every sleep."""

    def __init__(self, start=T0_EPOCH, on_sleep=None):
        self.time = start
        self.sleeps = []
        self.on_sleep = on_sleep

    def __call__(self):
        return self.time

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.time += seconds
        if self.on_sleep:
            self.on_sleep(len(self.sleeps))


def write_lock(path, owner, created=T0, **extra):
    content = dict(owner=owner, created=created, host='ctl', pid=42)
    content.update(extra)
    with open(path, 'w') as handle:
        json.dump(content, handle)


def lock_of(path):
    with open(path) as handle:
        return json.load(handle)


@pytest.mark.parametrize('gate, failed_at, verdict, changed, status', [
    (None, None, 'failed', True, 'failed'),        # a first install whose gate failed stays live, but failed
    ('failed', 't0', 'failed', False, 'failed'),   # the same verdict again changes nothing
    ('failed', 't0', 'passed', True, 'live'),      # a passing gate clears the mark
    (None, None, 'passed', True, 'live'),
    ('passed', None, 'passed', False, 'live'),
    ('passed', None, 'failed', True, 'failed'),
    (None, 't0', 'failed', True, 'failed'),        # rolled back from, now with its verdict
])
def test_mark_gate_on_the_live_generation(gate, failed_at, verdict, changed, status):
    history = g.new_history()
    g.mark_live(history, '0001', 't-live')
    g.record(history, '0001').update(gate=gate, failed_at=failed_at)
    assert g.mark_gate(history, '0001', verdict, 't1') is changed
    g.refresh_statuses(history, '0001', ['0001'])
    entry = history['generations']['0001']
    assert entry['gate'] == verdict and entry['status'] == status
    assert bool(entry['failed_at']) is (verdict == 'failed')
    assert [event['action'] for event in history['events']] == (['marked'] if changed else [])


def test_a_failed_gate_is_never_the_rollback_target():
    history = g.new_history()
    for gid in ('0001', '0002'):
        g.mark_live(history, gid, 't')
    g.mark_gate(history, '0002', 'failed', 't')
    g.mark_live(history, '0003', 't')  # a later switch leaves the failed one behind
    existing = ['0001', '0002', '0003']
    assert g.refresh_statuses(history, '0003', existing) == '0001'
    assert history['generations']['0002']['status'] == 'failed'
    with pytest.raises(g.GenerationError, match='mark must be one of passed, failed'):
        g.mark_gate(history, '0003', 'maybe', 't')


@pytest.mark.parametrize('served, current, expected, stale', [
    ({}, '0002', (), []),
    ({}, '0002', ('sendmail', 'saslauthd'), ['saslauthd', 'sendmail']),   # a first install cut before the start
    ({'sendmail': '0001', 'saslauthd': '0001'}, '0002', (), ['saslauthd', 'sendmail']),  # cut after the switch
    ({'sendmail': '0002', 'saslauthd': '0001'}, '0002', ('sendmail',), ['saslauthd']),
    ({'sendmail': '0002'}, '0002', ('sendmail',), []),
    ({'sendmail': '0002'}, None, (), ['sendmail']),
])
def test_stale_services(served, current, expected, stale):
    history = g.new_history()
    history['served'] = dict((name, {'generation': gid, 'at': 't'}) for name, gid in served.items())
    assert g.stale_services(history, current, expected) == stale


def test_record_served_changes_only_what_differs():
    history = g.new_history()
    assert g.record_served(history, ['sendmail', 'saslauthd', 'sendmail'], '0001', 't1') == ['saslauthd', 'sendmail']
    assert g.record_served(history, ['sendmail'], '0001', 't2') == []
    assert history['served']['sendmail'] == {'generation': '0001', 'at': 't1'}
    assert g.record_served(history, ['sendmail'], '0002', 't3') == ['sendmail']
    assert history['served'] == {'sendmail': {'generation': '0002', 'at': 't3'},
                                 'saslauthd': {'generation': '0001', 'at': 't1'}}
    assert [event['action'] for event in history['events']] == ['served', 'served']


@pytest.mark.parametrize('given, expected', [('3', '0003'), (3, '0003'), ('0003', '0003'), ('7', '7'), (None, None)])
def test_resolve_id(given, expected):
    assert g.resolve_id(given, ['0001', '0003']) == expected


def test_acquire_a_free_lock_and_keep_it(tmp_path):
    path = str(tmp_path / 'lock')
    clock = Clock()
    outcome = g.acquire_lock(path, 'run-a', 5, 7200, now=lambda: T0, clock=clock, sleep=clock.sleep)
    assert outcome == dict(changed=True, lock=dict(owner='run-a', created=T0, taken_over=False), warnings=[])
    content = lock_of(path)
    assert content['owner'] == 'run-a' and content['created'] == T0 and content['pid'] == os.getpid()
    assert [name for name in os.listdir(str(tmp_path)) if name != 'lock'] == []  # no temporary file left
    outcome = g.acquire_lock(path, 'run-a', 5, 7200, now=lambda: 'later', clock=clock, sleep=clock.sleep)
    assert outcome['changed'] is False and outcome['lock']['created'] == T0 and clock.sleeps == []


@pytest.mark.parametrize('timeout, sleeps', [(0, []), (3, [1.0, 1.0, 1.0]), (2.5, [1.0, 1.0, 0.5])])
def test_another_owners_lock_is_waited_for_then_fails(tmp_path, timeout, sleeps):
    path = str(tmp_path / 'lock')
    write_lock(path, 'run-b')
    clock = Clock(start=T0_EPOCH + 60)
    with pytest.raises(g.LockError) as failure:
        g.acquire_lock(path, 'run-a', timeout, 7200, clock=clock, sleep=clock.sleep)
    message = str(failure.value)
    assert "run 'run-b' on ctl, pid 42 since %s" % T0 in message
    assert 'Wait until that run ends' in message and 'remove %s' % path in message
    assert clock.sleeps == sleeps
    assert lock_of(path)['owner'] == 'run-b'


def test_a_lock_given_back_during_the_wait_is_taken(tmp_path):
    path = str(tmp_path / 'lock')
    write_lock(path, 'run-b')

    def release(count):
        if count == 2:
            os.unlink(path)
    clock = Clock(on_sleep=release)
    outcome = g.acquire_lock(path, 'run-a', 600, 7200, clock=clock, sleep=clock.sleep)
    assert outcome['changed'] is True and outcome['lock']['taken_over'] is False
    assert clock.sleeps == [1.0, 1.0] and lock_of(path)['owner'] == 'run-a'


@pytest.mark.parametrize('content, age, stale', [
    ('json', 7201, True),
    ('json', 7199, False),
    ('garbage', 7201, True),     # an unreadable lock expires by its modification time
    ('garbage', 10, False),
])
def test_stale_locks_are_taken_over(tmp_path, content, age, stale):
    path = str(tmp_path / 'lock')
    if content == 'json':
        write_lock(path, 'run-b')
    else:
        with open(path, 'w') as handle:
            handle.write('{half a lock')
        os.utime(path, (T0_EPOCH, T0_EPOCH))
    clock = Clock(start=T0_EPOCH + age)
    if not stale:
        with pytest.raises(g.LockError):
            g.acquire_lock(path, 'run-a', 0, 7200, clock=clock, sleep=clock.sleep)
        return
    outcome = g.acquire_lock(path, 'run-a', 0, 7200, now=lambda: 'now', clock=clock, sleep=clock.sleep)
    assert outcome['changed'] is True and outcome['lock'] == dict(owner='run-a', created='now', taken_over=True)
    assert len(outcome['warnings']) == 1 and 'took over the stale lock' in outcome['warnings'][0]
    assert lock_of(path)['owner'] == 'run-a'
    assert lock_of(path)['taken_over_from'] == ('run-b' if content == 'json' else 'unknown')


@pytest.mark.parametrize('held, age', [(None, 0), ('run-b', 10), ('run-b', 9000)])
def test_check_mode_writes_nothing_and_waits_for_nothing(tmp_path, held, age):
    path = str(tmp_path / 'lock')
    if held:
        write_lock(path, held)
    before = sorted(os.listdir(str(tmp_path)))
    clock = Clock(start=T0_EPOCH + age)
    outcome = g.acquire_lock(path, 'run-a', 600, 7200, check_mode=True, clock=clock, sleep=clock.sleep)
    assert outcome['changed'] is True and clock.sleeps == []
    assert sorted(os.listdir(str(tmp_path))) == before
    assert (outcome['warnings'] != []) is bool(held)
    if held:
        assert lock_of(path)['owner'] == held


@pytest.mark.parametrize('held, owner, changed, removed, warned', [
    (None, 'run-a', False, False, False),
    ('run-a', 'run-a', True, True, False),
    ('run-b', 'run-a', False, False, True),   # never remove someone else's lock
])
def test_release_lock(tmp_path, held, owner, changed, removed, warned):
    path = str(tmp_path / 'lock')
    if held:
        write_lock(path, held)
    outcome = g.release_lock(path, owner)
    assert outcome['changed'] is changed and bool(outcome['warnings']) is warned
    assert os.path.exists(path) is (bool(held) and not removed)
    if warned:
        assert "run 'run-b'" in outcome['warnings'][0]


def test_remove_lock_if_puts_back_a_lock_taken_in_between(tmp_path):
    path = str(tmp_path / 'lock')
    write_lock(path, 'run-b')
    stale = g.read_lock(path)
    write_lock(path, 'run-c', created='2025-01-02T00:00:00Z')  # another run took it over first
    assert g.remove_lock_if(path, stale) is False
    assert lock_of(path)['owner'] == 'run-c' and os.listdir(str(tmp_path)) == ['lock']
    assert g.remove_lock_if(str(tmp_path / 'absent'), stale) is False


@pytest.mark.parametrize('held, owner, fails', [(None, 'run-a', False), ('run-a', 'run-a', False), ('run-b', 'run-a', True)])
def test_check_lock(tmp_path, held, owner, fails):
    path = str(tmp_path / 'lock')
    if held:
        write_lock(path, held)
    if fails:
        with pytest.raises(g.LockError, match="held by run 'run-b' on ctl, pid 42 since .*, not by 'run-a'"):
            g.check_lock(path, owner)
    else:
        g.check_lock(path, owner)


def test_read_next_owner(tmp_path):
    path = str(tmp_path / 'next.owner')
    assert g.read_next_owner(path) is None
    with open(path, 'wb') as handle:
        handle.write(g.next_owner_content('run-a', T0))
    assert g.read_next_owner(path) == 'run-a'
    with open(path, 'w') as handle:
        handle.write('not json')
    assert g.read_next_owner(path).startswith('unknown')
