# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""artifact_pack and artifact_install on trees in tmp dirs: a build host and a relay side by side."""

from __future__ import annotations

import json
import os
import stat
import tarfile

import pytest

from ansible_collections.mailrelay.sendmail.plugins.module_utils import _artifact, _generation
from ansible_collections.mailrelay.sendmail.plugins.modules import artifact_install, artifact_pack
from ansible_collections.mailrelay.sendmail.tests.unit.artifact_trees import (
    GROUP,
    ID,
    OWNER,
    build_prefix,
    handmade_archive,
    manifest_for,
    sha256,
)

METADATA = {'fingerprint': ID + 'f' * 48, 'platform': 'debian-12-amd64',
            'versions': {'sendmail': '8.18.1', 'cyrus_sasl': '2.1.28'}, 'builder': 'builder-debian-12',
            # the group the build created for sendmail's set-group-ID program (here: the tests' own)
            'accounts': {'groups': [GROUP], 'users': []}}


@pytest.fixture
def sides(tmp_path):
    """Paths of a build host and a relay; the prefix is built for the relay's dest."""
    relay_sw = tmp_path / 'relay' / 'sw'
    dest = str(relay_sw / ID)
    src = build_prefix(str(tmp_path / 'build' / 'sw'), dest)
    out = tmp_path / 'out'
    return dict(src=src, dest=dest, relay_sw=str(relay_sw), archive=str(out / (ID + '.tar.gz')),
                manifest=str(out / (ID + '.json')), tmp=tmp_path)


def pack_args(sides, **extra):
    args = dict(src=sides['src'], archive=sides['archive'], manifest=sides['manifest'], metadata=METADATA)
    args.update(extra)
    return args


def install_args(sides, **extra):
    args = dict(archive=sides['archive'], manifest=sides['manifest'], dest=sides['dest'], _ansible_diff=True)
    args.update(extra)
    return args


def packed(run_module, sides, **extra):
    rc, result, dummy = run_module(artifact_pack, pack_args(sides, **extra))
    assert rc == 0, result
    return result


# ---------------------------------------------------------------------------------------
# artifact_pack

def test_pack_four_ways(run_module, sides):
    rc, result, dummy = run_module(artifact_pack, pack_args(sides), check_mode=True)
    assert rc == 0 and result['changed'] is True
    assert result['written'] == [sides['archive'], sides['manifest']]
    assert not os.path.exists(os.path.dirname(sides['archive']))
    predicted = result['archive_sha256']

    rc, result, dummy = run_module(artifact_pack, pack_args(sides))
    assert rc == 0 and result['changed'] is True
    assert result['archive_sha256'] == predicted == sha256(sides['archive'])
    assert result['size'] == os.path.getsize(sides['archive'])
    with open(sides['manifest']) as handle:
        assert json.load(handle) == result['manifest']

    for check_mode in (True, False):
        rc, result, dummy = run_module(artifact_pack, pack_args(sides), check_mode=check_mode)
        assert rc == 0 and result['changed'] is False and result['written'] == []


def test_manifest_format(run_module, sides):
    manifest = packed(run_module, sides)['manifest']
    assert manifest['format'] == 1 and manifest['id'] == ID
    assert manifest['fingerprint'] == METADATA['fingerprint'] and manifest['versions'] == METADATA['versions']
    assert manifest['file_count'] == len(manifest['files']) == 13
    paths = [entry['path'] for entry in manifest['files']]
    assert paths == ['.', 'bin', 'bin/mailq', 'lib', 'lib/libsasl2.so.3', 'lib/libsasl2.so.3.0.0', 'lib/sasl2',
                     'lib/sasl2/libplain.so', 'sbin', 'sbin/sendmail', 'share', 'share/doc', 'share/doc/README']
    index = dict((entry['path'], entry) for entry in manifest['files'])
    assert index['sbin/sendmail'] == {'path': 'sbin/sendmail', 'type': 'file', 'mode': '2555', 'owner': OWNER,
                                      'group': GROUP, 'size': 2100,
                                      'sha256': sha256(os.path.join(sides['src'], 'sbin', 'sendmail'))}
    assert index['bin/mailq']['target'] == sides['dest'] + '/sbin/sendmail'
    assert index['share/doc']['mode'] == '0555'
    assert manifest['installed_size'] == 2100 + 700 + 5 + 5


