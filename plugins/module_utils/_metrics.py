# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the mailrelay.sendmail collection: may change without notice.

"""The relay's metrics collector: what it reads, how it reads it, and the Prometheus text it writes.

The role mailrelay.sendmail.metrics installs this file on each relay and runs it from a systemd
timer (``python3 mailrelay_metrics.py --config /etc/mailrelay/metrics.json``). It writes one file
for the node exporter's textfile collector, atomically (a temporary file in the same directory,
then a rename), so that the exporter never serves half a file.

Everything that interprets text (queue files, ``mailstats -P``, ``openssl x509 -enddate``,
``systemctl show``, the gate's record, sendmail's log lines) is a pure function below, tested
table-driven in tests/unit/plugins/module_utils/test_metrics.py. The functions at the end
read the relay and are kept thin.

Only the Python 3 standard library is used: the relay needs nothing else.
"""

from __future__ import annotations

import argparse
import calendar
import json
import os
import re
import subprocess
import sys
import tempfile
import time

# ---------------------------------------------------------------------------------------------
# the catalogue: every family the collector can write, its type and its help text

FAMILIES = (
    ('sendmail_queue_messages', 'gauge', 'Messages in the queue (qf files).'),
    ('sendmail_queue_oldest_message_age_seconds', 'gauge', 'Age of the oldest message in the queue (0 when empty).'),
    ('sendmail_mailer_messages_received_total', 'counter', 'Messages received from a mailer (mailstats msgsfr).'),
    ('sendmail_mailer_received_bytes_total', 'counter', 'Bytes received from a mailer (mailstats bytes_from, KiB resolution).'),
    ('sendmail_mailer_messages_delivered_total', 'counter',
     'Deliveries to a mailer, one per recipient (mailstats msgsto).'),
    ('sendmail_mailer_delivered_bytes_total', 'counter', 'Bytes delivered to a mailer (mailstats bytes_to, KiB resolution).'),
    ('sendmail_mailer_messages_rejected_total', 'counter', 'Messages rejected, by the mailer they came from (mailstats msgsrej).'),
    ('sendmail_mailer_messages_discarded_total', 'counter', 'Messages discarded, by the mailer they came from (mailstats msgsdis).'),
    ('sendmail_mailer_messages_quarantined_total', 'counter', 'Messages quarantined (mailstats msgsqur).'),
    ('sendmail_connections_received_total', 'counter', 'SMTP connections received (mailstats C line).'),
    ('sendmail_connections_sent_total', 'counter', 'SMTP connections made (mailstats C line).'),
    ('sendmail_connections_rejected_total', 'counter', 'SMTP connections rejected (mailstats C line).'),
    ('sendmail_statistics_start_timestamp_seconds', 'gauge', 'When the statistics file was last cleared.'),
    ('sendmail_smtp_auth_total', 'counter',
     'SMTP AUTH attempts by mechanism, reply code (235 accepted, 535 refused, 454 temporary failure) '
     'and Cyrus SASL result (0 ok, -13 bad password, -1 generic failure such as saslauthd down).'),
    ('sendmail_tls_handshakes_total', 'counter', 'Completed STARTTLS handshakes by side, protocol version and peer verification.'),
    ('sendmail_tls_handshake_failures_total', 'counter', 'STARTTLS handshakes that failed, by side.'),
    ('sendmail_relay_refusals_total', 'counter', 'Recipients refused with "Relaying denied".'),
    ('sendmail_log_lines_total', 'counter', 'sendmail log lines the collector has read from the journal.'),
    ('mailrelay_certificate_expiry_timestamp_seconds', 'gauge', 'When a certificate of the live generation expires (notAfter).'),
    ('mailrelay_generation_info', 'gauge', 'The live generation: its id on this relay, its software build and platform.'),
    ('mailrelay_generation_switch_timestamp_seconds', 'gauge', 'When the live generation was last switched to.'),
    ('mailrelay_generation_serving_info', 'gauge',
     'The generation a daemon of the mail path was last started or reloaded with (the history\'s served record).'),
    ('mailrelay_generation_stale', 'gauge',
     'Whether a daemon serves another generation than the live one (1) or none does (0).'),
    ('mailrelay_service_up', 'gauge', 'Whether a service of the mail path is active (1) or not (0).'),
    ('mailrelay_gate_success', 'gauge', 'Whether the last verification gate passed (1) or failed (0).'),
    ('mailrelay_gate_last_run_timestamp_seconds', 'gauge', 'When the last verification gate ran.'),
    ('mailrelay_gate_check_success', 'gauge', 'Last gate result of one check on one listener (1 passed or skipped, 0 failed).'),
    ('mailrelay_collector_source_success', 'gauge', 'Whether the collector could read a source (1) or not (0).'),
    ('mailrelay_collector_last_run_timestamp_seconds', 'gauge', 'When the collector last wrote this file.'),
)
FAMILY_TYPES = dict((name, kind) for name, kind, _help in FAMILIES)
# counters kept across runs from the journal, in the state file
LOG_FAMILIES = ('sendmail_smtp_auth_total', 'sendmail_tls_handshakes_total', 'sendmail_tls_handshake_failures_total',
                'sendmail_relay_refusals_total', 'sendmail_log_lines_total')
