#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: rollout_report
short_description: Write the report of a rollout across relays (report.json, a web page, JUnit XML)
version_added: 0.2.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - Writes what a rollout (C(playbooks/rollout.yml)) has done so far into O(dest), in three forms
    of the same content, namely C(report.json) for programs, C(report.html) for a person (one page,
    no script, nothing fetched from elsewhere, green/red/amber per batch and per relay, what
    failed and what was rolled back), and C(junit.xml) for CI systems (a test suite per relay
    and a test case per check of the verification gate).
  - The three files are written into O(dest) (the latest run) and into C(runs/<run id>/) below it
    (the history, of which the newest O(keep) runs are kept). Every file is written to a
    temporary file and renamed into place, so that a reader never sees half a report.
  - C(report.html) links the history. A C(Runs) list at the top links the pages of the earlier runs
    kept in C(runs/) (newest first, at most O(history)), and every relay's card lists, under
    C(Earlier gates), the earlier runs that reached it (at most O(history), newest first) with
    the gate's result and a link to the relay's card in that run's page. Only the C(report.json)
    of each run directory is read; one that cannot be read is listed as unreadable and
    contributes no gate. The same history is in C(report.json) under C(history) (see the notes).
  - The playbook calls it once, on the controller, after every batch, so that a rollout that
    stops still leaves a complete report. The files are rewritten on every call; the module
    always reports a change (set C(changed_when) to false on the task when the report is not a
    change to anything the play manages).
  - Nothing in the input is evaluated. Host names, messages and check details come from remote
    systems; they are escaped in the page and in the XML, and control characters are written as
    C(\xNN).
extends_documentation_fragment:
  - mailrelay.sendmail._attributes
attributes:
  check_mode:
    support: full
    details:
      - In check mode nothing is written or pruned; the summary, the paths and the run directories
        that would be pruned are returned as in a real run.
  diff_mode:
    support: none
  idempotent:
    support: none
    details:
      - The report is rewritten, and a change reported, on every run.
options:
  dest:
    description:
      - The report directory on the controller. It is created (mode 0755) when missing.
    type: path
    required: true
  run:
    description:
      - The run, as a dictionary with these keys (any may be missing; other keys are ignored).
      - C(id) names the run and its history directory C(runs/<id>/), for example C(20261202T051500Z).
        Characters other than letters, digits, C(.), C(_) and C(-) become C(_). Without an id the
        start time names the run.
      - C(started) and C(finished), ISO 8601 times (C(finished) is the time of this report).
      - C(playbook), the playbook that ran, for example V(mailrelay.sendmail.rollout) (not a play's name).
      - C(relays), every relay of the run; those without a record in O(hosts) and not in O(pending)
        count as not reached.
      - C(rollback), true for a rollback on demand (C(mailrelay_rollout_rollback=true)).
      - C(batches_planned), the C(serial) value of the play, for example C([1, "25%", "100%"]).
    type: dict
    default: {}
  hosts:
    description:
      - One record per relay that went through the switch so far. Keys (any may be missing or null;
        numbers and booleans may be strings, as Jinja makes them; other keys are ignored)
        are C(host), C(batch) (int), C(generation_before), C(generation_after),
        C(generation_tried) (the generation that failed the gate, when known), C(switched),
        C(rolled_back) (an automatic rollback after a failed gate), C(stopped) (a first install
        taken out of service), C(outcome) (V(changed), V(unchanged) or V(failed)), C(failure) (the
        message), C(started), C(finished), C(seconds) (C(total), C(switch), C(reload) and C(gate)), C(versions)
        (C(version), C(sasl_v2), C(starttls) of the live sendmail), C(gate) (the verification
        gate's result; for a failed relay the run that failed), C(gate_ran) (false when the relay
        failed before its gate, in the switch or the reload, so that no gate ran on the generation it tried),
        C(failed_task) (the name of the task that failed), C(gate_after_rollback) (the gate's
        result after the automatic rollback, C({}) when there was none) and C(events) (a list,
        passed through).
      - A failed relay whose C(gate) equals its C(gate_after_rollback) is read as C(gate_ran=false),
        because the only gate that ran was the one after the rollback.
      - A gate result is the C(mailrelay_verify_result) of the role C(mailrelay.sendmail.verify),
        namely C(ok), C(checked), C(probe_from), C(binary), C(entropy), C(listeners) (each with
        C(name), C(port), C(address), C(tls), C(line), C(checks) (C(name), C(ok), C(status), C(detail)) and
        C(failures)), C(failures) and C(lines).
      - A check whose C(status) is V(skipped) reads "not run", with its reason in words (Ansible's
        "Conditional result was False" is replaced); it counts as neither passed nor failed.
      - A relay whose gate failed counts as failed whatever its C(outcome) says. A relay listed
        twice is reported once, from its later record.
    type: list
    elements: dict
    default: []
  pending:
    description:
      - Relays not reached, because the rollout stopped before their batch or has not come to it yet.
    type: list
    elements: str
    default: []
  keep:
    description:
      - How many runs to keep in C(runs/), this one included. Older run directories (by the time
        they were last written) are deleted; only directories that hold a C(report.json) count.
    type: int
    default: 20
  history:
    description:
      - How many earlier runs C(report.html) links, in its C(Runs) list and for each relay
        (the runs that reached it), newest first. V(0) reads no earlier run and shows no history.
      - Runs about to be pruned (see O(keep)) are not linked, so at most O(keep) - 1 earlier runs can be.
    type: int
    default: 10
    version_added: 0.3.0
notes:
  - The outcome is V(failed) when any relay failed, V(succeeded) when none failed and none is
    pending, and V(in progress) otherwise. A run that stopped for another reason (an unreachable
    relay, an interrupt) leaves a report that says V(in progress).
  - C(junit.xml) has a test suite per relay (properties C(batch), C(generation_before),
    C(generation_after), C(outcome), ...), a test case per gate check (class name
    C(<host>.<listener>:<port>@<address>), name the check's), a test case C(switch) (class name
    C(<host>)) that fails when the relay failed, a test case C(rollback) when an automatic rollback
    happened (it fails unless the gate passed after the rollback), and a skipped C(switch) for
    every relay not reached.
  - Ansible's own C(ansible.builtin.junit) callback (enable it with C(ANSIBLE_CALLBACKS_ENABLED=ansible.builtin.junit)
    and C(JUNIT_OUTPUT_DIR)) can be used in addition; it reports each Ansible task, not each gate
    check, which is why this module writes its own JUnit file (with the Python standard library,
    so nothing needs to be installed in an execution environment).
  - Runs on the controller; give the task C(delegate_to=localhost) and C(run_once=true).
  - C(report.json) holds the history under C(history), namely C(limit) (O(history)), C(runs) (the earlier
    runs, newest first, each with C(id) (its directory in C(runs/)), C(readable), C(outcome),
    C(started), C(finished), C(playbook), C(rollback), C(relays), C(reached) and C(failed)) and
    C(relays) (per relay of this run that an earlier run reached, newest first, C(run), C(outcome),
    C(gate) (V(passed), V(failed) or V(unknown)), C(generation) (the generation it was left on),
    C(rolled_back), C(finished) and C(failure)). Runs are ordered by their start time. The copy of
    C(report.html) in C(runs/<run id>/) links the same pages through C(../).
