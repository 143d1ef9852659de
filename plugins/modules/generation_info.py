#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: generation_info
short_description: Report the configuration generations of a relay
version_added: 0.2.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - Reports which generation is live, which was live before, whether C(next/) holds a pending
    candidate and how it differs from the live generation, every generation with its status,
    digest and software directory, and which software directories are installed and used.
  - Digests are computed from the trees as they are now, so RV(generations[].intact) shows whether a
    generation still is what it was when it became live.
  - Differences are paths only, never contents.
  - Also reports the gate verdict and status of the live generation, which generation each daemon
    was last started or reloaded with (and which of them do not run the live one), and the relay
    lock (see M(mailrelay.sendmail.generation), O(mailrelay.sendmail.generation#module:state=locked)).
  - The layout is described in M(mailrelay.sendmail.generation).
extends_documentation_fragment:
  - mailrelay.sendmail._attributes
  - mailrelay.sendmail._attributes.READ_ONLY
options:
  root:
    description: The directory holding C(generations/), C(current), C(next/) and (by default) C(sw/).
    type: path
    default: /var/lib/mailrelay
  sw_dir:
    description: The directory holding the installed software directories; default C(<root>/sw).
    type: path
  services:
    description:
      - Daemons that should run the live generation. Those of them with no served record at all
        count in RV(stale_services) too (a first install cut between its switch and the start).
    type: list
    elements: str
    default: []
seealso:
  - module: mailrelay.sendmail.generation
"""

EXAMPLES = r"""
- name: Look at the generations
  mailrelay.sendmail.generation_info:
  register: generations

- name: Show what the next switch would change
  ansible.builtin.debug:
    msg: "{{ generations.current }} -> next: {{ generations.differences | join(', ') }}"
  when: generations.next.pending

- name: Reload the daemons that do not run the live generation (a run was cut after its switch)
  ansible.builtin.debug:
    msg: "to reload: {{ generations.stale_services | join(', ') }}"
  when: generations.stale_services | length > 0

- name: Never start a live generation whose gate failed
  ansible.builtin.assert:
    that: generations.current_status != 'failed'
    fail_msg: "generation {{ generations.current }} failed its gate; fix the configuration and run again"

- name: Fail when a generation was changed in place
  ansible.builtin.assert:
    that: generations.generations | selectattr('intact', 'false') | list | length == 0
    fail_msg: "changed in place: {{ generations.generations | selectattr('intact', 'false') | map(attribute='id') | join(', ') }}"
"""

RETURN = r"""
root:
  description: The root directory.
  returned: always
  type: str
  sample: /var/lib/mailrelay
current:
  description: The live generation; null before the first switch.
  returned: always
  type: str
  sample: "0004"
previous:
  description: The generation live most recently before the current one and not marked failed (the default rollback target); null if none.
  returned: always
  type: str
  sample: "0003"
current_status:
  description: The status of the live generation (C(live), or C(failed) when its gate failed); null before the first switch.
  returned: always
  type: str
  sample: live
gate:
  description: The gate verdict recorded for the live generation (C(passed) or C(failed)); null when none was recorded.
  returned: always
  type: str
  sample: passed
gate_at:
  description: When the gate verdict of the live generation was recorded (UTC, ISO 8601); null when none was.
  returned: always
  type: str
  version_added: 0.3.0
inputs:
  description:
    - The digest of what the live generation was prepared from, recorded when it passed its gate in a
      rollout that prepared it (O(mailrelay.sendmail.generation#module:inputs)); null when none was.
  returned: always
  type: str
  version_added: 0.3.0
inputs_at:
  description: When RV(inputs) was recorded (UTC, ISO 8601); null when it was not.
  returned: always
  type: str
  version_added: 0.3.0
inputs_age:
  description: Seconds since RV(inputs_at) by the relay's clock; null when RV(inputs_at) is.
  returned: always
  type: int
  version_added: 0.3.0
served:
  description: Which generation each daemon was last started or reloaded with, by name (empty when none was recorded).
  returned: always
  type: dict
  sample: {sendmail: {generation: "0004", at: "2025-01-01T12:00:00Z"}, saslauthd: {generation: "0003", at: "2024-12-01T12:00:00Z"}}
stale_services:
  description:
    - Daemons whose served record names another generation than the live one, and those of O(services)
      with no record; sorted. They serve something else than C(current) holds and need a reload and a gate.
  returned: always
  type: list
  elements: str
  sample: [saslauthd]
lock:
  description: The content of the relay lock (owner, created, host, pid); null when the relay is not locked.
  returned: always
  type: dict
  sample: {owner: relay-ctl-20250101T120000Z, created: "2025-01-01T12:00:00Z", host: relay-ctl, pid: 4242}
next:
  description: The candidate directory.
  returned: always
  type: dict
  contains:
    path:
      description: Its path.
      type: str
      sample: /var/lib/mailrelay/next
    exists:
      description: Whether it exists.
      type: bool
      sample: true
    pending:
      description: Whether it differs from the live generation (before the first switch, whether it holds anything).
      type: bool
      sample: true
    digest:
      description: Its digest; null when it does not exist.
      type: str
      sample: 7c211433f02071597741e6ff5a8ea34789abbf43a1b2c3d4e5f60718293a4b5c
    sw_id:
      description: The software directory its C(sw) symlink leads to; null when none.
      type: str
      sample: 0123456789abcdef
differences:
  description: Paths that differ between the live generation and C(next/) (names only).
  returned: always
  type: list
  elements: str
  sample: [mail/sendmail.cf]
generations:
  description: Every generation on disk, oldest first.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Generation id.
      type: str
      sample: "0004"
    status:
      description: C(live), C(previous), C(retired) or C(failed) (rolled back from, or its gate failed).
      type: str
      sample: live
    gate:
      description: Its recorded gate verdict (C(passed), C(failed)); null when none was recorded.
      type: str
      sample: passed
    created:
      description: When it was made live the first time (UTC); null when the history does not know it.
      type: str
      sample: "2025-01-01T12:00:00Z"
    switched_at:
      description: Every time it became live (UTC).
      type: list
      elements: str
      sample: ["2025-01-01T12:00:00Z"]
    failed_at:
      description: When it was rolled back from; null otherwise.
      type: str
      sample: null
    digest:
      description: Its digest now.
      type: str
      sample: 7c211433f02071597741e6ff5a8ea34789abbf43a1b2c3d4e5f60718293a4b5c
    intact:
      description: Whether the digest now equals the one recorded when it became live; null when none was recorded.
      type: bool
      sample: true
    sw:
      description: Target of its C(sw) symlink; null when it has none.
      type: str
      sample: /var/lib/mailrelay/sw/0123456789abcdef
    sw_id:
      description: The software directory that target is (null if it is not in the software directory).
      type: str
      sample: 0123456789abcdef
    sw_exists:
      description: Whether that software directory exists.
      type: bool
      sample: true
sw:
  description: Software directories installed in the software directory, with the generations (and C(next)) that use them.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Software directory id.
      type: str
      sample: 0123456789abcdef
    used_by:
      description: Generation ids, and C(next), whose C(sw) leads there. Empty when unused (O(mailrelay.sendmail.generation#module:prune_sw) would remove it).
      type: list
      elements: str
      sample: ["0003", "0004", next]
"""

import calendar
import copy
import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailrelay.sendmail.plugins.module_utils._generation import (
    GenerationError,
    Layout,
    TreeError,
    compare_entries,
    difference_names,
    live_summary,
    load_history,
    read_lock,
    record,
    refresh_statuses,
    scan_tree,
    tree_digest,
)


def argument_spec():
    return dict(
        root=dict(type='path', default='/var/lib/mailrelay'),
        sw_dir=dict(type='path'),
        services=dict(type='list', elements='str', default=[]),
    )


def gather(root, sw_dir=None, services=()):
    layout = Layout(root, sw_dir)
    current = layout.current_id()
    history = copy.deepcopy(load_history(layout.history_file))
    existing = layout.generation_ids()
    previous = refresh_statuses(history, current, existing)

    generations = []
    trees = {}
    for generation_id in existing:
        path = layout.generation(generation_id)
        entries = scan_tree(path)
        trees[generation_id] = entries
        digest = tree_digest(entries)
        entry = record(history, generation_id)
        link = layout.sw_link(path)
        generations.append(dict(
            id=generation_id, status=entry['status'], created=entry.get('created'),
            switched_at=list(entry.get('switched_at') or []), failed_at=entry.get('failed_at'), gate=entry.get('gate'),
            digest=digest, intact=(digest == entry['digest']) if entry.get('digest') else None,
            sw=link['target'], sw_id=link['sw_id'], sw_exists=link['exists'],
        ))

    next_info = dict(path=layout.next, exists=False, pending=False, digest=None, sw_id=None)
    differences = []
    if os.path.isdir(layout.next) and not os.path.islink(layout.next):
        next_entries = scan_tree(layout.next)
        differences = difference_names(compare_entries(trees.get(current, []), next_entries))
        if not current:
            differences = [name for name in differences if name != '.']
        next_info.update(exists=True, pending=bool(differences), digest=tree_digest(next_entries),
                         sw_id=layout.sw_link(layout.next)['sw_id'])

    users = {}
    for item in generations:
        users.setdefault(item['sw_id'], []).append(item['id'])
    if next_info['sw_id']:
        users.setdefault(next_info['sw_id'], []).append('next')
    sw = [dict(id=sw_id, used_by=users.get(sw_id, [])) for sw_id in layout.sw_ids()]

    result = dict(changed=False, root=layout.root, current=current, previous=previous, next=next_info,
                  differences=differences, generations=generations, sw=sw, lock=read_lock(layout.lock_file))
    result.update(live_summary(history, current, services))
    result['inputs_age'] = age_seconds(result['inputs_at'])
    return result


def age_seconds(stamp):
    """Seconds since a UTC time of the history (by this host's clock, which wrote it); None without one."""
    if not stamp:
        return None
    try:
        return int(time.time() - calendar.timegm(time.strptime(stamp, '%Y-%m-%dT%H:%M:%SZ')))
    except ValueError:
        return None


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        result = gather(module.params['root'], module.params['sw_dir'], module.params['services'])
    except (GenerationError, TreeError) as exc:
        module.fail_json(msg=str(exc))
    except OSError as exc:
        module.fail_json(msg='reading the generations under %s failed: %s' % (module.params['root'], exc))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
