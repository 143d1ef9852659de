# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the mailrelay.sendmail collection: may change without notice.

"""Directory trees as lists of entries, their digest, faithful copies and atomic switches;
the layout of software generations on a relay.

An *entry* describes one directory, regular file or symlink of a tree::

    {'path': 'mail/sendmail.cf', 'type': 'file', 'mode': '0640', 'owner': 'root',
     'group': 'smmsp', 'size': 1234, 'sha256': '...'}
    {'path': 'sw', 'type': 'link', 'mode': '0777', 'owner': 'root', 'group': 'root',
     'target': '/var/lib/mailrelay/sw/0123456789abcdef'}

`path` is relative and POSIX-style; the top of the tree itself is `.`. `mode` holds four
octal digits including the set-user-ID, set-group-ID and sticky bits. Owner and group are
names (the number as a string when the id has no name). Entries are sorted by path
components, so a directory comes right before what it contains.

The *digest* of a tree is the sha256 of one line per entry, in that order: the JSON array
``[path, type, mode, owner, group, sha256 or "", target or ""]`` without spaces, each line
ending in a newline. Times and sizes are not part of it (the sha256 covers the size).

A relay's generations live under a root (default /var/lib/mailrelay)::

    root/sw/<sw id>/                 software prefixes (artifact_install)
    root/generations/<id>/           one complete generation: sw -> ..., mail/, certs/
    root/generations/history.json    what each generation was and when it was live
    root/current -> generations/<id> the live generation (a relative symlink)
    root/next/                       the candidate the roles prepare
    root/next.owner                  the run that staged next/ (beside it: inside, it would change the digest)
    root/lock                        the run that holds the relay (JSON: owner, created, host, pid)

Generation ids are a zero-padded sequence ("0001", "0002", ...), never reused.
"""

from __future__ import annotations

import ctypes
import errno
import grp
import hashlib
import calendar
import json
import os
import pwd
import re
import shutil
import socket
import stat
import sys
import tempfile
import time

ENTRY_TYPES = ('dir', 'file', 'link')
DIGEST_KEYS = ('path', 'type', 'mode', 'owner', 'group', 'sha256', 'target')
COMPARE_KEYS = DIGEST_KEYS + ('size',)
GENERATION_ID = re.compile(r'^[0-9]{4,}$')
GATE_VERDICTS = ('passed', 'failed')
LOCK_POLL_SECONDS = 1.0
SW_ID = re.compile(r'^[0-9a-f]{16}$')
HISTORY_FORMAT = 1
HISTORY_EVENTS_KEPT = 50
TMP_PREFIX = '.mailrelay-tmp-'
TRASH_PREFIX = '.mailrelay-trash-'
CHUNK = 1024 * 1024


class TreeError(Exception):
    """A tree cannot be described, copied or switched; the message says which path and why."""


class GenerationError(Exception):
    """The generation layout is not as expected; the message says what and how to fix it."""


class LockError(GenerationError):
    """The relay is held by another run; the message names it, since when, and what to do."""


# ---------------------------------------------------------------------------------------
# entries, digests, differences (pure apart from reading the tree)

def sort_key(path):
    return () if path == '.' else tuple(path.split('/'))


def _name(lookup, ident):
    try:
        return lookup(ident)[0]
    except KeyError:
        return str(ident)


def file_sha256(path):
    digest = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | getattr(os, 'O_NOFOLLOW', 0))
    with os.fdopen(fd, 'rb') as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b''):
            digest.update(chunk)
    return digest.hexdigest()


def describe(path, rel, checksum=True):
    """The entry for one path (not following a final symlink). Raises TreeError for other types."""
    try:
        rel.encode('utf-8')
    except UnicodeEncodeError:
        raise TreeError('%s: the file name is not valid UTF-8' % path)
    st = os.lstat(path)
    entry = {
        'path': rel,
        'mode': '%04o' % stat.S_IMODE(st.st_mode),
        'owner': _name(pwd.getpwuid, st.st_uid),
        'group': _name(grp.getgrgid, st.st_gid),
    }
    if stat.S_ISDIR(st.st_mode):
        entry['type'] = 'dir'
    elif stat.S_ISLNK(st.st_mode):
        entry['type'] = 'link'
        entry['target'] = os.readlink(path)
    elif stat.S_ISREG(st.st_mode):
        entry['type'] = 'file'
        entry['size'] = st.st_size
        if checksum:
            entry['sha256'] = file_sha256(path)
    else:
        raise TreeError('%s is neither a directory, a regular file nor a symlink (a device, fifo or socket);'
                        ' such entries cannot be packed, copied or verified' % path)
    return entry