def test_archive_members(run_module, sides):
    packed(run_module, sides)
    with tarfile.open(sides['archive']) as tar:
        members = tar.getmembers()
    assert [m.name for m in members][:3] == [ID, ID + '/bin', ID + '/bin/mailq']
    sendmail = [m for m in members if m.name == ID + '/sbin/sendmail'][0]
    assert sendmail.mode == 0o2555 and sendmail.uname == OWNER and sendmail.gname == GROUP
    assert len(set(m.mtime for m in members)) == 1


def test_pack_is_deterministic_and_follows_mtime(run_module, sides):
    first = packed(run_module, sides, mtime=1700000000)
    second = packed(run_module, sides, archive=str(sides['tmp'] / 'again.tar.gz'),
                    manifest=str(sides['tmp'] / 'again.json'), mtime=1700000000)
    assert first['archive_sha256'] == second['archive_sha256']
    third = packed(run_module, sides, mtime=1700000001)
    assert third['changed'] is True and third['archive_sha256'] != first['archive_sha256']


def test_pack_notices_a_changed_file(run_module, sides):
    first = packed(run_module, sides, mtime=1)
    with open(os.path.join(sides['src'], 'lib', 'sasl2', 'libplain.so'), 'wb') as handle:
        handle.write(b'PLAIN')
    second = packed(run_module, sides, mtime=1)
    assert second['changed'] is True and second['archive_sha256'] != first['archive_sha256']


@pytest.mark.parametrize('metadata, message', [
    ({'files': []}, 'metadata must not set files'),
    ({'archive_sha256': 'x', 'size': 1}, 'archive_sha256, size'),
    ({'id': 'fedcba9876543210'}, 'metadata.id is fedcba9876543210'),
    ({'fingerprint': 'f' * 64}, 'does not start with the id'),
])
def test_pack_refuses_bad_metadata(run_module, sides, metadata, message):
    rc, result, dummy = run_module(artifact_pack, pack_args(sides, metadata=metadata))
    assert rc == 1 and message in result['msg']
    assert not os.path.exists(sides['archive'])


def test_pack_refuses_a_fifo(run_module, sides):
    os.mkfifo(os.path.join(sides['src'], 'lib', 'fifo'))
    rc, result, dummy = run_module(artifact_pack, pack_args(sides))
    assert rc == 1 and 'fifo' in result['msg'] and 'lib/fifo' in result['msg']


# ---------------------------------------------------------------------------------------
# artifact_install

def test_install_four_ways(run_module, sides):
    manifest = packed(run_module, sides)['manifest']
    rc, result, dummy = run_module(artifact_install, install_args(sides), check_mode=True)
    assert rc == 0 and result['changed'] is True and result['verified'] is False
    assert not os.path.exists(sides['relay_sw'])
    assert 'added:   sbin/sendmail' in result['diff']['prepared']

    rc, result, dummy = run_module(artifact_install, install_args(sides))
    assert rc == 0 and result['changed'] is True and result['verified'] is True
    assert result['id'] == ID and result['fingerprint'] == METADATA['fingerprint']
    assert result['versions'] == METADATA['versions'] and result['file_count'] == 13
    assert result['replaced_corrupt'] is None and result['external_links'] == []
    # the relay has what the build host had, set-group-ID bit and read-only directory included
    assert _generation.scan_tree(sides['dest']) == manifest['files']
    assert stat.S_IMODE(os.stat(os.path.join(sides['dest'], 'sbin', 'sendmail')).st_mode) == 0o2555
    assert os.path.realpath(os.path.join(sides['dest'], 'bin', 'mailq')) == os.path.join(sides['dest'], 'sbin', 'sendmail')
    assert os.listdir(sides['relay_sw']) == [ID]  # no temporary directory left

    for check_mode in (True, False):
        rc, result, dummy = run_module(artifact_install, install_args(sides), check_mode=check_mode)
        assert rc == 0 and result['changed'] is False and result['verified'] is True, result
        assert 'diff' not in result


