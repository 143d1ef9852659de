# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pure parts of _generation: digests, comparisons, history rules, prune plans; and the
filesystem primitives (atomic symlink, exchange, copy) on tmp dirs."""

from __future__ import annotations

import hashlib
import os

import pytest

from ansible_collections.mailrelay.sendmail.plugins.module_utils import _generation as g

BASE = [
    dict(path='.', type='dir', mode='0755', owner='root', group='root'),
    dict(path='mail', type='dir', mode='2755', owner='root', group='smmsp'),
    dict(path='mail/sendmail.cf', type='file', mode='0644', owner='root', group='root', size=3, sha256='a' * 64),
    dict(path='sw', type='link', mode='0777', owner='root', group='root', target='/var/lib/mailrelay/sw/x'),
]


def changed(path, **values):
    entries = [dict(entry) for entry in BASE]
    for entry in entries:
        if entry['path'] == path:
            entry.update(values)
    return entries


@pytest.mark.parametrize('entries, same', [
    (changed('mail', mode='0755'), False),          # set-group-ID bit lost
    (changed('mail', group='root'), False),
    (changed('mail/sendmail.cf', owner='smmsp'), False),
    (changed('mail/sendmail.cf', sha256='b' * 64), False),
    (changed('sw', target='/var/lib/mailrelay/sw/y'), False),
    (changed('mail/sendmail.cf', size=4), True),    # the size is covered by the sha256
    (list(reversed(BASE)), True),                   # order of the input does not matter
    (BASE[:3], False),
])
def test_digest(entries, same):
    assert (g.tree_digest(entries) == g.tree_digest(BASE)) is same


def test_digest_is_stable():
    # the definition in the module docstring, spelled out: one JSON array per entry and line
    fields = [(e['path'], e['type'], e['mode'], e['owner'], e['group'], e.get('sha256', ''), e.get('target', ''))
              for e in BASE]
    lines = ''.join('["%s","%s","%s","%s","%s","%s","%s"]\n' % values for values in fields)
    assert g.tree_digest(BASE) == hashlib.sha256(lines.encode()).hexdigest()


def test_compare_entries_names_only():
    certs = dict(path='certs', type='dir', mode='0700', owner='root', group='root')
    new = changed('mail/sendmail.cf', sha256='b' * 64)[:3] + [certs]
    result = g.compare_entries(BASE, new)
    assert result == dict(added=['certs'], removed=['sw'], changed=['mail/sendmail.cf'])
    assert g.difference_names(result) == ['certs', 'mail/sendmail.cf', 'sw']
    assert g.prepared_diff('x', result) == 'x\nchanged: mail/sendmail.cf\nadded:   certs\nremoved: sw\n'


def test_sort_key_puts_a_directory_before_its_content():
    paths = ['a-b', 'a/b', 'a', '.', 'a/b/c', 'b']
    assert sorted(paths, key=g.sort_key) == ['.', 'a', 'a/b', 'a/b/c', 'a-b', 'b']


@pytest.mark.parametrize('existing, current, previous, keep, expected', [
    (['0001', '0002', '0003', '0004'], '0004', '0003', 3, ['0001']),
    (['0001', '0002', '0003', '0004'], '0004', '0003', 1, ['0001', '0002']),
    (['0001', '0002', '0003', '0004'], '0002', '0001', 2, ['0003', '0004']),   # after rollbacks
    (['0001', '0002', '0003', '0004'], '0002', '0001', 3, ['0003']),
    (['0001'], '0001', None, 1, []),
    (['0009', '0010', '0011'], '0011', None, 2, ['0009']),                   # numeric, not text order
])
def test_prune_plan(existing, current, previous, keep, expected):
    assert g.prune_plan(existing, current, previous, keep) == expected


def test_sw_prune_plan():
    assert g.sw_prune_plan(['a' * 16, 'b' * 16, 'c' * 16], ['b' * 16, None, 'b' * 16]) == ['a' * 16, 'c' * 16]


def test_history_rules():
    history = g.new_history()
    for number, gid in enumerate(['0001', '0002', '0003'], 1):
        g.record(history, gid)
        g.mark_live(history, gid, 't%d' % number)
    existing = ['0001', '0002', '0003']
    assert g.previous_generation(history, '0003', existing) == '0002'
    # roll back 0003 -> 0002: 0003 failed, 0002 live again; previous is 0001
    g.record(history, '0003')['failed_at'] = 't4'
    g.mark_live(history, '0002', 't4')
    assert g.refresh_statuses(history, '0002', existing) == '0001'
    assert dict((k, v['status']) for k, v in history['generations'].items()) == {
        '0001': 'previous', '0002': 'live', '0003': 'failed'}
    assert history['generations']['0002']['switched_at'] == ['t2', 't4']
    # a generation that was never live is not a rollback target
    g.record(history, '0004')
    assert g.previous_generation(history, '0002', existing + ['0004']) == '0001'
    # records of generations gone from disk are dropped; ids go on from the highest ever seen
    g.refresh_statuses(history, '0002', ['0002'])
    assert sorted(history['generations']) == ['0002'] and history['last_sequence'] == 3
    assert g.next_generation_id(history, ['0002']) == '0004'
    assert g.next_generation_id(g.new_history(), []) == '0001'
    assert g.next_generation_id(g.new_history(), ['9999']) == '10000'


def test_load_history_errors(tmp_path):
    path = tmp_path / 'history.json'
    assert g.load_history(str(path)) == g.new_history()
    path.write_text('{not json')
    with pytest.raises(g.GenerationError, match='Move it away'):
        g.load_history(str(path))
    path.write_text('{"format": 2, "generations": {}}')
    with pytest.raises(g.GenerationError, match='format 1'):
        g.load_history(str(path))


def test_atomic_symlink_replaces_a_link_to_a_directory(tmp_path):
    for name in ('one', 'two'):
        (tmp_path / name).mkdir()
    link = str(tmp_path / 'current')
    g.atomic_symlink('one', link)
    g.atomic_symlink('two', link)
    assert os.readlink(link) == 'two'
    assert sorted(os.listdir(tmp_path)) == ['current', 'one', 'two']


@pytest.mark.parametrize('with_exchange', [True, False])
def test_replace_dir(tmp_path, monkeypatch, with_exchange):
    if not with_exchange:
        monkeypatch.setattr(g, 'exchange', lambda first, second: False)
    (tmp_path / 'new').mkdir()
    (tmp_path / 'new' / 'f').write_text('new')
    (tmp_path / 'dest').mkdir()
    (tmp_path / 'dest' / 'f').write_text('old')
    g.replace_dir(str(tmp_path / 'new'), str(tmp_path / 'dest'), str(tmp_path / 'aside'))
    assert (tmp_path / 'dest' / 'f').read_text() == 'new' and (tmp_path / 'aside' / 'f').read_text() == 'old'
    assert not (tmp_path / 'new').exists()


def test_exchange_swaps_when_the_kernel_can(tmp_path):
    (tmp_path / 'a').write_text('a')
    (tmp_path / 'b').mkdir()
    if not g.exchange(str(tmp_path / 'a'), str(tmp_path / 'b')):
        pytest.skip('renameat2 RENAME_EXCHANGE is not available here')
    assert (tmp_path / 'b').read_text() == 'a' and (tmp_path / 'a').is_dir()


def test_copy_tree_refuses_a_fifo_and_scan_tree_too(tmp_path):
    (tmp_path / 'src').mkdir()
    os.mkfifo(str(tmp_path / 'src' / 'pipe'))
    with pytest.raises(g.TreeError, match='pipe'):
        g.copy_tree(str(tmp_path / 'src'), str(tmp_path / 'dst'))
    with pytest.raises(g.TreeError, match='fifo'):
        g.scan_tree(str(tmp_path / 'src'))


def test_discard_and_leftovers(tmp_path):
    (tmp_path / 'gen' / 'ro').mkdir(parents=True)
    (tmp_path / 'gen' / 'ro' / 'f').write_text('x')
    os.chmod(str(tmp_path / 'gen' / 'ro'), 0o555)
    g.discard(str(tmp_path / 'gen'))
    assert os.listdir(str(tmp_path)) == []
    (tmp_path / (g.TMP_PREFIX + 'next-x') / 'next').mkdir(parents=True)
    (tmp_path / (g.TRASH_PREFIX + 'y')).mkdir()
    (tmp_path / 'keep').mkdir()
    assert len(g.clean_leftovers(str(tmp_path))) == 2
    assert os.listdir(str(tmp_path)) == ['keep']