STATE_FORMAT = 1


class MetricsError(Exception):
    """A source cannot be read or understood; the message says which and why."""


# ---------------------------------------------------------------------------------------------
# the exposition format

def escape_label(value):
    return str(value).replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')


def format_value(value):
    if isinstance(value, bool):
        return '1' if value else '0'
    if isinstance(value, int):
        return str(value)
    value = float(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def render(samples):
    """Prometheus text for a list of (name, labels dict, value), families in catalogue order,
    each with HELP and TYPE; a family without samples is left out. Unknown names are refused."""
    by_family = {}
    for name, labels, value in samples:
        if name not in FAMILY_TYPES:
            raise MetricsError('unknown metric %s: add it to FAMILIES' % name)
        key = tuple(sorted((labels or {}).items()))
        by_family.setdefault(name, {})[key] = value
    lines = []
    for name, kind, help_text in FAMILIES:
        if name not in by_family:
            continue
        lines.append('# HELP %s %s' % (name, help_text))
        lines.append('# TYPE %s %s' % (name, kind))
        for key in sorted(by_family[name]):
            labels = ','.join('%s="%s"' % (label, escape_label(value)) for label, value in key)
            lines.append('%s%s %s' % (name, '{%s}' % labels if labels else '', format_value(by_family[name][key])))
    return '\n'.join(lines) + '\n' if lines else ''


# ---------------------------------------------------------------------------------------------
# queue files

def parse_qf(text):
    """A sendmail queue control file: {'created': epoch seconds or None, 'recipients': n}.
    The T line holds the time the message was queued; each R line is one recipient."""
    created = None
    recipients = 0
    for line in text.splitlines():
        if line.startswith('T') and created is None:
            try:
                created = int(line[1:].strip())
            except ValueError:
                pass
        elif line.startswith('R'):
            recipients += 1
    return {'created': created, 'recipients': recipients}


def queue_summary(entries, now):
    """entries: a list of parse_qf results (with 'mtime' as fallback for 'created');
    -> (messages, age of the oldest in seconds, 0 when empty)."""
    times = [entry['created'] if entry.get('created') is not None else entry.get('mtime') for entry in entries]
    times = [t for t in times if t is not None]
    oldest = max(0, now - min(times)) if times else 0
    return len(entries), oldest


# ---------------------------------------------------------------------------------------------
# mailstats -P

MAILSTATS_COLUMNS = ('messages_received', 'received_kib', 'messages_delivered', 'delivered_kib',
                     'messages_rejected', 'messages_discarded', 'messages_quarantined')


def parse_mailstats(text):
    """`mailstats -P` output -> {'start': epoch, 'mailers': {name: {column: n}}, 'connections': {...}}.
    A mailer line is `<index> <7 numbers> [<name>]`; without a name (no cf readable) the index
    is the name. The T (total) line is left out; C gives received, sent and rejected connections."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise MetricsError('mailstats printed nothing')
    head = lines[0].split()
    if len(head) != 2 or not all(part.isdigit() for part in head):
        raise MetricsError('mailstats -P output does not start with "<start> <now>": %r' % lines[0][:80])
    result = {'start': int(head[0]), 'mailers': {}, 'connections': None}
    for line in lines[1:]:
        fields = line.split()
        if fields[0] == 'T':
            continue
        if fields[0] == 'C':
            if len(fields) != 4:
                raise MetricsError('unexpected mailstats C line: %r' % line[:80])
            result['connections'] = dict(zip(('received', 'sent', 'rejected'), (int(f) for f in fields[1:])))
            continue
        if not fields[0].isdigit() or len(fields) < 8:
            raise MetricsError('unexpected mailstats line: %r' % line[:80])
        name = fields[8] if len(fields) > 8 else fields[0]
        result['mailers'][name] = dict(zip(MAILSTATS_COLUMNS, (int(f) for f in fields[1:8])))
    return result


def mailstats_samples(stats):
    samples = [('sendmail_statistics_start_timestamp_seconds', {}, stats['start'])]
    for mailer, row in sorted(stats['mailers'].items()):
        labels = {'mailer': mailer}
        samples.extend([
            ('sendmail_mailer_messages_received_total', labels, row['messages_received']),
            ('sendmail_mailer_received_bytes_total', labels, row['received_kib'] * 1024),
            ('sendmail_mailer_messages_delivered_total', labels, row['messages_delivered']),
            ('sendmail_mailer_delivered_bytes_total', labels, row['delivered_kib'] * 1024),
            ('sendmail_mailer_messages_rejected_total', labels, row['messages_rejected']),
            ('sendmail_mailer_messages_discarded_total', labels, row['messages_discarded']),
            ('sendmail_mailer_messages_quarantined_total', labels, row['messages_quarantined']),
        ])
    if stats['connections']:
        for key in ('received', 'sent', 'rejected'):
            samples.append(('sendmail_connections_%s_total' % key, {}, stats['connections'][key]))
    return samples


# ---------------------------------------------------------------------------------------------
# certificates, services, generations, the gate

def parse_enddate(text):
    """`openssl x509 -noout -enddate` -> epoch seconds (notAfter is always GMT)."""
    match = re.search(r'notAfter=(\w{3}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) (\d{4}) GMT', text)
    if not match:
        raise MetricsError('no notAfter in %r' % text.strip()[:80])
    month, day, hour, minute, second, year = match.groups()
    return calendar.timegm(time.strptime('%s %s %s %s:%s:%s' % (year, month, day, hour, minute, second),
                                         '%Y %b %d %H:%M:%S'))


def parse_systemctl_show(text):
    """`systemctl show -p LoadState,ActiveState <unit>` -> {'LoadState': ..., 'ActiveState': ...}."""
    return dict(line.split('=', 1) for line in text.splitlines() if '=' in line)


def service_sample(name, show, optional):
    """One mailrelay_service_up sample, or None for an optional unit that is not installed."""
    if optional and show.get('LoadState') != 'loaded':
        return None
    return ('mailrelay_service_up', {'service': name}, 1 if show.get('ActiveState') == 'active' else 0)


def parse_iso_time(value):
    """'2026-12-07T17:20:03Z' or '2026-12-07T17:20:03.123456+00:00' -> epoch seconds."""
    match = re.match(r'^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d:?\d\d)?$', str(value).strip())
    if not match:
        raise MetricsError('not an ISO 8601 time: %r' % value)
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    epoch = calendar.timegm((int(year), int(month), int(day), int(hour), int(minute), int(second), 0, 0, 0))
    if zone and zone != 'Z':
        sign = 1 if zone[0] == '+' else -1
        digits = zone[1:].replace(':', '')
        epoch -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return epoch + (float(fraction) if fraction else 0)


def generation_samples(current_target, history, platform):
    """The live generation from the `current` link's target and history.json, and what the daemons serve."""
    generation_id = os.path.basename(current_target.rstrip('/'))
    entry = (history.get('generations') or {}).get(generation_id) or {}
    samples = [('mailrelay_generation_info',
                {'generation': generation_id, 'sw_id': entry.get('sw_id') or '', 'platform': platform}, 1)]
    switched = entry.get('switched_at') or []
    if switched:
        samples.append(('mailrelay_generation_switch_timestamp_seconds', {}, parse_iso_time(switched[-1])))
    return samples + serving_samples(generation_id, history)


def serving_samples(generation_id, history):
    """What each daemon serves, from history.json's `served` records ({service: {'generation', 'at'}},
    written by the generation module when the rollout starts or reloads a daemon), and whether any
    serves another generation than the live one. A service without a record (a relay whose history
    predates the records) counts as neither; a record without a generation is left out, and so are
    records that are not a mapping (the live generation is still exported)."""
    served = history.get('served')
    served = served if isinstance(served, dict) else {}
    samples = []
    stale = 0
    for service, record in sorted(served.items()):
        generation = (record or {}).get('generation') if isinstance(record, dict) else None
        if not generation:
            continue
        samples.append(('mailrelay_generation_serving_info', {'service': str(service), 'generation': str(generation)}, 1))
        stale = stale or int(str(generation) != generation_id)
    samples.append(('mailrelay_generation_stale', {}, stale))
    return samples


def gate_samples(record):
    """The gate's record (roles/verify/tasks/record.yml) -> samples. A check is 1 unless it failed
    on some address of the listener (a listener is probed on each of its addresses)."""
    samples = [('mailrelay_gate_success', {}, 1 if record.get('ok') else 0),
               ('mailrelay_gate_last_run_timestamp_seconds', {}, parse_iso_time(record['time']))]
    checks = {}
    for listener in record.get('listeners') or []:
        for check in listener.get('checks') or []:
            key = (str(listener.get('name')), str(listener.get('port')), str(check.get('name')))
            checks[key] = checks.get(key, 1) and (1 if check.get('ok') else 0)
    for (listener, port, check), value in sorted(checks.items()):
        samples.append(('mailrelay_gate_check_success', {'listener': listener, 'port': port, 'check': check}, value))
    return samples


# ---------------------------------------------------------------------------------------------
# sendmail's log lines (LogLevel 9 or more)

_AUTH_OK = re.compile(r'\bAUTH=server, relay=.*, authid=.*, mech=([A-Za-z0-9_-]{1,20}), bits=')
_AUTH_FAIL = re.compile(r'\bAUTH failure \(([A-Za-z0-9_-]{1,20})\): .*? \((-?\d+)\)')
_AUTH_TEMP = re.compile(r'\bAUTH encode64 error|SMTP AUTH command \(.*\) from .* tempfailed')
_TLS_OK = re.compile(r'\bSTARTTLS=(server|client), relay=.*, version=([A-Za-z0-9.]{1,16}), verify=([A-Z_]{1,16}),')
_TLS_FAIL = re.compile(r'\bSTARTTLS=(server|client), error: (?:accept|connect) failed')
_RELAY_DENIED = re.compile(r'\breject=55\d 5\.7\.1 .*Relaying denied')


def classify_log_line(line):
    """One sendmail log line -> (family, labels) it counts for, or None."""
    match = _AUTH_OK.search(line)
    if match:
        return 'sendmail_smtp_auth_total', {'mechanism': match.group(1).upper(), 'code': '235', 'sasl_result': '0'}
    match = _AUTH_FAIL.search(line)
    if match:
        return 'sendmail_smtp_auth_total', {'mechanism': match.group(1).upper(), 'code': '535', 'sasl_result': match.group(2)}
    if _AUTH_TEMP.search(line):
        return 'sendmail_smtp_auth_total', {'mechanism': 'unknown', 'code': '454', 'sasl_result': 'unknown'}
    match = _TLS_OK.search(line)
    if match:
        return 'sendmail_tls_handshakes_total', {'side': match.group(1), 'version': match.group(2), 'verify': match.group(3)}
    match = _TLS_FAIL.search(line)
    if match:
        return 'sendmail_tls_handshake_failures_total', {'side': match.group(1)}
    if _RELAY_DENIED.search(line):
        return 'sendmail_relay_refusals_total', {}
    return None


def count_log_lines(counters, lines):
    """Add the log lines to counters ({family: {label json: n}}); returns counters."""
    for line in lines:
        found = classify_log_line(line)
        for family, labels in ([found] if found else []) + [('sendmail_log_lines_total', {})]:
            key = json.dumps(labels, sort_keys=True)
            bucket = counters.setdefault(family, {})
            bucket[key] = bucket.get(key, 0) + 1
    return counters


def counter_samples(counters):
    return [(family, json.loads(key), value) for family in LOG_FAMILIES
            for key, value in sorted((counters.get(family) or {}).items())]


def split_journal(text):
    """`journalctl -o cat --show-cursor` output -> (lines, cursor or None)."""
    lines = text.splitlines()
    cursor = None
    if lines and lines[-1].startswith('-- cursor: '):
        cursor = lines.pop()[len('-- cursor: '):].strip()
    return lines, cursor


# ---------------------------------------------------------------------------------------------
# reading the relay (thin)

def _run(argv, timeout=30):
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                          universal_newlines=True, check=False)
    if proc.returncode != 0:
        raise MetricsError('%s: exit %d: %s' % (' '.join(argv), proc.returncode, (proc.stderr or proc.stdout).strip()[:200]))
    return proc.stdout


