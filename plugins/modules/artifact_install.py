#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: artifact_install
short_description: Install a packed software prefix on a relay, verified entry by entry
version_added: 0.2.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - Installs an artifact made by M(mailrelay.sendmail.artifact_pack) at O(dest), for example
    C(/var/lib/mailrelay/sw/0123456789abcdef), the path the software was compiled for.
  - When O(dest) exists and matches the manifest exactly (the same entries and nothing else;
    type, mode including set-group-ID bits, owner, group, size and sha256 of files, target of
    symlinks), nothing is done.
  - Otherwise, before anything is unpacked, the sha256 of O(archive) must equal the manifest's
    C(archive_sha256), and every owner and group the manifest names must exist on the host.
  - The archive is unpacked into a temporary directory beside O(dest), refusing absolute names,
    C(..), members outside C(<id>/), members the manifest does not list or lists differently,
    devices, fifos and hard links, and symlinks that leave O(dest) unless the manifest lists
    them with that very target (sendmail installs absolute symlinks such as
    C(bin/mailq -> <dest>/sbin/sendmail), which point inside O(dest) and are accepted). Owners
    and groups are applied by name, then modes, then times; the result is verified against the
    manifest and renamed into place.
  - An O(dest) that exists but does not match is never deleted. It is moved aside to
    C(<dest>.corrupt-<UTC time>), and RV(replaced_corrupt) says where. A tree moved aside
    (C(.corrupt-*) or C(.replaced-*)) loses its set-ID bits and its files their execute rights, since it
    is kept for a look, never to be run. With the Linux C(renameat2)
    call, the old and the new tree are exchanged in one step, so O(dest) is never missing.
extends_documentation_fragment:
  - mailrelay.sendmail._attributes
attributes:
  check_mode:
    support: full
    details:
      - Verifies O(dest), the archive hash and the accounts, and says whether it would install; writes nothing.
  diff_mode:
    support: full
    details:
      - Lists the paths that differ (changed, missing, extra), names only.
  idempotent:
    support: full
    details:
      - Not with O(force=true), which reinstalls on every run.
options:
  archive:
    description:
      - The tar.gz on the host. Only read when O(dest) has to be (re)installed.
    type: path
    required: true
  manifest:
    description:
      - The manifest, either as a dict (for example read on the controller with
        C(lookup('ansible.builtin.file', ...) | from_json)) or as the path of the manifest JSON on the host.
    type: raw
    required: true
  dest:
    description:
      - The directory to create. Its name must be the manifest's C(id).
      - Missing parent directories are created with mode 0755.
    type: path
    required: true
  force:
    description:
      - Reinstall even when O(dest) verifies. The old tree is moved aside to
        C(<dest>.replaced-<UTC time>) (RV(replaced_previous)).
    type: bool
    default: false
notes:
  - Extended attributes and ACLs are neither packed nor installed.
seealso:
  - module: mailrelay.sendmail.artifact_pack
  - module: mailrelay.sendmail.generation
"""

EXAMPLES = r"""
- name: Copy the artifact to the relay
  ansible.builtin.copy:
    src: "artifacts/{{ item }}"
    dest: /var/cache/mailrelay/
    mode: "0644"
  loop: [0123456789abcdef.tar.gz, 0123456789abcdef.json]

- name: Install the software prefix
  mailrelay.sendmail.artifact_install:
    archive: /var/cache/mailrelay/0123456789abcdef.tar.gz
    manifest: /var/cache/mailrelay/0123456789abcdef.json
    dest: /var/lib/mailrelay/sw/0123456789abcdef
  register: sw

- name: Install with the manifest read on the controller
  mailrelay.sendmail.artifact_install:
    archive: /var/cache/mailrelay/0123456789abcdef.tar.gz
    manifest: "{{ lookup('ansible.builtin.file', 'artifacts/0123456789abcdef.json') | from_json }}"
    dest: /var/lib/mailrelay/sw/0123456789abcdef

- name: Say when a damaged installation was replaced
  ansible.builtin.debug:
    msg: "{{ sw.dest }} did not verify and was moved to {{ sw.replaced_corrupt }}"
  when: sw.replaced_corrupt
"""

RETURN = r"""
dest:
  description: The installed directory.
  returned: always
  type: str
  sample: /var/lib/mailrelay/sw/0123456789abcdef
id:
  description: The manifest's C(id).
  returned: always
  type: str
  sample: 0123456789abcdef
fingerprint:
  description: The manifest's C(fingerprint); null when it has none.
  returned: always
  type: str
  sample: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
versions:
  description: The manifest's C(versions); null when it has none.
  returned: always
  type: dict
  sample: {sendmail: 8.18.1, cyrus_sasl: 2.1.28}
verified:
  description: Whether O(dest) matches the manifest now (in check mode, before any change).
  returned: always
  type: bool
  sample: true
file_count:
  description: Number of entries in the manifest (directories, files, symlinks).
  returned: always
  type: int
  sample: 212
differences:
  description: Paths in an existing O(dest) that differ from the manifest, are missing or are extra (names only).
  returned: always
  type: list
  elements: str
  sample: [sbin/sendmail]
replaced_corrupt:
  description:
    - Where an O(dest) that did not verify was moved (in check mode, would be moved); null otherwise.
  returned: always
  type: str
  sample: /var/lib/mailrelay/sw/0123456789abcdef.corrupt-20250101T120000Z
replaced_previous:
  description: With O(force=true), where the verified old O(dest) was moved; null otherwise.
  returned: always
  type: str
  sample: null