def scan_tree(top, checksum=True):
    """All entries of the tree at `top` (a directory, not followed if it is a symlink), sorted."""
    top_entry = describe(top, '.', checksum)
    if top_entry['type'] != 'dir':
        raise TreeError('%s is not a directory' % top)
    entries = [top_entry]

    def walk(abs_dir, rel_dir):
        for name in sorted(os.listdir(abs_dir)):
            rel = name if rel_dir == '.' else rel_dir + '/' + name
            path = os.path.join(abs_dir, name)
            entry = describe(path, rel, checksum)
            entries.append(entry)
            if entry['type'] == 'dir':
                walk(path, rel)

    walk(top, '.')
    entries.sort(key=lambda entry: sort_key(entry['path']))
    return entries


def digest_line(entry):
    return json.dumps([entry.get(key) or '' for key in DIGEST_KEYS], separators=(',', ':'), ensure_ascii=True)


def tree_digest(entries):
    digest = hashlib.sha256()
    for entry in sorted(entries, key=lambda item: sort_key(item['path'])):
        digest.update(digest_line(entry).encode('ascii') + b'\n')
    return digest.hexdigest()


def compare_entries(old, new, keys=DIGEST_KEYS):
    """What differs between two entry lists, by name only: dict(added, removed, changed), sorted."""
    old_index = dict((entry['path'], entry) for entry in old)
    new_index = dict((entry['path'], entry) for entry in new)
    added = [path for path in new_index if path not in old_index]
    removed = [path for path in old_index if path not in new_index]
    changed = [path for path in new_index if path in old_index
               and any(old_index[path].get(key) != new_index[path].get(key) for key in keys)]
    return dict((name, sorted(paths, key=sort_key)) for name, paths in (
        ('added', added), ('removed', removed), ('changed', changed)))


def difference_names(comparison):
    """One sorted list of the paths in a compare_entries() result."""
    return sorted(set(comparison['added']) | set(comparison['removed']) | set(comparison['changed']), key=sort_key)


def prepared_diff(header, comparison):
    """Text for Ansible's diff (`prepared`): names only, never contents."""
    lines = [header]
    for kind in ('changed', 'added', 'removed'):
        for path in comparison[kind]:
            lines.append('%-8s %s' % (kind + ':', path))
    if len(lines) == 1:
        lines.append('(no differences)')
    return '\n'.join(lines) + '\n'


# ---------------------------------------------------------------------------------------
# writing safely: fsync, atomic writes and symlinks, exchanging two paths, faithful copies

def fsync_dir(path):
    fd = os.open(path, os.O_RDONLY | getattr(os, 'O_DIRECTORY', 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(top):
    """Flush every regular file and directory of a tree to disk (before it becomes live)."""
    for dirpath, dirnames, filenames in os.walk(top):
        for name in filenames:
            path = os.path.join(dirpath, name)
            if stat.S_ISREG(os.lstat(path).st_mode):
                fd = os.open(path, os.O_RDONLY | getattr(os, 'O_NOFOLLOW', 0))
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        fsync_dir(dirpath)


def atomic_write(path, data, mode=0o644):
    """Write bytes to `path` through a temporary file in the same directory and a rename."""
    directory = os.path.dirname(path) or '.'
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=TMP_PREFIX)
    try:
        with os.fdopen(fd, 'wb') as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(tmp, path)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise
    fsync_dir(directory)


def atomic_symlink(target, link):
    """Point `link` at `target` in one step: a new symlink beside it, renamed over it."""
    directory = os.path.dirname(link) or '.'
    tmp = os.path.join(directory, '%s%s.%d' % (TMP_PREFIX, os.path.basename(link), os.getpid()))
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(target, tmp)
    try:
        os.rename(tmp, link)
    except BaseException:
        os.unlink(tmp)
        raise
    fsync_dir(directory)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _renameat2():
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        function = libc.renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


def exchange(first, second):
    """Swap two existing paths atomically (Linux renameat2 RENAME_EXCHANGE). False if unsupported."""
    function = _renameat2()
    if function is None:
        return False
    rc = function(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), first)


