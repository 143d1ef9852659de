# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""rollout_report writes its three files (and the history) the way the playbook calls it."""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.mailrelay.sendmail.plugins.doc_fragments._attributes import ModuleDocFragment
from ansible_collections.mailrelay.sendmail.plugins.modules import rollout_report
from ansible_collections.mailrelay.sendmail.tests.unit.rollout_records import (
    CANARY_FAILED,
    RELAYS,
    record,
    run,
)

FILES = ('report.json', 'report.html', 'junit.xml')


def args(dest, run_id='20261202T051500Z', **extra):
    base = {'dest': str(dest), 'run': dict(run(), id=run_id), 'hosts': [CANARY_FAILED], 'pending': RELAYS[1:]}
    base.update(extra)
    return base


def listing(path):
    return sorted(str(item.relative_to(path)) for item in path.rglob('*'))


def test_writes_latest_and_history(run_module, tmp_path):
    dest = tmp_path / 'reports' / 'rollout'
    rc, result, dummy = run_module(rollout_report, args(dest))
    assert rc == 0 and result['changed'] is True
    run_dir = dest / 'runs' / '20261202T051500Z'
    assert result['dest'] == str(dest) and result['run_dir'] == str(run_dir)
    assert result['json'] == str(dest / 'report.json')
    assert result['html'] == str(dest / 'report.html')
    assert result['junit'] == str(dest / 'junit.xml')
    assert result['pruned'] == []
    assert result['summary'] == {'relays': 4, 'reached': 1, 'changed': 0, 'unchanged': 0, 'gate_only': 0, 'failed': 1,
                                 'rolled_back': 1, 'pending': 3, 'outcome': 'failed'}
    # nothing else: no temporary file left behind
    assert listing(dest) == sorted(list(FILES) + ['runs', 'runs/20261202T051500Z']
                                   + ['runs/20261202T051500Z/%s' % name for name in FILES])
    for name in FILES:
        assert (dest / name).read_bytes() == (run_dir / name).read_bytes()
        assert (dest / name).stat().st_mode & 0o777 == 0o644
    for directory in (dest, dest / 'runs', run_dir):
        assert directory.stat().st_mode & 0o022 == 0  # 0755 or tighter by the umask
    report = json.loads((dest / 'report.json').read_text(encoding='utf-8'))
    assert report['summary'] == result['summary'] and report['run']['id'] == '20261202T051500Z'
    root = ET.parse(str(dest / 'junit.xml')).getroot()
    assert (root.get('tests'), root.get('failures'), root.get('skipped')) == ('12', '2', '3')
    assert (dest / 'report.html').read_text(encoding='utf-8').startswith('<!DOCTYPE html>')


def test_after_every_batch_the_same_run_is_rewritten(run_module, tmp_path):
    first = dict(args(tmp_path, hosts=[record(RELAYS[0], 1)], pending=[]))
    rc, result, dummy = run_module(rollout_report, first)
    assert result['summary']['outcome'] == 'in progress'
    second = dict(first, hosts=[record(RELAYS[0], 1), record(RELAYS[1], 2), record(RELAYS[2], 3), record(RELAYS[3], 3)])
    rc, result, dummy = run_module(rollout_report, second)
    assert result['summary']['outcome'] == 'succeeded'
    assert os.listdir(str(tmp_path / 'runs')) == ['20261202T051500Z']
    assert json.loads((tmp_path / 'runs' / '20261202T051500Z' / 'report.json').read_text())['summary']['reached'] == 4


def test_check_mode_writes_nothing(run_module, tmp_path):
    dest = tmp_path / 'rollout'
    rc, result, dummy = run_module(rollout_report, args(dest), check_mode=True)
    assert rc == 0 and result['changed'] is True
    assert result['summary']['outcome'] == 'failed'
    assert result['html'] == str(dest / 'report.html')
    assert not dest.exists()


def make_old_runs(runs, count):
    for number in range(count):
        path = runs / ('2026110%dT000000Z' % number if number < 10 else '202611%02dT000000Z' % number)
        path.mkdir(parents=True)
        (path / 'report.json').write_text('{}')
        os.utime(str(path), (1000000 + number, 1000000 + number))