seealso:
  - plugin: ansible.builtin.junit
    plugin_type: callback
    description: A JUnit file per playbook run with a test case per task.
"""

EXAMPLES = r"""
- name: Write the rollout report of the run so far
  mailrelay.sendmail.rollout_report:
    dest: "{{ mailrelay_rollout_report_dir }}"
    run:
      id: "{{ __run.id }}"
      started: "{{ __run.started }}"
      finished: "{{ now(utc=true).isoformat() }}"
      playbook: mailrelay.sendmail.rollout
      relays: "{{ ansible_play_hosts_all }}"
      rollback: false
      batches_planned: [1, "25%", "100%"]
    hosts: >-
      {{ ansible_play_hosts_all | map('extract', hostvars) | selectattr('__record', 'defined')
         | map(attribute='__record') | list }}
    pending: "{{ ansible_play_hosts_all | difference(ansible_play_hosts_all | map('extract', hostvars)
                 | selectattr('__record', 'defined') | map(attribute='__record.host') | list) }}"
  delegate_to: localhost
  become: false
  run_once: true
  changed_when: false
  register: report

- name: Say where the page is
  ansible.builtin.debug:
    msg: "Rollout {{ report.summary.outcome }}: {{ report.html }}"
  run_once: true

- name: A report by hand, keeping the last five runs (the page links the four earlier ones)
  mailrelay.sendmail.rollout_report:
    dest: /srv/reports/relays
    keep: 5
    history: 4
    run:
      id: 20261202T051500Z
      started: "2026-12-02T05:15:00+00:00"
      relays: [relay1.example.org, relay2.example.org]
    hosts:
      - host: relay1.example.org
        batch: 1
        generation_before: "20261101T040000Z"
        generation_after: "20261202T051502Z"
        switched: true
        outcome: changed
        gate: {ok: true, listeners: [{name: MTA, port: 25, address: 192.0.2.10, checks: [{name: STARTTLS offered, ok: true}]}]}
    pending: [relay2.example.org]
  delegate_to: localhost
"""

RETURN = r"""
dest:
  description: The report directory.
  returned: always
  type: str
  sample: /home/ops/.local/share/mailrelay/rollout
json:
  description: Path of the latest C(report.json).
  returned: always
  type: str
  sample: /home/ops/.local/share/mailrelay/rollout/report.json
html:
  description: Path of the latest C(report.html), the page to open in a browser.
  returned: always
  type: str
  sample: /home/ops/.local/share/mailrelay/rollout/report.html
junit:
  description: Path of the latest C(junit.xml).
  returned: always
  type: str
  sample: /home/ops/.local/share/mailrelay/rollout/junit.xml