def replace_dir(new, dest, aside):
    """Put directory `new` at `dest`. An existing `dest` ends up at `aside` (which must not exist).

    With renameat2 the two trees are exchanged in one step, so `dest` never disappears; without
    it, `dest` is renamed to `aside` first and `new` renamed into place right after.
    """
    if os.path.lexists(dest):
        if exchange(new, dest):
            os.rename(new, aside)  # `new` now holds the old tree
        else:
            os.rename(dest, aside)
            os.rename(new, dest)
    else:
        os.rename(new, dest)
    fsync_dir(os.path.dirname(dest) or '.')


def _remove_error(function, path, dummy_exc):
    # a read-only directory (0555) cannot be emptied by a non-root user: open it up and retry
    parent = os.path.dirname(path)
    os.chmod(parent, 0o700)
    if os.path.isdir(path) and not os.path.islink(path):
        os.chmod(path, 0o700)
    function(path)


def remove_tree(path):
    """Delete a tree, read-only directories included."""
    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=_remove_error)  # pylint: disable=unexpected-keyword-arg
    else:
        shutil.rmtree(path, onerror=_remove_error)


def discard(path):
    """Remove a tree: first rename it to a hidden trash name beside it, then delete that."""
    trash = tempfile.mkdtemp(dir=os.path.dirname(path), prefix=TRASH_PREFIX)
    moved = os.path.join(trash, os.path.basename(path))
    os.rename(path, moved)
    remove_tree(trash)


def clean_leftovers(directory):
    """Remove temporary and trash trees an interrupted run of this code left in `directory`."""
    removed = []
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return removed
    for name in names:
        if name.startswith((TMP_PREFIX, TRASH_PREFIX)):
            path = os.path.join(directory, name)
            if os.path.isdir(path) and not os.path.islink(path):
                remove_tree(path)
            else:
                os.unlink(path)
            removed.append(path)
    return removed


def copy_tree(src, dst):
    """A faithful copy of the tree `src` at `dst` (which must not exist).

    Directories, regular files and symlinks (as symlinks) keep their mode including set-group-ID,
    their numeric owner and group, and their modification time. Hard links become separate files.
    Raises TreeError for devices, fifos and sockets.
    """
    st = os.lstat(src)
    if not stat.S_ISDIR(st.st_mode):
        raise TreeError('%s is not a directory' % src)
    os.mkdir(dst, 0o700)
    for name in sorted(os.listdir(src)):
        source, target = os.path.join(src, name), os.path.join(dst, name)
        sst = os.lstat(source)
        if stat.S_ISDIR(sst.st_mode):
            copy_tree(source, target)
        elif stat.S_ISLNK(sst.st_mode):
            os.symlink(os.readlink(source), target)
            os.lchown(target, sst.st_uid, sst.st_gid)
            os.utime(target, ns=(sst.st_atime_ns, sst.st_mtime_ns), follow_symlinks=False)
        elif stat.S_ISREG(sst.st_mode):
            flags = os.O_NOFOLLOW | os.O_RDONLY
            with os.fdopen(os.open(source, flags), 'rb') as reader:
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
                with os.fdopen(fd, 'wb') as writer:
                    shutil.copyfileobj(reader, writer, CHUNK)
                    writer.flush()
                    os.fchown(writer.fileno(), sst.st_uid, sst.st_gid)
                    os.fchmod(writer.fileno(), stat.S_IMODE(sst.st_mode))  # after chown: keeps set-group-ID
                    os.fsync(writer.fileno())
            os.utime(target, ns=(sst.st_atime_ns, sst.st_mtime_ns))
        else:
            raise TreeError('%s is neither a directory, a regular file nor a symlink; it cannot be copied' % source)
    os.chown(dst, st.st_uid, st.st_gid)
    os.chmod(dst, stat.S_IMODE(st.st_mode))
    os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns))
    fsync_dir(dst)


# ---------------------------------------------------------------------------------------
# the generation layout

def utc_now():
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())


