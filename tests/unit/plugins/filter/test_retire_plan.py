# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""retire_plan: which relays go, which stay, and what refuses a retire run before anything changes."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mailrelay.sendmail.plugins.filter.retire_plan import retire_plan

RELAYS = ['relay1', 'relay2', 'relay3']


@pytest.mark.parametrize('value, expected', [
    (['relay3'], ['relay3']),
    ('[relay3]', ['relay3']),                 # -e mailrelay_retire_relays=[relay3]
    ('relay2,relay3', ['relay2', 'relay3']),
    ("['relay3', 'relay2']", ['relay3', 'relay2']),
    ([' relay3 ', 'relay3'], ['relay3']),     # once
])
def test_names_are_read_as_a_list(value, expected):
    plan = retire_plan(value, RELAYS)
    assert plan['relays'] == expected
    assert plan['remaining'] == [relay for relay in RELAYS if relay not in expected]
    assert plan['problems'] == []


@pytest.mark.parametrize('value, words', [
    ([], ['mailrelay_retire_relays is empty']),
    ('', ['mailrelay_retire_relays is empty']),
    (None, ['mailrelay_retire_relays is empty']),
    (['relay9'], ['relay9', 'not in the inventory', 'relay1, relay2, relay3']),
    (['relay1', 'relay2', 'relay3'], ['every relay']),
])
def test_refused(value, words):
    problems = retire_plan(value, RELAYS)['problems']
    assert len(problems) == 1
    for word in words:
        assert word in problems[0]
    assert 'Nothing was changed' in problems[0]


def test_a_single_relay_cannot_be_retired():
    assert 'every relay' in retire_plan(['relay1'], ['relay1'])['problems'][0]


@pytest.mark.parametrize('hop', ['[relay3]', 'relay3', '[RELAY3.example.org.]:587', 'esmtp:[relay3.example.org]'])
def test_a_relay_that_stays_must_not_send_through_one_that_goes(hop):
    plan = retire_plan(['relay3'], RELAYS, next_hops={'relay1': [hop]}, names={'relay3': ['relay3.example.org']})
    assert len(plan['problems']) == 1
    assert plan['problems'][0].startswith('relay1 hands its mail to %s (relay3)' % hop)


def test_hops_elsewhere_and_of_the_retired_relay_itself_are_fine():
    plan = retire_plan(['relay3'], RELAYS, next_hops={'relay1': ['[sink.example.org]', 'relay33'], 'relay3': ['[relay1]']},
                       names={'relay3': ['relay3.example.org']})
    assert plan['problems'] == []


@pytest.mark.parametrize('value', [{'relay3': True}, [3], 42])
def test_not_a_list_of_names(value):
    with pytest.raises(AnsibleFilterError, match='mailrelay_retire_relays must be a list'):
        retire_plan(value, RELAYS)