def scan_queue(path):
    entries = []
    for top, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if top == path or d == 'qf']
        for name in files:
            if not name.startswith('qf'):
                continue
            full = os.path.join(top, name)
            try:
                with open(full, 'r', errors='replace') as handle:
                    entry = parse_qf(handle.read())
                entry['mtime'] = int(os.stat(full).st_mtime)
            except OSError:
                continue  # delivered while we looked
            entries.append(entry)
    return entries


def _platform():
    info = {}
    try:
        with open('/etc/os-release') as handle:
            for line in handle:
                if '=' in line:
                    key, value = line.rstrip('\n').split('=', 1)
                    info[key] = value.strip('"')
    except OSError:
        pass
    return '%s-%s' % (info.get('ID', 'unknown'), info.get('VERSION_ID', 'unknown'))


def _read_journal(config, state):
    argv = ['journalctl', '--quiet', '--no-pager', '-o', 'cat', '--show-cursor',
            'SYSLOG_IDENTIFIER=%s' % config.get('journal_identifier', 'sendmail')]
    argv += ['--after-cursor', state['cursor']] if state.get('cursor') else []
    lines, cursor = split_journal(_run(argv, timeout=120))
    count_log_lines(state.setdefault('counters', {}), lines)
    if cursor:
        state['cursor'] = cursor