class Layout:
    """Paths of the generation layout under `root`, and what the symlinks there say."""

    def __init__(self, root, sw_dir=None):
        self.root = os.path.normpath(root)
        self.generations = os.path.join(self.root, 'generations')
        self.current = os.path.join(self.root, 'current')
        self.next = os.path.join(self.root, 'next')
        self.history_file = os.path.join(self.generations, 'history.json')
        self.next_owner_file = os.path.join(self.root, 'next.owner')
        self.lock_file = os.path.join(self.root, 'lock')
        self.sw_dir = os.path.normpath(sw_dir or os.path.join(self.root, 'sw'))

    def generation(self, generation_id):
        return os.path.join(self.generations, generation_id)

    def current_target(self, generation_id):
        """What `current` points at for a generation: relative, so the root can move."""
        return 'generations/' + generation_id

    def generation_ids(self):
        try:
            names = os.listdir(self.generations)
        except FileNotFoundError:
            return []
        ids = [name for name in names if GENERATION_ID.match(name) and os.path.isdir(self.generation(name))
               and not os.path.islink(self.generation(name))]
        return sorted(ids, key=int)

    def current_id(self):
        """The live generation's id, None before the first switch. GenerationError if `current` is odd."""
        if not os.path.lexists(self.current):
            return None
        if not os.path.islink(self.current):
            raise GenerationError('%s is not a symlink; it must point to a generation (generations/<id>).'
                                  ' Move it away so the first switch can create it' % self.current)
        target = os.readlink(self.current)
        resolved = os.path.normpath(os.path.join(self.root, target))
        generation_id = os.path.basename(resolved)
        if os.path.dirname(resolved) != self.generations or not GENERATION_ID.match(generation_id):
            raise GenerationError('%s points to %s, which is not a generation under %s'
                                  % (self.current, target, self.generations))
        if not os.path.isdir(resolved):
            raise GenerationError('%s points to %s, which does not exist; roll back to an existing generation'
                                  ' (state=rolled_back, to=<id>)' % (self.current, target))
        return generation_id

    def sw_link(self, tree):
        """Where the tree's `sw` symlink points, resolved as it would be inside generations/<id>/.

        Returns dict(target, sw_id, path, exists); all None/False when there is no `sw` symlink.
        A relative target such as ../../sw/<id> is resolved from generations/<id>/ (the place the
        tree is or will be promoted to), an absolute one as it is.
        """
        link = os.path.join(tree, 'sw')
        if not os.path.islink(link):
            return dict(target=None, sw_id=None, path=None, exists=False)
        target = os.readlink(link)
        if os.path.isabs(target):
            resolved = os.path.normpath(target)
        else:
            resolved = os.path.normpath(os.path.join(self.generations, '0000', target))
        sw_id = os.path.basename(resolved) if os.path.dirname(resolved) == self.sw_dir else None
        return dict(target=target, sw_id=sw_id, path=resolved, exists=os.path.isdir(resolved))

    def sw_ids(self):
        try:
            names = os.listdir(self.sw_dir)
        except FileNotFoundError:
            return []
        return sorted(name for name in names if SW_ID.match(name) and os.path.isdir(os.path.join(self.sw_dir, name))
                      and not os.path.islink(os.path.join(self.sw_dir, name)))


def missing_required(layout, tree, required_paths):
    """What keeps `tree` from being a complete generation: a list of messages (empty when complete)."""
    problems = []
    for rel in required_paths:
        path = os.path.join(tree, rel)
        if rel == 'sw':
            link = layout.sw_link(tree)
            if link['target'] is None:
                problems.append('sw is not a symlink (link it to %s/<id>, the installed artifact)' % layout.sw_dir)
            elif not link['exists']:
                problems.append('sw -> %s does not lead to an installed software directory (%s)'
                                % (link['target'], link['path']))
        elif not os.path.lexists(path):
            problems.append('%s is missing' % rel)
    return problems


# ---------------------------------------------------------------------------------------
# history (pure: dicts in, dicts out; the module reads and writes the file)

def new_history():
    return {'format': HISTORY_FORMAT, 'last_sequence': 0, 'live_serial': 0, 'generations': {}, 'events': [],
            'served': {}}


def load_history(path):
    try:
        with open(path, 'rb') as handle:
            data = json.loads(handle.read().decode('utf-8'))
    except FileNotFoundError:
        return new_history()
    except (OSError, ValueError) as exc:
        raise GenerationError('cannot read the generation history %s: %s. Move it away; it is rebuilt from'
                              ' the generation directories (created times and live order are then lost)'
                              % (path, exc))
    if not isinstance(data, dict) or data.get('format') != HISTORY_FORMAT or not isinstance(data.get('generations'), dict):
        raise GenerationError('%s is not a generation history of format %d; move it away' % (path, HISTORY_FORMAT))
    history = new_history()
    history.update(data)
    return history


