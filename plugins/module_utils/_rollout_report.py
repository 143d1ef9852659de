# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private helpers for rollout_report: the records of a rollout as report.json, a page and JUnit XML.

This is a private module_utils (leading underscore): no API promise outside this collection.
Everything here is a pure function of its arguments (no clock, no file system), so that the
unit tests can feed it records and read back exactly what a person or a CI system would see;
the one exception is ``read_run_reports`` (and ``gate_history`` that calls it), which reads the
``report.json`` of the earlier runs kept under ``runs/`` for the gate history.

The input comes from remote systems (host names, SMTP replies, certificate names) and from
Jinja (numbers and booleans may arrive as strings): nothing is trusted to have a key, a type
or a harmless character. ``build_report`` turns it into a normalised report; the renderers
only ever read that report.
"""

from __future__ import annotations

import datetime
import html
import json
import math
import os
import re
import stat
import xml.etree.ElementTree as ET
from urllib.parse import quote

FORMAT = 1
OUTCOMES = ('changed', 'unchanged', 'failed')
STOPPED_MESSAGE = 'not reached: the rollout stopped before this batch'
WAITING_MESSAGE = "not reached yet: the run has not come to this relay's batch"
STOPPED_NOTE = 'taken out of service (first install: there was no earlier generation to roll back to)'
# What a check's result reads as; a check that did not run is neither passed nor failed.
RESULTS = ('passed', 'failed', 'not run', 'no result')
# Ansible's reason for a skipped task: it names no reason a reader could act on.
_ANSIBLE_SKIP_REASON = re.compile(r'\s*:?\s*Conditional result was False\.?\s*$', re.IGNORECASE)
_SKIPPED_PROBE = re.compile(r'^the (?P<probe>.+?) probe was skipped$')

# XML 1.0 cannot carry these at all, and a terminal escape has no business in a page either.
_UNSAFE = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]')
_RUN_ID_UNSAFE = re.compile(r'[^A-Za-z0-9._-]+')
_TRUE = ('true', 'yes', 'on', '1', 'y', 't')
_FALSE = ('false', 'no', 'off', '0', 'n', 'f', '')


# ---------------------------------------------------------------------------------------
# defensive conversions

def clean_text(value):
    """``value`` as a str that XML 1.0 and HTML can carry: control characters become ``\\xNN``."""
    if value is None:
        return ''
    text = value if isinstance(value, str) else str(value)
    return _UNSAFE.sub(lambda match: '\\x%02x' % ord(match.group()) if ord(match.group()) < 0x100
                       else '\\u%04x' % ord(match.group()), text)


def _text_or_none(value):
    if value is None:
        return None
    text = clean_text(value)
    return text if text.strip() else None


def _bool(value, default=None):
    """True/False from a bool, a number or a word Jinja may have made of it; ``default`` otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    return default


def _int(value):
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        pass
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return int(number) if math.isfinite(number) and number == int(number) else None


def _float(value):
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value if not isinstance(value, str) else value.strip())
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _dict(value):
    return value if isinstance(value, dict) else {}


def _texts(value):
    """A list of non-empty strings from a list (or a single string)."""
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        value = [value]
    return [clean_text(item) for item in value if item is not None and clean_text(item).strip()]