run_dir:
  description: This run's directory in the history (the same three files).
  returned: always
  type: str
  sample: /home/ops/.local/share/mailrelay/rollout/runs/20261202T051500Z
pruned:
  description: Run ids whose directories were deleted (in check mode, would be deleted) to keep O(keep) runs.
  returned: always
  type: list
  elements: str
  sample: [20261001T031500Z]
summary:
  description: The summary of the run so far (also in C(report.json)).
  returned: always
  type: dict
  sample: {relays: 4, reached: 1, changed: 0, unchanged: 0, gate_only: 0, failed: 1, rolled_back: 1, pending: 3, outcome: failed}
  contains:
    relays:
      description: Relays in the run.
      type: int
    reached:
      description: Relays that went through the switch.
      type: int
    changed:
      description: Relays switched to a new generation that passed the gate.
      type: int
    unchanged:
      description: Relays that were already on the wanted generation and passed the gate.
      type: int
    gate_only:
      description:
        - "Relays that were not prepared because their inputs were those of their live generation's last
          full preparation (role C(mailrelay.sendmail.rollout), C(mailrelay_rollout_skip_unchanged)); only
          their gate ran. Counted in RV(summary.unchanged) too when they passed."
      type: int
      version_added: 0.3.0
    failed:
      description: Relays that failed (the switch or the gate).
      type: int
    rolled_back:
      description: Relays rolled back automatically after a failed gate.
      type: int
    pending:
      description: Relays not reached.
      type: int
    outcome:
      description: V(succeeded), V(failed) or V(in progress).
      type: str
"""

import datetime
import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.mailrelay.sendmail.plugins.module_utils._rollout_report import (
    build_report,
    gate_history,
    render_html,
    render_json,
    render_junit,
    run_id,
    runs_to_prune,
)

FILES = (('json', 'report.json'), ('html', 'report.html'), ('junit', 'junit.xml'))


def argument_spec():
    return dict(
        dest=dict(type='path', required=True),
        run=dict(type='dict', default={}),
        hosts=dict(type='list', elements='dict', default=[]),
        pending=dict(type='list', elements='str', default=[]),
        keep=dict(type='int', default=20),
        history=dict(type='int', default=10),
    )


def write_atomic(path, text):
    """Write ``text`` (UTF-8, mode 0644) to a temporary file beside ``path`` and rename it into place."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.%s.' % os.path.basename(path))
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(text.encode('utf-8', 'replace'))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def make_dir(path):
    if not os.path.isdir(path):
        os.makedirs(path, 0o755)


def recorded_runs(runs_dir):
    """(name, mtime) of the run directories below ``runs_dir`` (real directories with a report.json)."""
    if not os.path.isdir(runs_dir):
        return []
    found = []
    for name in os.listdir(runs_dir):
        path = os.path.join(runs_dir, name)
        if os.path.isdir(path) and not os.path.islink(path) and os.path.isfile(os.path.join(path, 'report.json')):
            found.append((name, os.stat(path).st_mtime))
    return found


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    dest = params['dest']
    if params['keep'] < 1:
        module.fail_json(msg='keep must be at least 1 (the run being reported is always kept), not %d' % params['keep'])
    if params['history'] < 0:
        module.fail_json(msg='history must be 0 (no links to earlier runs) or more, not %d' % params['history'])
    if os.path.exists(dest) and not os.path.isdir(dest):
        module.fail_json(msg='dest %s exists and is not a directory: give a directory (mailrelay_rollout_report_dir)' % dest)

    now = datetime.datetime.now(datetime.timezone.utc)
    current = run_id(params['run'], now)
    runs_dir = os.path.join(dest, 'runs')
    run_dir = os.path.join(runs_dir, current)
    result = dict(
        changed=True,
        dest=dest,
        run_dir=run_dir,
        **dict((key, os.path.join(dest, name)) for key, name in FILES)
    )
    try:
        result['pruned'] = runs_to_prune(recorded_runs(runs_dir), params['keep'], current)
        # the earlier runs' report.json only; the runs about to be pruned are not linked
        history = gate_history(runs_dir, current, params['history'], skip=result['pruned'])
        report = build_report(params['run'], params['hosts'], params['pending'], now=now, history=history)
        result['summary'] = report['summary']
        if not module.check_mode:
            # the same page twice, but for the way to runs/: from dest, and from runs/<id>/
            contents = {'json': render_json(report), 'html': render_html(report, 'runs/'), 'junit': render_junit(report)}
            in_run_dir = dict(contents, html=render_html(report, '../'))
            for directory in (dest, runs_dir, run_dir):
                make_dir(directory)
            for directory, texts in ((run_dir, in_run_dir), (dest, contents)):
                for key, name in FILES:
                    write_atomic(os.path.join(directory, name), texts[key])
            for name in result['pruned']:
                shutil.rmtree(os.path.join(runs_dir, name))
    except (IOError, OSError) as error:
        module.fail_json(msg='cannot write the rollout report in %s: %s' % (dest, to_native(error)), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
