# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Records of a rollout as playbooks/rollout.yml collects them, for the rollout_report tests.

`gate()` is a result of the verify role (two listeners, seven checks); `record()` one relay's
record after the switch phase; `run()` the run; CANARY_FAILED a canary that failed the gate on
its certificate name and was rolled back automatically (the gate passed after the rollback).
"""

from __future__ import annotations

OLD, NEW, NEWER = '20261101T040000Z', '20261202T051530Z', '20261202T061000Z'
RELAYS = ['relay1.example.org', 'relay2.example.org', 'relay3.example.org', 'relay4.example.org']
CERT_PROBLEM = 'MTA 192.0.2.10:25: certificate name: the certificate is for old.example.org, not relay1.example.org'


def check(name, ok=True, detail='ok'):
    return {'name': name, 'ok': ok, 'detail': detail}


def listener(name, port, address, checks, failures=()):
    return {'name': name, 'port': port, 'address': address, 'tls': 'starttls',
            'line': '%s %s:%d: %s' % (name, address, port, 'FAILED' if failures else 'all checks passed'),
            'checks': checks, 'failures': list(failures)}


def gate(host, address, cert_ok=True):
    """A gate result as the verify role makes it: two listeners, seven checks."""
    cert = check('certificate name', True, 'DNS:%s' % host) if cert_ok else \
        check('certificate name', False, 'the certificate is for old.example.org, not %s' % host)
    failures = [] if cert_ok else [CERT_PROBLEM]
    return {
        'host': host, 'ok': cert_ok, 'checked': '2026-12-02T05:16:01+00:00', 'probe_from': 'probe.example.org',
        'binary': {'version': '8.18.1', 'sasl_v2': True, 'starttls': True}, 'entropy': 'kernel',
        'listeners': [
            listener('MTA', 25, address, [check('STARTTLS offered'), cert, check('TLS 1.1 refused'),
                                          check('relaying denied without AUTH')], failures),
            listener('MSA', 587, address, [check('STARTTLS offered'), check('AUTH only after TLS', True, 'PLAIN LOGIN'),
                                           check('relaying allowed with AUTH')]),
        ],
        'failures': failures,
        'lines': ['%s: sendmail 8.18.1, SASLv2 yes, STARTTLS yes' % host],
    }


def record(host, batch, outcome='changed', before=OLD, after=NEW, **extra):
    address = '192.0.2.%d' % (10 + RELAYS.index(host)) if host in RELAYS else '192.0.2.99'
    base = {
        'host': host, 'batch': batch, 'generation_before': before, 'generation_after': after,
        'switched': outcome == 'changed', 'rolled_back': False, 'stopped': False, 'outcome': outcome, 'failure': '',
        'started': '2026-12-02T05:15:30+00:00', 'finished': '2026-12-02T05:16:10+00:00',
        'seconds': {'total': 40.25, 'switch': 2.5, 'reload': 1.25, 'gate': 30.5},
        'versions': {'version': '8.18.1', 'sasl_v2': True, 'starttls': True},
        'gate': gate(host, address), 'gate_after_rollback': {}, 'events': [],
    }
    base.update(extra)
    return base


def run(rollback=False, relays=None):
    return {'id': '20261202T051500Z', 'started': '2026-12-02T05:15:00+00:00', 'finished': '2026-12-02T05:21:30+00:00',
            'playbook': 'Switch in gated batches', 'relays': list(RELAYS if relays is None else relays), 'rollback': rollback,
            'batches_planned': [1, '25%', '100%']}


CANARY_FAILED = record(
    RELAYS[0], 1, outcome='failed', after=OLD, generation_tried=NEW, switched=True, rolled_back=True,
    failure='relay1.example.org failed the gate: ' + CERT_PROBLEM,
    gate=gate(RELAYS[0], '192.0.2.10', cert_ok=False), gate_after_rollback=gate(RELAYS[0], '192.0.2.10'))

FIRST_INSTALL_FAILED = record(
    RELAYS[0], 1, outcome='failed', before=None, after=NEW, stopped=True,
    failure='relay1.example.org failed the gate: ' + CERT_PROBLEM, gate=gate(RELAYS[0], '192.0.2.10', cert_ok=False))

RELOAD_PROBLEM = 'sendmail did not come back after the reload: cannot bind 192.0.2.200:25 (Cannot assign requested address)'

# A canary whose reload failed (a listener on an address the host lacks): no gate ran on NEW; the
# record's "gate" is the gate after the rollback, as gate.yml recorded it before gate_ran existed.
RELOAD_FAILED = record(
    RELAYS[0], 1, outcome='failed', after=OLD, generation_tried=NEW, switched=True, rolled_back=True,
    failure=RELOAD_PROBLEM, gate=gate(RELAYS[0], '192.0.2.10'), gate_after_rollback=gate(RELAYS[0], '192.0.2.10'))


def gate_with_skipped_check(host, address):
    """A passing gate whose smuggling probe did not run on port 587, as the verify role reports it."""
    result = gate(host, address)
    result['listeners'][1]['checks'].append(
        {'name': 'smuggling', 'ok': True, 'status': 'skipped',
         'detail': 'the smuggling probe was skipped: Conditional result was False'})
    return result
