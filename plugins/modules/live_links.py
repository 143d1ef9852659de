#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: live_links
short_description: Point a relay's live paths through the current generation, in one round trip
version_added: 0.3.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - Makes each live path (for example C(/usr/sbin/sendmail) or C(/etc/saslauthd.conf)) a symlink
    to C(<current>/<path in the generation>), so that switching generations is one rename of
    C(current).
  - Only live paths whose target the current generation holds are linked; the others are listed
    in RV(skipped) and left as they are (a generation with certificates alone does not take over
    C(/usr/sbin/sendmail)).
  - A symlink that points elsewhere is replaced in one step (a new symlink renamed over it).
  - Whatever else an earlier install left at a live path (a program, a file, a directory) is moved
    to C(<legacy_dir>/<UTC time>/<live path>), never deleted, and loses its set-ID bits and its
    files their execute rights there, since it is kept for a look, never to be run.
  - Missing parent directories are created (mode 0755, owned by the user the module runs as).
extends_documentation_fragment:
  - mailrelay.sendmail._attributes
attributes:
  check_mode:
    support: full
    details:
      - Reports what would be linked and moved, and touches nothing.
  diff_mode:
    support: full
    details:
      - Names the live paths that change and where they point before and after.
  idempotent:
    support: full
options:
  links:
    description:
      - Live path (absolute) to the path inside the generation (relative), for example
        C(/usr/sbin/sendmail) to C(sw/sbin/sendmail).
    type: dict
    required: true
  current:
    description: The symlink to the live generation.
    type: path
    default: /var/lib/mailrelay/current
  legacy_dir:
    description: Where what an earlier install left at a live path is moved.
    type: path
    default: /var/lib/mailrelay/legacy
seealso:
  - module: mailrelay.sendmail.generation
"""

EXAMPLES = r"""
- name: Point the live paths at the current generation
  mailrelay.sendmail.live_links:
    links:
      /usr/sbin/sendmail: sw/sbin/sendmail
      /etc/mail/sendmail.cf: mail/sendmail.cf
      /etc/saslauthd.conf: sasl2/saslauthd.conf
  register: links

- name: Say what an earlier install left behind
  ansible.builtin.debug:
    msg: "{{ item.path }} was moved to {{ item.to }}"
  loop: "{{ links.moved }}"
"""

RETURN = r"""
linked:
  description: Live paths that were (or in check mode would be) made to point through O(current).
  returned: always
  type: list
  elements: str
  sample: [/usr/sbin/sendmail]
moved:
  description: What an earlier install left at a live path, and where it was moved.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The live path.
      returned: always
      type: str
    to:
      description: Where it is now.
      returned: always
      type: str
  sample: [{"path": /usr/sbin/sendmail, "to": /var/lib/mailrelay/legacy/20261207T120000Z/usr/sbin/sendmail}]
skipped:
  description: Live paths left alone because the current generation does not hold their target.
  returned: always
  type: list
  elements: str
  sample: [/etc/saslauthd.conf]
"""

import os
import shutil
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.mailrelay.sendmail.plugins.module_utils._artifact import defuse_tree
from ansible_collections.mailrelay.sendmail.plugins.module_utils._generation import atomic_symlink


def plan(links, current):
    """What to do for each live path: dict(link, keep, skip, move) of sorted lists of live paths.

    `link` are live paths to (re)point, `move` the subset of them where something other than a
    symlink stands, `keep` those already right, `skip` those whose target `current` lacks.
    """
    actions = dict(link=[], keep=[], skip=[], move=[])
    for live in sorted(links):
        target = os.path.join(current, links[live])
        if not os.path.exists(target):
            actions['skip'].append(live)
        elif os.path.islink(live) and os.readlink(live) == target:
            actions['keep'].append(live)
        else:
            actions['link'].append(live)
            if os.path.lexists(live) and not os.path.islink(live):
                actions['move'].append(live)
    return actions


def apply(links, current, legacy_dir, actions, now=None):
    """Carry out plan(): move aside, create parents, link. Returns the list of moves."""
    stamp = time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(time.time() if now is None else now))
    moved = []
    for live in actions['link']:
        if live in actions['move']:
            aside = os.path.join(legacy_dir, stamp) + live
            os.makedirs(os.path.dirname(aside), 0o755, exist_ok=True)
            shutil.move(live, aside)  # a rename, or a copy and delete across file systems
            if os.path.isdir(aside) and not os.path.islink(aside):
                defuse_tree(aside)
            else:
                _defuse_file(aside)
            moved.append(dict(path=live, to=aside))
        parent = os.path.dirname(live)
        if not os.path.isdir(parent):
            os.makedirs(parent, 0o755)
        atomic_symlink(os.path.join(current, links[live]), live)
    return moved


def _defuse_file(path):
    if not os.path.islink(path):
        os.chmod(path, os.stat(path).st_mode & 0o666)


def argument_spec():
    return dict(
        links=dict(type='dict', required=True),
        current=dict(type='path', default='/var/lib/mailrelay/current'),
        legacy_dir=dict(type='path', default='/var/lib/mailrelay/legacy'),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    links = module.params['links']
    current = module.params['current']
    for live, rel in links.items():
        if not os.path.isabs(live) or not isinstance(rel, str) or not rel or os.path.isabs(rel) or '..' in rel.split('/'):
            module.fail_json(msg='links: %s -> %r must be an absolute live path and a relative path inside the generation'
                             % (live, rel))
    actions = plan(links, current)
    result = dict(changed=bool(actions['link']), linked=actions['link'], skipped=actions['skip'],
                  moved=[dict(path=live, to=None) for live in actions['move']])
    if module._diff and actions['link']:
        result['diff'] = dict(
            before=''.join('%s -> %s\n' % (live, os.readlink(live) if os.path.islink(live) else
                                           ('(%s)' % ('absent' if not os.path.lexists(live) else 'not a link')))
                           for live in actions['link']),
            after=''.join('%s -> %s\n' % (live, os.path.join(current, links[live])) for live in actions['link']))
    if actions['link'] and not module.check_mode:
        try:
            result['moved'] = apply(links, current, module.params['legacy_dir'], actions)
        except OSError as exc:
            module.fail_json(msg='could not link the live paths: %s' % exc, **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
