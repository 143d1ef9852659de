# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the mailrelay.sendmail collection: may change without notice.

"""What an artifact is built from: patches, build inputs and their fingerprint.

Pure functions (no Ansible imports) so that the filters and their unit tests share them.
"""

from __future__ import annotations

import hashlib
import json
import os

# Patches known to fix SMTP smuggling (CVE-2023-51765) in sendmail < 8.18.1, by sha256:
# Debian's backport of the 8.18.1 fix (debian/patches/0024-CVE-2023-51765.patch).
SMUGGLING_FIX_SHA256 = frozenset([
    '3beadc2e89d6f47ddb9889fafddfb4da56b61bf301481be48b0266088015d02d',
])
SMUGGLING_CVE = 'CVE-2023-51765'
SMUGGLING_FIXED_IN = (8, 18, 1)

# Keys of a source description that say where the bytes come from, not what they are.
_LOCATION_KEYS = ('archive', 'url', 'path')


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for block in iter(lambda: handle.read(1 << 16), b''):
            digest.update(block)
    return digest.hexdigest()


def resolve_path(path, search_dirs):
    """An absolute path as given (with ~ expanded); a relative one in the first of search_dirs that has it."""
    path = os.path.expanduser(str(path))
    if os.path.isabs(path):
        return path
    for base in search_dirs or ():
        if not base:
            continue
        candidate = os.path.normpath(os.path.join(os.path.expanduser(str(base)), path))
        if os.path.exists(candidate):
            return candidate
    return os.path.abspath(path)


def normalize_patches(patches, search_dirs=None):
    """sendmail_build_patches (paths or dicts) -> a list of dicts.

    Each: path (absolute), exists, sha256 (of the file, '' when missing), expected_sha256
    (given, lower case, '' when not given), strip (int), fixes (list of CVE ids, upper case;
    the known backport of the SMTP smuggling fix counts as fixing CVE-2023-51765).
    """
    out = []
    for index, entry in enumerate(patches or []):
        if isinstance(entry, dict):
            given = entry.get('path') or ''
            expected = str(entry.get('sha256') or '').strip().lower()
            strip = entry.get('strip', 1)
            fixes = entry.get('fixes') or []
        else:
            given, expected, strip, fixes = entry, '', 1, []
        if not given:
            raise ValueError('sendmail_build_patches entry %d has no path' % (index + 1))
        try:
            strip = int(strip)
        except (TypeError, ValueError):
            raise ValueError('sendmail_build_patches entry %d: strip must be an integer, got %r' % (index + 1, strip))
        if isinstance(fixes, str):
            fixes = [fixes]
        path = resolve_path(given, search_dirs)
        exists = os.path.isfile(path)
        actual = sha256_file(path) if exists else ''
        fixes = sorted(set(str(f).strip().upper() for f in fixes if str(f).strip()))
        if actual in SMUGGLING_FIX_SHA256 and SMUGGLING_CVE not in fixes:
            fixes.append(SMUGGLING_CVE)
        out.append({'path': path, 'given': str(given), 'exists': exists, 'sha256': actual,
                    'expected_sha256': expected, 'strip': strip, 'fixes': sorted(fixes)})
    return out