def dump_history(history):
    return (json.dumps(history, indent=2, sort_keys=True) + '\n').encode('utf-8')


def record(history, generation_id):
    """The history record of a generation, created empty when missing."""
    generations = history['generations']
    if generation_id not in generations:
        generations[generation_id] = {'created': None, 'digest': None, 'sw': None, 'sw_id': None,
                                      'status': 'retired', 'switched_at': [], 'live_serial': 0, 'failed_at': None}
    return generations[generation_id]


def next_generation_id(history, existing_ids):
    highest = max([int(history.get('last_sequence') or 0)] + [int(gid) for gid in existing_ids]
                  + [int(gid) for gid in history['generations'] if GENERATION_ID.match(gid)])
    return '%04d' % (highest + 1)


def previous_generation(history, current, existing_ids):
    """The generation live most recently before `current`, not failed, still on disk; or None."""
    best, best_serial = None, 0
    for generation_id in existing_ids:
        if generation_id == current:
            continue
        entry = history['generations'].get(generation_id) or {}
        serial = int(entry.get('live_serial') or 0)
        if entry.get('failed_at') or serial <= 0:
            continue
        if serial > best_serial:
            best, best_serial = generation_id, serial
    return best


def mark_live(history, generation_id, now):
    history['live_serial'] = int(history.get('live_serial') or 0) + 1
    entry = record(history, generation_id)
    entry['live_serial'] = history['live_serial']
    entry['switched_at'] = list(entry.get('switched_at') or []) + [now]
    entry['failed_at'] = None


def add_event(history, now, action, **details):
    event = dict(at=now, action=action)
    event.update(details)
    history['events'] = (list(history.get('events') or []) + [event])[-HISTORY_EVENTS_KEPT:]


def refresh_statuses(history, current, existing_ids):
    """Recompute every record's status from the facts: live, previous, failed or retired.

    Records of generations no longer on disk are dropped (pruned or removed by hand).
    """
    previous = previous_generation(history, current, existing_ids)
    for generation_id in list(history['generations']):
        if generation_id not in existing_ids:
            del history['generations'][generation_id]
    for generation_id in existing_ids:
        entry = record(history, generation_id)
        if generation_id == current:
            # a live generation whose gate failed (a first install has nothing to roll back to)
            entry['status'] = 'failed' if entry.get('gate') == 'failed' else 'live'
        elif entry.get('failed_at'):
            entry['status'] = 'failed'
        elif generation_id == previous:
            entry['status'] = 'previous'
        else:
            entry['status'] = 'retired'
    if existing_ids:
        history['last_sequence'] = max(int(history.get('last_sequence') or 0), max(int(gid) for gid in existing_ids))
    return previous


def mark_gate(history, generation_id, verdict, now, inputs=None):
    """Record the gate verdict of a generation. Returns True when the history changed.

    `failed` also marks the generation failed (status `failed`, even when it stays live: a first
    install has nothing to roll back to); `passed` clears that mark again. `inputs` (with `passed`)
    records the digest of what the generation was prepared from, and when: a later run whose inputs
    have that digest may skip preparing it again. `failed` forgets it.
    """
    if verdict not in GATE_VERDICTS:
        raise GenerationError('mark must be one of %s (it is %r)' % (', '.join(GATE_VERDICTS), verdict))
    entry = record(history, generation_id)
    failed_at = (entry.get('failed_at') or now) if verdict == 'failed' else None
    if verdict == 'failed':
        entry.pop('inputs', None)
        entry.pop('inputs_at', None)
    elif inputs:
        entry.update(inputs=inputs, inputs_at=now)
    if entry.get('gate') == verdict and entry.get('failed_at') == failed_at:
        return bool(inputs and verdict == 'passed')
    entry.update(gate=verdict, gate_at=now, failed_at=failed_at)
    add_event(history, now, 'marked', generation=generation_id, gate=verdict)
    return True


def record_served(history, services, generation_id, now):
    """Record that each service was (re)started with a generation. Returns the services whose record changed."""
    served = history.setdefault('served', {})
    changed = []
    for service in sorted(set(services)):
        if (served.get(service) or {}).get('generation') != generation_id:
            served[service] = {'generation': generation_id, 'at': now}
            changed.append(service)
    if changed:
        add_event(history, now, 'served', generation=generation_id, services=changed)
    return changed


