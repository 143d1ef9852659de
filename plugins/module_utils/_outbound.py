# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the mailrelay.sendmail collection: may change without notice.

"""The outbound hop: can a relay hand mail on, and how much is waiting in its queue.

- `tls_srv_rule`: the TLS_Srv entry of an access map source that sendmail applies when it
  connects to a host (cf/m4/proto.m4, ruleset tls_server: the host name, then its parent
  domains, then the address, then the bare "TLS_Srv:" default), and what it demands
  (`parse_tls_srv_value`: TLS at all, a verified certificate, a common name).
- `probe_hop`: one SMTP session to a next hop (banner, EHLO, STARTTLS, certificate), through
  the session of _smtp.py, judged against what the relay itself would demand.
- `queue_state`: entries and the oldest entry of a sendmail queue directory, by stat() alone.
"""

from __future__ import annotations

import ipaddress
import os
import stat
import time

from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp import (
    ConnectionOptions,
    SMTPError,
    STARTTLSNotOffered,
    host_port,
    open_session,
    unbracket,
)

HOP_TLS_MODES = ('required', 'optional', 'none')


# ---------------------------------------------------------------------------------------
# TLS_Srv rules of the access map

def parse_access_source(text):
    """The entries of an access map source (makemap input) as an ordered dict key -> value.

    Comments and blank lines are skipped. Keys are folded to lower case, as makemap does without
    -f (how the role builds access.db); of two equal keys the first is kept.
    """
    entries = {}
    for line in (text or '').splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith('#'):
            continue
        parts = stripped.split(None, 1)
        key = parts[0].lower()
        if key not in entries:
            entries[key] = parts[1].strip() if len(parts) > 1 else ''
    return entries


def parse_tls_srv_value(value, host):
    """What a TLS_Srv value demands: {tls, verify, cn}.

    The value is words joined by '+': VERIFY or VERIFY:bits (a certificate that verified, and TLS),
    ENCR:bits (TLS with at least that many bits), CN or CN:name (the certificate's common name is
    `host` or `name`), TEMP/PERM (which error), CS:/CI: (subject/issuer, not checked here).
    """
    demands = {'tls': False, 'verify': False, 'cn': None}
    for word in (value or '').split('+'):
        word = word.strip()
        head, _sep, tail = word.partition(':')
        head = head.upper()
        if head == 'VERIFY':
            demands['verify'] = True
            demands['tls'] = True
        elif head == 'ENCR':
            demands['tls'] = True
        elif head == 'CN':
            demands['cn'] = tail.strip() or host
    return demands


def _lookup_keys(host, address=None):
    """The TLS_Srv keys sendmail tries for a connection to `host`, in order."""
    keys = []
    name = unbracket(str(host or '')).strip().rstrip('.').lower()
    try:
        ipaddress.ip_address(name)
        is_address = True
    except ValueError:
        is_address = False
    if name and not is_address:
        labels = name.split('.')
        keys.extend('tls_srv:' + '.'.join(labels[i:]) for i in range(len(labels)))
    for addr in (name if is_address else None, address):
        if addr:
            keys.append('tls_srv:' + unbracket(str(addr)).lower())
    keys.append('tls_srv:')
    return keys


def tls_srv_rule(entries, host, address=None):
    """The (key, value) of the TLS_Srv entry sendmail applies to a connection to `host`; (None, None) if none."""
    for key in _lookup_keys(host, address):
        if key in entries:
            return key, entries[key]
    return None, None


# ---------------------------------------------------------------------------------------
# one next hop

def hop_demands(hop, access_entries=None):
    """Settle what a hop must do: {tls, verify, cn, rule}.

    Given `tls` and `verify` win; what is not given comes from the TLS_Srv rule of the access map
    (when there is one), else TLS is optional and the certificate is not required to verify.
    """
    rule_key, rule_value = (None, None)
    if access_entries is not None:
        rule_key, rule_value = tls_srv_rule(access_entries, hop['host'], hop.get('address'))
    from_rule = parse_tls_srv_value(rule_value, hop['host']) if rule_key else {'tls': False, 'verify': False, 'cn': None}
    verify = hop.get('verify')
    if verify is None:
        verify = from_rule['verify']
        cn = from_rule['cn']
        check_name = False  # sendmail checks the name only where the rule says CN
    else:
        cn = hop.get('cn')
        check_name = bool(verify)
    tls = hop.get('tls')
    if not tls:
        tls = 'required' if (from_rule['tls'] or verify) else 'optional'
    return {
        'tls': tls,
        'verify': bool(verify),
        'cn': cn,
        'check_name': check_name,
        'rule': '%s %s' % (rule_key, rule_value) if rule_key else None,
    }


