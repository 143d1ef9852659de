# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the mailrelay.sendmail collection: may change without notice.

"""Software artifacts: a built prefix packed as a deterministic tar.gz with a manifest, and
unpacked on a relay only after the archive's hash and then every entry were checked.

Manifest (format 1), a JSON object written with sorted keys::

    format          1
    id              basename of the packed directory (first 16 hex digits of the fingerprint)
    files           the entries of the tree (see _generation), the top directory as ".";
                    files carry size and sha256, links their target
    file_count      len(files): directories, files and links
    installed_size  sum of the sizes of the regular files
    archive_sha256  sha256 of the tar.gz (so the copy of the manifest in the archive would
                    have to contain its own hash: there is no such copy)
    size            size of the tar.gz in bytes
    mtime           the modification time every archive member carries
    ...             whatever the caller's metadata adds (fingerprint, platform, versions, ...)

Archive: gzip (no name, time 0 in its header) around a POSIX pax tar whose members are
``<id>`` and ``<id>/<path>`` in manifest order; owner and group are stored by name (and the
build host's numbers), modes with their set-group-ID bits, one mtime for all members. Same
tree and same mtime give the same bytes.
"""

from __future__ import annotations

import grp
import gzip
import hashlib
import os
import posixpath
import pwd
import re
import stat
import tarfile

from ansible_collections.mailrelay.sendmail.plugins.module_utils._generation import (
    COMPARE_KEYS,
    ENTRY_TYPES,
    compare_entries,
    scan_tree,
    sort_key,
)

FORMAT = 1
ADDED_KEYS = ('format', 'files', 'file_count', 'installed_size', 'archive_sha256', 'size', 'mtime')
ID_PATTERN = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]*$')
SHA256_PATTERN = re.compile(r'^[0-9a-f]{64}$')
MODE_PATTERN = re.compile(r'^[0-7]{4}$')
CHUNK = 1024 * 1024

# who creates the accounts a sendmail artifact needs, for the error message when one is missing
ACCOUNT_HINTS = {
    'smmsp': 'the role mailrelay.sendmail.sendmail_build creates it (sendmail_build_smmsp_user and'
             ' sendmail_build_smmsp_group); on a relay that does not run that role, create it first with'
             ' ansible.builtin.group / ansible.builtin.user and system: true',
}


class ArtifactError(Exception):
    """The archive or manifest is not acceptable; the message says which path and why."""


# ---------------------------------------------------------------------------------------
# packing

class HashingWriter:
    """A file-like sink that hashes and counts what is written, and passes it on if given a file."""

    def __init__(self, fileobj=None):
        self.sha256 = hashlib.sha256()
        self.size = 0
        self.fileobj = fileobj

    def write(self, data):
        self.sha256.update(data)
        self.size += len(data)
        if self.fileobj is not None:
            self.fileobj.write(data)
        return len(data)

    def flush(self):
        if self.fileobj is not None:
            self.fileobj.flush()


def member_name(root_name, path):
    return root_name if path == '.' else root_name + '/' + path


def newest_mtime(src, entries):
    return max(int(os.lstat(os.path.join(src, entry['path'])).st_mtime) for entry in entries)


def write_archive(src, entries, sink, mtime):
    """Write the tree at `src` (described by `entries`) as a deterministic tar.gz to `sink`.

    Raises ArtifactError when a file changed between scanning and packing.
    """
    root_name = os.path.basename(os.path.normpath(src))
    gz = gzip.GzipFile(filename='', mode='wb', fileobj=sink, mtime=0, compresslevel=9)
    try:
        with tarfile.open(fileobj=gz, mode='w', format=tarfile.PAX_FORMAT) as tar:
            for entry in entries:
                path = os.path.join(src, entry['path'])
                st = os.lstat(path)
                info = tarfile.TarInfo(member_name(root_name, entry['path']))
                info.mode = int(entry['mode'], 8)
                info.uid, info.gid = st.st_uid, st.st_gid
                info.uname, info.gname = entry['owner'], entry['group']
                info.mtime = int(mtime)
                if entry['type'] == 'dir':
                    info.type = tarfile.DIRTYPE
                    tar.addfile(info)
                elif entry['type'] == 'link':
                    info.type = tarfile.SYMTYPE
                    info.linkname = entry['target']
                    tar.addfile(info)
                else:
                    info.type = tarfile.REGTYPE
                    info.size = entry['size']
                    with open(path, 'rb') as handle:
                        reader = _HashingReader(handle)
                        tar.addfile(info, reader)
                    if reader.sha256.hexdigest() != entry['sha256'] or reader.size != entry['size']:
                        raise ArtifactError('%s changed while it was being packed; pack again when nothing'
                                            ' writes to %s' % (path, src))
    finally:
        gz.close()