def version_tuple(version):
    parts = []
    for part in str(version).split('.'):
        digits = ''.join(ch for ch in part if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def smuggling_status(version, patches):
    """'fixed-upstream', 'patched' or 'vulnerable' for a sendmail version and normalised patches."""
    if version_tuple(version) >= SMUGGLING_FIXED_IN:
        return 'fixed-upstream'
    if any(SMUGGLING_CVE in p.get('fixes', []) for p in patches or []):
        return 'patched'
    return 'vulnerable'


def _without_locations(value):
    if isinstance(value, dict):
        return dict((k, _without_locations(v)) for k, v in value.items() if k not in _LOCATION_KEYS)
    if isinstance(value, list):
        return [_without_locations(v) for v in value]
    return value


def artifact_inputs(base, sasl_spec, sendmail_spec):
    """The canonical build inputs: base (recipe, platform, sw_dir) plus both specs.

    Where the sources come from (controller paths, URLs) is left out: the sha256 says what
    they are. Patches are reduced to sha256 and strip level, in order.
    """
    inputs = dict(base or {})
    inputs['cyrus_sasl'] = _without_locations(sasl_spec or {})
    sendmail = _without_locations(sendmail_spec or {})
    sendmail['patches'] = ['%s:%s' % (p.get('sha256', ''), p.get('strip', 1)) for p in (sendmail_spec or {}).get('patches', [])]
    inputs['sendmail'] = sendmail
    return inputs


def fingerprint(inputs):
    """sha256 of the canonical JSON of the inputs (sorted keys, no whitespace)."""
    text = json.dumps(inputs, sort_keys=True, separators=(',', ':'), ensure_ascii=True)
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


def artifact_builds(jobs):
    """Per-relay artifact descriptions -> one per distinct id, in first-seen order, with all its hosts.

    Each job: host, id, fingerprint, platform, release, cache, prefix, inputs, cyrus_sasl,
    sendmail, force. Jobs with the same id describe the same bytes; the first one wins and
    the others add their host to `hosts`. `force` is true if any of them asks for it.
    """
    builds = []
    by_id = {}
    for job in jobs or []:
        if not isinstance(job, dict) or not job.get('id'):
            continue
        build = by_id.get(job['id'])
        if build is None:
            build = dict((k, v) for k, v in job.items() if k != 'host')
            build['hosts'] = []
            build['force'] = bool(job.get('force'))
            by_id[job['id']] = build
            builds.append(build)
        elif job.get('force'):
            build['force'] = True
        if job.get('host') and job['host'] not in build['hosts']:
            build['hosts'].append(job['host'])
    return builds


def artifact_builders(builds, builder='auto', build_hosts=None, images=None, container_prefix='mailrelay-build',
                      build_root='/var/tmp/mailrelay-build', controller_arch=None):
    """Decide where each artifact is built. Returns the builds with builder details added.

    kind 'host': the inventory host listed for the platform in build_hosts (become: true);
    kind 'container': a throwaway container <prefix>-<platform>-<id> from images[release]
    (become: false: the container is entered as root). Raises ValueError with what to set
    when a platform has no way to be built.
    """
    build_hosts = build_hosts or {}
    images = images or {}
    out = []
    for build in builds or []:
        platform, release = build['platform'], build.get('release') or '-'.join(build['platform'].split('-')[:2])
        entry = dict(build)
        entry['work'] = '%s/%s' % (build_root.rstrip('/'), build['id'])
        host = build_hosts.get(platform)
        if builder == 'host' or (builder == 'auto' and host):
            if not host:
                raise ValueError('mailrelay_artifact_builder is "host" but mailrelay_artifact_build_hosts names no build host '
                                 'for %s (relays %s). Fix: mailrelay_artifact_build_hosts: {%s: <inventory host of that '
                                 'platform>}, or mailrelay_artifact_builder: auto to use a container.'
                                 % (platform, ', '.join(build.get('hosts', [])), platform))
            if host in build.get('hosts', []):
                raise ValueError('mailrelay_artifact_build_hosts names %s as the build host for %s, but it is one of the '
                                 'relays: relays carry no compiler. Fix: name a dedicated build host.' % (host, platform))
            entry.update(kind='host', builder=host, image=None, become=True)
        elif builder in ('container', 'auto'):
            arch = platform.split('-')[-1]
            if controller_arch and arch != controller_arch:
                raise ValueError('%s needs a build for %s, but a build container on this controller runs %s. Fix: name a '
                                 'build host of that architecture: mailrelay_artifact_build_hosts: {%s: <inventory host>}.'
                                 % (', '.join(build.get('hosts', [])) or 'a relay', arch, controller_arch, platform))
            image = images.get(release)
            if not image:
                raise ValueError('no build image for %s (relays %s): mailrelay_artifact_build_images has %s. Fix: add '
                                 '%s: <image of that release> to mailrelay_artifact_build_images, or name a build host in '
                                 'mailrelay_artifact_build_hosts.'
                                 % (release, ', '.join(build.get('hosts', [])), ', '.join(sorted(images)) or 'nothing', release))
            entry.update(kind='container', builder='%s-%s-%s' % (container_prefix, platform, build['id']),
                         image=image, become=False)
        else:
            raise ValueError('mailrelay_artifact_builder must be auto, container or host, not %r' % (builder,))
        out.append(entry)
    return out


def _patch_entries(patches):
    return [{'name': os.path.basename(p.get('given') or p.get('path', '')), 'sha256': p.get('sha256'),
             'strip': p.get('strip', 1), 'fixes': p.get('fixes', [])} for p in patches]


def artifact_metadata(build, created=None):
    """What a build adds to its manifest (besides the files and what the build reports itself)."""
    sasl = build.get('cyrus_sasl', {})
    sendmail = build.get('sendmail', {})
    smmsp_user, smmsp_group = sendmail.get('smmsp_user', 'smmsp'), sendmail.get('smmsp_group', 'smmsp')
    metadata = {
        'id': build['id'],
        'fingerprint': build['fingerprint'],
        'platform': build['platform'],
        'inputs': build.get('inputs', {}),
        'versions': {'sendmail': sendmail.get('version'), 'cyrus_sasl': sasl.get('version')},
        'patches': _patch_entries(sendmail.get('patches', [])),
        'cyrus_sasl_patches': _patch_entries(sasl.get('patches', [])),
        'configure_args': [a.replace('@PREFIX@', build['prefix']) for a in sasl.get('configure_args', [])],
        'smtp_smuggling': smuggling_status(sendmail.get('version', '0'), sendmail.get('patches', [])),
        'runtime_packages': sorted(set(sasl.get('runtime_packages', []) + sendmail.get('runtime_packages', []))),
        'accounts': {
            'groups': [smmsp_group],
            'users': [smmsp_user],
            'user_details': {smmsp_user: {'group': smmsp_group, 'home': '/var/spool/clientmqueue',
                                          'comment': 'sendmail message submission program'}},
        },
        'builder': {'kind': build.get('kind'), 'name': build.get('builder'), 'image': build.get('image')},
    }
    if created:
        metadata['created'] = created
    return metadata


def links_to_fix(links, paths, base):
    """Live links that are missing or point elsewhere.

    links: {live path: path relative to base}; paths: host_state_info's `paths` result for
    the live paths; base: the directory the links point into. Returns [{key, value}] in the
    order of links (what Ansible's dict2items gives), for the ones to (re)create.
    """
    out = []
    for live, relative in (links or {}).items():
        want = '%s/%s' % (base.rstrip('/'), relative)
        state = (paths or {}).get(live) or {}
        if state.get('exists') and state.get('type') == 'link' and state.get('target') == want:
            continue
        out.append({'key': live, 'value': relative})
    return out