@pytest.mark.parametrize('keep, old, kept_old', [
    (20, 5, 5),
    (3, 5, 2),
    (1, 5, 0),
    (6, 5, 5),
])
@pytest.mark.parametrize('check_mode', [False, True])
def test_history_keeps_the_newest_runs(run_module, tmp_path, keep, old, kept_old, check_mode):
    runs = tmp_path / 'runs'
    make_old_runs(runs, old)
    (runs / 'notes').mkdir()  # not a run (no report.json): never touched
    (runs / 'notes' / 'readme.txt').write_text('mine')
    os.utime(str(runs / 'notes'), (1, 1))
    before = sorted(os.listdir(str(runs)))
    rc, result, dummy = run_module(rollout_report, args(tmp_path, keep=keep), check_mode=check_mode)
    assert rc == 0
    old_names = sorted(name for name in before if name != 'notes')
    assert result['pruned'] == old_names[:old - kept_old]
    if check_mode:
        assert sorted(os.listdir(str(runs))) == before
    else:
        assert sorted(os.listdir(str(runs))) == sorted(old_names[old - kept_old:] + ['notes', '20261202T051500Z'])
        assert (runs / 'notes' / 'readme.txt').read_text() == 'mine'


@pytest.mark.parametrize('extra, message', [
    ({'keep': 0}, 'keep must be at least 1'),
    ({'history': -1}, 'history must be 0'),
])
def test_refusals(run_module, tmp_path, extra, message):
    rc, result, dummy = run_module(rollout_report, args(tmp_path, **extra))
    assert rc == 1 and message in result['msg']
    assert not (tmp_path / 'report.json').exists()


def test_dest_must_be_a_directory(run_module, tmp_path):
    (tmp_path / 'file').write_text('x')
    rc, result, dummy = run_module(rollout_report, args(tmp_path / 'file'))
    assert rc == 1 and 'is not a directory' in result['msg'] and 'mailrelay_rollout_report_dir' in result['msg']


def test_unwritable_dest_is_reported(run_module, tmp_path, monkeypatch):
    def refuse(path, text):
        raise OSError(13, 'Permission denied')
    monkeypatch.setattr(rollout_report, 'write_atomic', refuse)
    rc, result, dummy = run_module(rollout_report, args(tmp_path))
    assert rc == 1 and result['msg'].startswith('cannot write the rollout report in %s' % tmp_path)


def test_a_failed_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / 'report.json'
    target.write_text('old')

    def broken(src, dst):
        raise OSError(28, 'No space left on device')
    monkeypatch.setattr(rollout_report.os, 'rename', broken)
    with pytest.raises(OSError):
        rollout_report.write_atomic(str(target), 'new')
    assert os.listdir(str(tmp_path)) == ['report.json'] and target.read_text() == 'old'


def test_documented_options_match_the_argument_spec():
    documented = set(yaml.safe_load(rollout_report.DOCUMENTATION)['options'])
    documented |= set(yaml.safe_load(ModuleDocFragment.DOCUMENTATION)['options'])
    assert documented == set(rollout_report.argument_spec())


def test_returns_only_documented_keys(run_module, tmp_path):
    rc, result, dummy = run_module(rollout_report, args(tmp_path))
    doc = yaml.safe_load(rollout_report.RETURN)
    # AnsibleModule adds the owner, group, mode... of `dest` to any result that has one (as for copy)
    path_info = {'uid', 'gid', 'owner', 'group', 'mode', 'state', 'size', 'secontext'}
    assert set(result) - {'changed', 'invocation'} - path_info == set(doc)
    assert set(result['summary']) == set(doc['summary']['contains'])


def test_examples_use_the_fqcn_and_valid_arguments():
    validator = ArgumentSpecValidator(rollout_report.argument_spec())
    used = 0
    for task in yaml.safe_load(rollout_report.EXAMPLES):
        assert 'name' in task
        if 'mailrelay.sendmail.rollout_report' not in task:
            assert any(key.startswith(('ansible.builtin.', 'mailrelay.sendmail.')) for key in task), task
            continue
        used += 1
        arguments = task['mailrelay.sendmail.rollout_report']
        assert set(arguments) <= set(rollout_report.argument_spec()), task['name']
        # a template is a string until Ansible renders it: stand in a value of the option's type
        spec = rollout_report.argument_spec()
        stand_in = {'path': '/tmp/report', 'list': [], 'dict': {}}
        literal = dict((key, stand_in[spec[key]['type']] if isinstance(value, str) and '{{' in value else value)
                       for key, value in arguments.items())
        result = validator.validate(literal)
        assert not result.error_messages, (task['name'], result.error_messages)
    assert used == 2