class _HashingReader:
    def __init__(self, handle):
        self.handle = handle
        self.sha256 = hashlib.sha256()
        self.size = 0

    def read(self, size=-1):
        data = self.handle.read(size)
        self.sha256.update(data)
        self.size += len(data)
        return data


def build_manifest(src, entries, metadata, archive_sha256, archive_size, mtime):
    manifest = dict(metadata or {})
    manifest.update(
        format=FORMAT,
        id=os.path.basename(os.path.normpath(src)),
        files=entries,
        file_count=len(entries),
        installed_size=sum(entry.get('size', 0) for entry in entries if entry['type'] == 'file'),
        archive_sha256=archive_sha256,
        size=archive_size,
        mtime=int(mtime),
    )
    return manifest


def check_metadata(src, metadata):
    """Messages about metadata that would make a wrong manifest (empty when fine)."""
    problems = []
    root_name = os.path.basename(os.path.normpath(src))
    reserved = sorted(key for key in metadata or {} if key in ADDED_KEYS)
    if reserved:
        problems.append('metadata must not set %s: the module computes them' % ', '.join(reserved))
    if not ID_PATTERN.match(root_name):
        problems.append('the name of src (%s) is not a usable artifact id' % root_name)
    if metadata and 'id' in metadata and metadata['id'] != root_name:
        problems.append('metadata.id is %s but src is %s: the id is the name of the installed directory'
                        % (metadata['id'], root_name))
    fingerprint = (metadata or {}).get('fingerprint')
    if isinstance(fingerprint, str) and SHA256_PATTERN.match(fingerprint) and not fingerprint.startswith(root_name):
        problems.append('metadata.fingerprint %s does not start with the id %s' % (fingerprint, root_name))
    return problems


# ---------------------------------------------------------------------------------------
# checking a manifest

def check_relpath(path):
    if path == '.':
        return
    if (not isinstance(path, str) or not path or path.startswith('/') or '\\' in path or '\0' in path
            or posixpath.normpath(path) != path or path.split('/')[0] == '..'):
        raise ArtifactError('manifest path %r is not a clean relative path' % (path,))


def manifest_groups(manifest):
    """The groups the build itself created (manifest accounts.groups, e.g. smmsp)."""
    accounts = manifest.get('accounts')
    groups = accounts.get('groups') if isinstance(accounts, dict) else None
    return [group for group in groups or [] if isinstance(group, str)]


def unsafe_mode(entry, build_groups):
    """Why an entry's mode is refused, or None.

    No entry may be world-writable (links aside: their mode means nothing) or set-user-ID. A
    set-group-ID bit is accepted only on a regular file whose group is one the build created
    (manifest accounts.groups: sendmail's smmsp-group programs).
    """
    if entry.get('type') == 'link':
        return None
    mode = int(entry['mode'], 8)
    if mode & stat.S_IWOTH:
        return 'is world-writable (mode %s)' % entry['mode']
    if mode & stat.S_ISUID:
        return 'is set-user-ID (mode %s)' % entry['mode']
    if mode & stat.S_ISGID and not (entry.get('type') == 'file' and entry.get('group') in build_groups):
        return ('is set-group-ID (mode %s, group %s); only files of a group the build created (%s) may be'
                % (entry['mode'], entry.get('group'), ', '.join(build_groups) or 'none'))
    return None


def defuse_tree(top):
    """Take away set-ID bits everywhere below top, and execute rights from its files.

    For trees moved aside (a damaged or replaced software directory, what an earlier install left
    at a live path): kept for a look, never to be run. Links are left alone. Returns the number of
    entries changed.
    """
    changed = 0
    for dirpath, dirnames, filenames in os.walk(top):
        for name in [None] + dirnames + filenames:
            path = dirpath if name is None else os.path.join(dirpath, name)
            if name is not None and name in dirnames and os.path.islink(path):
                continue
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                continue
            mode = stat.S_IMODE(info.st_mode)
            keep = ~(stat.S_ISUID | stat.S_ISGID) if stat.S_ISDIR(info.st_mode) else ~(stat.S_ISUID | stat.S_ISGID | 0o111)
            if mode & keep != mode:
                os.chmod(path, mode & keep)
                changed += 1
    return changed


