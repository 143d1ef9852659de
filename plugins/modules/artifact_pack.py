#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: artifact_pack
short_description: Pack a built software prefix as a deterministic tar.gz with a manifest
version_added: 0.2.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - Runs on the build host. Walks O(src), the installed prefix (for example
    C(/var/lib/mailrelay/sw/0123456789abcdef)), and writes O(archive), a tar.gz whose members are
    C(<id>) and C(<id>/...) with C(<id>) the name of O(src), so unpacking it into the software
    base directory recreates C(<id>/).
  - The archive is deterministic. Members are sorted; owner and group are stored by name
    (with the build host's numbers); modes keep their set-user-ID and set-group-ID bits; every member
    carries the same modification time (O(mtime)); the gzip header carries neither name nor time.
    The same tree with the same O(mtime) gives the same bytes.
  - Then writes O(manifest), a JSON object, with the keys of O(metadata) and the keys the
    module adds, namely C(format) (1), C(id), C(files) (every directory, file and symlink),
    C(file_count), C(installed_size), C(archive_sha256), C(size) (of the archive) and C(mtime).
    The archive holds no copy of the manifest, because that copy could not contain the hash
    of the archive it is in.
  - A file is rewritten only when its new bytes differ, so packing the same tree with the
    same metadata again reports no change.
  - Refuses devices, fifos and sockets in O(src). Hard links are packed as separate files.
extends_documentation_fragment:
  - mailrelay.sendmail._attributes
attributes:
  check_mode:
    support: full
    details:
      - Reads O(src) and computes the archive in memory to say whether it would change, and writes nothing.
  diff_mode:
    support: none
  idempotent:
    support: full
    details:
      - As long as O(src) and O(metadata) stay the same, and O(mtime) is given or nothing in O(src) is touched.
options:
  src:
    description: The installed prefix to pack. Its name becomes the artifact id.
    type: path
    required: true
  archive:
    description: The tar.gz to write. Missing parent directories are created.
    type: path
    required: true
  manifest:
    description: The manifest JSON to write, usually beside O(archive).
    type: path
    required: true
  metadata:
    description:
      - Keys merged into the manifest, for example C(fingerprint), C(platform), C(versions),
        C(inputs), C(compiled_with), C(sasl_mechanisms), C(runtime_packages), C(builder) and C(created).
      - Must not set the keys the module computes (C(format), C(files), C(file_count),
        C(installed_size), C(archive_sha256), C(size), C(mtime)); C(id), when given, must be
        the name of O(src), and a 64-digit C(fingerprint) must start with it.
      - Give C(created) from the build record, not the current time, or every run changes the manifest.
    type: dict
    default: {}
  mtime:
    description:
      - Modification time (seconds since the epoch) of every archive member.
      - Default is the newest modification time found in O(src), that is when the build was installed.
    type: int
notes:
  - The module M(mailrelay.sendmail.artifact_install) checks the archive against C(archive_sha256)
    and every entry against C(files) before anything becomes visible on a relay.
seealso:
  - module: mailrelay.sendmail.artifact_install
"""

EXAMPLES = r"""
- name: Pack the built prefix
  mailrelay.sendmail.artifact_pack:
    src: /var/lib/mailrelay/sw/0123456789abcdef
    archive: /var/cache/mailrelay/artifacts/0123456789abcdef.tar.gz
    manifest: /var/cache/mailrelay/artifacts/0123456789abcdef.json
    metadata:
      fingerprint: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
      platform: debian-12-amd64
      versions: {sendmail: 8.18.1, cyrus_sasl: 2.1.28}
      sasl_mechanisms: [PLAIN, LOGIN]
      runtime_packages: [libssl3, libdb5.3]
      builder: builder-debian-12
      created: "2025-01-01T12:00:00Z"
  register: pack

- name: Bring the artifact to the controller
  ansible.builtin.fetch:
    src: "{{ item }}"
    dest: "{{ playbook_dir }}/artifacts/"
    flat: true
  loop: [/var/cache/mailrelay/artifacts/0123456789abcdef.tar.gz, /var/cache/mailrelay/artifacts/0123456789abcdef.json]

- name: Pack with a fixed member time (reproducible across rebuilds)
  mailrelay.sendmail.artifact_pack:
    src: /var/lib/mailrelay/sw/0123456789abcdef
    archive: /tmp/0123456789abcdef.tar.gz
    manifest: /tmp/0123456789abcdef.json
    mtime: 1735732800
"""

RETURN = r"""
archive:
  description: Path of the archive.
  returned: always
  type: str
  sample: /var/cache/mailrelay/artifacts/0123456789abcdef.tar.gz
archive_sha256:
  description: sha256 of the archive (also in the manifest).
  returned: always
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
size:
  description: Size of the archive in bytes.
  returned: always
  type: int
  sample: 2874311
file_count:
  description: Number of entries (directories, files and symlinks, the top directory included).
  returned: always
  type: int
  sample: 212
id:
  description: The artifact id, the name of O(src).
  returned: always
  type: str
  sample: 0123456789abcdef
manifest:
  description: The manifest as written to O(manifest).
  returned: always
  type: dict
  sample:
    format: 1
    id: 0123456789abcdef
    fingerprint: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
    archive_sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    size: 2874311
    file_count: 212
    installed_size: 9170432
    mtime: 1735732800
    files:
      - {path: ".", type: dir, mode: "0755", owner: root, group: root}
      - {path: bin/mailq, type: link, mode: "0777", owner: root, group: root,
         target: /var/lib/mailrelay/sw/0123456789abcdef/sbin/sendmail}
      - {path: sbin/sendmail, type: file, mode: "2555", owner: root, group: smmsp, size: 875472,
         sha256: 4b1c0d0c4f0e4e1e9c2c3a5b6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90}
written:
  description: Which of the two files were (or in check mode would be) written.
  returned: always
  type: list
  elements: str
  sample: [/var/cache/mailrelay/artifacts/0123456789abcdef.tar.gz, /var/cache/mailrelay/artifacts/0123456789abcdef.json]
"""

import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailrelay.sendmail.plugins.module_utils._artifact import (
    ArtifactError,
    HashingWriter,
    build_manifest,
    check_metadata,
    file_sha256_handle,
    newest_mtime,
    write_archive,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._generation import (
    TMP_PREFIX,
    TreeError,
    atomic_write,
    fsync_dir,
    scan_tree,
)


def argument_spec():
    return dict(
        src=dict(type='path', required=True),
        archive=dict(type='path', required=True),
        manifest=dict(type='path', required=True),
        metadata=dict(type='dict', default={}),
        mtime=dict(type='int'),
    )


def existing_sha256(path):
    try:
        with open(path, 'rb') as handle:
            return file_sha256_handle(handle)
    except FileNotFoundError:
        return None


def existing_bytes(path):
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def manifest_bytes(manifest):
    return (json.dumps(manifest, indent=2, sort_keys=True) + '\n').encode('utf-8')


def pack(params, check_mode):
    """Do the work; return the result dict. Raises ArtifactError or TreeError."""
    src = os.path.normpath(params['src'])
    if not os.path.isdir(src) or os.path.islink(src):
        raise ArtifactError('src %s is not a directory (the installed prefix to pack)' % src)
    problems = check_metadata(src, params['metadata'])
    if problems:
        raise ArtifactError('; '.join(problems))
    entries = scan_tree(src)
    mtime = params['mtime'] if params['mtime'] is not None else newest_mtime(src, entries)
    archive, manifest_path = params['archive'], params['manifest']
    written = []

    if check_mode:
        sink = HashingWriter()
        write_archive(src, entries, sink, mtime)
        archive_sha256, archive_size = sink.sha256.hexdigest(), sink.size
        if existing_sha256(archive) != archive_sha256:
            written.append(archive)
    else:
        directory = os.path.dirname(archive) or '.'
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o755)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=TMP_PREFIX)
        try:
            with os.fdopen(fd, 'wb') as handle:
                sink = HashingWriter(handle)
                write_archive(src, entries, sink, mtime)
                handle.flush()
                os.fsync(handle.fileno())
            archive_sha256, archive_size = sink.sha256.hexdigest(), sink.size
            if existing_sha256(archive) != archive_sha256:
                os.chmod(tmp, 0o644)
                os.rename(tmp, archive)
                fsync_dir(directory)
                written.append(archive)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    manifest = build_manifest(src, entries, params['metadata'], archive_sha256, archive_size, mtime)
    data = manifest_bytes(manifest)
    if existing_bytes(manifest_path) != data:
        written.append(manifest_path)
        if not check_mode:
            directory = os.path.dirname(manifest_path) or '.'
            if not os.path.isdir(directory):
                os.makedirs(directory, 0o755)
            atomic_write(manifest_path, data, 0o644)

    return dict(changed=bool(written), archive=archive, archive_sha256=archive_sha256, size=archive_size,
                file_count=manifest['file_count'], id=manifest['id'], manifest=manifest, written=written)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        result = pack(module.params, module.check_mode)
    except (ArtifactError, TreeError) as exc:
        module.fail_json(msg=str(exc))
    except OSError as exc:
        module.fail_json(msg='packing %s failed: %s' % (module.params['src'], exc))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