def _empty_hop_result(hop, demands):
    return {
        'name': hop.get('name') or hop['host'],
        'host': hop['host'],
        'address': hop.get('address'),
        'port': hop['port'],
        'tls': demands['tls'],
        'verify': demands['verify'],
        'expected_cn': demands['cn'],
        'tls_srv_rule': demands['rule'],
        'answered': False,
        'banner': None,
        'starttls_offered': False,
        'starttls': False,
        'tls_version': None,
        'verified': None,
        'verify_error': None,
        'subject': None,
        'issuer': None,
        'not_after': None,
        'days_left': None,
        'error': None,
        'error_kind': None,
        'ok': False,
    }


def probe_hop(hop, ca_file=None, timeout=10.0, ehlo_name=None, access_entries=None):
    """Talk to one next hop as the relay would, and say whether mail could go there.

    hop: {name, host, address (connect here instead of resolving host), port, tls, verify, cn,
    ca_file}. Never sends MAIL; ends with QUIT.
    """
    demands = hop_demands(hop, access_entries)
    result = _empty_hop_result(hop, demands)
    ca_file = hop.get('ca_file') or ca_file
    where = host_port(hop.get('address') or hop['host'], hop['port'])
    if ca_file and not os.path.isfile(ca_file):
        if demands['verify']:
            result['error'] = 'the certificate of %s must verify, but the CA file %s does not exist' % (where, ca_file)
            result['error_kind'] = 'tls_verify'
            return result
        ca_file = None  # nothing to report verification against; the hop is still spoken to
    if demands['verify'] and not ca_file:
        result['error'] = 'the certificate of %s must verify, but no ca_file was given to check it against' % where
        result['error_kind'] = 'tls_verify'
        return result
    options = ConnectionOptions(
        host=hop.get('address') or hop['host'], port=hop['port'],
        tls='none' if demands['tls'] == 'none' else 'starttls',
        ehlo_name=ehlo_name, timeout=timeout, tls_server_name=unbracket(hop['host']),
        ca_file=ca_file, validate_certs=False, tls_check_hostname=demands['check_name'])
    error, session = None, None
    try:
        session = open_session(options, [])
    except SMTPError as exc:
        error, session = exc, getattr(exc, 'session', None)
    if session is not None:
        session.quit()
        tls = session.tls
        result.update({
            'answered': session.banner is not None,
            'banner': session.banner.raw if session.banner else None,
            'starttls_offered': session.starttls_offered,
            'starttls': bool(tls['established']),
            'tls_version': tls['version'],
            'verified': tls['verified'],
            'verify_error': tls['verify_error'] or tls['handshake_error'],
            'subject': tls['subject'],
            'issuer': tls['issuer'],
            'not_after': tls['not_after'],
            'days_left': tls['days_left'],
        })
    if isinstance(error, STARTTLSNotOffered) and demands['tls'] == 'optional':
        error = None  # sendmail goes on in clear text, as the relay's rules allow
    if error is not None:
        result['error'], result['error_kind'] = error.message, error.kind
        return _judged(result)
    tls_established = result['starttls']
    if demands['cn'] and tls_established and result['verified'] is not False:
        actual = (result['subject'] or {}).get('CN')
        if (actual or '').lower() != demands['cn'].lower():
            result['verified'] = False
            result['verify_error'] = 'the certificate names CN=%s, the rule wants CN=%s' % (actual, demands['cn'])
    if demands['tls'] == 'required' and not tls_established:
        result['error'] = '%s did not establish TLS, which the relay requires for it' % where
        result['error_kind'] = 'tls_handshake'
    elif demands['verify'] and result['verified'] is not True:
        result['error'] = 'the certificate of %s does not pass the relay\'s check (%s): %s' % (
            where, 'against %s' % ca_file, result['verify_error'] or 'not verified')
        result['error_kind'] = 'tls_verify'
    return _judged(result)


def _judged(result):
    result['ok'] = result['error'] is None
    return result


def _where(result):
    where = host_port(result['host'], result['port'])
    return where + (' at %s' % result['address'] if result['address'] else '')


def hop_failure(result):
    """One line for the gate's failures: which hop, where, what is wrong; None when the hop is fine."""
    if result['ok']:
        return None
    where = _where(result)
    if not result['answered']:
        return 'outbound hop %s (%s) did not answer: %s' % (result['name'], where, result['error'])
    return 'outbound hop %s (%s): %s' % (result['name'], where, result['error'])


# ---------------------------------------------------------------------------------------
# the queue, by stat() alone

def _queue_dirs(path):
    """The directories holding a queue's qf files: the queue directory, its qf/ subdirectory, and
    the same one level down for queue groups (QUEUE_DIR such as /var/spool/mqueue/q*)."""
    found = [path]
    try:
        names = sorted(os.listdir(path))
    except OSError:
        return found
    for name in names:
        sub = os.path.join(path, name)
        if name in ('df', 'xf') or not os.path.isdir(sub) or os.path.islink(sub):
            continue
        found.append(sub)
        if name != 'qf' and os.path.isdir(os.path.join(sub, 'qf')):
            found.append(os.path.join(sub, 'qf'))
    return found


def _mtime(path):
    try:
        return os.lstat(path).st_mtime
    except OSError:
        return None


