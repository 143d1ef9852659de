# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""live_links: the live paths through `current`, tested four ways (check, real, check, real)."""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.mailrelay.sendmail.plugins.modules import live_links


@pytest.fixture
def relay(tmp_path):
    """A relay with generation 0001 live: a program, a config file, a directory; no saslauthd.conf."""
    root = tmp_path / 'var' / 'lib' / 'mailrelay'
    gen = root / 'generations' / '0001'
    (gen / 'sw' / 'sbin').mkdir(parents=True)
    (gen / 'sw' / 'sbin' / 'sendmail').write_text('new')
    (gen / 'mail').mkdir()
    (gen / 'mail' / 'sendmail.cf').write_text('cf')
    (gen / 'certs').mkdir()
    os.symlink(str(gen), str(root / 'current'))
    live = tmp_path / 'live'
    (live / 'usr' / 'sbin').mkdir(parents=True)
    old = live / 'usr' / 'sbin' / 'sendmail'
    old.write_text('an older install')       # a set-group-ID program left by an earlier install
    os.chmod(old, 0o2755)
    (live / 'etc' / 'mail' / 'certs').mkdir(parents=True)  # a directory left there
    (live / 'etc' / 'mail' / 'certs' / 'tool').write_text('x')
    os.chmod(live / 'etc' / 'mail' / 'certs' / 'tool', 0o4755)
    links = {str(old): 'sw/sbin/sendmail',
             str(live / 'etc' / 'mail' / 'sendmail.cf'): 'mail/sendmail.cf',
             str(live / 'etc' / 'mail' / 'certs'): 'certs',
             str(live / 'etc' / 'saslauthd.conf'): 'sasl2/saslauthd.conf',
             str(live / 'etc' / 'pam.d' / 'smtp'): 'pam.d/smtp'}
    return dict(root=root, current=str(root / 'current'), legacy=str(root / 'legacy'), live=live, links=links)


def args(relay):
    return dict(links=relay['links'], current=relay['current'], legacy_dir=relay['legacy'], _ansible_diff=True)


def test_four_ways(run_module, relay):
    sendmail = str(relay['live'] / 'usr' / 'sbin' / 'sendmail')
    certs = str(relay['live'] / 'etc' / 'mail' / 'certs')
    cf = str(relay['live'] / 'etc' / 'mail' / 'sendmail.cf')

    rc, result, dummy = run_module(live_links, args(relay), check_mode=True)
    assert rc == 0 and result['changed'] is True
    assert result['linked'] == sorted([sendmail, certs, cf])
    assert sorted(move['path'] for move in result['moved']) == sorted([sendmail, certs])
    assert result['skipped'] == sorted([str(relay['live'] / 'etc' / 'saslauthd.conf'), str(relay['live'] / 'etc' / 'pam.d' / 'smtp')])
    assert not os.path.islink(sendmail) and not os.path.exists(relay['legacy'])
    assert '(not a link)' in result['diff']['before'] and '(absent)' in result['diff']['before']

    rc, result, dummy = run_module(live_links, args(relay))
    assert rc == 0 and result['changed'] is True
    assert os.readlink(sendmail) == relay['current'] + '/sw/sbin/sendmail'
    assert open(sendmail).read() == 'new'
    assert os.readlink(certs) == relay['current'] + '/certs'
    assert not os.path.lexists(str(relay['live'] / 'etc' / 'saslauthd.conf'))
    moved = dict((move['path'], move['to']) for move in result['moved'])
    # kept, never deleted, and defused: no set-ID bits, no execute rights
    assert open(moved[sendmail]).read() == 'an older install'
    assert stat.S_IMODE(os.stat(moved[sendmail]).st_mode) == 0o644
    assert stat.S_IMODE(os.stat(os.path.join(moved[certs], 'tool')).st_mode) == 0o644
    assert moved[sendmail].startswith(relay['legacy'] + '/') and moved[sendmail].endswith(sendmail)

    rc, result, dummy = run_module(live_links, args(relay), check_mode=True)
    assert rc == 0 and result['changed'] is False and result['linked'] == [] and result['moved'] == []
    rc, result, dummy = run_module(live_links, args(relay))
    assert rc == 0 and result['changed'] is False


def test_a_link_elsewhere_is_repointed_and_a_new_target_linked(run_module, relay):
    run_module(live_links, args(relay))
    conf = str(relay['live'] / 'etc' / 'saslauthd.conf')
    os.makedirs(os.path.join(relay['current'], 'sasl2'))
    with open(os.path.join(relay['current'], 'sasl2', 'saslauthd.conf'), 'w') as handle:
        handle.write('ldap_servers: ldap://ldap')
    sendmail = str(relay['live'] / 'usr' / 'sbin' / 'sendmail')
    os.unlink(sendmail)
    os.symlink('/usr/lib/sm.bin/sendmail', sendmail)
    rc, result, dummy = run_module(live_links, args(relay))
    assert rc == 0 and result['changed'] is True and result['moved'] == []
    assert result['linked'] == sorted([conf, sendmail])
    assert os.readlink(conf) == relay['current'] + '/sasl2/saslauthd.conf'
    assert os.readlink(sendmail) == relay['current'] + '/sw/sbin/sendmail'


@pytest.mark.parametrize('links', [{'usr/sbin/sendmail': 'sw/sbin/sendmail'}, {'/usr/sbin/sendmail': '/sw/sbin/sendmail'},
                                   {'/usr/sbin/sendmail': '../../etc/shadow'}, {'/usr/sbin/sendmail': ''}])
def test_bad_links_are_refused_before_anything_changes(run_module, relay, links):
    rc, result, dummy = run_module(live_links, dict(args(relay), links=links))
    assert rc == 1 and 'must be an absolute live path and a relative path inside the generation' in result['msg']
