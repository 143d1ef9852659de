# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Trees and hand-made archives for the artifact and generation tests."""

from __future__ import annotations

import grp
import gzip
import hashlib
import io
import os
import pwd
import tarfile

ID = '0123456789abcdef'
OWNER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


def build_prefix(base, dest):
    """A small installed prefix at base/<ID>, shaped like sendmail + Cyrus SASL.

    `dest` is where it will be installed on the relay: sendmail's absolute links point there.
    """
    src = os.path.join(base, ID)
    os.makedirs(os.path.join(src, 'sbin'))
    os.makedirs(os.path.join(src, 'bin'))
    os.makedirs(os.path.join(src, 'lib', 'sasl2'))
    os.makedirs(os.path.join(src, 'share', 'doc'))
    with open(os.path.join(src, 'sbin', 'sendmail'), 'wb') as handle:
        handle.write(b'\x7fELF sendmail binary\n' * 100)
    os.chmod(os.path.join(src, 'sbin', 'sendmail'), 0o2555)
    with open(os.path.join(src, 'lib', 'libsasl2.so.3.0.0'), 'wb') as handle:
        handle.write(b'\x7fELF libsasl2\n' * 50)
    os.chmod(os.path.join(src, 'lib', 'libsasl2.so.3.0.0'), 0o644)
    os.symlink('libsasl2.so.3.0.0', os.path.join(src, 'lib', 'libsasl2.so.3'))
    with open(os.path.join(src, 'lib', 'sasl2', 'libplain.so'), 'wb') as handle:
        handle.write(b'plain')
    os.symlink(os.path.join(dest, 'sbin', 'sendmail'), os.path.join(src, 'bin', 'mailq'))
    with open(os.path.join(src, 'share', 'doc', 'README'), 'w') as handle:
        handle.write('docs\n')
    os.chmod(os.path.join(src, 'share', 'doc'), 0o555)
    os.chmod(src, 0o755)
    return src


def sha256(path):
    with open(path, 'rb') as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def handmade_archive(path, members, root=ID):
    """Write a tar.gz with the given members and return (sha256, manifest files for them).

    members: list of (name, kind, data_or_target, mode); kind: dir|file|link|fifo|hardlink.
    Names are used as given (so tests can try absolute names and ..).
    """
    buffer = io.BytesIO()
    files = []
    with tarfile.open(fileobj=buffer, mode='w', format=tarfile.PAX_FORMAT) as tar:
        for name, kind, payload, mode in members:
            info = tarfile.TarInfo(name)
            info.mode, info.uname, info.gname, info.mtime = mode, OWNER, GROUP, 1700000000
            entry_path = '.' if name == root else name[len(root) + 1:] if name.startswith(root + '/') else name
            entry = dict(path=entry_path, mode='%04o' % mode, owner=OWNER, group=GROUP)
            data = None
            if kind == 'dir':
                info.type = tarfile.DIRTYPE
                entry['type'] = 'dir'
            elif kind == 'file':
                info.type, info.size, data = tarfile.REGTYPE, len(payload), io.BytesIO(payload)
                entry.update(type='file', size=len(payload), sha256=hashlib.sha256(payload).hexdigest())
            elif kind == 'link':
                info.type, info.linkname = tarfile.SYMTYPE, payload
                entry.update(type='link', target=payload, mode='0777')
            elif kind == 'hardlink':
                info.type, info.linkname = tarfile.LNKTYPE, payload
                entry.update(type='file', size=0, sha256=hashlib.sha256(b'').hexdigest())
            elif kind == 'fifo':
                info.type = tarfile.FIFOTYPE
                entry.update(type='file', size=0, sha256=hashlib.sha256(b'').hexdigest())
            tar.addfile(info, data)
            files.append(entry)
    with open(path, 'wb') as handle:
        with gzip.GzipFile(fileobj=handle, mode='wb', mtime=0) as gz:
            gz.write(buffer.getvalue())
    return sha256(path), files


def manifest_for(files, archive_sha256, **extra):
    manifest = dict(format=1, id=ID, files=files, file_count=len(files), archive_sha256=archive_sha256)
    manifest.update(extra)
    return manifest