def stale_services(history, current, expected=()):
    """Services whose recorded generation is not `current`, and expected ones with no record; sorted."""
    served = history.get('served') or {}
    stale = set(service for service, entry in served.items() if (entry or {}).get('generation') != current)
    stale.update(service for service in expected if service not in served)
    return sorted(stale)


def live_summary(history, current, expected=()):
    """What a history (its statuses refreshed) says about the live generation and the daemons."""
    live = history['generations'].get(current) if current else None
    return dict(current_status=live['status'] if live else None, gate=live.get('gate') if live else None,
                gate_at=live.get('gate_at') if live else None,
                inputs=live.get('inputs') if live else None, inputs_at=live.get('inputs_at') if live else None,
                served=dict(history.get('served') or {}), stale_services=stale_services(history, current, expected))


def resolve_id(generation_id, existing_ids):
    """A generation id as given ("3", or 3 from YAML, means 0003) matched against the ones on disk."""
    if generation_id and str(generation_id).isdigit():
        return next((gid for gid in existing_ids if int(gid) == int(generation_id)), str(generation_id))
    return generation_id


def prune_plan(existing_ids, current, previous, keep):
    """Which generations to remove so that `keep` remain: `current` and `previous` always stay
    (and count), the rest of the places go to the newest by id."""
    kept = [gid for gid in (current, previous) if gid and gid in existing_ids]
    for gid in sorted(existing_ids, key=int, reverse=True):
        if len(kept) >= keep:
            break
        if gid not in kept:
            kept.append(gid)
    return sorted((gid for gid in existing_ids if gid not in kept), key=int)


def sw_prune_plan(installed_sw_ids, referenced_sw_ids):
    """Which software directories no generation (nor next) references any more."""
    referenced = set(sw_id for sw_id in referenced_sw_ids if sw_id)
    return sorted(sw_id for sw_id in installed_sw_ids if sw_id not in referenced)


# ---------------------------------------------------------------------------------------
# the relay lock: one run at a time from staging to the end of its gate

def parse_utc(text):
    """Seconds since the epoch of a utc_now() string; None when it is not one."""
    try:
        return calendar.timegm(time.strptime(text, '%Y-%m-%dT%H:%M:%SZ'))
    except (TypeError, ValueError):
        return None


def read_lock(path):
    """The lock's content as a dict, None when there is no lock.

    A lock that is not valid JSON (written by hand, a full disk) is reported with owner None
    and the file's modification time as `created`, so it still expires.
    """
    try:
        with open(path, 'rb') as handle:
            raw = handle.read()
        mtime = os.stat(path).st_mtime
    except FileNotFoundError:
        return None
    try:
        data = json.loads(raw.decode('utf-8'))
        if not isinstance(data, dict):
            raise ValueError('not an object')
    except ValueError:
        data = {'owner': None, 'unreadable': True}
    if parse_utc(data.get('created')) is None:
        data['created'] = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(mtime))
    return data


def lock_age(lock, now_epoch):
    return now_epoch - parse_utc(lock['created'])


def describe_lock(lock):
    holder = 'an unknown run (unreadable lock file)' if lock.get('unreadable') else 'run %r' % lock.get('owner')
    where = ' on %s, pid %s' % (lock['host'], lock['pid']) if lock.get('host') else ''
    return '%s%s since %s' % (holder, where, lock['created'])


def lock_summary(lock):
    """The part of a lock a task returns: owner, created, taken_over; None for no lock."""
    if lock is None:
        return None
    return dict(owner=lock.get('owner'), created=lock['created'], taken_over=bool(lock.get('taken_over_from')))


def lock_content(owner, now, taken_over_from=None):
    content = {'owner': owner, 'created': now, 'host': socket.gethostname(), 'pid': os.getpid()}
    if taken_over_from:
        content['taken_over_from'] = taken_over_from
    return (json.dumps(content, indent=2, sort_keys=True) + '\n').encode('utf-8')


def create_lock(path, data):
    """Create the lock file with its whole content in one step: False when it exists already.

    The content is written and flushed to a temporary file first, then hard-linked to the lock's
    name, which fails like O_CREAT|O_EXCL when the name exists; so no reader ever sees a lock
    without its content.
    """
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=TMP_PREFIX + 'lock-')
    try:
        with os.fdopen(fd, 'wb') as handle:
            os.fchmod(handle.fileno(), 0o644)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
    finally:
        os.unlink(tmp)
    fsync_dir(directory)
    return True