def _plain(value):
    """A JSON value with every string cleaned (for pass-through data such as events)."""
    if value is None or isinstance(value, bool) or isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return dict((clean_text(key), _plain(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return clean_text(value)


def _unique(items):
    seen = set()
    result = []
    for item in items:
        if item not in seen:
            seen.add(item)
            result.append(item)
    return result


def parse_time(value):
    """An aware datetime from an ISO 8601 string (``Z`` accepted), or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(('Z', 'z')):
        text = text[:-1] + '+00:00'
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment


def run_id(run, now=None):
    """A directory-safe id for the run: ``run.id``, else from ``run.started``, else from ``now``.

    The playbook names its runs like ``20261202T051500Z``; the same id must come back after every
    batch, so the fallback is the start time rather than the clock whenever there is one.
    """
    run = _dict(run)
    candidate = _RUN_ID_UNSAFE.sub('_', clean_text(run.get('id'))).strip('._-')
    if candidate:
        return candidate[:100]
    moment = parse_time(run.get('started')) or now
    if moment is None:
        return 'run'
    return moment.astimezone(datetime.timezone.utc).strftime('%Y%m%dT%H%M%SZ')


# ---------------------------------------------------------------------------------------
# normalising the input

def not_run_reason(detail):
    """Why a check did not run, in words.

    The gate says ``the smuggling probe was skipped: Conditional result was False`` when a task's
    ``when:`` was false; Ansible's text names no reason a reader could act on, so it is replaced.
    """
    text = clean_text(detail).strip()
    if not _ANSIBLE_SKIP_REASON.search(text):
        return text or 'the gate did not run it'
    text = _ANSIBLE_SKIP_REASON.sub('', text).strip()
    probe = _SKIPPED_PROBE.match(text)
    what = 'the %s probe' % probe.group('probe') if probe else (text or 'this check')
    return ("%s is not run on this listener (the gate's settings, or what this listener requires, leave it out)"
            % what)


def normalize_check(check):
    """One gate check: ``result`` passed, failed, not run (with the reason in ``detail``) or no result.

    ``ok`` stays True only for a check that passed: the gate marks a skipped check ``ok`` (it is no
    failure), but a check that did not run has not passed either.
    """
    if isinstance(check, str):
        check = {'name': check}
    if not isinstance(check, dict):
        return None
    ok = _bool(check.get('ok'))
    status = clean_text(check.get('status')).strip().lower()
    detail = clean_text(check.get('detail'))
    if status in ('skipped', 'not run') or (status == '' and ok is not False and _ANSIBLE_SKIP_REASON.search(detail)):
        result, ok, detail = 'not run', None, not_run_reason(detail)
    elif status == 'failed' or ok is False:
        result, ok = 'failed', False
    elif status == 'passed' or ok is True:
        result, ok = 'passed', True
    else:
        result, ok = 'no result', None
    return {
        'name': _text_or_none(check.get('name')) or '(unnamed check)',
        'ok': ok,
        'result': result,
        'detail': detail,
    }


def normalize_listener(listener):
    if not isinstance(listener, dict):
        return None
    port = _int(listener.get('port'))
    checks = [item for item in (normalize_check(check) for check in _list(listener.get('checks'))) if item]
    return {
        'name': _text_or_none(listener.get('name')) or 'listener',
        'port': port if port is not None else _text_or_none(listener.get('port')),
        'address': _text_or_none(listener.get('address')),
        'tls': _text_or_none(listener.get('tls')),
        'line': clean_text(listener.get('line')),
        'checks': checks,
        'failures': _texts(listener.get('failures')),
    }


def _list(value):
    return list(value) if isinstance(value, (list, tuple)) else []


def normalize_gate(gate):
    """The verify role's result with every key present; ``{}`` when there is no result at all.

    ``ok`` is True or False as the gate said, False whenever failures are listed, and None
    when the result does not say (a page must not show green for a gate nobody saw pass).
    """
    gate = _dict(gate)
    if not gate:
        return {}
    binary = _dict(gate.get('binary'))
    listeners = [item for item in (normalize_listener(entry) for entry in _list(gate.get('listeners'))) if item]
    failures = _texts(gate.get('failures'))
    ok = _bool(gate.get('ok'))
    if failures:
        ok = False
    elif ok is None and any(listener['failures'] for listener in listeners):
        ok = False
    return {
        'host': _text_or_none(gate.get('host')),
        'ok': ok,
        'checked': _text_or_none(gate.get('checked')),
        'probe_from': _text_or_none(gate.get('probe_from')),
        'binary': {
            'version': _text_or_none(binary.get('version')),
            'sasl_v2': _bool(binary.get('sasl_v2')),
            'starttls': _bool(binary.get('starttls')),
        },
        'entropy': _text_or_none(gate.get('entropy')),
        'listeners': listeners,
        'failures': failures,
        'lines': _texts(gate.get('lines')),
    }


def gate_failures(gate):
    """What the gate found wrong: its failures, else those of its listeners and checks."""
    if not gate:
        return []
    if gate['failures']:
        return list(gate['failures'])
    found = []
    for listener in gate['listeners']:
        found.extend(listener['failures'])
        if not listener['failures']:
            found.extend('%s: %s' % (check['name'], check['detail'] or 'failed')
                         for check in listener['checks'] if check['ok'] is False)
    return found


def normalize_host(record):
    """One relay's record with every key present and of the documented type.

    A relay whose gate says it failed counts as failed whatever ``outcome`` says; a missing
    outcome is worked out from the failure message, the gate and ``switched``.
    """
    record = _dict(record)
    after = normalize_gate(record.get('gate_after_rollback'))
    # A relay that failed before its gate (in the switch or the reload) has no gate of the failed
    # generation. gate_ran: false says so; a record whose "gate" is the very result of the gate after
    # the rollback says the same (the only gate that ran was the one after the rollback).
    gate_ran = _bool(record.get('gate_ran'))
    if gate_ran is None and after and _dict(record.get('gate')) == _dict(record.get('gate_after_rollback')):
        gate_ran = False
    gate = {} if gate_ran is False else normalize_gate(record.get('gate'))
    failure = clean_text(record.get('failure')).strip()
    switched = _bool(record.get('switched'), False)
    outcome = clean_text(record.get('outcome')).strip().lower()
    if outcome not in OUTCOMES:
        outcome = 'failed' if failure or gate.get('ok') is False else ('changed' if switched else 'unchanged')
    if gate.get('ok') is False:
        outcome = 'failed'
    if outcome == 'failed' and not failure:
        failure = '; '.join(gate_failures(gate)) or 'failed (no message was recorded)'
    versions = _dict(record.get('versions'))
    binary = gate.get('binary') or {}
    seconds = _dict(record.get('seconds'))
    return {
        'host': _text_or_none(record.get('host')) or '(unnamed relay)',
        'batch': _int(record.get('batch')),
        'generation_before': _text_or_none(record.get('generation_before')),
        'generation_after': _text_or_none(record.get('generation_after')),
        'generation_tried': _text_or_none(record.get('generation_tried')),
        'switched': switched,
        # false: the relay's inputs had not changed since its live generation passed its gate, so no
        # candidate was prepared and only its gate ran (rollout unchanged.yml)
        'prepared': _bool(record.get('prepared'), True),
        'rolled_back': _bool(record.get('rolled_back'), False) or bool(after),
        'stopped': _bool(record.get('stopped'), False),
        'outcome': outcome,
        'failure': failure,
        'started': _text_or_none(record.get('started')),
        'finished': _text_or_none(record.get('finished')),
        # total = switch + reload + gate + the rest (records, rollback): make bench prints what the rest costs
        'seconds': dict((part, _float(seconds.get(part))) for part in ('total', 'switch', 'reload', 'gate')),
        'versions': {
            'version': _text_or_none(versions.get('version')) or binary.get('version'),
            'sasl_v2': _bool(versions.get('sasl_v2'), binary.get('sasl_v2')),
            'starttls': _bool(versions.get('starttls'), binary.get('starttls')),
        },
        'gate': gate,
        'gate_ran': gate_ran if gate_ran is not None else (True if gate else None),
        'failed_task': _text_or_none(record.get('failed_task')),
        'gate_after_rollback': after,
        'events': _plain(_list(record.get('events'))),
    }


def normalize_run(run, now=None):
    run = _dict(run)
    planned = run.get('batches_planned')
    if planned is None:
        planned = []
    elif not isinstance(planned, (list, tuple)):
        planned = [planned]
    return {
        'id': run_id(run, now),
        'started': _text_or_none(run.get('started')),
        'finished': _text_or_none(run.get('finished')),
        'playbook': _text_or_none(run.get('playbook')),
        'relays': _unique(_texts(run.get('relays'))),
        'rollback': _bool(run.get('rollback'), False),
        'batches_planned': [item if isinstance(item, int) and not isinstance(item, bool) else clean_text(item)
                            for item in planned if item is not None],
    }


def host_status(host):
    """``failed`` (red), ``passed`` (green: the gate passed) or ``unknown`` (amber: no gate result)."""
    if host['outcome'] == 'failed':
        return 'failed'
    return 'passed' if host['gate'].get('ok') is True else 'unknown'


def _sort_key(host):
    return (host['batch'] is None, host['batch'] or 0, host['host'])


def build_report(run, hosts, pending, now=None, history=None):
    """The report (the content of report.json) from the module's options.

    ``now`` (an aware datetime) names a run that has neither an id nor a start time. ``history``
    (from ``gate_history``) becomes the report's ``history``, its relays limited to this run's.
    """
    by_name = {}
    for record in _list(hosts):
        if isinstance(record, dict):
            host = normalize_host(record)
            by_name[host['host']] = host  # a relay reported twice: the later record wins
    records = sorted(by_name.values(), key=_sort_key)
    run = normalize_run(run, now)
    reached = [host['host'] for host in records]
    waiting = [name for name in _unique(_texts(pending) + run['relays']) if name not in by_name]

    batches = []
    for host in records:
        if not batches or batches[-1]['number'] != host['batch']:
            batches.append({'number': host['batch'], 'hosts': [], 'outcome': 'passed'})
        batches[-1]['hosts'].append(host['host'])
        if host['outcome'] == 'failed':
            batches[-1]['outcome'] = 'failed'

    failed = sum(1 for host in records if host['outcome'] == 'failed')
    if failed:
        outcome = 'failed'
    elif not waiting:
        outcome = 'succeeded'
    else:
        outcome = 'in progress'
    summary = {
        'relays': len(_unique(run['relays'] + reached + waiting)),
        'reached': len(records),
        'changed': sum(1 for host in records if host['outcome'] == 'changed'),
        'unchanged': sum(1 for host in records if host['outcome'] == 'unchanged'),
        'gate_only': sum(1 for host in records if not host['prepared']),
        'failed': failed,
        'rolled_back': sum(1 for host in records if host['rolled_back']),
        'pending': len(waiting),
        'outcome': outcome,
    }
    # the earlier runs, never this one, for the relays of this run
    given = _dict(history)
    ours = set(reached + waiting)
    history = {
        'limit': max(_int(given.get('limit')) or 0, 0),
        'runs': [entry for entry in _list(given.get('runs')) if isinstance(entry, dict) and entry.get('id') != run['id']],
        'relays': {},
    }
    for name, entries in sorted(_dict(given.get('relays')).items()):
        entries = [entry for entry in _list(entries) if isinstance(entry, dict) and entry.get('run') != run['id']]
        if name in ours and entries:
            history['relays'][name] = entries
    return {'format': FORMAT, 'run': run, 'summary': summary, 'batches': batches, 'hosts': records,
            'pending': waiting, 'history': history}


def runs_to_prune(runs, keep, current):
    """Which run directories to delete so that ``keep`` remain, the current one among them.

    ``runs`` is a list of ``(name, mtime)``; the newest (by time, then name) are kept.
    """
    others = sorted((entry for entry in runs if entry[0] != current), key=lambda entry: (entry[1], entry[0]),
                    reverse=True)
    return sorted(name for name, dummy in others[max(keep - 1, 0):])


# ---------------------------------------------------------------------------------------
# gate history: the earlier runs kept under runs/ (the only part of this file that reads files)

HISTORY_LIMIT = 10
# a report.json larger than this is not read (a fleet of hundreds of relays writes a few MB)
HISTORY_MAX_BYTES = 32 * 1024 * 1024
RUN_OUTCOMES = ('succeeded', 'failed', 'in progress')


def empty_history(limit=0):
    return {'limit': limit, 'runs': [], 'relays': {}}


def read_run_reports(runs_dir, skip=()):
    """``(name, mtime, report or None)`` for every run directory below ``runs_dir`` but those in ``skip``.

    A run directory is a real directory (not a symbolic link) holding a regular ``report.json``, as for
    pruning; nothing else in it is read. A report that cannot be read, is larger than
    HISTORY_MAX_BYTES, is not JSON or not a JSON object comes back as None (the run is still listed).
    A missing ``runs_dir`` has no runs.
    """
    try:
        names = os.listdir(runs_dir)
    except (IOError, OSError):
        return []
    found = []
    for name in sorted(names):
        if name in skip:
            continue
        path = os.path.join(runs_dir, name)
        report_path = os.path.join(path, 'report.json')
        try:
            if os.path.islink(path) or not os.path.isdir(path) or os.path.islink(report_path):
                continue
            info = os.stat(report_path)
        except (IOError, OSError):
            continue
        if not stat.S_ISREG(info.st_mode):
            continue
        data = None
        if info.st_size <= HISTORY_MAX_BYTES:
            try:
                with open(report_path, 'rb') as handle:
                    data = json.loads(handle.read(HISTORY_MAX_BYTES + 1).decode('utf-8'))
            except (IOError, OSError, ValueError, RecursionError):
                data = None
        found.append((name, info.st_mtime, data if isinstance(data, dict) else None))
    return found


def _history_time(data, mtime):
    """When an earlier run happened, for ordering: its start, else its last report, else the file's time."""
    run = _dict(_dict(data).get('run'))
    moment = parse_time(run.get('started')) or parse_time(run.get('finished'))
    if moment is not None:
        return moment.timestamp()
    return mtime if isinstance(mtime, (int, float)) and math.isfinite(mtime) else 0.0


def _history_gate(host):
    """passed, failed or unknown, as host_status says of a relay of this run."""
    outcome = clean_text(host.get('outcome')).strip().lower()
    gate_ok = _bool(_dict(host.get('gate')).get('ok'))
    if outcome == 'failed' or gate_ok is False:
        return 'failed'
    return 'passed' if gate_ok is True else 'unknown'


def _history_run(name, data):
    if data is None:
        return {'id': name, 'readable': False, 'outcome': None, 'started': None, 'finished': None, 'playbook': None,
                'rollback': False, 'relays': None, 'reached': None, 'failed': None}
    run, summary = _dict(data.get('run')), _dict(data.get('summary'))
    outcome = clean_text(summary.get('outcome')).strip().lower()
    return {
        'id': name,
        'readable': True,
        'outcome': outcome if outcome in RUN_OUTCOMES else None,
        'started': _text_or_none(run.get('started')),
        'finished': _text_or_none(run.get('finished')),
        'playbook': _text_or_none(run.get('playbook')),
        'rollback': _bool(run.get('rollback'), False),
        'relays': _int(summary.get('relays')),
        'reached': _int(summary.get('reached')),
        'failed': _int(summary.get('failed')),
    }


def build_history(earlier, limit=HISTORY_LIMIT, relays=None):
    """The gate history from earlier runs' reports (``read_run_reports``), newest first.

    ``runs``: the ``limit`` newest runs (unreadable ones too, ``readable: false``). ``relays``: per
    relay, the ``limit`` newest runs that reached it (the relay has a record in the run's ``hosts``),
    each with the run's directory name (``run``), the relay's ``outcome`` and ``gate`` (passed,
    failed or unknown), the generation it was left on, whether it was rolled back, when it finished
    and what failed. ``relays`` (names) limits the relays listed. Order: a run's start time, else
    the time of its last report, else the file's time; then its name.
    """
    limit = max(_int(limit) or 0, 0)
    history = empty_history(limit)
    if not limit:
        return history
    wanted = None if relays is None else set(relays)
    ordered = sorted((entry for entry in _list(earlier) if isinstance(entry, (list, tuple)) and len(entry) == 3),
                     key=lambda entry: (_history_time(entry[2], entry[1]), clean_text(entry[0])), reverse=True)
    for name, dummy, data in ordered:
        name = clean_text(name)
        if len(history['runs']) < limit:
            history['runs'].append(_history_run(name, data))
        if data is None:
            continue
        run = _dict(data.get('run'))
        seen = set()
        for host in _list(data.get('hosts')):
            if not isinstance(host, dict):
                continue
            relay = _text_or_none(host.get('host'))
            if relay is None or relay in seen or (wanted is not None and relay not in wanted):
                continue
            seen.add(relay)
            entries = history['relays'].setdefault(relay, [])
            if len(entries) >= limit:
                continue
            outcome = clean_text(host.get('outcome')).strip().lower()
            entries.append({
                'run': name,
                'outcome': outcome if outcome in OUTCOMES else None,
                'gate': _history_gate(host),
                'generation': _text_or_none(host.get('generation_after')),
                'rolled_back': _bool(host.get('rolled_back'), False),
                'finished': _text_or_none(host.get('finished')) or _text_or_none(run.get('finished')),
                'failure': clean_text(host.get('failure')).strip()[:500],
            })
    return history


def gate_history(runs_dir, current, limit=HISTORY_LIMIT, skip=(), relays=None):
    """``build_history`` of the runs kept in ``runs_dir`` but the ``current`` one and those in ``skip``
    (the runs about to be pruned); nothing is read when ``limit`` is 0."""
    if not limit or limit < 1:
        return empty_history(0)
    return build_history(read_run_reports(runs_dir, skip=set(skip) | {current}), limit, relays)


# ---------------------------------------------------------------------------------------
# report.json

def render_json(report):
    return json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False) + '\n'


# ---------------------------------------------------------------------------------------
# junit.xml

def _beyond(host):
    """The gate's failures that the relay's failure message does not already say."""
    return [item for item in gate_failures(host['gate']) if item not in host['failure']]


def _check_classname(host, listener):
    return '%s.%s:%s@%s' % (host, listener['name'], listener['port'] if listener['port'] is not None else '?',
                            listener['address'] or '?')


def _case(suite, classname, name, seconds=None):
    case = ET.SubElement(suite, 'testcase', {'classname': classname, 'name': name})
    if seconds is not None:
        case.set('time', '%.3f' % seconds)
    return case


def _fail(case, message, text=None, kind='failure'):
    element = ET.SubElement(case, 'failure', {'message': message, 'type': kind})
    element.text = text if text is not None else message


def _skip(case, message):
    ET.SubElement(case, 'skipped', {'message': message})


def _suite_counts(suite):
    cases = suite.findall('testcase')
    return {
        'tests': len(cases),
        'failures': sum(1 for case in cases if case.find('failure') is not None),
        'errors': 0,
        'skipped': sum(1 for case in cases if case.find('skipped') is not None),
    }


def _properties(suite, values):
    properties = ET.SubElement(suite, 'properties')
    for name, value in values:
        ET.SubElement(properties, 'property', {'name': name, 'value': '' if value is None else str(value)})


def _yes_no(value):
    return {True: 'yes', False: 'no'}.get(value, '')


def render_junit(report):
    """JUnit XML: a testsuite per relay, a testcase per gate check, plus switch and rollback."""
    run = report['run']
    root = ET.Element('testsuites', {'name': 'mailrelay rollout %s' % run['id']})
    for host in report['hosts']:
        name = host['host']
        suite = ET.SubElement(root, 'testsuite', {'name': name})
        _properties(suite, [
            ('batch', host['batch']),
            ('generation_before', host['generation_before']),
            ('generation_after', host['generation_after']),
            ('outcome', host['outcome']),
            ('prepared', _yes_no(host['prepared'])),
            ('rolled_back', _yes_no(host['rolled_back'])),
            ('sendmail_version', host['versions']['version']),
            ('probe_from', host['gate'].get('probe_from')),
            ('started', host['started']),
            ('finished', host['finished']),
        ])
        for listener in host['gate'].get('listeners', []):
            classname = _check_classname(name, listener)
            for check in listener['checks']:
                case = _case(suite, classname, check['name'])
                if check['ok'] is False:
                    _fail(case, check['detail'] or 'FAILED', kind='gate check')
                elif check['result'] == 'not run':
                    _skip(case, 'not run: %s' % check['detail'])
                elif check['ok'] is None:
                    _skip(case, 'no result was recorded for this check')
        case = _case(suite, name, 'switch', host['seconds']['switch'])
        if host['outcome'] == 'failed':
            text = [host['failure']] + ['gate: %s' % item for item in _beyond(host)]
            if host['gate_ran'] is False:
                text.append('gate: %s' % gate_not_run(host))
            if host['stopped']:
                text.append(STOPPED_NOTE)
            _fail(case, host['failure'], '\n'.join(text), kind='relay failed')
        if host['rolled_back']:
            after = host['gate_after_rollback']
            case = _case(suite, name, 'rollback')
            if after.get('ok') is not True:
                problems = gate_failures(after)
                message = ('gate after rollback failed: ' + '; '.join(problems)) if problems else (
                    'no passing gate result was recorded after the rollback')
                _fail(case, message, kind='rollback')
        time = host['seconds']['total']
        for key, value in _suite_counts(suite).items():
            suite.set(key, str(value))
        if time is not None:
            suite.set('time', '%.3f' % time)
    message = STOPPED_MESSAGE if report['summary']['outcome'] == 'failed' else WAITING_MESSAGE
    for name in report['pending']:
        suite = ET.SubElement(root, 'testsuite', {'name': name})
        _skip(_case(suite, name, 'switch'), message)
        for key, value in _suite_counts(suite).items():
            suite.set(key, str(value))
    totals = dict.fromkeys(('tests', 'failures', 'errors', 'skipped'), 0)
    seconds = 0.0
    for suite in root.findall('testsuite'):
        for key in totals:
            totals[key] += int(suite.get(key))
        seconds += float(suite.get('time', 0))
    for key, value in totals.items():
        root.set(key, str(value))
    root.set('time', '%.3f' % seconds)
    if hasattr(ET, 'indent'):
        ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding='unicode') + '\n'


# ---------------------------------------------------------------------------------------
# report.html

_CSS = """
:root { --green: #1a7f37; --green-bg: #e6f4ea; --red: #b42318; --red-bg: #fdecea;
        --amber: #9a6700; --amber-bg: #fff4d6; --grey: #57606a; --grey-bg: #f3f4f6; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328;
       margin: 0 auto; max-width: 72rem; padding: 1rem 1.5rem 3rem; }
code, pre, td.detail { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
pre { white-space: pre-wrap; word-break: break-word; background: var(--grey-bg); padding: .5rem .75rem; margin: .25rem 0; }
h1 { margin: 0 0 .25rem; font-size: 1.6rem; }
h2 { font-size: 1.2rem; margin: 1.75rem 0 .5rem; }
h3 { font-size: 1.05rem; margin: 0 0 .35rem; }
h4 { font-size: .95rem; margin: .75rem 0 .25rem; }
.headline { border-radius: 6px; padding: 1rem 1.25rem; border-left: 8px solid; }
.headline p { margin: .2rem 0; }
.succeeded, .passed { border-color: var(--green); background: var(--green-bg); }
.failed { border-color: var(--red); background: var(--red-bg); }
.in-progress, .unknown { border-color: var(--amber); background: var(--amber-bg); }
.pending { border-color: var(--grey); background: var(--grey-bg); color: var(--grey); }
.badge { display: inline-block; font-size: .75rem; font-weight: 700; letter-spacing: .03em; padding: .1rem .5rem;
         border-radius: 999px; color: #fff; vertical-align: middle; text-transform: uppercase; }
.badge.passed, .badge.succeeded { background: var(--green); }
.badge.failed { background: var(--red); }
.badge.unknown, .badge.in-progress { background: var(--amber); }
.badge.pending { background: var(--grey); }
.host { border: 1px solid var(--line); border-left: 8px solid; border-radius: 6px; padding: .75rem 1rem; margin: .6rem 0; }
.host.passed { background: #fff; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: .4rem 0; }
.facts dt { color: var(--grey); }
.facts dd { margin: 0; }
.what-failed { color: var(--red); font-weight: 600; margin: .3rem 0; }
.what-failed ul { margin: .2rem 0 .2rem 1.2rem; padding: 0; font-weight: 400; }
.rollback { border: 1px dashed var(--red); background: #fff; padding: .35rem .6rem; margin: .4rem 0; }
.note { color: var(--amber); font-weight: 600; }
details { margin: .4rem 0; }
summary { cursor: pointer; font-weight: 600; }
table { border-collapse: collapse; width: 100%; margin: .25rem 0 .5rem; }
th, td { text-align: left; border-bottom: 1px solid var(--line); padding: .2rem .5rem; vertical-align: top; }
th { background: var(--grey-bg); }
td.ok { color: var(--green); font-weight: 700; }
td.bad { color: var(--red); font-weight: 700; }
td.unknown { color: var(--amber); font-weight: 700; }
td.notrun { color: var(--grey); font-weight: 700; }
tr.bad td { background: var(--red-bg); }
ul.pending-list { list-style: none; padding: 0; }
ul.pending-list li { border: 1px solid var(--line); border-left: 8px solid var(--grey); background: var(--grey-bg);
                     color: var(--grey); border-radius: 6px; padding: .4rem .8rem; margin: .3rem 0; }
footer { margin-top: 2rem; color: var(--grey); font-size: .85rem; }
ol.runs { margin: .3rem 0; padding-left: 1.6rem; }
ol.runs li { margin: .15rem 0; }
ol.history { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: .15rem 1rem; }
ol.history small, ol.runs small { color: var(--grey); }
"""


def _e(value):
    return html.escape(clean_text(value), quote=True)


def format_time(value):
    """An ISO time as ``2026-12-02 05:15:00 UTC`` (as given when it cannot be read)."""
    moment = parse_time(value)
    if moment is None:
        return clean_text(value) if value else '?'
    if moment.utcoffset() == datetime.timedelta(0):
        return moment.strftime('%Y-%m-%d %H:%M:%S UTC')
    return moment.strftime('%Y-%m-%d %H:%M:%S %z')


def format_seconds(value):
    if value is None:
        return '?'
    if value < 60:
        return '%.1f s' % value
    minutes, seconds = divmod(int(round(value)), 60)
    if minutes < 60:
        return '%d min %02d s' % (minutes, seconds)
    hours, minutes = divmod(minutes, 60)
    return '%d h %02d min' % (hours, minutes)


def _generation(value):
    return value if value else 'none (first install)'


def _run_seconds(run):
    started, finished = parse_time(run['started']), parse_time(run['finished'])
    if started is None or finished is None:
        return None
    return max((finished - started).total_seconds(), 0.0)


def _title(report):
    return 'Rollback (on demand)' if report['run']['rollback'] else 'Rollout'


_OUTCOME_WORDS = {'succeeded': 'succeeded', 'failed': 'FAILED', 'in progress': 'in progress'}


def _headline(report):
    run, summary = report['run'], report['summary']
    css = summary['outcome'].replace(' ', '-')
    failed_batches = [batch['number'] for batch in report['batches'] if batch['outcome'] == 'failed']
    if summary['outcome'] == 'failed':
        detail = 'stopped at batch %s: later batches were not touched' % (failed_batches[0] if failed_batches[0] is not None else '?')
    elif summary['outcome'] == 'succeeded':
        detail = 'every relay passed the gate'
    else:
        detail = '%d of %d relays reached so far' % (summary['reached'], summary['relays'])
    took = _run_seconds(run)
    parts = [
        '<header class="headline %s">' % css,
        '<h1>%s %s</h1>' % (_e(_title(report)), _e(_OUTCOME_WORDS[summary['outcome']])),
        '<p>%s.</p>' % _e(detail[:1].upper() + detail[1:]),
        '<p>Run <code>%s</code>%s &middot; started %s &middot; report of %s%s</p>' % (
            _e(run['id']), (' &middot; playbook <code>%s</code>' % _e(run['playbook'])) if run['playbook'] else '',
            _e(format_time(run['started'])), _e(format_time(run['finished'])),
            (' (%s)' % _e(format_seconds(took))) if took is not None else ''),
        '<p class="summary"><strong>%d relays</strong>: %d reached &middot; %d changed &middot; %d unchanged (%d only gated) &middot; '
        '<strong>%d failed</strong> &middot; %d rolled back &middot; %d not reached</p>' % (
            summary['relays'], summary['reached'], summary['changed'], summary['unchanged'], summary['gate_only'], summary['failed'],
            summary['rolled_back'], summary['pending']),
    ]
    if run['batches_planned']:
        parts.append('<p>Batches planned (serial): %s</p>' % _e(', '.join(str(item) for item in run['batches_planned'])))
    parts.append('</header>')
    return parts


def _checks_table(checks):
    rows = ['<table><thead><tr><th>Check</th><th>Result</th><th>Detail</th></tr></thead><tbody>']
    for check in checks:
        css, word = {'passed': ('ok', 'ok'), 'failed': ('bad', 'FAILED'),
                     'not run': ('notrun', 'not run')}.get(check['result'], ('unknown', 'no result'))
        rows.append('<tr class="%s"><td>%s</td><td class="%s">%s</td><td class="detail">%s</td></tr>' % (
            css, _e(check['name']), css, word, _e(check['detail'])))
    rows.append('</tbody></table>')
    return rows


def _gate_word(gate):
    if not gate:
        return 'no result'
    return {True: 'passed', False: 'FAILED'}.get(gate['ok'], 'no verdict')


def gate_not_run(host):
    """The sentence for a relay that failed before any gate ran on the generation it tried."""
    tried = host['generation_tried'] or host['generation_after']
    return 'not run: %s failed before its gate%s%s, so no gate ran on %s' % (
        host['host'], (' (in "%s")' % host['failed_task']) if host['failed_task'] else '',
        (': %s' % host['failure']) if host['failure'] else '',
        ('generation %s' % tried) if tried else 'the generation it tried')


def _gate_details(gate, label, open_it, not_run=None):
    if not gate:
        if not_run:
            return ['<p class="note">%s: %s.</p>' % (_e(label), _e(not_run))]
        return ['<p class="note">%s: no result was recorded.</p>' % _e(label)]
    checks = [check for listener in gate['listeners'] for check in listener['checks']]
    bad = sum(1 for check in checks if check['ok'] is False)
    skipped = sum(1 for check in checks if check['result'] == 'not run')
    summary = '%s: %s &mdash; %d checks, %d passed, %d failed%s' % (
        _e(label), _e(_gate_word(gate)), len(checks), sum(1 for check in checks if check['ok'] is True), bad,
        (', %d not run' % skipped) if skipped else '')
    where = []
    if gate['probe_from']:
        where.append('probed from %s' % _e(gate['probe_from']))
    if gate['checked']:
        where.append('at %s' % _e(format_time(gate['checked'])))
    if where:
        summary += ' (%s)' % ' '.join(where)
    parts = ['<details%s><summary>%s</summary>' % (' open' if open_it else '', summary)]
    if gate['entropy']:
        parts.append('<p>Entropy: %s</p>' % _e(gate['entropy']))
    if not gate['listeners']:
        parts.append('<p class="note">No listener was probed.</p>')
    for listener in gate['listeners']:
        parts.append('<h4>%s &mdash; port %s on %s%s</h4>' % (
            _e(listener['name']), _e(listener['port'] if listener['port'] is not None else '?'),
            _e(listener['address'] or '?'), (' (TLS: %s)' % _e(listener['tls'])) if listener['tls'] else ''))
        if listener['line']:
            parts.append('<pre>%s</pre>' % _e(listener['line']))
        if listener['checks']:
            parts.extend(_checks_table(listener['checks']))
        # what the table does not already show
        shown = [check['detail'] for check in listener['checks'] if check['ok'] is False and check['detail']]
        extra = [item for item in listener['failures'] if not any(detail in item for detail in shown)]
        if extra:
            parts.append('<ul class="what-failed">%s</ul>' % ''.join('<li>%s</li>' % _e(item) for item in extra))
    if gate['lines']:
        parts.append('<p>The gate\'s report:</p><pre>%s</pre>' % _e('\n'.join(gate['lines'])))
    parts.append('</details>')
    return parts


def _event_text(event):
    if isinstance(event, dict):
        return ', '.join('%s: %s' % (key, value) for key, value in event.items())
    return clean_text(event)


def _last_reached(report, relay, runs_url):
    entries = [entry for entry in _list(_history(report)['relays'].get(relay)) if isinstance(entry, dict)]
    if not entries:
        return ''
    css, word = _GATE_BADGES.get(entries[0].get('gate'), _GATE_BADGES['unknown'])
    return ' &middot; last reached in <a href="%s">%s</a> (%s)' % (
        _e(history_href(runs_url, entries[0].get('run'), relay)), _e(entries[0].get('run')), _e(word))


def _host_card(host, history=None):
    status = host_status(host)
    word = {'failed': 'FAILED', 'passed': host['outcome'], 'unknown': host['outcome'] + ', no gate result'}[status]
    parts = ['<article class="host %s" id="host-%s">' % (status, _e(host['host'])),
             '<h3>%s <span class="badge %s">%s</span></h3>' % (_e(host['host']), status, _e(word))]
    gate = host['gate']
    if status == 'failed':
        problems = _beyond(host)
        parts.append('<div class="what-failed">What failed: %s%s</div>' % (
            _e(host['failure']),
            ('<ul>%s</ul>' % ''.join('<li>%s</li>' % _e(item) for item in problems)) if problems else ''))
    elif status == 'unknown':
        parts.append('<p class="note">No gate result was recorded for this relay.</p>')
    if status == 'failed' and host['failed_task'] and host['gate_ran'] is not False:
        parts.append('<p>Failed in: <code>%s</code></p>' % _e(host['failed_task']))
    if host['rolled_back']:
        after = host['gate_after_rollback']
        if host['generation_tried']:
            moved = 'Rolled back from generation %s to %s' % (_e(host['generation_tried']), _e(_generation(host['generation_after'])))
        else:
            moved = 'Rolled back to generation %s%s' % (
                _e(_generation(host['generation_after'])),
                ' (the one it ran before)' if host['generation_after'] == host['generation_before'] else '')
        parts.append('<p class="rollback"><strong>%s</strong>; gate after rollback: <strong>%s</strong>%s</p>' % (
            moved, _e(_gate_word(after)),
            (' &mdash; %s' % _e('; '.join(gate_failures(after)))) if after and after.get('ok') is False else ''))
    if host['stopped']:
        parts.append('<p class="rollback"><strong>Taken out of service</strong>: first install, there was no earlier '
                     'generation to roll back to (sendmail was stopped).</p>')
    versions = host['versions']
    if host['generation_before'] == host['generation_after']:
        generation = '%s (%s)' % (_e(_generation(host['generation_after'])),
                                  'as before: rolled back' if host['rolled_back']
                                  else ('unchanged' if host['prepared'] else 'unchanged: inputs as at its last gate, only gated'))
    else:
        generation = '%s &rarr; %s' % (_e(_generation(host['generation_before'])), _e(_generation(host['generation_after'])))
    facts = [
        ('Generation', generation),
        ('sendmail', '%s (SASLv2 %s, STARTTLS %s)' % (
            _e(versions['version'] or '?'), _e(_yes_no(versions['sasl_v2']) or '?'), _e(_yes_no(versions['starttls']) or '?'))),
        ('Time', '%s in all, switch and reload %s &middot; %s to %s' % (
            _e(format_seconds(host['seconds']['total'])), _e(format_seconds(host['seconds']['switch'])),
            _e(format_time(host['started'])), _e(format_time(host['finished'])))),
    ]
    if history is not None:
        facts.append(('Earlier gates', history))
    parts.append('<dl class="facts">%s</dl>' % ''.join('<dt>%s</dt><dd>%s</dd>' % item for item in facts))
    if host['events']:
        parts.append('<ul class="events">%s</ul>' % ''.join('<li>%s</li>' % _e(_event_text(event)) for event in host['events']))
    parts.extend(_gate_details(gate, 'Gate' if not host['rolled_back'] else 'Gate (the run that failed)', status == 'failed',
                               gate_not_run(host) if host['gate_ran'] is False else None))
    if host['rolled_back']:
        parts.extend(_gate_details(host['gate_after_rollback'], 'Gate after rollback',
                                   host['gate_after_rollback'].get('ok') is not True))
    parts.append('</article>')
    return parts


def _planned(run, number):
    planned = run['batches_planned']
    if not planned or number is None or number < 1:
        return None
    return planned[min(number, len(planned)) - 1]


def _history(report):
    """The report's history, whatever an older or hand-made report holds."""
    history = _dict(report.get('history'))
    return {'limit': _int(history.get('limit')) or 0, 'runs': [entry for entry in _list(history.get('runs')) if isinstance(entry, dict)],
            'relays': _dict(history.get('relays'))}


def history_href(runs_url, run, relay=None):
    """The link to an earlier run's page (and the relay's card in it); ``runs_url`` leads to runs/ from the page."""
    href = '%s%s/report.html' % (runs_url, quote(clean_text(run), safe=''))
    if relay is not None:
        href += '#' + quote('host-' + clean_text(relay), safe='')
    return href


_RUN_BADGES = {'succeeded': ('succeeded', 'succeeded'), 'failed': ('failed', 'FAILED'),
               'in progress': ('in-progress', 'in progress')}
_GATE_BADGES = {'passed': ('passed', 'gate passed'), 'failed': ('failed', 'FAILED'), 'unknown': ('unknown', 'no gate result')}


def _runs_section(report, runs_url):
    """The "Runs" list: this run, then the earlier runs kept under runs/, newest first."""
    history = _history(report)
    if history['limit'] < 1:
        return []
    parts = ['<nav class="runs"><h2>Runs</h2>', '<ol class="runs">',
             '<li><strong>%s</strong> <small>this report</small></li>' % _e(report['run']['id'])]
    for entry in history['runs']:
        name = clean_text(entry.get('id'))
        if not entry.get('readable'):
            parts.append('<li><a href="%s">%s</a> <span class="badge unknown">unreadable</span> '
                         '<small>its report.json could not be read</small></li>' % (_e(history_href(runs_url, name)), _e(name)))
            continue
        css, word = _RUN_BADGES.get(entry.get('outcome'), ('unknown', 'no outcome'))
        facts = []
        if entry.get('rollback'):
            facts.append('rollback on demand')
        facts.append('started %s' % format_time(entry.get('started')))
        if entry.get('playbook'):
            facts.append(entry['playbook'])
        if entry.get('reached') is not None:
            facts.append('%s of %s relays reached, %s failed' % (
                entry['reached'], '?' if entry.get('relays') is None else entry['relays'],
                '?' if entry.get('failed') is None else entry['failed']))
        parts.append('<li><a href="%s">%s</a> <span class="badge %s">%s</span> <small>%s</small></li>' % (
            _e(history_href(runs_url, name)), _e(name), css, _e(word), ' &middot; '.join(_e(fact) for fact in facts)))
    parts.append('</ol>')
    if not history['runs']:
        parts.append('<p class="note">No earlier run is kept in runs/.</p>')
    parts.append('</nav>')
    return parts


def _history_entry(entry, relay, runs_url):
    css, word = _GATE_BADGES.get(entry.get('gate'), _GATE_BADGES['unknown'])
    notes = [entry['outcome']] if entry.get('outcome') else []
    if entry.get('rolled_back'):
        notes.append('rolled back')
    if entry.get('generation'):
        notes.append('generation %s' % entry['generation'])
    title = entry.get('failure') or ''
    return '<li><a href="%s"%s>%s</a> <span class="badge %s">%s</span>%s</li>' % (
        _e(history_href(runs_url, entry.get('run'), relay)), (' title="%s"' % _e(title)) if title else '',
        _e(entry.get('run')), css, _e(word), (' <small>%s</small>' % _e(', '.join(notes))) if notes else '')


def _gate_history(report, relay, runs_url):
    """The relay's earlier gates as a fact of its card (None when no history was read)."""
    history = _history(report)
    if history['limit'] < 1:
        return None
    entries = [entry for entry in _list(history['relays'].get(relay)) if isinstance(entry, dict)]
    if not entries:
        return '<span class="note">none: no earlier run kept in runs/ reached this relay</span>'
    return '<ol class="history">%s</ol>' % ''.join(_history_entry(entry, relay, runs_url) for entry in entries)


def render_html(report, runs_url='runs/'):
    """One self-contained page (inline CSS, no script, nothing fetched) for a person to read.

    ``runs_url`` is the way from the page to the history directory: ``runs/`` for the latest run's
    page in the report directory, ``../`` for the copy in ``runs/<run id>/``.
    """
    run, summary = report['run'], report['summary']
    hosts = dict((host['host'], host) for host in report['hosts'])
    parts = [
        '<!DOCTYPE html>',
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<title>%s %s: %s</title>' % (_e(_title(report)), _e(run['id']), _e(summary['outcome'])),
        '<style>%s</style>' % _CSS,
        '</head><body>',
    ]
    parts.extend(_headline(report))
    parts.extend(_runs_section(report, runs_url))
    for batch in report['batches']:
        planned = _planned(run, batch['number'])
        parts.append('<section class="batch"><h2>Batch %s <span class="badge %s">%s</span> '
                     '<small>%d relay%s%s</small></h2>' % (
                         _e(batch['number'] if batch['number'] is not None else '?'), batch['outcome'],
                         _e(batch['outcome']), len(batch['hosts']), '' if len(batch['hosts']) == 1 else 's',
                         (', planned: %s' % _e(planned)) if planned is not None else ''))
        for name in batch['hosts']:
            parts.extend(_host_card(hosts[name], _gate_history(report, name, runs_url)))
        parts.append('</section>')
    if report['pending']:
        if summary['outcome'] == 'failed':
            message = 'The %s stopped before their batch: these relays were not touched.' % _title(report).split()[0].lower()
        else:
            message = 'Their batch has not started yet.'
        parts.append('<section class="batch"><h2>Not reached <span class="badge pending">%d</span></h2>' % len(report['pending']))
        parts.append('<p>%s</p>' % _e(message))
        parts.append('<ul class="pending-list">%s</ul>' % ''.join(
            '<li>%s%s</li>' % (_e(name), _last_reached(report, name, runs_url)) for name in report['pending']))
        parts.append('</section>')
    if not report['batches'] and not report['pending']:
        parts.append('<p class="note">No relay has been reached yet.</p>')
    parts.append('<footer>Written by mailrelay.sendmail.rollout_report. The same report as data: '
                 '<a href="report.json">report.json</a>; for CI: <a href="junit.xml">junit.xml</a>.</footer>')
    parts.append('</body></html>')
    return '\n'.join(parts) + '\n'