external_links:
  description: Symlinks in the artifact that point outside O(dest), accepted because the manifest lists them.
  returned: always
  type: list
  elements: str
  sample: []
"""

import json
import os
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailrelay.sendmail.plugins.module_utils._artifact import (
    ArtifactError,
    defuse_tree,
    extract,
    file_sha256_handle,
    missing_accounts,
    validate_manifest,
    verify_tree,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._generation import (
    TMP_PREFIX,
    TreeError,
    difference_names,
    fsync_dir,
    prepared_diff,
    remove_tree,
    replace_dir,
    sort_key,
)


def argument_spec():
    return dict(
        archive=dict(type='path', required=True),
        manifest=dict(type='raw', required=True),
        dest=dict(type='path', required=True),
        force=dict(type='bool', default=False),
    )


def load_manifest(value):
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.lstrip().startswith('{'):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise ArtifactError('manifest looks like JSON but does not parse: %s' % exc)
    if isinstance(value, str):
        path = value
        try:
            with open(path, 'rb') as handle:
                return json.loads(handle.read().decode('utf-8'))
        except FileNotFoundError:
            raise ArtifactError('manifest %s does not exist on the host' % path)
        except (OSError, ValueError) as exc:
            raise ArtifactError('cannot read manifest %s: %s' % (path, exc))
    raise ArtifactError('manifest must be a dict or the path of a JSON file, got %s' % type(value).__name__)


def aside_path(dest, kind, now):
    """A free name beside dest: <dest>.<kind>-<UTC time>[.N]."""
    base = '%s.%s-%s' % (dest, kind, time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(now)))
    candidate, counter = base, 1
    while os.path.lexists(candidate):
        candidate, counter = '%s.%d' % (base, counter), counter + 1
    return candidate


def inspect_dest(dest, files):
    """(exists, comparison) for the current dest; a non-directory dest counts as fully changed."""
    if not os.path.lexists(dest):
        return False, None
    if os.path.islink(dest) or not os.path.isdir(dest):
        return True, dict(added=[], removed=[], changed=['.'])
    try:
        return True, verify_tree(dest, files)
    except TreeError:
        return True, dict(added=[], removed=[], changed=['.'])


def install(params, check_mode, now=None):
    now = time.time() if now is None else now
    manifest = load_manifest(params['manifest'])
    validate_manifest(manifest)
    dest = os.path.normpath(params['dest'])
    if os.path.basename(dest) != manifest['id']:
        raise ArtifactError('dest %s must end in the manifest id %s (the path the software was compiled for)'
                            % (dest, manifest['id']))
    files = manifest['files']
    result = dict(changed=False, dest=dest, id=manifest['id'], fingerprint=manifest.get('fingerprint'),
                  versions=manifest.get('versions'), verified=False, file_count=len(files), differences=[],
                  replaced_corrupt=None, replaced_previous=None, external_links=[])

    exists, comparison = inspect_dest(dest, files)
    if exists:
        result['differences'] = difference_names(comparison)
        result['verified'] = not result['differences']
        if result['verified'] and not params['force']:
            return result, None
    else:
        comparison = dict(added=sorted((entry['path'] for entry in files), key=sort_key), removed=[], changed=[])
    diff = dict(prepared=prepared_diff('%s (artifact %s)' % (dest, manifest['id']), comparison))

    try:
        handle = open(params['archive'], 'rb')
    except OSError as exc:
        raise ArtifactError('cannot read archive %s: %s' % (params['archive'], exc.strerror or exc))
    with handle:
        actual = file_sha256_handle(handle)
        if actual != manifest['archive_sha256']:
            raise ArtifactError('archive %s has sha256 %s but the manifest says archive_sha256 %s; nothing was'
                                ' installed. Copy the archive again (and check it belongs to this manifest)'
                                % (params['archive'], actual, manifest['archive_sha256']))
        problems = missing_accounts(files)
        if problems:
            raise ArtifactError('; '.join(problems))

        aside = None
        if exists:
            aside = aside_path(dest, 'replaced' if result['verified'] else 'corrupt', now)
            result['replaced_previous' if result['verified'] else 'replaced_corrupt'] = aside
        result['changed'] = True
        if check_mode:
            return result, diff

        parent = os.path.dirname(dest)
        if not os.path.isdir(parent):
            os.makedirs(parent, 0o755)
        tmp = tempfile.mkdtemp(dir=parent, prefix='%s%s-' % (TMP_PREFIX, manifest['id']))
        try:
            handle.seek(0)
            result['external_links'] = extract(handle, tmp, manifest, dest)
            check = verify_tree(tmp, files)
            if difference_names(check):
                raise ArtifactError('the unpacked tree does not match the manifest: %s'
                                    % ', '.join(difference_names(check)[:10]))
            fsync_dir(tmp)
            replace_dir(tmp, dest, aside)
            if aside:
                # kept for a look, never to be run: no set-ID bits, no execute rights
                defuse_tree(aside)
        finally:
            if os.path.lexists(tmp):
                remove_tree(tmp)
    result['verified'] = True
    return result, diff


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        result, diff = install(module.params, module.check_mode)
    except (ArtifactError, TreeError) as exc:
        module.fail_json(msg=str(exc))
    except OSError as exc:
        module.fail_json(msg='installing %s failed: %s' % (module.params['dest'], exc))
    if module._diff and diff is not None:
        result['diff'] = diff
    module.exit_json(**result)


if __name__ == '__main__':
    main()