def test_install_with_the_manifest_as_dict_and_without_the_archive(run_module, sides):
    manifest = packed(run_module, sides)['manifest']
    rc, result, dummy = run_module(artifact_install, install_args(sides, manifest=manifest))
    assert rc == 0 and result['verified'] is True
    os.unlink(sides['archive'])  # a verified dest needs no archive
    rc, result, dummy = run_module(artifact_install, install_args(sides, manifest=manifest))
    assert rc == 0 and result['changed'] is False


def test_archive_hash_mismatch_writes_nothing(run_module, sides):
    packed(run_module, sides)
    with open(sides['archive'], 'ab') as handle:
        handle.write(b'\0')
    actual = sha256(sides['archive'])
    rc, result, dummy = run_module(artifact_install, install_args(sides))
    assert rc == 1
    with open(sides['manifest']) as handle:
        expected = json.load(handle)['archive_sha256']
    assert actual in result['msg'] and expected in result['msg']
    assert not os.path.exists(sides['relay_sw'])


def test_dest_must_be_named_after_the_id(run_module, sides):
    packed(run_module, sides)
    rc, result, dummy = run_module(artifact_install, install_args(sides, dest=sides['relay_sw'] + '/other'))
    assert rc == 1 and 'must end in the manifest id ' + ID in result['msg']


def test_missing_group_fails_before_anything_is_written(run_module, sides):
    manifest = packed(run_module, sides)['manifest']
    for entry in manifest['files']:
        if entry['path'] == 'sbin/sendmail':
            entry['group'] = 'no-such-group-mailrelay'
    manifest['accounts']['groups'] = ['no-such-group-mailrelay']
    rc, result, dummy = run_module(artifact_install, install_args(sides, manifest=manifest))
    assert rc == 1
    assert 'group no-such-group-mailrelay does not exist on this host (it owns sbin/sendmail)' in result['msg']
    assert 'ansible.builtin.group' in result['msg']
    assert not os.path.exists(sides['relay_sw'])


def test_missing_smmsp_names_the_role_that_creates_it(monkeypatch):
    def lookup_group(name):
        if name == 'smmsp':
            raise KeyError(name)
        return 0
    monkeypatch.setattr(_artifact, 'lookup_group', lookup_group)
    monkeypatch.setattr(_artifact, 'lookup_user', lambda name: 0)
    files = [dict(path='sbin/sendmail', owner='root', group='smmsp')]
    problems = _artifact.missing_accounts(files)
    assert len(problems) == 1
    assert problems[0].startswith('group smmsp does not exist on this host (it owns sbin/sendmail)')
    assert 'mailrelay.sendmail.sendmail_build' in problems[0]


