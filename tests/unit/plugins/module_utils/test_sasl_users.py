# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""cyrus_sasl_users as a whole: a list that would delete every user, and a relay whose list replaced its group's."""

from __future__ import annotations

import jinja2
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mailrelay.sendmail.plugins.filter import cyrus_sasl_users_problems, cyrus_sasl_users_replaced
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sasl_users import users_problems, users_replaced

ALICE = {'name': 'alice', 'password': 'alice-secret'}
BOB = {'name': 'bob', 'password': 'bob-secret'}
BOB_GONE = {'name': 'bob', 'state': 'absent'}
CAROL = {'name': 'carol', 'password': 'carol-secret', 'state': 'present'}


@pytest.mark.parametrize('users, exclusive, method, allow_empty, refused', [
    ([], True, 'auxprop', False, True),                 # deletes everyone
    (None, True, 'auxprop', False, True),
    ([BOB_GONE], True, 'auxprop', False, True),         # only removals: deletes everyone as well
    ([], True, 'auxprop', True, False),                 # said by name
    ([], False, 'auxprop', False, False),               # leaves the sasldb alone
    ([], True, 'saslauthd', False, False),              # no sasldb users at all
    ([ALICE], True, 'auxprop', False, False),
    ([BOB_GONE, CAROL], True, 'auxprop', False, False),
    ([{'password': 'x'}], True, 'auxprop', False, True),  # no name: not a user (the other check names it)
])
def test_users_problems(users, exclusive, method, allow_empty, refused):
    assert bool(users_problems(users, exclusive, method, allow_empty)) is refused


def test_the_refusal_names_the_variables_and_no_password():
    msg = users_problems([BOB_GONE])[0]
    assert msg.startswith('cyrus_sasl_users only lists users to remove (bob) while cyrus_sasl_users_exclusive is true')
    assert 'cyrus_sasl_users_allow_empty: true' in msg and 'cyrus_sasl_users_exclusive: false' in msg
    assert users_problems([])[0].startswith('cyrus_sasl_users is empty')
    assert 'secret' not in users_problems([{'name': 'x', 'password': 'secret', 'state': 'absent'}])[0]


GROUPS = {'all': ['r1', 'r2', 'r3', 'client'], 'ungrouped': ['client'], 'relays': ['r1', 'r2', 'r3']}


@pytest.mark.parametrize('users_by_host, groups, warned', [
    # everyone has the group's list
    ({'r1': [ALICE, BOB], 'r2': [ALICE, BOB], 'r3': [ALICE, BOB]}, GROUPS, []),
    # r3's host_vars replaced the list: alice and bob are missing there
    ({'r1': [ALICE, BOB], 'r2': [ALICE, BOB], 'r3': [CAROL]}, GROUPS, ['r3']),
    # r3 repeats the group's users and adds its own: fine
    ({'r1': [ALICE], 'r2': [ALICE], 'r3': [ALICE, CAROL]}, GROUPS, []),
    # r3 removes bob by name: said on purpose, not a silent replacement
    ({'r1': [ALICE, BOB], 'r2': [ALICE, BOB], 'r3': [ALICE, BOB_GONE]}, GROUPS, []),
    # the others disagree among themselves: nothing is shared, nothing to miss
    ({'r1': [ALICE], 'r2': [BOB], 'r3': [CAROL]}, GROUPS, []),
    # a host outside the dict counts as an empty list
    ({'r1': [ALICE], 'r2': [ALICE]}, GROUPS, ['r3']),
    # only `all` in common: not compared
    ({'r1': [ALICE], 'r2': [BOB]}, {'all': ['r1', 'r2'], 'eu': ['r1'], 'us': ['r2']}, []),
])
def test_users_replaced(users_by_host, groups, warned):
    assert sorted(users_replaced(users_by_host, groups, ['r1', 'r2', 'r3'])) == warned


def test_the_warning_names_the_group_and_users_and_no_password():
    msg = users_replaced({'r1': [ALICE, BOB], 'r2': [ALICE, BOB], 'r3': [CAROL]}, GROUPS, ['r3'])['r3']
    assert 'cyrus_sasl_users of r3 does not list users that the other 2 relay(s) of group relays all list alice, bob' in msg
    assert 'host_vars' in msg
    assert 'secret' not in msg


def test_only_the_hosts_asked_about_are_judged():
    assert users_replaced({'r1': [ALICE], 'r2': [ALICE], 'r3': []}, GROUPS, ['r1', 'r2']) == {}


def render(template, **variables):
    environment = jinja2.Environment()
    for module in (cyrus_sasl_users_problems, cyrus_sasl_users_replaced):
        environment.filters.update(module.FilterModule().filters())
    return environment.from_string(template).render(**variables)


def test_the_filters_in_jinja():
    assert render("{{ users | cyrus_sasl_users_problems('yes', 'auxprop', 'no') | length }}", users=[]) == '1'
    assert render("{{ users | cyrus_sasl_users_problems(true, 'auxprop', 'yes') | length }}", users=[]) == '0'
    assert render("{{ (byhost | cyrus_sasl_users_replaced(groups, ['r3'])).keys() | list }}",
                  byhost={'r1': [ALICE], 'r2': [ALICE], 'r3': []}, groups=GROUPS) == "['r3']"


def test_the_replaced_filter_names_bad_input():
    with pytest.raises(AnsibleFilterError, match='wants a dict'):
        cyrus_sasl_users_replaced.cyrus_sasl_users_replaced([], GROUPS, [])
