# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Where the gate's open-relay probes send RCPT TO: class R of the cf, and the destinations of a run."""

from __future__ import annotations

import pytest

from ansible_collections.mailrelay.sendmail.plugins.filter.cf_relay_class import FilterModule as ClassFilters
from ansible_collections.mailrelay.sendmail.plugins.filter.relay_destinations import FilterModule as DestinationFilters
from ansible_collections.mailrelay.sendmail.plugins.module_utils._probe import (
    IP_LITERALS,
    RANDOM_TLDS,
    cf_relay_class,
    relay_destinations,
    relay_domain_list,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp_relay import TRICK_IDS, destinations_problem


@pytest.mark.parametrize('cf, words, files', [
    ('', [], []),
    ('FR-o /etc/mail/current/mail/relay-domains\n', [], ['/etc/mail/current/mail/relay-domains']),
    ('FR /etc/mail/relay-domains\nFR/etc/mail/relay-domains\n', [], ['/etc/mail/relay-domains']),
    ('CRexample.org\nCR other.example.net  10.1\n', ['example.org', 'other.example.net', '10.1'], []),
    ('C{R}net\n', ['net'], []),
    # other classes and comments are not class R
    ('Cwlocalhost relay.example.org\nCPREPLY\n# CRcommented.example\nFw/etc/mail/local-host-names\n', [], []),
    ('F{R} -o /srv/relay\n', [], ['/srv/relay']),
])
def test_cf_relay_class(cf, words, files):
    assert cf_relay_class(cf) == {'words': words, 'files': files}
    assert ClassFilters().filters()['cf_relay_class'](cf) == {'words': words, 'files': files}


@pytest.mark.parametrize('sources, domains', [
    ([['Example.ORG.', 'example.org', 'sub.example.org']], ['example.org', 'sub.example.org']),
    (['# relay for these\nexample.org  other.test # and this\n\n10.1\n192.168.0.0\n'], ['example.org', 'other.test']),
    ([['2001:db8', 'user@example.org', '[192.0.2.1]', '', 'net']], ['net']),
    ([None, 'a.example', ['a.example', 'b.example']], ['a.example', 'b.example']),
    # what the gate gives: C R words, the text of each relay-domains file, the role's list
    ([['cr.example', '# file\nfile.example\n10.2\n', 'var.example']], ['cr.example', 'file.example', 'var.example']),
])
def test_relay_domain_list(sources, domains):
    assert relay_domain_list(*sources) == domains


def _by_id(result):
    return {entry['id']: entry['rcpt_to'] for entry in result['destinations']}


def test_without_relay_domains_three_tlds_a_random_one_and_literals():
    result = relay_destinations([], seed='run-1')
    assert result['seed'] == 'run-1' and result['random_tld'] in RANDOM_TLDS and result['skipped'] == []
    ids = _by_id(result)
    assert list(ids)[:3] == ['outside_com', 'outside_net', 'outside_org']
    assert ids['outside_net'] == 'relay-probe@example.net'
    assert ids['outside_random_tld'].endswith('.' + result['random_tld'])
    assert ids['outside_random_tld'].startswith('relay-probe@mailrelay-probe-')
    assert [ids['ip_literal_%d' % n] for n in (1, 2, 3)] == ['relay-probe@%s' % literal for literal in IP_LITERALS]
    assert '[IPv6:2001:db8::1]' in IP_LITERALS


def test_the_seed_decides_the_random_tld_and_the_same_seed_repeats_it():
    assert relay_destinations(['a.example'], seed='s') == relay_destinations(['a.example'], seed='s')
    picked = {relay_destinations([], seed='run-%d' % n)['random_tld'] for n in range(200)}
    assert len(picked) > len(RANDOM_TLDS) // 2  # runs spread over the set
    labels = {_by_id(relay_destinations([], seed='run-%d' % n))['outside_random_tld'].split('@')[1].split('.')[0]
              for n in range(20)}
    assert len(labels) == 20


@pytest.mark.parametrize('relay_domains, present, absent, skipped', [
    # a relay domain three labels deep: both parents, and a made-up sibling under each parent
    (['mail.corp.example'], ['relay-probe@corp.example', 'relay-probe@{x}.corp.example', 'relay-probe@{x}.example'],
     ['relay-probe@example', 'relay-probe@mail.corp.example'], []),
    # relay domain example.org: example.org itself is covered, its parent .org gets a made-up sibling
    (['example.org'], ['relay-probe@{x}.org'], ['relay-probe@example.org'], ['example.org (a relay domain covers it)']),
    # a parent that is a relay domain too is not probed; the other parent still is
    (['sub.example.org', 'example.org'], ['relay-probe@{x}.org'],
     ['relay-probe@example.org', 'relay-probe@{x}.example.org'],
     ['example.org (a relay domain covers it)', '{x}.example.org (a relay domain covers it)']),
    # a top-level domain as relay domain covers nothing: every outside probe stays (and catches it)
    (['net'], ['relay-probe@example.net'], [], []),
    # the issue's `C R net` and a public suffix: .net and co.uk are probed under made-up labels
    (['shop.co.uk'], ['relay-probe@co.uk', 'relay-probe@{x}.co.uk', 'relay-probe@{x}.uk'], [], []),
    # network prefixes of class R are not domains
    (['10.1', '192.168.1'], [], ['relay-probe@1', 'relay-probe@{x}.1'], []),
])
def test_parent_domains_of_every_relay_domain(relay_domains, present, absent, skipped):
    result = relay_destinations(relay_domains, seed='fixed')
    made_up = _by_id(result)['outside_random_tld'].split('@')[1].split('.')[0]
    rcpts = [entry['rcpt_to'] for entry in result['destinations']]
    for rcpt in present:
        assert rcpt.format(x=made_up) in rcpts
    for rcpt in absent:
        assert rcpt.format(x=made_up) not in rcpts
    assert result['skipped'] == [entry.format(x=made_up) for entry in skipped]
    assert len(rcpts) == len(set(rcpts))
    # every list the filter makes is one smtp_relay_check accepts
    assert destinations_problem(result['destinations']) is None
    assert not set(_by_id(result)) & set(TRICK_IDS)


def test_parent_ids_are_numbered_per_kind_and_described():
    result = relay_destinations(['a.b.example'], seed='fixed', user='probe')
    ids = _by_id(result)
    assert ids['parent_domain_1'] == 'probe@b.example'
    assert [key for key in ids if key.startswith('parent_domain_sibling_')] == [
        'parent_domain_sibling_1', 'parent_domain_sibling_2']
    described = {entry['id']: entry['description'] for entry in result['destinations']}
    assert described['parent_domain_1'] == 'the parent domain b.example of the relay domain a.b.example'
    assert DestinationFilters().filters()['relay_destinations'](['a.b.example'], seed='fixed', user='probe') == result