@pytest.mark.parametrize('damage', ['content', 'mode', 'extra', 'missing', 'link'])
@pytest.mark.parametrize('with_exchange', [True, False])
def test_corrupt_dest_is_moved_aside_and_reinstalled(run_module, sides, monkeypatch, damage, with_exchange):
    if not with_exchange:
        monkeypatch.setattr(_generation, 'exchange', lambda first, second: False)
    manifest = packed(run_module, sides)['manifest']
    run_module(artifact_install, install_args(sides))
    sendmail = os.path.join(sides['dest'], 'sbin', 'sendmail')
    if damage == 'content':
        os.chmod(sendmail, 0o755)
        with open(sendmail, 'ab') as handle:
            handle.write(b'trojan')
        os.chmod(sendmail, 0o2555)
    elif damage == 'mode':
        os.chmod(sendmail, 0o555)  # lost its set-group-ID bit
    elif damage == 'extra':
        with open(os.path.join(sides['dest'], 'lib', 'sasl2', 'libevil.so'), 'w') as handle:
            handle.write('x')
    elif damage == 'missing':
        os.unlink(os.path.join(sides['dest'], 'lib', 'sasl2', 'libplain.so'))
    else:
        os.unlink(os.path.join(sides['dest'], 'lib', 'libsasl2.so.3'))
        os.symlink('/lib/libsasl2.so.2', os.path.join(sides['dest'], 'lib', 'libsasl2.so.3'))

    rc, result, dummy = run_module(artifact_install, install_args(sides), check_mode=True)
    assert rc == 0 and result['changed'] is True and result['verified'] is False
    assert result['replaced_corrupt'].startswith(sides['dest'] + '.corrupt-')
    assert not os.path.exists(result['replaced_corrupt'])
    expected = {'content': ['sbin/sendmail'], 'mode': ['sbin/sendmail'], 'extra': ['lib/sasl2/libevil.so'],
                'missing': ['lib/sasl2/libplain.so'], 'link': ['lib/libsasl2.so.3']}[damage]
    assert result['differences'] == expected
    assert result['diff']['prepared'].splitlines()[1].endswith(expected[0])

    rc, result, dummy = run_module(artifact_install, install_args(sides))
    assert rc == 0 and result['changed'] is True and result['verified'] is True
    aside = result['replaced_corrupt']
    assert aside.startswith(sides['dest'] + '.corrupt-') and os.path.isdir(aside)
    assert _generation.scan_tree(sides['dest']) == manifest['files']
    # the damaged tree is kept as it was, for a look at what happened, but can no longer be run:
    # no set-ID bits anywhere, no execute rights on its files
    aside_files = _generation.scan_tree(aside)
    keys = [key for key in _generation.COMPARE_KEYS if key != 'mode']
    kept = _generation.compare_entries(manifest['files'], aside_files, keys)
    assert _generation.difference_names(kept) == (expected if damage != 'mode' else [])
    for entry in aside_files:
        if entry['type'] != 'link':
            assert int(entry['mode'], 8) & 0o6000 == 0, entry
        if entry['type'] == 'file':
            assert int(entry['mode'], 8) & 0o111 == 0, entry
    rc, result, dummy = run_module(artifact_install, install_args(sides))
    assert result['changed'] is False


def test_force_reinstalls_and_keeps_the_old_tree(run_module, sides):
    packed(run_module, sides)
    run_module(artifact_install, install_args(sides))
    rc, result, dummy = run_module(artifact_install, install_args(sides, force=True))
    assert rc == 0 and result['changed'] is True
    assert result['replaced_corrupt'] is None and os.path.isdir(result['replaced_previous'])


def test_a_file_in_place_of_dest_is_replaced(run_module, sides):
    packed(run_module, sides)
    os.makedirs(sides['relay_sw'])
    with open(sides['dest'], 'w') as handle:
        handle.write('not a directory')
    rc, result, dummy = run_module(artifact_install, install_args(sides))
    assert rc == 0 and result['verified'] is True and os.path.isfile(result['replaced_corrupt'])


# ---------------------------------------------------------------------------------------
# hostile archives: each is refused, and neither dest nor a temporary directory remains

def _hostile(sides, members, tweak=None):
    os.makedirs(os.path.dirname(sides['archive']), exist_ok=True)
    digest, files = handmade_archive(sides['archive'], members)
    files = [entry for entry in files if not entry['path'].startswith(('/', '..')) and '/../' not in entry['path']]
    if tweak:
        tweak(files)
    return manifest_for(files, digest)


