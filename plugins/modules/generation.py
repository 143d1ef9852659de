#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: generation
short_description: Stage, switch, roll back and prune the configuration generations of a relay
version_added: 0.2.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - A relay keeps complete, self-contained generations under O(root), in
    C(generations/<id>/). Each one holds an C(sw) symlink to an installed software directory,
    C(mail/) and C(certs/). The symlink C(current -> generations/<id>) says which one is live,
    and C(next/) holds the candidate the roles prepare.
  - O(state=staged) makes sure O(root) and C(generations/) exist (mode 0755) and that C(next/)
    exists. It is created as a faithful copy of the live generation (directories, files,
    symlinks as symlinks, modes with set-group-ID bits, owners, groups, modification times),
    or empty before the first switch. An existing C(next/) is left alone.
  - O(state=switched) promotes C(next/) to a new generation when its digest differs from the
    live one. C(next/) is flushed to disk and renamed to C(generations/<id>), then C(current)
    is repointed in one step (a new symlink renamed over it), the history is written, C(next/)
    is recreated as a copy of the new live generation and old generations are pruned. A crash
    at any point leaves C(current) pointing at a complete generation.
  - O(state=rolled_back) repoints C(current) to O(to) (default the generation that was live
    before, skipping failed ones), marks the generation it leaves as C(failed), and recreates
    C(next/) from the new live generation (a prepared candidate in C(next/) is discarded).
  - O(state=pruned) only prunes (see O(keep) and O(prune_sw)).
  - O(state=locked) takes the relay lock C(<root>/lock) for the run O(owner), so that two runs
    (a schedule and a person) cannot stage, switch or gate on one relay at once. The lock is a
    JSON file (owner, created, host, pid) that appears with its whole content in one step. A lock
    the same owner holds is kept; another owner's lock is waited for (see O(lock_timeout)), then
    the task fails naming that run and since when; a lock older than O(lock_expiry) is stale and
    taken over with a warning.
  - O(state=unlocked) removes the lock if O(owner) holds it. Another owner's lock is never
    removed (a warning says whose it is).
  - O(state=marked) records the gate verdict O(mark) of a generation (O(to), default the live
    one) in the history. C(failed) marks it failed, also when it stays live (a first install has
    nothing to roll back to); it is then never the default rollback target, and
    RV(mailrelay.sendmail.generation_info#module:current_status) says C(failed) until a gate passes.
    C(passed) clears that mark.
  - O(state=served) records in the history that the daemons O(services) were started or reloaded
    with a generation (O(to), default the live one), so that a run cut between the switch and the
    reload is found by the next one (RV(mailrelay.sendmail.generation_info#module:stale_services)).
  - With O(owner), the states O(state=staged), O(state=switched), O(state=rolled_back),
    O(state=pruned), O(state=marked) and O(state=served) first check that the lock is free or
    held by O(owner), and fail otherwise, before anything changes. O(state=staged) records the
    owner of C(next/) in C(<root>/next.owner) (beside it, so it does not change the digest; that
    record alone does not count as a change) and recreates, from the live generation, a C(next/)
    another owner staged. A C(next/) recreated after a switch or rollback has no owner. O(state=switched) refuses a C(next/) another
    owner staged, since it may hold that run's unproven changes.
  - Generation ids are a zero-padded sequence (C(0001), C(0002), ...) and are never reused;
    C(generations/history.json) records for each generation when it was created, its digest,
    its C(sw) target, its status (C(live), C(previous), C(retired), C(failed)) and when it was
    switched to.
  - The digest of a tree is the sha256 over its sorted entries (path, type, mode, owner,
    group, sha256 of files, target of symlinks); times do not count. Results and diffs name
    the paths that differ but never show contents, since the trees hold keys and passwords.
  - The mail queue is outside O(root) and never touched.
extends_documentation_fragment:
  - mailrelay.sendmail._attributes
attributes:
  check_mode:
    support: full
    details:
      - Reports what would change (new id, differences, what would be pruned) and touches nothing.
      - O(state=locked) does not wait for another owner's lock; it warns that a real run would wait.
        With O(owner), a lock held by another owner is a warning, not a failure.
  diff_mode:
    support: full
    details:
      - Names the paths that differ between the old and the new live generation (or C(next/)), never contents.
      - For the lock, gate verdicts and served records, one line of what changes.
  idempotent:
    support: full
options:
  root:
    description: The directory holding C(generations/), C(current), C(next/) and (by default) C(sw/).
    type: path
    default: /var/lib/mailrelay
  state:
    description:
      - C(staged) prepares C(next/), C(switched) makes it live, C(rolled_back) goes back to an
        earlier generation, C(pruned) only removes old generations (and software directories).
      - C(locked) and C(unlocked) take and give back the relay lock, C(marked) records a gate
        verdict, C(served) records which generation daemons were started with.
    type: str
    required: true
    choices: [staged, switched, rolled_back, pruned, locked, unlocked, marked, served]
  to:
    description:
      - The generation to roll back to with O(state=rolled_back), for example C("0003").
        Default is the generation that was live most recently before the current one and is
        not marked failed (RV(mailrelay.sendmail.generation_info#module:previous)).
      - The generation to mark with O(state=marked) or to record as served with O(state=served);
        default the live one.
    type: str
  owner:
    description:
      - Who holds the lock, an id of the run (for example the controller's host and the play's
        start time). Required with O(state=locked) and O(state=unlocked).
      - With the other states, the lock must be free or held by this owner, and C(next/) must not
        have been staged by another owner (see the description). Without it, the lock is not checked.
    type: str
  lock_timeout:
    description:
      - With O(state=locked), how many seconds to wait for another owner's lock (looking every
        second) before failing. C(0) fails at once.
    type: int
    default: 600
  lock_expiry:
    description:
      - With O(state=locked), the age in seconds after which a lock is stale (its run is taken to
        be dead) and taken over, with a warning. Make it longer than the longest run.
    type: int
    default: 7200
  mark:
    description:
      - The gate verdict to record with O(state=marked) (required there).
    type: str
    choices: [passed, failed]
  inputs:
    description:
      - With O(state=marked) and O(mark=passed), the digest of what the generation was prepared from
        (P(mailrelay.sendmail.rollout_inputs_digest#filter)), recorded with the time. A later rollout
        whose inputs have the same digest only gates the relay instead of preparing the same generation
        again (RV(mailrelay.sendmail.generation_info#module:inputs)). A failed mark forgets it.
    type: str
    version_added: 0.3.0
  services:
    description:
      - With O(state=served) (required there), the daemons that were just started or reloaded,
        for example C([sendmail, saslauthd]).
    type: list
    elements: str
  keep:
    description:
      - How many generations to keep with O(state=switched) and O(state=pruned). The live
        generation and the previous one are always kept and count towards it; the other places
        go to the newest generations by id (a failed one included, for a look at what went wrong).
    type: int
    default: 3
  sw_dir:
    description: The directory holding the installed software directories (C(<sw_dir>/<id>)); default C(<root>/sw).
    type: path
  prune_sw:
    description:
      - Also remove software directories in O(sw_dir) (names of 16 hex digits) that no remaining
        generation and not C(next/) link to. Directories moved aside by
        M(mailrelay.sendmail.artifact_install) (C(*.corrupt-*)) are never removed.
    type: bool
    default: false
  required_paths:
    description:
      - What a generation must contain before it can become live (O(state=switched) checks
        C(next/), O(state=rolled_back) the target). C(sw) must be a symlink that leads to an
        existing software directory, as seen from C(generations/<id>/).
    type: list
    elements: str
    default: [sw, mail/sendmail.cf]
notes:
  - Link C(sw) with an absolute target (C(/var/lib/mailrelay/sw/<id>)). A relative target such as
    C(../../sw/<id>) is right inside C(generations/<id>/), but does not resolve in C(next/), which is one level higher.
  - Hard links inside a generation are copied as separate files; extended attributes and ACLs are not copied.
seealso:
  - module: mailrelay.sendmail.generation_info
  - module: mailrelay.sendmail.artifact_install
  - module: mailrelay.sendmail.sendmail_reload
"""

EXAMPLES = r"""
- name: Prepare next/ as a copy of the live generation
  mailrelay.sendmail.generation:
    state: staged

- name: Link the candidate to the installed software
  ansible.builtin.file:
    path: /var/lib/mailrelay/next/sw
    src: /var/lib/mailrelay/sw/0123456789abcdef
    state: link
    force: true

- name: Make the candidate live
  mailrelay.sendmail.generation:
    state: switched
    keep: 3
    prune_sw: true
  register: switch

- name: Go back to the generation that was live before
  mailrelay.sendmail.generation:
    state: rolled_back
  when: switch.switched

- name: Go back to a given generation
  mailrelay.sendmail.generation:
    state: rolled_back
    to: "0002"

- name: Hold the relay for this run (wait up to 10 minutes for another run)
  mailrelay.sendmail.generation:
    state: locked
    owner: "{{ rollout_run_id }}"
    lock_timeout: 600

- name: Record that sendmail and saslauthd now run the live generation
  mailrelay.sendmail.generation:
    state: served
    services: [sendmail, saslauthd]
    owner: "{{ rollout_run_id }}"

- name: Record that the gate of the live generation failed
  mailrelay.sendmail.generation:
    state: marked
    mark: failed
    owner: "{{ rollout_run_id }}"
  when: gate is failed

- name: Give the relay back
  mailrelay.sendmail.generation:
    state: unlocked
    owner: "{{ rollout_run_id }}"
"""

RETURN = r"""
root:
  description: The root directory.
  returned: always
  type: str
  sample: /var/lib/mailrelay
current:
  description: The live generation afterwards (in check mode, as it would be); null before the first switch.
  returned: always
  type: str
  sample: "0004"
next:
  description: Path of the candidate directory.
  returned: always
  type: str
  sample: /var/lib/mailrelay/next
pending:
  description: Whether C(next/) differs from the live generation (with O(state=staged); false with the other states).
  returned: always
  type: bool
  sample: false
switched:
  description: Whether a new generation was (or would be) made live.
  returned: always
  type: bool
  sample: true
previous:
  description: With O(state=switched), the generation that was live before the switch (null on the first switch or without a switch).
  returned: always
  type: str
  sample: "0003"
from:
  description: With O(state=rolled_back), the generation rolled back from (marked failed).
  returned: when O(state=rolled_back)
  type: str
  sample: "0004"
to:
  description:
    - With O(state=rolled_back), the generation now live.
    - With O(state=marked) and O(state=served), the generation marked or recorded as served.
  returned: when O(state=rolled_back), O(state=marked) or O(state=served)
  type: str
  sample: "0003"
digests:
  description: Digests of the live generation before and after (for O(state=staged), of C(next/) as C(next)).
  returned: always
  type: dict
  sample: {before: 5d41402abc4b2a76b9719d911017c592e2c2f5f5a9a3c5b5e6f7a8b9c0d1e2f3, after: 7c211433f02071597741e6ff5a8ea34789abbf43a1b2c3d4e5f60718293a4b5c}
differences:
  description:
    - Paths that differ between the old and the new live generation (O(state=switched),
      O(state=rolled_back)) or between the live generation and C(next/) (O(state=staged)). Names only.
  returned: always
  type: list
  elements: str
  sample: [certs/relay.crt, mail/sendmail.cf]
pruned:
  description: Generations removed (or that would be removed).
  returned: always
  type: list
  elements: str
  sample: ["0001"]
pruned_sw:
  description: Software directories removed with O(prune_sw=true) (ids).
  returned: always
  type: list
  elements: str
  sample: []
lock:
  description:
    - The relay lock after the task (with O(state=locked) in check mode, as it would be); null when the relay is not locked.
  returned: always
  type: dict
  contains:
    owner:
      description: The run holding it (null when the lock file is unreadable).
      type: str
      sample: relay-ctl-20250101T120000Z
    created:
      description: When it was taken (UTC).
      type: str
      sample: "2025-01-01T12:00:00Z"
    taken_over:
      description: Whether it was taken over from a stale lock.
      type: bool
      sample: false
current_status:
  description:
    - The status of the live generation afterwards (C(live), or C(failed) when its gate failed); null before the first switch.
    - The same as RV(mailrelay.sendmail.generation_info#module:current_status).
  returned: always
  type: str
  sample: failed
gate:
  description: The gate verdict recorded for the live generation afterwards (C(passed), C(failed)); null when none was recorded.
  returned: always
  type: str
  sample: failed
gate_at:
  description: When the gate verdict of the live generation was recorded, afterwards (UTC); null when none was.
  returned: always
  type: str
  version_added: 0.3.0
inputs:
  description: The digest of what the live generation was prepared from, afterwards (O(inputs)); null when none was recorded.
  returned: always
  type: str
  version_added: 0.3.0
inputs_at:
  description: When RV(inputs) was recorded (UTC); null when it was not.
  returned: always
  type: str
  version_added: 0.3.0
served:
  description: Which generation each daemon was last started or reloaded with, by name, afterwards.
  returned: always
  type: dict
  sample: {sendmail: {generation: "0004", at: "2025-01-01T12:00:00Z"}}
stale_services:
  description: The daemons whose served record names another generation than the live one afterwards (sorted).
  returned: always
  type: list
  elements: str
  sample: []
"""

import copy
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailrelay.sendmail.plugins.module_utils._generation import (
    TMP_PREFIX,
    GenerationError,
    Layout,
    TreeError,
    acquire_lock,
    add_event,
    atomic_symlink,
    atomic_write,
    check_lock,
    clean_leftovers,
    compare_entries,
    copy_tree,
    difference_names,
    discard,
    dump_history,
    fsync_dir,
    fsync_tree,
    live_summary,
    load_history,
    lock_summary,
    mark_gate,
    mark_live,
    missing_required,
    new_history,
    next_generation_id,
    next_owner_content,
    prepared_diff,
    prune_plan,
    read_lock,
    read_next_owner,
    record,
    record_served,
    refresh_statuses,
    release_lock,
    remove_tree,
    replace_dir,
    resolve_id,
    scan_tree,
    sw_prune_plan,
    tree_digest,
    utc_now,
)

STATES = ['staged', 'switched', 'rolled_back', 'pruned', 'locked', 'unlocked', 'marked', 'served']
LOCK_STATES = ('locked', 'unlocked')


def argument_spec():
    return dict(
        root=dict(type='path', default='/var/lib/mailrelay'),
        state=dict(type='str', required=True, choices=STATES),
        to=dict(type='str'),
        owner=dict(type='str'),
        lock_timeout=dict(type='int', default=600),
        lock_expiry=dict(type='int', default=7200),
        mark=dict(type='str', choices=['passed', 'failed']),
        inputs=dict(type='str'),
        services=dict(type='list', elements='str'),
        keep=dict(type='int', default=3),
        sw_dir=dict(type='path'),
        prune_sw=dict(type='bool', default=False),
        required_paths=dict(type='list', elements='str', default=['sw', 'mail/sendmail.cf']),
    )


REQUIRED_IF = [
    ('state', 'locked', ['owner']),
    ('state', 'unlocked', ['owner']),
    ('state', 'marked', ['mark']),
    ('state', 'served', ['services']),
]


class Generations:
    """The states. Every method returns (result, diff text or None); raises GenerationError."""

    def __init__(self, params, check_mode, now=utc_now):
        self.params = params
        self.check_mode = check_mode
        self.now = now
        self.layout = Layout(params['root'], params['sw_dir'])
        self.warnings = []
        self.history_after = None  # set by the states that change the history in memory (also in check mode)
        if params['keep'] < 1:
            raise GenerationError('keep must be at least 1 (it is %d)' % params['keep'])
        if params['lock_timeout'] < 0:
            raise GenerationError('lock_timeout must be 0 or more seconds (it is %d)' % params['lock_timeout'])
        if params['lock_expiry'] < 1:
            raise GenerationError('lock_expiry must be at least 1 second (it is %d)' % params['lock_expiry'])
        if params['services'] is not None and not all(service.strip() for service in params['services'] or ['']):
            raise GenerationError('services must name at least one service, and no name may be empty (it is %r)'
                                  % params['services'])

    def apply(self):
        """Run the state; with an owner, the states that change the layout first check the lock."""
        state = self.params['state']
        if self.params['owner'] and state not in LOCK_STATES:
            try:
                check_lock(self.layout.lock_file, self.params['owner'])
            except GenerationError as exc:
                if not self.check_mode:
                    raise
                self.warnings.append('%s (a real run would have waited at state=locked)' % exc)
        result, diff = getattr(self, state)()
        self.summarize(result)
        return result, diff

    def summarize(self, result):
        """Add what the history and the lock say afterwards (in check mode, as they would be)."""
        current = result['current']
        history = self.history_after
        if history is None:
            try:
                history = load_history(self.layout.history_file)
            except GenerationError:
                if self.params['state'] not in LOCK_STATES:
                    raise
                history = new_history()  # the lock states work even beside a broken history
        history = copy.deepcopy(history)
        existing = self.layout.generation_ids()
        refresh_statuses(history, current, sorted(set(existing + ([current] if current else [])), key=int))
        result.update(live_summary(history, current))
        if 'lock' not in result:
            result['lock'] = lock_summary(read_lock(self.layout.lock_file))

    # --- helpers -------------------------------------------------------------------------

    def result(self, **values):
        result = dict(changed=False, root=self.layout.root, current=None, next=self.layout.next, pending=False,
                      switched=False, previous=None, digests={}, differences=[], pruned=[], pruned_sw=[])
        result.update(values)
        return result

    def entries(self, path):
        return scan_tree(path) if path and os.path.isdir(path) else []

    def ensure_dirs(self):
        made = []
        for path in (self.layout.root, self.layout.generations):
            if not os.path.isdir(path):
                made.append(path)
                if not self.check_mode:
                    os.mkdir(path, 0o755)
                    os.chmod(path, 0o755)
        return made

    def save_history(self, history, existing, current):
        refresh_statuses(history, current, existing)
        for generation_id in existing:
            entry = record(history, generation_id)
            if not entry.get('digest'):
                entry['digest'] = tree_digest(scan_tree(self.layout.generation(generation_id)))
            link = self.layout.sw_link(self.layout.generation(generation_id))
            entry['sw'], entry['sw_id'] = link['target'], link['sw_id']
        atomic_write(self.layout.history_file, dump_history(history), 0o644)

    def recreate_next(self, generation_id):
        """Replace next/ (if any) by a copy of a generation; the old next/ is deleted, and with it its owner."""
        work = tempfile.mkdtemp(dir=self.layout.root, prefix=TMP_PREFIX + 'next-')
        staging = os.path.join(work, 'next')
        copy_tree(self.layout.generation(generation_id), staging)
        replace_dir(staging, self.layout.next, os.path.join(work, 'old'))
        remove_tree(work)
        self.set_next_owner(None)

    def set_next_owner(self, owner):
        """Record (or with None, forget) which run staged next/, in next.owner beside it."""
        if owner:
            atomic_write(self.layout.next_owner_file, next_owner_content(owner, self.now()), 0o644)
        elif os.path.lexists(self.layout.next_owner_file):
            os.unlink(self.layout.next_owner_file)
            fsync_dir(self.layout.root)

    def target_id(self, current, existing):
        """The generation O(to) names (default the live one) for state=marked and state=served."""
        target = resolve_id(self.params['to'] or current, existing)
        if not target:
            raise GenerationError('nothing is live under %s yet; give to (the generation id)' % self.layout.root)
        if target not in existing:
            raise GenerationError('generation %s does not exist under %s; there are %s'
                                  % (target, self.layout.generations, ', '.join(existing) or 'none'))
        return target

    def prune(self, history, existing, current, next_sw_id):
        """Plan (and unless in check mode, do) the pruning; returns (pruned ids, pruned sw ids)."""
        previous = refresh_statuses(copy.deepcopy(history), current, existing)
        pruned = prune_plan(existing, current, previous, self.params['keep'])
        remaining = [gid for gid in existing if gid not in pruned]
        pruned_sw = []
        if self.params['prune_sw']:
            referenced = [next_sw_id] + [self.sw_id_of(gid) for gid in remaining]
            pruned_sw = sw_prune_plan(self.layout.sw_ids(), referenced)
        if not self.check_mode and (pruned or pruned_sw):
            for generation_id in pruned:
                discard(self.layout.generation(generation_id))
            for sw_id in pruned_sw:
                discard(os.path.join(self.layout.sw_dir, sw_id))
            add_event(history, self.now(), 'pruned', generations=pruned, sw=pruned_sw)
            self.save_history(history, remaining, current)
        return pruned, pruned_sw

    def sw_id_of(self, generation_id):
        return self.layout.sw_link(self.layout.generation(generation_id))['sw_id']

    def clean(self):
        if not self.check_mode:
            clean_leftovers(self.layout.root)
            clean_leftovers(self.layout.generations)

    # --- states --------------------------------------------------------------------------

    def staged(self):
        made = self.ensure_dirs()
        current = self.layout.current_id()
        current_entries = self.entries(self.layout.generation(current) if current else None)
        created_next = False
        if os.path.islink(self.layout.next) or (os.path.lexists(self.layout.next) and not os.path.isdir(self.layout.next)):
            raise GenerationError('%s exists but is not a directory; move it away' % self.layout.next)
        owner = self.params['owner']
        next_owner = read_next_owner(self.layout.next_owner_file) if os.path.isdir(self.layout.next) else None
        # next/ staged by another run may hold that run's unproven writes: start again from the live generation
        replaced_by = next_owner if owner and next_owner not in (None, owner) else None
        if replaced_by:
            left = difference_names(compare_entries(current_entries, self.entries(self.layout.next)))
            if not [name for name in left if current or name != '.']:
                # that run left nothing of its own there (next/ equals the live generation): take it over as it is
                replaced_by = None
        if not os.path.lexists(self.layout.next) or replaced_by:
            created_next = True
            if not self.check_mode:
                self.clean()
                if replaced_by:
                    discard(self.layout.next)
                if current:
                    self.recreate_next(current)
                else:
                    os.mkdir(self.layout.next, 0o755)
                    os.chmod(self.layout.next, 0o755)
                    fsync_dir(self.layout.root)
                    self.set_next_owner(None)
        if owner and not self.check_mode and (created_next or next_owner != owner):
            self.set_next_owner(owner)  # bookkeeping, not a change of the candidate: does not count as changed
        if os.path.isdir(self.layout.next) and not (self.check_mode and replaced_by):
            next_entries = self.entries(self.layout.next)
        else:  # check mode: it would be a copy of current, or empty
            next_entries = current_entries
        comparison = compare_entries(current_entries, next_entries)
        differences = difference_names(comparison)
        if not current:  # before the first switch: pending once anything is in next/
            differences = [name for name in differences if name != '.']
        digests = dict(current=tree_digest(current_entries) if current else None,
                       next=tree_digest(next_entries) if next_entries else None)
        result = self.result(changed=bool(made or created_next), current=current, pending=bool(differences),
                             digests=digests, differences=differences)
        if replaced_by:
            header = 'recreated (it was staged by run %r)' % replaced_by
            self.warnings.append('%s was staged by run %r and may hold its unproven changes; %s it from %s'
                                 % (self.layout.next, replaced_by, 'would recreate' if self.check_mode else 'recreated',
                                    'generation ' + current if current else 'scratch'))
        else:
            header = 'created' if created_next else 'as it is'
        return result, prepared_diff('%s -> %s' % (self.layout.next, header),
                                     comparison) if created_next or differences else None

    def switched(self):
        current = self.layout.current_id()
        if not os.path.isdir(self.layout.next) or os.path.islink(self.layout.next):
            if self.check_mode and not os.path.lexists(self.layout.next):
                # a check run after a state=staged that only said it would create next/: with a live
                # generation, next/ would be its copy (nothing to switch); on a bare host the roles
                # would fill it and it would become the first generation
                history = load_history(self.layout.history_file)
                new_id = None if current else next_generation_id(history, self.layout.generation_ids())
                return self.result(changed=not current, switched=not current, current=current or new_id), None
            raise GenerationError('%s does not exist: run state=staged first, then prepare the candidate there'
                                  % self.layout.next)
        owner = self.params['owner']
        next_owner = read_next_owner(self.layout.next_owner_file)
        if owner and next_owner not in (None, owner) and self.check_mode:
            # a check run's state=staged wrote nothing, so next/ still names the run before it
            self.warnings.append('%s was staged by run %r, not by %r; a real run would stage it again first'
                                 % (self.layout.next, next_owner, owner))
        elif owner and next_owner not in (None, owner):
            raise GenerationError(
                '%s was staged by run %r, not by %r: it may hold that run\'s unproven changes, so it is not switched to.'
                ' Re-run: state=staged with owner=%s discards it and starts again from the live generation'
                % (self.layout.next, next_owner, owner, owner))
        history = load_history(self.layout.history_file)
        existing = self.layout.generation_ids()
        next_entries = scan_tree(self.layout.next)
        current_entries = self.entries(self.layout.generation(current) if current else None)
        next_digest = tree_digest(next_entries)
        current_digest = tree_digest(current_entries) if current else None

        if current and next_digest == current_digest:
            next_sw = self.layout.sw_link(self.layout.next)['sw_id']
            pruned, pruned_sw = self.prune(history, existing, current, next_sw)
            result = self.result(changed=bool(pruned or pruned_sw), current=current,
                                 digests=dict(before=current_digest, after=current_digest),
                                 pruned=pruned, pruned_sw=pruned_sw)
            return result, None

        problems = missing_required(self.layout, self.layout.next, self.params['required_paths'])
        if len(next_entries) == 1:
            problems.insert(0, 'it is empty')
        if problems:
            raise GenerationError('%s cannot become live: %s' % (self.layout.next, '; '.join(problems)))
        new_id = next_generation_id(history, existing)
        comparison = compare_entries(current_entries, next_entries)
        next_sw = self.layout.sw_link(self.layout.next)
        now = self.now()

        if not self.check_mode:
            self.ensure_dirs()
            self.clean()
            fsync_tree(self.layout.next)
            os.rename(self.layout.next, self.layout.generation(new_id))
            fsync_dir(self.layout.generations)
            fsync_dir(self.layout.root)
            # the new generation is complete on disk: only now does it become live
            atomic_symlink(self.layout.current_target(new_id), self.layout.current)
        history = copy.deepcopy(history) if self.check_mode else history
        entry = record(history, new_id)
        entry.update(created=now, digest=next_digest, sw=next_sw['target'], sw_id=next_sw['sw_id'])
        mark_live(history, new_id, now)
        add_event(history, now, 'switched', **dict({'from': current, 'to': new_id}, **({'owner': owner} if owner else {})))
        existing = sorted(existing + [new_id], key=int)
        if not self.check_mode:
            self.save_history(history, existing, new_id)
            self.recreate_next(new_id)
        pruned, pruned_sw = self.prune(history, existing, new_id, next_sw['sw_id'])
        result = self.result(changed=True, switched=True, current=new_id, previous=current,
                             digests=dict(before=current_digest, after=next_digest),
                             differences=difference_names(comparison), pruned=pruned, pruned_sw=pruned_sw)
        return result, prepared_diff('current: %s -> %s' % (current or '(none)', new_id), comparison)

    def rolled_back(self):
        current = self.layout.current_id()
        if current is None:
            raise GenerationError('nothing is live under %s yet, so there is nothing to roll back' % self.layout.root)
        history = load_history(self.layout.history_file)
        existing = self.layout.generation_ids()
        target = resolve_id(self.params['to'], existing)
        if not target:
            target = refresh_statuses(copy.deepcopy(history), current, existing)
            if target is None:
                raise GenerationError('the history of %s names no earlier generation that is not marked failed;'
                                      ' give to (one of %s)' % (self.layout.root, ', '.join(existing)))
        if target not in existing:
            raise GenerationError('generation %s does not exist under %s; there are %s'
                                  % (target, self.layout.generations, ', '.join(existing)))
        result = self.result(current=current, **{'from': current, 'to': target})
        if target == current:
            return result, None
        problems = missing_required(self.layout, self.layout.generation(target), self.params['required_paths'])
        if problems:
            raise GenerationError('cannot roll back to %s: %s' % (target, '; '.join(problems)))
        current_entries = scan_tree(self.layout.generation(current))
        target_entries = scan_tree(self.layout.generation(target))
        comparison = compare_entries(current_entries, target_entries)
        if not self.check_mode:
            self.clean()
            atomic_symlink(self.layout.current_target(target), self.layout.current)
            now = self.now()
            record(history, current)['failed_at'] = now
            mark_live(history, target, now)
            add_event(history, now, 'rolled_back', **{'from': current, 'to': target})
            self.save_history(history, existing, target)
            self.recreate_next(target)
        result.update(changed=True, current=target, differences=difference_names(comparison),
                      digests=dict(before=tree_digest(current_entries), after=tree_digest(target_entries)))
        return result, prepared_diff('current: %s -> %s (rollback)' % (current, target), comparison)

    def pruned(self):
        current = self.layout.current_id()
        history = load_history(self.layout.history_file)
        existing = self.layout.generation_ids()
        next_sw = self.layout.sw_link(self.layout.next)['sw_id'] if os.path.isdir(self.layout.next) else None
        pruned, pruned_sw = self.prune(history, existing, current, next_sw)
        return self.result(changed=bool(pruned or pruned_sw), current=current, pruned=pruned, pruned_sw=pruned_sw), None

    def marked(self):
        current = self.layout.current_id()
        existing = self.layout.generation_ids()
        target = self.target_id(current, existing)
        history = load_history(self.layout.history_file)
        before = copy.deepcopy(history)
        refresh_statuses(before, current, existing)
        old = record(before, target)
        changed = mark_gate(history, target, self.params['mark'], self.now(), inputs=self.params['inputs'])
        after = copy.deepcopy(history)
        refresh_statuses(after, current, existing)
        new = record(after, target)
        if changed and not self.check_mode:
            self.save_history(history, existing, current)
        self.history_after = history
        result = self.result(changed=changed, current=current, to=target)
        diff = None
        if changed:
            diff = 'generation %s: gate %s -> %s, status %s -> %s\n' % (
                target, old.get('gate') or '(none)', new['gate'], old['status'], new['status'])
        return result, diff

    def served(self):
        current = self.layout.current_id()
        existing = self.layout.generation_ids()
        target = self.target_id(current, existing)
        history = load_history(self.layout.history_file)
        before = copy.deepcopy(history.get('served') or {})
        changed = record_served(history, self.params['services'], target, self.now())
        if changed and not self.check_mode:
            self.save_history(history, existing, current)
        self.history_after = history
        result = self.result(changed=bool(changed), current=current, to=target)
        diff = ''.join('served %s: %s -> %s\n' % (service, (before.get(service) or {}).get('generation') or '(none)', target)
                       for service in changed)
        return result, diff or None

    def current_or_none(self):
        """The live generation for the lock states, which must work even when the layout is odd."""
        try:
            return self.layout.current_id()
        except GenerationError:
            return None

    def locked(self):
        made = [] if os.path.isdir(self.layout.root) else [self.layout.root]
        if made and not self.check_mode:
            os.makedirs(self.layout.root, 0o755)
        outcome = acquire_lock(self.layout.lock_file, self.params['owner'], self.params['lock_timeout'],
                               self.params['lock_expiry'], check_mode=self.check_mode, now=self.now)
        self.warnings.extend(outcome['warnings'])
        result = self.result(changed=outcome['changed'] or bool(made), current=self.current_or_none(),
                             lock=outcome['lock'])
        diff = None
        if outcome['changed']:
            diff = '%s: %s -> held by run %r\n' % (self.layout.lock_file, 'stale' if outcome['lock']['taken_over']
                                                   else 'free', self.params['owner'])
        return result, diff

    def unlocked(self):
        outcome = release_lock(self.layout.lock_file, self.params['owner'], check_mode=self.check_mode)
        self.warnings.extend(outcome['warnings'])
        result = self.result(changed=outcome['changed'], current=self.current_or_none(),
                             lock=None if outcome['changed'] else lock_summary(outcome['lock']))
        diff = None
        if outcome['changed']:
            diff = '%s: held by run %r -> free\n' % (self.layout.lock_file, self.params['owner'])
        return result, diff


def main():
    module = AnsibleModule(argument_spec=argument_spec(), required_if=REQUIRED_IF, supports_check_mode=True)
    generations = None
    try:
        generations = Generations(module.params, module.check_mode)
        result, diff = generations.apply()
    except (GenerationError, TreeError) as exc:
        module.fail_json(msg=str(exc))
    except OSError as exc:
        module.fail_json(msg='%s under %s failed: %s' % (module.params['state'], module.params['root'], exc))
    for warning in generations.warnings:
        module.warn(warning)
    if module._diff and diff:
        result['diff'] = dict(prepared=diff)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