def validate_manifest(manifest):
    """Raise ArtifactError unless `manifest` is a usable format-1 manifest."""
    if not isinstance(manifest, dict):
        raise ArtifactError('the manifest must be a JSON object, got %s' % type(manifest).__name__)
    if manifest.get('format') != FORMAT:
        raise ArtifactError('manifest format %r is not supported (expected %d)' % (manifest.get('format'), FORMAT))
    if not isinstance(manifest.get('id'), str) or not ID_PATTERN.match(manifest['id']):
        raise ArtifactError('manifest id %r is missing or not a plain name' % (manifest.get('id'),))
    if not isinstance(manifest.get('archive_sha256'), str) or not SHA256_PATTERN.match(manifest['archive_sha256']):
        raise ArtifactError('manifest archive_sha256 %r is missing or not 64 lower-case hex digits'
                            % (manifest.get('archive_sha256'),))
    files = manifest.get('files')
    if not isinstance(files, list) or not files:
        raise ArtifactError('manifest files is missing or empty')
    seen = {}
    for entry in files:
        if not isinstance(entry, dict):
            raise ArtifactError('manifest files contains %r, not an object' % (entry,))
        path = entry.get('path')
        check_relpath(path)
        if path in seen:
            raise ArtifactError('manifest lists %s twice' % path)
        if entry.get('type') not in ENTRY_TYPES:
            raise ArtifactError('manifest entry %s has type %r (expected one of %s)'
                                % (path, entry.get('type'), ', '.join(ENTRY_TYPES)))
        if not isinstance(entry.get('mode'), str) or not MODE_PATTERN.match(entry['mode']):
            raise ArtifactError('manifest entry %s has mode %r (expected four octal digits)' % (path, entry.get('mode')))
        for key in ('owner', 'group'):
            if not isinstance(entry.get(key), str) or not entry[key]:
                raise ArtifactError('manifest entry %s has no %s' % (path, key))
        if entry['type'] == 'file' and (not isinstance(entry.get('sha256'), str) or not SHA256_PATTERN.match(entry['sha256'])
                                        or not isinstance(entry.get('size'), int)):
            raise ArtifactError('manifest entry %s (a file) needs size and sha256' % path)
        if entry['type'] == 'link' and (not isinstance(entry.get('target'), str) or not entry['target']):
            raise ArtifactError('manifest entry %s (a link) needs a target' % path)
        mode_problem = unsafe_mode(entry, manifest_groups(manifest))
        if mode_problem:
            raise ArtifactError('manifest entry %s %s; nothing was installed' % (path, mode_problem))
        seen[path] = entry
    if seen.get('.', {}).get('type') != 'dir':
        raise ArtifactError('manifest files must start with the top directory "."')
    for path, entry in seen.items():
        if path == '.':
            continue
        parent = posixpath.dirname(path) or '.'
        if seen.get(parent, {}).get('type') != 'dir':
            raise ArtifactError('manifest entry %s lies below %s, which the manifest does not list as a directory'
                                % (path, parent))


# ---------------------------------------------------------------------------------------
# accounts

def lookup_user(name):
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        if name.isdigit():
            return int(name)
        raise


def lookup_group(name):
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        if name.isdigit():
            return int(name)
        raise


def missing_accounts(files):
    """Messages for owners and groups of the manifest that this host does not have (empty if none)."""
    problems = []
    for key, lookup, kind in (('owner', lookup_user, 'user'), ('group', lookup_group, 'group')):
        users = {}
        for entry in files:
            users.setdefault(entry[key], []).append(entry['path'])
        for name in sorted(users):
            try:
                lookup(name)
            except KeyError:
                paths = users[name]
                shown = ', '.join(paths[:3]) + (' and %d more' % (len(paths) - 3) if len(paths) > 3 else '')
                hint = ACCOUNT_HINTS.get(name, 'create it before installing the artifact'
                                         ' (ansible.builtin.%s with system: true)' % kind)
                problems.append('%s %s does not exist on this host (it owns %s); %s' % (kind, name, shown, hint))
    return problems


# ---------------------------------------------------------------------------------------
# verifying and extracting

def verify_tree(path, files):
    """Compare the tree at `path` with the manifest entries: compare_entries() result (names only)."""
    return compare_entries(files, scan_tree(path), keys=COMPARE_KEYS)


def link_escapes(rel, target, dest):
    """Whether a symlink at `rel` (inside `dest`) with this target points outside `dest`."""
    if posixpath.isabs(target):
        norm = posixpath.normpath(target)
        return not (norm == dest or norm.startswith(dest.rstrip('/') + '/'))
    norm = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target))
    return norm == '..' or norm.startswith('../')