HOSTILE = {
    'absolute name': ([(ID, 'dir', None, 0o755), ('/etc/cron.d/evil', 'file', b'x', 0o644)],
                      None, 'absolute'),
    'dot-dot': ([(ID, 'dir', None, 0o755), (ID + '/../evil', 'file', b'x', 0o644)], None, 'contains ..'),
    'outside the id': ([(ID, 'dir', None, 0o755), ('other/evil', 'file', b'x', 0o644)],
                       lambda files: files.pop(), 'lies outside'),
    'not in the manifest': ([(ID, 'dir', None, 0o755), (ID + '/evil', 'file', b'x', 0o644)],
                            lambda files: files.pop(), 'is not in the manifest'),
    'fifo': ([(ID, 'dir', None, 0o755), (ID + '/fifo', 'fifo', None, 0o644)], None, 'is a fifo'),
    'hard link': ([(ID, 'dir', None, 0o755), (ID + '/a', 'file', b'x', 0o644), (ID + '/b', 'hardlink', ID + '/a', 0o644)],
                  None, 'is a hard link'),
    'escaping link': ([(ID, 'dir', None, 0o755), (ID + '/etc', 'link', '/etc', 0o777)],
                      lambda files: files[1].update(target='/usr/etc'), 'points outside'),
    'relative escaping link': ([(ID, 'dir', None, 0o755), (ID + '/up', 'link', '../../..', 0o777)],
                               lambda files: files[1].update(target='.'), 'points outside'),
    'content differs from the manifest': ([(ID, 'dir', None, 0o755), (ID + '/f', 'file', b'x', 0o644)],
                                          lambda files: files[1].update(sha256='0' * 64), 'has sha256'),
    'type differs from the manifest': ([(ID, 'dir', None, 0o755), (ID + '/d', 'link', '/tmp', 0o777)],
                                       lambda files: files[1].update(type='dir', mode='0755'), 'is a link but the manifest says dir'),
    'member missing': ([(ID, 'dir', None, 0o755)],
                       lambda files: files.append(dict(path='f', type='file', mode='0644', owner=OWNER, group=GROUP,
                                                       size=1, sha256='0' * 64)), 'lacks 1 entry'),
    'through a symlink': ([(ID, 'dir', None, 0o755), (ID + '/lnk', 'link', '/tmp', 0o777), (ID + '/lnk/f', 'file', b'x', 0o644)],
                          None, 'does not list as a directory'),
}


@pytest.mark.parametrize('case', sorted(HOSTILE))
def test_hostile_archive_is_refused(run_module, sides, case):
    members, tweak, message = HOSTILE[case]
    manifest = _hostile(sides, members, tweak)
    rc, result, dummy = run_module(artifact_install, install_args(sides, manifest=manifest))
    assert rc == 1, result
    assert message in result['msg']
    assert not os.path.exists(sides['dest'])
    if os.path.exists(sides['relay_sw']):
        assert os.listdir(sides['relay_sw']) == []  # the temporary directory is gone


def test_external_link_listed_in_the_manifest_is_accepted(run_module, sides):
    manifest = _hostile(sides, [(ID, 'dir', None, 0o755), (ID + '/etc', 'link', '/etc/mail', 0o777)])
    rc, result, dummy = run_module(artifact_install, install_args(sides, manifest=manifest))
    assert rc == 0 and result['external_links'] == ['etc -> /etc/mail']
    assert os.readlink(os.path.join(sides['dest'], 'etc')) == '/etc/mail'


@pytest.mark.parametrize('rel, target, escapes', [
    ('bin/mailq', '/srv/sw/x/sbin/sendmail', False),
    ('bin/mailq', '/srv/sw/x', False),
    ('bin/mailq', '/srv/sw/xy/sbin/sendmail', True),
    ('lib/libsasl2.so', 'libsasl2.so.3', False),
    ('lib/libsasl2.so', '../sbin/sendmail', False),
    ('lib/libsasl2.so', '../../y', True),
    ('top', '..', True),
])
def test_link_escapes(rel, target, escapes):
    assert _artifact.link_escapes(rel, target, '/srv/sw/x') is escapes


