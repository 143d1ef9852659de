# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""playbooks/retire.yml runs rollout.yml's plays on the relays that stay (a play's hosts cannot be
changed through import_playbook). Its copies must stay equal to rollout.yml's plays except for
their hosts and the two tasks that name the retired relays: a change to rollout.yml not carried
over to retire.yml fails here."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

PLAYBOOKS = Path(__file__).resolve().parents[2] / 'playbooks'
RETIRE_ONLY = {'Leave the relays being retired out of the trusted peers (mailrelay_retired_relays)',
               'Refuse a mailrelay_retired_relays that leaves out a relay being retired'}


def _plays(name):
    with open(PLAYBOOKS / name) as handle:
        return yaml.safe_load(handle)


def _without_hosts(play):
    play = copy.deepcopy(play)
    play.pop('hosts')
    play['tasks'] = [task for task in play.get('tasks', []) if task.get('name') not in RETIRE_ONLY]
    return play


def test_retire_runs_rollouts_plays_on_the_relays_that_stay():
    rollout, retire = _plays('rollout.yml'), _plays('retire.yml')
    copies = retire[1:-1]
    assert [_without_hosts(play) for play in copies] == [_without_hosts(play) for play in rollout]
    remaining = "hostvars['localhost']['__mailrelay_retire_plan']['remaining']"
    for ours, theirs in zip(copies, rollout):
        if 'relays' in theirs['hosts']:
            assert remaining in ours['hosts'] and "groups['relays']" not in ours['hosts'], ours['name']
        else:
            assert ours['hosts'] == theirs['hosts'], ours['name']


def test_retired_relays_are_named_before_the_roles_preflight():
    first = _plays('retire.yml')[1]
    names = [task['name'] for task in first['tasks']]
    assert names[:2] == sorted(RETIRE_ONLY, key=lambda name: not name.startswith('Leave'))
    facts = first['tasks'][0]['ansible.builtin.set_fact']
    assert 'mailrelay_retired_relays' in facts and facts['__mailrelay_rollout_playbook'] == 'mailrelay.sendmail.retire'


def test_plan_first_and_retirement_last():
    retire = _plays('retire.yml')
    assert retire[0]['hosts'] == 'localhost' and retire[0]['any_errors_fatal'] is True
    assert "['relays']" in retire[-1]['hosts']
    assert retire[-1]['tasks'][0]['ansible.builtin.include_role'] == {'name': 'mailrelay.sendmail.retire'}
