#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file only documents the action plugin plugins/action/job_wait.py.

from __future__ import annotations

DOCUMENTATION = r"""
module: job_wait
short_description: Wait for an async job without retry noise, showing its progress lines as they appear
version_added: 0.2.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - Waits for a job started with C(async) and C(poll) set to 0, by polling C(ansible.builtin.async_status)
    on the target every O(poll) seconds. Unlike an C(until) loop, it prints no C(FAILED - RETRYING) lines.
  - "With O(progress_file), every new line the job writes to that file on the target is shown on
    the controller as it appears, prefixed with O(label), for example
    C([builder-debian-12] 0:42 Cyrus SASL: make). Only the new part of the file is read each time."
  - Returns the job's final C(async_status) result. Fails when the job failed (with the end of its
    stderr in the message) or is still running after O(timeout) seconds.
  - Works with C(delegate_to) and C(become) like any action, since it uses the task's connection.
extends_documentation_fragment:
  - mailrelay.sendmail._attributes
attributes:
  action:
    description: Runs on the controller and uses the task's connection to the target.
    support: full
  async:
    description: Cannot itself run with C(async).
    support: none
  check_mode:
    support: full
    details:
      - Only reads; a job that check mode did not start is not found and the task fails, as with C(async_status).
  diff_mode:
    support: N/A
    details:
      - It changes nothing itself.
  idempotent:
    support: full
    details:
      - It changes nothing itself; RV(changed) is the job's.
options:
  jid:
    description: The job id, C(ansible_job_id) from the registered result of the async task.
    type: str
    required: true
  progress_file:
    description:
      - A file on the target the job appends lines to. Missing until the job creates it.
      - If it shrinks, it is read again from the start.
    type: str
  label:
    description: Prefix of the progress lines; default the host the task runs on (its C(delegate_to) when delegated).
    type: str
  timeout:
    description: Seconds to wait before failing. The job itself goes on until its own C(async) limit.
    type: int
    default: 3600
  poll:
    description: Seconds between two looks at the job (at least 1).
    type: int
    default: 3
notes:
  - Give the async task an C(async) limit at least as long as O(timeout).
  - Reading the progress file runs C(wc), C(tail), C(head) and C(base64) through the target's shell.
seealso:
  - module: ansible.builtin.async_status
"""

EXAMPLES = r"""
- name: Start the build in the background
  ansible.builtin.shell:
    cmd: ./build.sh > /var/tmp/build/progress 2>&1
    chdir: /var/tmp/build
  async: 3600
  poll: 0
  register: build_job
  delegate_to: builder-debian-12

- name: Wait for the build, showing its progress
  mailrelay.sendmail.job_wait:
    jid: "{{ build_job.ansible_job_id }}"
    progress_file: /var/tmp/build/progress
    label: builder-debian-12
    timeout: 3600
  delegate_to: builder-debian-12
  register: build

- name: Use what the job printed
  ansible.builtin.debug:
    msg: "{{ build.stdout_lines | last }}"
"""

RETURN = r"""
finished:
  description: Whether the job finished (false only after a timeout).
  returned: always
  type: bool
  sample: true
ansible_job_id:
  description: The job id.
  returned: always
  type: str
  sample: j123456789.4242
rc:
  description: The job's return code (for command and shell jobs).
  returned: when the job returns one
  type: int
  sample: 0
stdout:
  description: The job's standard output.
  returned: when the job returns one
  type: str
stderr:
  description: The job's standard error.
  returned: when the job returns one
  type: str
changed:
  description: The job's C(changed).
  returned: always
  type: bool
waited:
  description: Seconds spent waiting.
  returned: always
  type: float
  sample: 312.4
progress_lines:
  description: How many progress lines were shown.
  returned: when the job finished
  type: int
  sample: 14
"""