def queue_state(path, now=None):
    """Entries (qf files) of a sendmail queue directory and the age of the oldest, by stat() only.

    An entry's age is taken from the older of its qf file and its df file (the message body,
    written once when the message arrived; sendmail rewrites qf at every delivery attempt).
    Lost queue files (Qf, renamed by sendmail when it could not read them) are counted apart.
    """
    now = time.time() if now is None else now
    state = {'path': path, 'exists': False, 'entries': 0, 'oldest_age_seconds': None, 'lost_entries': 0, 'error': None}
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return state
    except OSError as exc:
        state['error'] = 'cannot look at %s: %s' % (path, exc.strerror or exc)
        return state
    if not stat.S_ISDIR(st.st_mode):
        state['error'] = '%s is not a directory' % path
        return state
    state['exists'] = True
    oldest = None
    for directory in _queue_dirs(path):
        try:
            names = os.listdir(directory)
        except OSError as exc:
            state['error'] = 'cannot list %s: %s' % (directory, exc.strerror or exc)
            continue
        for name in names:
            if not name.startswith(('qf', 'Qf')):
                continue
            qf = os.path.join(directory, name)
            try:
                qf_stat = os.lstat(qf)
            except OSError:  # delivered and removed while we looked
                continue
            if not stat.S_ISREG(qf_stat.st_mode):  # the qf/ subdirectory itself
                continue
            if name.startswith('Qf'):
                state['lost_entries'] += 1
                continue
            qf_time = qf_stat.st_mtime
            state['entries'] += 1
            times = [qf_time]
            df_name = 'df' + name[2:]
            parent = os.path.dirname(directory) if os.path.basename(directory) == 'qf' else directory
            for df in (os.path.join(directory, df_name), os.path.join(parent, 'df', df_name)):
                df_time = _mtime(df)
                if df_time is not None:
                    times.append(df_time)
                    break
            entry_time = min(times)
            oldest = entry_time if oldest is None else min(oldest, entry_time)
    if oldest is not None:
        state['oldest_age_seconds'] = max(0, int(now - oldest))
    return state


# ---------------------------------------------------------------------------------------
# report lines

def hop_line(result):
    """One line of the gate's report for a hop."""
    where = _where(result)
    if not result['answered']:
        state = 'NO ANSWER (%s)' % result['error']
    else:
        parts = ['answered']
        if result['starttls']:
            parts.append(result['tls_version'] or 'TLS')
        else:
            parts.append('no TLS')
        if result['verified'] is True:
            parts.append('certificate verified' + (' (CN=%s)' % result['expected_cn'] if result['expected_cn'] else ''))
        elif result['verified'] is False:
            parts.append('certificate NOT verified (%s)' % result['verify_error'])
        if result['days_left'] is not None:
            parts.append('%d days left' % result['days_left'])
        state = ', '.join(parts)
        if result['error']:
            state += ': FAILED - %s' % result['error']
    demands = 'TLS %s%s' % (result['tls'], ', must verify' if result['verify'] else '')
    return '  outbound %s %s [%s]: %s' % (result['name'], where, demands, state)


def queue_line(label, state):
    if state is None:
        return None
    if state['error']:
        return '  %s %s: %s' % (label, state['path'], state['error'])
    if not state['exists']:
        return '  %s %s: no such directory' % (label, state['path'])
    text = '  %s %s: %d entr%s' % (label, state['path'], state['entries'], 'y' if state['entries'] == 1 else 'ies')
    if state['oldest_age_seconds'] is not None:
        text += ', oldest %s' % _age(state['oldest_age_seconds'])
    if state['lost_entries']:
        text += ', %d lost (Qf)' % state['lost_entries']
    return text


def _age(seconds):
    if seconds < 120:
        return '%d s' % seconds
    if seconds < 7200:
        return '%d min' % (seconds // 60)
    if seconds < 172800:
        return '%.1f h' % (seconds / 3600.0)
    return '%.1f days' % (seconds / 86400.0)


# ---------------------------------------------------------------------------------------
# everything

def outbound_report(hops, ca_file=None, access_text=None, timeout=10.0, ehlo_name=None,
                    queue_dir=None, client_queue_dir=None, now=None):
    """Probe every hop and read the queues. Return {hops, failures, ok, queue}."""
    access_entries = parse_access_source(access_text) if access_text is not None else None
    results = [probe_hop(hop, ca_file=ca_file, timeout=timeout, ehlo_name=ehlo_name, access_entries=access_entries)
               for hop in hops or []]
    failures = [line for line in (hop_failure(result) for result in results) if line]
    queue = {
        'mqueue': queue_state(queue_dir, now) if queue_dir else None,
        'clientmqueue': queue_state(client_queue_dir, now) if client_queue_dir else None,
    }
    lines = [hop_line(result) for result in results]
    lines += [line for line in (queue_line('queue', queue['mqueue']), queue_line('client queue', queue['clientmqueue'])) if line]
    return {'hops': results, 'failures': failures, 'ok': not failures, 'queue': queue, 'lines': lines}
