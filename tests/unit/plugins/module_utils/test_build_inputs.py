# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Table-driven tests of the build inputs, the builders, the live links, the probe targets and
the TLS_Srv entries (module_utils _build_inputs, _probe and _mc)."""

from __future__ import annotations

import hashlib

import pytest

from ansible_collections.mailrelay.sendmail.plugins.module_utils import _build_inputs as b
from ansible_collections.mailrelay.sendmail.plugins.module_utils._mc import tls_srv_entry
from ansible_collections.mailrelay.sendmail.plugins.module_utils._probe import probe_account, probe_targets

DEBIAN_BACKPORT = next(iter(b.SMUGGLING_FIX_SHA256))


@pytest.fixture
def patches(tmp_path):
    mine = tmp_path / 'mine.patch'
    mine.write_text('--- a\n+++ b\n')
    return {'dir': str(tmp_path), 'mine': str(mine), 'sha': hashlib.sha256(mine.read_bytes()).hexdigest()}


def test_normalize_patches_forms_and_search(patches, tmp_path):
    out = b.normalize_patches(['mine.patch', {'path': patches['mine'], 'sha256': patches['sha'].upper(), 'strip': '0',
                                              'fixes': 'cve-2024-0001'}, 'missing.patch'],
                              ['/nonexistent', patches['dir']])
    assert [p['exists'] for p in out] == [True, True, False]
    assert out[0]['path'] == patches['mine'] and out[0]['sha256'] == patches['sha'] and out[0]['strip'] == 1
    assert out[1]['expected_sha256'] == patches['sha'] and out[1]['strip'] == 0 and out[1]['fixes'] == ['CVE-2024-0001']
    assert out[2]['sha256'] == '' and out[2]['given'] == 'missing.patch'


@pytest.mark.parametrize('entry, message', [
    ({'sha256': 'x'}, 'has no path'),
    ({'path': '/x', 'strip': 'one'}, 'strip must be an integer'),
])
def test_normalize_patches_refuses(entry, message):
    with pytest.raises(ValueError, match=message):
        b.normalize_patches([entry])


@pytest.mark.parametrize('version, patch_shas, fixes, expected', [
    ('8.18.1', [], [], 'fixed-upstream'),
    ('8.19.0', [], [], 'fixed-upstream'),
    ('8.17.1.9', [], [], 'vulnerable'),
    ('8.17.1.9', ['0' * 64], [], 'vulnerable'),
    ('8.17.1.9', ['0' * 64], ['CVE-2023-51765'], 'patched'),
])
def test_smuggling_status(version, patch_shas, fixes, expected):
    patches = [{'sha256': sha, 'fixes': fixes} for sha in patch_shas]
    assert b.smuggling_status(version, patches) == expected


def test_known_backport_counts_as_the_fix(tmp_path, monkeypatch):
    patch = tmp_path / 'debian.patch'
    patch.write_text('x')
    monkeypatch.setattr(b, 'sha256_file', lambda path: DEBIAN_BACKPORT)
    [entry] = b.normalize_patches([str(patch)])
    assert entry['fixes'] == ['CVE-2023-51765']
    assert b.smuggling_status('8.17.1.9', [entry]) == 'patched'


SASL = {'version': '2.1.28', 'source': {'name': 'a.tar', 'sha256': 'aa', 'archive': '/home/u/a.tar', 'url': ''},
        'configure_args': ['--prefix=@PREFIX@']}
SENDMAIL = {'version': '8.17.1.9', 'source': {'name': 's.tar', 'sha256': 'bb', 'archive': '', 'url': 'https://x/s.tar'},
            'patches': [{'path': '/home/u/p.patch', 'sha256': 'cc', 'strip': 1}], 'site_config': 'dnl'}
BASE = {'recipe': 1, 'platform': 'debian-12-x86_64', 'sw_dir': '/var/lib/mailrelay/sw'}


def test_inputs_leave_out_where_sources_come_from():
    inputs = b.artifact_inputs(BASE, SASL, SENDMAIL)
    moved = b.artifact_inputs(BASE, dict(SASL, source=dict(SASL['source'], archive='/elsewhere/a.tar')),
                              dict(SENDMAIL, patches=[dict(SENDMAIL['patches'][0], path='/other/p.patch')]))
    assert b.fingerprint(inputs) == b.fingerprint(moved)
    assert 'archive' not in inputs['cyrus_sasl']['source'] and inputs['sendmail']['patches'] == ['cc:1']


@pytest.mark.parametrize('change', [
    lambda base, sasl, sm: (dict(base, platform='debian-13-x86_64'), sasl, sm),
    lambda base, sasl, sm: (base, dict(sasl, configure_args=['--prefix=@PREFIX@', '--with-ldap']), sm),
    lambda base, sasl, sm: (base, sasl, dict(sm, patches=[])),
    lambda base, sasl, sm: (base, sasl, dict(sm, patches=[dict(sm['patches'][0], strip=0)])),
    lambda base, sasl, sm: (base, sasl, dict(sm, site_config='dnl changed')),
    lambda base, sasl, sm: (dict(base, recipe=2), sasl, sm),
])
def test_every_build_input_changes_the_fingerprint(change):
    assert b.fingerprint(b.artifact_inputs(*change(BASE, SASL, SENDMAIL))) != b.fingerprint(b.artifact_inputs(BASE, SASL, SENDMAIL))


def job(host, ident, platform='debian-12-x86_64', force=False):
    return {'host': host, 'id': ident, 'fingerprint': ident * 4, 'platform': platform, 'release': platform.rsplit('-', 1)[0],
            'cache': '/c/' + ident, 'prefix': '/var/lib/mailrelay/sw/' + ident, 'force': force,
            'cyrus_sasl': SASL, 'sendmail': SENDMAIL}


def test_one_build_per_distinct_id():
    builds = b.artifact_builds([job('r1', 'a'), job('r2', 'b', 'debian-13-x86_64'), job('r3', 'a', force=True), job('r3', 'a'), None, {}])
    assert [x['id'] for x in builds] == ['a', 'b']
    assert builds[0]['hosts'] == ['r1', 'r3'] and builds[0]['force'] is True and builds[1]['hosts'] == ['r2']


@pytest.mark.parametrize('builder, hosts, images, arch, kind, builder_name, error', [
    ('auto', {}, {'debian-12': 'debian:bookworm'}, 'x86_64', 'container', 'mailrelay-build-debian-12-x86_64-a', None),
    ('auto', {'debian-12-x86_64': 'b12'}, {}, 'x86_64', 'host', 'b12', None),
    ('host', {}, {}, 'x86_64', None, None, 'names no build host'),
    ('auto', {'debian-12-x86_64': 'r1'}, {}, 'x86_64', None, None, 'one of the relays'),
    ('container', {}, {}, 'x86_64', None, None, 'no build image'),
    ('container', {}, {'debian-12': 'debian:bookworm'}, 'aarch64', None, None, 'needs a build for x86_64'),
    ('sometimes', {}, {}, 'x86_64', None, None, 'must be auto, container or host'),
])
def test_builders(builder, hosts, images, arch, kind, builder_name, error):
    builds = b.artifact_builds([job('r1', 'a')])
    if error:
        with pytest.raises(ValueError, match=error):
            b.artifact_builders(builds, builder, hosts, images, controller_arch=arch)
        return
    [entry] = b.artifact_builders(builds, builder, hosts, images, controller_arch=arch)
    assert (entry['kind'], entry['builder'], entry['become']) == (kind, builder_name, kind == 'host')
    assert entry['work'] == '/var/tmp/mailrelay-build/a'


def test_metadata_for_the_manifest():
    meta = b.artifact_metadata(dict(job('r1', 'a'), kind='container', builder='x', image='debian:bookworm'), created='t')
    assert meta['versions'] == {'sendmail': '8.17.1.9', 'cyrus_sasl': '2.1.28'}
    assert meta['configure_args'] == ['--prefix=/var/lib/mailrelay/sw/a']
    assert meta['patches'] == [{'name': 'p.patch', 'sha256': 'cc', 'strip': 1, 'fixes': []}]
    assert meta['smtp_smuggling'] == 'vulnerable' and meta['accounts']['groups'] == ['smmsp'] and meta['created'] == 't'
    assert meta['cyrus_sasl_patches'] == []


def test_metadata_lists_the_cyrus_sasl_patches_too():
    build = dict(job('r1', 'a'), kind='container', builder='x', image='debian:bookworm')
    build['cyrus_sasl'] = dict(build['cyrus_sasl'], patches=[{'given': '/c/saslauthd-x.patch', 'sha256': 'dd', 'strip': 1}])
    meta = b.artifact_metadata(build)
    assert meta['cyrus_sasl_patches'] == [{'name': 'saslauthd-x.patch', 'sha256': 'dd', 'strip': 1, 'fixes': []}]
    assert [p['name'] for p in meta['patches']] == ['p.patch']


@pytest.mark.parametrize('state, fix', [
    ({}, True),
    ({'exists': True, 'type': 'file'}, True),
    ({'exists': True, 'type': 'link', 'target': '/elsewhere/sw/sbin/sendmail'}, True),
    ({'exists': True, 'type': 'link', 'target': '/var/lib/mailrelay/current/sw/sbin/sendmail'}, False),
])
def test_links_to_fix(state, fix):
    links = {'/usr/sbin/sendmail': 'sw/sbin/sendmail'}
    out = b.links_to_fix(links, {'/usr/sbin/sendmail': state}, '/var/lib/mailrelay/current/')
    assert out == ([{'key': '/usr/sbin/sendmail', 'value': 'sw/sbin/sendmail'}] if fix else [])


@pytest.mark.parametrize('users, expected', [
    ([], {}),
    ([{'name': 'alice', 'password': 'a'}], {'user': 'alice', 'password': 'a'}),
    ([{'name': 'old', 'state': 'absent'}, {'name': 'nopw'}, {'name': 'bob', 'password': 'b', 'state': 'present'}],
     {'user': 'bob', 'password': 'b'}),
    (['not a dict', {'password': 'x'}], {}),
    (None, {}),
])
def test_probe_account(users, expected):
    assert probe_account(users) == expected


LISTENERS = [{'name': 'MTA', 'addr': '0.0.0.0', 'family': 'inet'}, {'name': 'MTA6', 'addr': '::', 'family': 'inet6'},
             {'name': 'LOCAL', 'addr': '127.0.0.1', 'family': 'inet'}, {'name': 'ONE', 'addr': '192.0.2.7', 'family': 'inet'}]


@pytest.mark.parametrize('addresses, expected', [
    ('', [('MTA', '192.0.2.5'), ('MTA', '198.51.100.5'), ('MTA6', '2001:db8::5'), ('ONE', '192.0.2.7')]),
    ('relay1.example.org', [(n, 'relay1.example.org') for n in ('MTA', 'MTA6', 'LOCAL', 'ONE')]),
    (['a', 'b'], [(n, a) for n in ('MTA', 'MTA6', 'LOCAL', 'ONE') for a in ('a', 'b')]),
])
def test_probe_targets(addresses, expected):
    targets = probe_targets(LISTENERS, addresses, ipv4=['127.0.0.1', '192.0.2.5', '198.51.100.5'],
                            ipv6=['::1', 'fe80::1', '2001:db8::5', '::ffff:192.0.2.5'])
    assert [(t['listener']['name'], t['address']) for t in targets] == expected


@pytest.mark.parametrize('host, expected', [
    ('relay1.example.org', {'key': 'TLS_Srv:relay1.example.org', 'value': 'VERIFY+CN:relay1.example.org'}),
    ('', None), ('*', None), ('a b', None),
])
def test_tls_srv_entry(host, expected):
    if expected is None:
        with pytest.raises(ValueError):
            tls_srv_entry(host)
    else:
        assert tls_srv_entry(host) == expected