def member_path(name, root_name):
    """The manifest path of a tar member named `name`; ArtifactError for anything outside `<id>/`."""
    if name.startswith('/') or '\\' in name or '\0' in name:
        raise ArtifactError('archive member %r has an absolute or odd name; refused' % (name,))
    parts = [part for part in name.split('/') if part not in ('', '.')]
    if '..' in parts:
        raise ArtifactError('archive member %r contains ..; refused' % (name,))
    if not parts or parts[0] != root_name:
        raise ArtifactError('archive member %r lies outside %s/; refused' % (name, root_name))
    return '/'.join(parts[1:]) or '.'


def _member_type(member):
    if member.isdir():
        return 'dir'
    if member.issym():
        return 'link'
    if member.isreg():
        return 'file'
    kind = ('hard link' if member.islnk() else 'fifo' if member.isfifo() else
            'device' if member.isdev() else 'special member')
    raise ArtifactError('archive member %s is a %s; only directories, files and symlinks are accepted'
                        % (member.name, kind))


def extract(fileobj, tmpdir, manifest, dest):
    """Unpack the tar.gz in `fileobj` into the empty directory `tmpdir`, which will become `dest`.

    Every member must be listed in the manifest with the same type (and link target; links that
    leave `dest` only then); parents must be directories already extracted; file contents must
    match the manifest's sha256. Owners and groups are applied by name, then modes (after the
    owner, so set-group-ID bits stay), then times. Returns the links that point outside `dest`.
    """
    index = dict((entry['path'], entry) for entry in manifest['files'])
    root_name = manifest['id']
    done = set()
    external = []
    directories = []
    with tarfile.open(fileobj=fileobj, mode='r|gz') as tar:
        for member in tar:
            rel = member_path(member.name, root_name)
            entry = index.get(rel)
            if entry is None:
                raise ArtifactError('archive member %s is not in the manifest; refused' % member.name)
            if rel in done:
                raise ArtifactError('archive member %s appears twice; refused' % member.name)
            kind = _member_type(member)
            if kind != entry['type']:
                raise ArtifactError('archive member %s is a %s but the manifest says %s' % (member.name, kind, entry['type']))
            if rel != '.':
                parent = posixpath.dirname(rel) or '.'
                if parent not in done or index[parent]['type'] != 'dir':
                    raise ArtifactError('archive member %s comes before its directory %s; refused' % (member.name, parent))
            target = tmpdir if rel == '.' else os.path.join(tmpdir, *rel.split('/'))
            uid, gid = lookup_user(entry['owner']), lookup_group(entry['group'])
            if kind == 'dir':
                if rel != '.':
                    os.mkdir(target, 0o700)
                directories.append((rel, target, uid, gid, member.mtime))
            elif kind == 'link':
                escapes = link_escapes(rel, member.linkname, dest)
                if member.linkname != entry['target']:
                    raise ArtifactError('archive member %s -> %s %s, but the manifest says -> %s; refused' % (
                        member.name, member.linkname, 'points outside %s' % dest if escapes else 'differs', entry['target']))
                if escapes:
                    external.append('%s -> %s' % (rel, member.linkname))
                os.symlink(member.linkname, target)
                os.lchown(target, uid, gid)
                os.utime(target, (member.mtime, member.mtime), follow_symlinks=False)
            else:
                _extract_file(tar, member, entry, target, uid, gid)
            done.add(rel)
    missing = sorted(set(index) - done, key=sort_key)
    if missing:
        raise ArtifactError('the archive lacks %d entr%s the manifest lists: %s' % (
            len(missing), 'y' if len(missing) == 1 else 'ies', ', '.join(missing[:10])))
    for rel, target, uid, gid, mtime in reversed(directories):
        os.chown(target, uid, gid)
        os.chmod(target, int(index[rel]['mode'], 8))
        os.utime(target, (mtime, mtime))
    return external


def _extract_file(tar, member, entry, target, uid, gid):
    source = tar.extractfile(member)
    digest = hashlib.sha256()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, 'wb') as handle:
        for chunk in iter(lambda: source.read(CHUNK), b''):
            digest.update(chunk)
            handle.write(chunk)
        handle.flush()
        if digest.hexdigest() != entry['sha256']:
            raise ArtifactError('archive member %s has sha256 %s, the manifest says %s; refused'
                                % (member.name, digest.hexdigest(), entry['sha256']))
        os.fchown(handle.fileno(), uid, gid)
        os.fchmod(handle.fileno(), int(entry['mode'], 8))
        os.fsync(handle.fileno())
    os.utime(target, (member.mtime, member.mtime))


def file_sha256_handle(handle):
    digest = hashlib.sha256()
    for chunk in iter(lambda: handle.read(CHUNK), b''):
        digest.update(chunk)
    return digest.hexdigest()


def is_regular(path):
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False