def collect(config, now=None):
    """All samples for the relay described by config (the role's metrics.json)."""
    now = int(time.time()) if now is None else now
    samples = []
    sources = {}

    def source(name, function):
        try:
            samples.extend(function())
            sources[name] = 1
        except (MetricsError, OSError, ValueError, KeyError, subprocess.SubprocessError) as exc:
            sources[name] = 0
            sys.stderr.write('%s: %s\n' % (name, exc))

    def queues():
        out = []
        for name, path in sorted(config['queues'].items()):
            messages, oldest = queue_summary(scan_queue(path), now)
            out += [('sendmail_queue_messages', {'queue': name}, messages),
                    ('sendmail_queue_oldest_message_age_seconds', {'queue': name}, oldest)]
        return out

    def certificates():
        out = []
        for name, path in sorted(config['certificates'].items()):
            if os.path.exists(path):
                out.append(('mailrelay_certificate_expiry_timestamp_seconds', {'certificate': name},
                            parse_enddate(_run(['openssl', 'x509', '-noout', '-enddate', '-in', path]))))
        return out

    def services():
        out = []
        for service in config['services']:
            show = parse_systemctl_show(_run(['systemctl', 'show', '-p', 'LoadState,ActiveState', service['unit']]))
            sample = service_sample(service['name'], show, service.get('optional', False))
            out += [sample] if sample else []
        return out

    def generation():
        current = os.path.join(config['generations_root'], 'current')
        if not os.path.islink(current):
            return []
        with open(os.path.join(config['generations_root'], 'generations', 'history.json')) as handle:
            history = json.load(handle)
        return generation_samples(os.readlink(current), history, _platform())

    def gate():
        if not os.path.exists(config['gate_file']):
            return []
        with open(config['gate_file']) as handle:
            return gate_samples(json.load(handle))

    def journal():
        state = load_state(config['state_file'])
        _read_journal(config, state)
        write_atomic(config['state_file'], json.dumps(state, sort_keys=True) + '\n')
        return counter_samples(state['counters'])

    source('queue', queues)
    source('mailstats', lambda: mailstats_samples(parse_mailstats(_run([config['mailstats'], '-P', '-f', config['statistics_file']]))))
    source('certificates', certificates)
    source('services', services)
    source('generation', generation)
    source('gate', gate)
    if config.get('journal', True):
        source('journal', journal)
    samples += [('mailrelay_collector_source_success', {'source': name}, value) for name, value in sorted(sources.items())]
    samples.append(('mailrelay_collector_last_run_timestamp_seconds', {}, now))
    return samples


def load_state(path):
    try:
        with open(path) as handle:
            state = json.load(handle)
    except (OSError, ValueError):
        return {'format': STATE_FORMAT, 'cursor': None, 'counters': {}}
    if state.get('format') != STATE_FORMAT:
        return {'format': STATE_FORMAT, 'cursor': None, 'counters': {}}
    return state


def write_atomic(path, text, mode=0o644):
    """Write text to path through a temporary file in the same directory and a rename."""
    handle, temp = tempfile.mkstemp(dir=os.path.dirname(path) or '.', prefix='.%s.' % os.path.basename(path))
    try:
        with os.fdopen(handle, 'w') as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode)
        os.rename(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def main(argv=None):
    parser = argparse.ArgumentParser(description='Write the mail relay metrics for the node exporter textfile collector.')
    parser.add_argument('--config', default='/etc/mailrelay/metrics.json')
    parser.add_argument('--stdout', action='store_true', help='print instead of writing the .prom file')
    args = parser.parse_args(argv)
    with open(args.config) as handle:
        config = json.load(handle)
    text = render(collect(config))
    if args.stdout:
        sys.stdout.write(text)
    else:
        write_atomic(config['output'], text)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