def test_the_page_links_the_earlier_runs(run_module, tmp_path):
    """Three runs: the third page links the first two, from dest and from its own run directory."""
    first = dict(args(tmp_path, run_id='20261101T040000Z'), run=dict(run(), id='20261101T040000Z', started='2026-11-01T04:00:00Z'))
    run_module(rollout_report, first)  # relay1's canary failed and was rolled back
    second = dict(args(tmp_path, run_id='20261115T040000Z', hosts=[record(RELAYS[0], 1)], pending=RELAYS[1:]),
                  run=dict(run(), id='20261115T040000Z', started='2026-11-15T04:00:00Z'))
    run_module(rollout_report, second)
    (tmp_path / 'runs' / 'broken').mkdir()
    (tmp_path / 'runs' / 'broken' / 'report.json').write_text('{"half": ')
    os.utime(str(tmp_path / 'runs' / 'broken' / 'report.json'), (1, 1))
    rc, result, dummy = run_module(rollout_report, args(tmp_path, hosts=[record(RELAYS[0], 1)]))
    assert rc == 0

    report = json.loads((tmp_path / 'report.json').read_text())
    assert report['history']['limit'] == 10
    assert [(entry['id'], entry['outcome']) for entry in report['history']['runs']] == [
        ('20261115T040000Z', 'in progress'), ('20261101T040000Z', 'failed'), ('broken', None)]
    assert [(entry['run'], entry['gate']) for entry in report['history']['relays'][RELAYS[0]]] == [
        ('20261115T040000Z', 'passed'), ('20261101T040000Z', 'failed')]
    page = (tmp_path / 'report.html').read_text()
    for name in ('20261115T040000Z', '20261101T040000Z'):
        assert '<a href="runs/%s/report.html#host-%s"' % (name, RELAYS[0]) in page
        assert (tmp_path / 'runs' / name / 'report.html').is_file()  # the link leads somewhere
    copy = (tmp_path / 'runs' / '20261202T051500Z' / 'report.html').read_text()
    assert copy == page.replace('href="runs/', 'href="../')
    # report.json and junit.xml do not depend on where they lie
    for name in ('report.json', 'junit.xml'):
        assert (tmp_path / name).read_bytes() == (tmp_path / 'runs' / '20261202T051500Z' / name).read_bytes()


@pytest.mark.parametrize('extra, linked', [
    ({}, ['20261100T000000Z', '20261101T000000Z', '20261102T000000Z', '20261103T000000Z', '20261104T000000Z']),
    ({'history': 2}, ['20261100T000000Z', '20261101T000000Z']),
    # the runs pruned by this call (the oldest by the directories' times) are not linked
    ({'keep': 3}, ['20261103T000000Z', '20261104T000000Z']),
    ({'history': 0}, []),
])
def test_history_links_at_most_n_kept_runs(run_module, tmp_path, extra, linked):
    runs = tmp_path / 'runs'
    for number in range(5):
        path = runs / ('2026110%dT000000Z' % number)
        path.mkdir(parents=True)
        # newest first by start time, although the directories' times say the opposite
        (path / 'report.json').write_text(json.dumps({'run': {'started': '2026-11-%02dT00:00:00Z' % (20 - number)},
                                                      'summary': {'outcome': 'succeeded'},
                                                      'hosts': [{'host': RELAYS[0], 'outcome': 'unchanged', 'gate': {'ok': True}}]}))
        os.utime(str(path), (1000000 + number, 1000000 + number))
    rc, result, dummy = run_module(rollout_report, args(tmp_path, **extra))
    assert rc == 0
    report = json.loads((tmp_path / 'report.json').read_text())
    assert [entry['id'] for entry in report['history']['runs']] == linked
    assert [entry['run'] for entry in report['history']['relays'].get(RELAYS[0], [])] == linked
    page = (tmp_path / 'report.html').read_text()
    assert ('<h2>Runs</h2>' in page) is (extra.get('history') != 0)
    assert re.findall(r'href="runs/([^/]+)/report.html"', page) == linked