def test_installed_artifact_becomes_a_generation(run_module, sides):
    """The pieces together: install into <root>/sw, stage, link, switch, look."""
    from ansible_collections.mailrelay.sendmail.plugins.modules import generation, generation_info
    root = os.path.dirname(sides['relay_sw'])
    packed(run_module, sides)
    assert run_module(artifact_install, install_args(sides))[0] == 0
    assert run_module(generation, dict(root=root, state='staged'))[0] == 0
    os.symlink(sides['dest'], os.path.join(root, 'next', 'sw'))
    os.mkdir(os.path.join(root, 'next', 'mail'))
    with open(os.path.join(root, 'next', 'mail', 'sendmail.cf'), 'w') as handle:
        handle.write('V10/Berkeley\n')
    rc, result, dummy = run_module(generation, dict(root=root, state='switched', prune_sw=True))
    assert rc == 0 and result['current'] == '0001' and result['pruned_sw'] == []
    assert os.path.isfile(os.path.join(root, 'current', 'sw', 'sbin', 'sendmail'))
    rc, state, dummy = run_module(generation_info, dict(root=root))
    assert state['sw'] == [dict(id=ID, used_by=['0001', 'next'])]
    assert state['generations'][0]['sw_id'] == ID and state['next']['pending'] is False


@pytest.mark.parametrize('path, mode, kind, group, refused', [
    ('sbin/sendmail', '2555', 'file', GROUP, None),                     # the build's own smmsp program
    ('sbin/sendmail', '4555', 'file', GROUP, 'is set-user-ID'),
    ('sbin/sendmail', '6555', 'file', GROUP, 'is set-user-ID'),
    ('sbin/sendmail', '2555', 'file', 'mail', 'is set-group-ID'),       # a group the build did not create
    ('sbin', '2755', 'dir', GROUP, 'is set-group-ID'),
    ('lib/libsasl2.so.3.0.0', '0666', 'file', GROUP, 'is world-writable'),
    ('share/doc', '1777', 'dir', GROUP, 'is world-writable'),
    ('lib/libsasl2.so.3', '0777', 'link', GROUP, None),                  # a link's mode means nothing
])
def test_manifest_refuses_unsafe_modes(path, mode, kind, group, refused):
    problem = _artifact.unsafe_mode({'path': path, 'mode': mode, 'type': kind, 'group': group}, [GROUP])
    if refused is None:
        assert problem is None
    else:
        assert refused in problem


def test_install_refuses_a_set_user_id_program_before_anything_is_written(run_module, sides):
    manifest = packed(run_module, sides)['manifest']
    for entry in manifest['files']:
        if entry['path'] == 'sbin/sendmail':
            entry['mode'] = '4555'
    rc, result, dummy = run_module(artifact_install, install_args(sides, manifest=manifest))
    assert rc == 1 and 'sbin/sendmail is set-user-ID (mode 4555)' in result['msg']
    assert not os.path.lexists(sides['dest'])


def test_defuse_tree(tmp_path):
    top = tmp_path / 'legacy'
    (top / 'sbin').mkdir(parents=True)
    program = top / 'sbin' / 'sendmail'
    program.write_bytes(b'x')
    os.chmod(program, 0o6755)
    os.chmod(top / 'sbin', 0o2755)
    os.symlink('sendmail', top / 'sbin' / 'mailq')
    assert _artifact.defuse_tree(str(top)) == 2
    assert stat.S_IMODE(os.stat(program).st_mode) == 0o644
    assert stat.S_IMODE(os.stat(top / 'sbin').st_mode) == 0o755
    assert os.path.islink(top / 'sbin' / 'mailq')
    assert _artifact.defuse_tree(str(top)) == 0