def remove_lock_if(path, expected):
    """Remove the lock if its content still is `expected` (a dict from read_lock). True if removed.

    The lock is first renamed aside (only one remover can win that), then checked: a lock that
    another run created in between is put back.
    """
    aside = '%s.%s%d' % (path, TMP_PREFIX, os.getpid())
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return False
    if read_lock(aside) != expected and not os.path.lexists(path):
        try:
            os.link(aside, path)
        except FileExistsError:
            pass
        os.unlink(aside)
        return False
    os.unlink(aside)
    fsync_dir(os.path.dirname(path))
    return True


def acquire_lock(path, owner, timeout, expiry, check_mode=False, now=utc_now, clock=time.time, sleep=time.sleep):
    """Take the relay lock for `owner`.

    Returns dict(changed, lock=dict(owner, created, taken_over), warnings). A lock of the same
    owner is kept (changed False); another owner's lock is waited for up to `timeout` seconds,
    polling every LOCK_POLL_SECONDS, then LockError; one older than `expiry` seconds is stale
    and taken over with a warning. In check mode nothing is written and nothing waited for.
    """
    deadline = clock() + timeout
    while True:
        held = read_lock(path)
        if held is not None and held.get('owner') == owner:
            return dict(changed=False, lock=dict(owner=owner, created=held['created'],
                                                 taken_over=bool(held.get('taken_over_from'))), warnings=[])
        stale = held is not None and lock_age(held, clock()) > expiry
        if held is not None and (stale or check_mode):
            if stale:
                warning = ('%s the stale lock %s of %s (older than lock_expiry=%ds)'
                           % ('would take over' if check_mode else 'took over', path, describe_lock(held), expiry))
            else:
                warning = ('%s is held by %s: a real run would wait up to lock_timeout=%ds for it'
                           % (path, describe_lock(held), timeout))
            created = now()
            if not check_mode:
                if not remove_lock_if(path, held):
                    continue  # someone else moved first: look again
                if not create_lock(path, lock_content(owner, created, held.get('owner') or 'unknown')):
                    continue
            return dict(changed=True, lock=dict(owner=owner, created=created, taken_over=stale), warnings=[warning])
        if held is None:
            created = now()
            if check_mode or create_lock(path, lock_content(owner, created)):
                return dict(changed=True, lock=dict(owner=owner, created=created, taken_over=False), warnings=[])
            continue  # created by another run between the read and the link
        remaining = deadline - clock()
        if remaining <= 0:
            raise LockError(
                '%s is held by %s; waited %ds (lock_timeout) for it. Wait until that run ends and run again,'
                ' or, if that run is dead (no ansible-playbook left on the controller that started it),'
                ' remove %s and run again' % (path, describe_lock(held), timeout, path))
        sleep(min(LOCK_POLL_SECONDS, remaining))


def release_lock(path, owner, check_mode=False):
    """Remove the lock if `owner` holds it. Returns dict(changed, lock (as it was, or None), warnings).

    Another owner's lock is never removed: that is a warning, not a change.
    """
    held = read_lock(path)
    if held is None:
        return dict(changed=False, lock=None, warnings=[])
    if held.get('owner') != owner:
        return dict(changed=False, lock=held, warnings=[
            '%s is held by %s, not by %r; it was left in place' % (path, describe_lock(held), owner)])
    if not check_mode:
        remove_lock_if(path, held)
    return dict(changed=True, lock=held, warnings=[])


def read_next_owner(path):
    """The run that staged next/ (from next.owner), None when unknown."""
    try:
        with open(path, 'rb') as handle:
            data = json.loads(handle.read().decode('utf-8'))
    except FileNotFoundError:
        return None
    except ValueError:
        return 'unknown (unreadable %s)' % path
    return data.get('owner') if isinstance(data, dict) else None


def next_owner_content(owner, now):
    return (json.dumps({'owner': owner, 'staged': now}, sort_keys=True) + '\n').encode('utf-8')


def check_lock(path, owner):
    """LockError unless the lock is free or held by `owner` (the states that change the layout)."""
    held = read_lock(path)
    if held is not None and held.get('owner') != owner:
        raise LockError('%s is held by %s, not by %r: another run is working on this relay. Wait until it ends'
                        ' and run again, or, if that run is dead, remove %s and run again'
                        % (path, describe_lock(held), owner, path))
