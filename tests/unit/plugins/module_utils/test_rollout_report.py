# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The rollout report from records like those playbooks/rollout.yml collects: JSON, page, JUnit."""

from __future__ import annotations

import datetime
import json
import os
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from urllib.parse import quote, unquote

import pytest

from ansible_collections.mailrelay.sendmail.plugins.module_utils import _rollout_report as rr
from ansible_collections.mailrelay.sendmail.tests.unit.rollout_records import (
    CANARY_FAILED,
    CERT_PROBLEM,
    FIRST_INSTALL_FAILED,
    NEW,
    NEWER,
    OLD,
    RELAYS,
    RELOAD_FAILED,
    RELOAD_PROBLEM,
    gate,
    gate_with_skipped_check,
    record,
    run,
)

# name -> (run, hosts, pending, expected summary, batches [(number, hosts, outcome)], junit totals, page snippets)
SCENARIOS = {
    'four relays in three batches': (
        run(),
        [record(RELAYS[3], 3, outcome='unchanged', before=NEW, after=NEW), record(RELAYS[2], 3),
         record(RELAYS[0], 1), record(RELAYS[1], 2)],
        [],
        {'relays': 4, 'reached': 4, 'changed': 3, 'unchanged': 1, 'gate_only': 0, 'failed': 0, 'rolled_back': 0, 'pending': 0,
         'outcome': 'succeeded'},
        [(1, RELAYS[:1], 'passed'), (2, RELAYS[1:2], 'passed'), (3, RELAYS[2:], 'passed')],
        {'tests': 4 * 8, 'failures': 0, 'errors': 0, 'skipped': 0},
        ['Rollout succeeded', 'Every relay passed the gate', '%s (unchanged)' % NEW, '%s &rarr; %s' % (OLD, NEW)],
    ),
    'canary failed on the certificate name and was rolled back': (
        run(),
        [CANARY_FAILED],
        RELAYS[1:],
        {'relays': 4, 'reached': 1, 'changed': 0, 'unchanged': 0, 'gate_only': 0, 'failed': 1, 'rolled_back': 1, 'pending': 3,
         'outcome': 'failed'},
        [(1, RELAYS[:1], 'failed')],
        # 7 checks + switch + rollback, 3 skipped; the certificate check and the switch fail
        {'tests': 9 + 3, 'failures': 2, 'errors': 0, 'skipped': 3},
        ['Rollout FAILED', 'Stopped at batch 1: later batches were not touched',
         'Rolled back from generation %s to %s' % (NEW, OLD), 'gate after rollback: <strong>passed</strong>',
         'the certificate is for old.example.org, not relay1.example.org', 'Not reached',
         'The rollout stopped before their batch: these relays were not touched.',
         '%s (as before: rolled back)' % OLD],
    ),
    'a first install that failed is taken out of service': (
        run(relays=RELAYS[:2]),
        [FIRST_INSTALL_FAILED],
        RELAYS[1:2],
        {'relays': 2, 'reached': 1, 'changed': 0, 'unchanged': 0, 'gate_only': 0, 'failed': 1, 'rolled_back': 0, 'pending': 1,
         'outcome': 'failed'},
        [(1, RELAYS[:1], 'failed')],
        {'tests': 8 + 1, 'failures': 2, 'errors': 0, 'skipped': 1},
        ['Taken out of service', 'none (first install) &rarr; %s' % NEW],
    ),
    'rollback on demand': (
        run(rollback=True, relays=RELAYS[:2]),
        [record(RELAYS[0], 1, before=NEWER, after=NEW), record(RELAYS[1], 2, before=NEWER, after=NEW)],
        [],
        {'relays': 2, 'reached': 2, 'changed': 2, 'unchanged': 0, 'gate_only': 0, 'failed': 0, 'rolled_back': 0, 'pending': 0,
         'outcome': 'succeeded'},
        [(1, RELAYS[:1], 'passed'), (2, RELAYS[1:2], 'passed')],
        {'tests': 2 * 8, 'failures': 0, 'errors': 0, 'skipped': 0},
        ['Rollback (on demand) succeeded', '%s &rarr; %s' % (NEWER, NEW)],
    ),
    'after the canary, in progress (pending taken from the relays)': (
        run(),
        [record(RELAYS[0], 1)],
        [],
        {'relays': 4, 'reached': 1, 'changed': 1, 'unchanged': 0, 'gate_only': 0, 'failed': 0, 'rolled_back': 0, 'pending': 3,
         'outcome': 'in progress'},
        [(1, RELAYS[:1], 'passed')],
        {'tests': 8 + 3, 'failures': 0, 'errors': 0, 'skipped': 3},
        ['Rollout in progress', '1 of 4 relays reached so far', 'Their batch has not started yet.'],
    ),
}


class PageParser(HTMLParser):
    """Collects what a browser would: tags, text, and every URL-ish attribute."""

    def __init__(self):
        super().__init__()
        self.tags, self.text, self.stack, self.urls = [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in ('meta', 'br', 'link', 'img', 'input'):
            self.stack.append(tag)
        self.urls.extend(value for name, value in attrs if name in ('src', 'href', 'action', 'data'))

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse_page(page):
    parser = PageParser()
    parser.feed(page)
    parser.close()
    assert parser.stack == [], parser.stack
    return parser


def junit_totals(root):
    return dict((key, int(root.get(key))) for key in ('tests', 'failures', 'errors', 'skipped'))


def assert_junit_consistent(root):
    """Every count attribute agrees with the elements below it."""
    totals = dict.fromkeys(('tests', 'failures', 'errors', 'skipped'), 0)
    for suite in root.findall('testsuite'):
        cases = suite.findall('testcase')
        counted = {'tests': len(cases), 'failures': sum(1 for case in cases if case.find('failure') is not None),
                   'errors': sum(1 for case in cases if case.find('error') is not None),
                   'skipped': sum(1 for case in cases if case.find('skipped') is not None)}
        assert dict((key, int(suite.get(key))) for key in counted) == counted, suite.get('name')
        for key in totals:
            totals[key] += counted[key]
    assert junit_totals(root) == totals


@pytest.mark.parametrize('name', sorted(SCENARIOS))
def test_scenarios(name):
    the_run, hosts, pending, summary, batches, totals, snippets = SCENARIOS[name]
    report = rr.build_report(the_run, hosts, pending)
    assert report['format'] == 1
    assert report['summary'] == summary
    assert [(batch['number'], batch['hosts'], batch['outcome']) for batch in report['batches']] == batches
    assert [host['host'] for host in report['hosts']] == [host for batch in batches for host in batch[1]]
    assert len(report['pending']) == summary['pending']

    # report.json round-trips
    assert json.loads(rr.render_json(report)) == report

    root = ET.fromstring(rr.render_junit(report).encode('utf-8'))
    assert root.tag == 'testsuites' and root.get('name') == 'mailrelay rollout 20261202T051500Z'
    assert junit_totals(root) == totals
    assert_junit_consistent(root)
    assert [suite.get('name') for suite in root.findall('testsuite')] == \
        [host['host'] for host in report['hosts']] + report['pending']

    page = rr.render_html(report)
    parsed = parse_page(page)
    for snippet in snippets:
        assert snippet in page, snippet
    articles = [attrs for tag, attrs in parsed.tags if tag == 'article']
    assert len(articles) == summary['reached']
    assert sum(1 for attrs in articles if 'failed' in attrs['class'].split()) == summary['failed']
    assert sum(1 for attrs in articles if 'passed' in attrs['class'].split()) == summary['reached'] - summary['failed']
    pending_lists = [attrs for tag, attrs in parsed.tags if tag == 'ul' and attrs.get('class') == 'pending-list']
    assert len(pending_lists) == (1 if summary['pending'] else 0)
    if summary['pending']:
        listed = page.split('<ul class="pending-list">', 1)[1].split('</ul>', 1)[0]
        assert listed.count('<li>') == summary['pending']
    # self-contained: no script, nothing fetched, only the two sibling files linked
    assert not any(tag in ('script', 'link', 'img', 'iframe', 'object') for tag, attrs in parsed.tags)
    assert sorted(parsed.urls) == ['junit.xml', 'report.json']
    assert 'url(' not in page and '@import' not in page


def test_canary_details():
    report = rr.build_report(run(), [CANARY_FAILED], RELAYS[1:])
    host = report['hosts'][0]
    assert host['rolled_back'] is True and host['generation_tried'] == NEW
    assert host['gate']['ok'] is False and host['gate_after_rollback']['ok'] is True

    root = ET.fromstring(rr.render_junit(report))
    suite = root.find("testsuite[@name='relay1.example.org']")
    properties = dict((item.get('name'), item.get('value')) for item in suite.find('properties'))
    assert properties['batch'] == '1' and properties['generation_before'] == OLD and properties['generation_after'] == OLD
    cert = suite.find("testcase[@name='certificate name']")
    assert cert.get('classname') == 'relay1.example.org.MTA:25@192.0.2.10'
    assert cert.find('failure').get('message') == 'the certificate is for old.example.org, not relay1.example.org'
    switch = suite.find("testcase[@name='switch']")
    assert switch.get('classname') == 'relay1.example.org'
    assert switch.find('failure').get('message') == CANARY_FAILED['failure']
    rollback = suite.find("testcase[@name='rollback']")
    assert rollback is not None and rollback.find('failure') is None
    for name in RELAYS[1:]:
        skipped = root.find("testsuite[@name='%s']/testcase/skipped" % name)
        assert skipped.get('message') == 'not reached: the rollout stopped before this batch'

    page = rr.render_html(report)
    # the failed relay's checks are open without a click; the (passing) gate after rollback is not
    assert re.search(r'<details open><summary>Gate \(the run that failed\): FAILED', page)
    assert re.search(r'<details><summary>Gate after rollback: passed', page)
    assert '<tr class="bad"><td>certificate name</td><td class="bad">FAILED</td>' in page


@pytest.mark.parametrize('after, passes, message', [
    (gate(RELAYS[0], '192.0.2.10'), True, None),
    (gate(RELAYS[0], '192.0.2.10', cert_ok=False), False, 'gate after rollback failed: ' + CERT_PROBLEM),
    ({'ok': None, 'listeners': []}, False, 'no passing gate result was recorded after the rollback'),
])
def test_rollback_testcase(after, passes, message):
    report = rr.build_report(run(), [dict(CANARY_FAILED, gate_after_rollback=after)], RELAYS[1:])
    case = ET.fromstring(rr.render_junit(report)).find(".//testcase[@name='rollback']")
    assert (case.find('failure') is None) is passes
    if message:
        assert case.find('failure').get('message') == message
    page = rr.render_html(report)
    assert ('gate after rollback: <strong>passed</strong>' in page) is passes


HOSTILE_HOST = '<script>alert("x")</script>&\'relay"'
HOSTILE_DETAIL = '<img src=x onerror=alert(1)> & "quoted" \'single\' \x1b[31mred\x00'


def test_hostile_strings_are_escaped():
    hostile_gate = gate(RELAYS[0], '192.0.2.10', cert_ok=False)
    hostile_gate['listeners'][0]['checks'][1]['detail'] = HOSTILE_DETAIL
    hostile_gate['listeners'][0]['name'] = '<b>MTA</b>'
    hostile_gate['failures'] = [HOSTILE_DETAIL]
    host = dict(CANARY_FAILED, host=HOSTILE_HOST, failure='failed: ' + HOSTILE_DETAIL, gate=hostile_gate,
                generation_tried='</p><script>x()</script>', events=[{'what': '<script>', 'to': OLD}])
    report = rr.build_report(dict(run(relays=[HOSTILE_HOST]), id='../../etc/<passwd>', playbook='<i>play</i>'),
                             [host], ['<pending & "relay">'])
    assert report['run']['id'] == 'etc_passwd'

    page = rr.render_html(report)
    parsed = parse_page(page)
    assert '<script' not in page.lower() and '<img' not in page and '<b>' not in page and '<i>' not in page
    assert '\x1b' not in page and '\x00' not in page
    assert '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#x27;relay&quot;' in page
    assert '&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quoted&quot; &#x27;single&#x27; \\x1b[31mred\\x00' in page
    assert not any(tag in ('script', 'img', 'b', 'i') for tag, attrs in parsed.tags)
    text = ''.join(parsed.text)
    assert HOSTILE_HOST in text and '<pending & "relay">' in text

    xml = rr.render_junit(report)
    root = ET.fromstring(xml)
    assert_junit_consistent(root)
    suite = root.find('testsuite')
    assert suite.get('name') == HOSTILE_HOST
    cert = suite.find("testcase[@name='certificate name']")
    assert cert.get('classname') == HOSTILE_HOST + '.<b>MTA</b>:25@192.0.2.10'
    assert cert.find('failure').get('message') == rr.clean_text(HOSTILE_DETAIL)
    assert root.findall('testsuite')[1].get('name') == '<pending & "relay">'

    assert json.loads(rr.render_json(report)) == report


@pytest.mark.parametrize('hosts', [
    [{}],
    [{'host': 'relay1'}],
    [None, 'junk', 42, {'host': 'relay1', 'batch': None, 'gate': None, 'seconds': None, 'versions': None,
                        'gate_after_rollback': None, 'events': None, 'outcome': None, 'failure': None}],
    [{'host': 'relay1', 'batch': 'two', 'seconds': {'total': 'NaN', 'switch': 'x'}, 'rolled_back': 'maybe',
      'gate': {'listeners': [None, 'x', {'checks': [None, 'bare name', {'ok': None}, {'name': 'n', 'ok': 'False'}],
                                         'port': 'smtp', 'failures': 'one string'}],
               'failures': None, 'binary': None, 'lines': 'one line'},
      'gate_after_rollback': {'ok': 'yes'}}],
    [{'host': 'relay1', 'batch': '2', 'switched': 'True', 'gate': {'ok': 'true'}, 'outcome': 'CHANGED'},
     {'host': 'relay2', 'batch': 1.0, 'gate': {'failures': ['boom']}}],
])
@pytest.mark.parametrize('the_run', [None, {}, {'relays': None, 'batches_planned': '25%', 'rollback': None}])
def test_missing_and_odd_values_do_not_crash(hosts, the_run):
    report = rr.build_report(the_run, hosts, None, now=datetime.datetime(2026, 12, 2, 5, 15, tzinfo=datetime.timezone.utc))
    assert json.loads(rr.render_json(report)) == report
    assert_junit_consistent(ET.fromstring(rr.render_junit(report)))
    parse_page(rr.render_html(report))
    assert report['summary']['reached'] == len([host for host in hosts if isinstance(host, dict)])


def test_odd_values_are_read_as_meant():
    report = rr.build_report({}, [
        {'host': 'relay1', 'batch': '2', 'switched': 'True', 'gate': {'ok': 'true'}, 'outcome': 'CHANGED'},
        {'host': 'relay2', 'batch': 1.0, 'gate': {'failures': ['boom']}},
        {'host': 'relay3', 'batch': 1, 'gate': {}, 'switched': False},
    ], [])
    first, second, third = report['hosts']
    assert (first['host'], first['batch'], first['outcome'], first['gate']['ok']) == ('relay2', 1, 'failed', False)
    assert first['failure'] == 'boom'  # no message given: the gate's failures say what failed
    assert (second['host'], second['outcome']) == ('relay3', 'unchanged')
    assert rr.host_status(second) == 'unknown'  # no gate result: amber, never green
    assert (third['host'], third['batch'], third['switched'], third['outcome']) == ('relay1', 2, True, 'changed')
    assert rr.host_status(third) == 'passed'
    assert report['summary']['outcome'] == 'failed'
    assert '<article class="host unknown"' in rr.render_html(report)


@pytest.mark.parametrize('outcome_given, gate_ok, expected', [
    ('changed', False, 'failed'),  # a failed gate is a failure whatever the record says
    ('unchanged', True, 'unchanged'),
    (None, None, 'unchanged'),
    ('bogus', True, 'unchanged'),
])
def test_outcome(outcome_given, gate_ok, expected):
    host = rr.normalize_host({'host': 'h', 'outcome': outcome_given, 'gate': {'ok': gate_ok, 'listeners': []}})
    assert host['outcome'] == expected


def test_a_relay_reported_twice_counts_once():
    report = rr.build_report(run(), [record(RELAYS[0], 1, outcome='failed', failure='first'), record(RELAYS[0], 1)], [])
    assert report['summary']['reached'] == 1 and report['hosts'][0]['outcome'] == 'changed'


def test_pending_never_lists_a_reached_relay():
    report = rr.build_report(run(), [record(RELAYS[0], 1)], [RELAYS[0], RELAYS[1], RELAYS[1]])
    assert report['pending'] == RELAYS[1:]


@pytest.mark.parametrize('the_run, expected', [
    ({'id': '20261202T051500Z'}, '20261202T051500Z'),
    ({'id': 'a b/c'}, 'a_b_c'),
    ({'id': '..'}, '20261202T060000Z'),
    ({'id': None, 'started': '2026-12-02T05:15:00.123456+01:00'}, '20261202T041500Z'),
    ({'started': '2026-12-02T05:15:00Z'}, '20261202T051500Z'),
    ({'started': 'yesterday'}, '20261202T060000Z'),
    ({}, '20261202T060000Z'),
])
def test_run_id(the_run, expected):
    assert rr.run_id(the_run, datetime.datetime(2026, 12, 2, 6, 0, tzinfo=datetime.timezone.utc)) == expected


@pytest.mark.parametrize('runs, keep, current, expected', [
    ([], 20, 'c', []),
    ([('a', 1), ('b', 2), ('c', 3)], 3, 'c', []),
    ([('a', 1), ('b', 2), ('c', 3)], 2, 'c', ['a']),
    ([('a', 1), ('b', 2), ('c', 3)], 1, 'c', ['a', 'b']),
    # the current run is kept even when it is the oldest (or not written yet), and counts
    ([('a', 5), ('b', 2), ('c', 3)], 2, 'b', ['c']),
    ([('a', 1), ('b', 2)], 2, 'new', ['a']),
    # same time: the name decides
    ([('r1', 1), ('r2', 1), ('r3', 1)], 2, 'r3', ['r1']),
])
def test_runs_to_prune(runs, keep, current, expected):
    assert rr.runs_to_prune(runs, keep, current) == expected


@pytest.mark.parametrize('value, expected', [
    (None, '?'), (2.04, '2.0 s'), (59.94, '59.9 s'), (61, '1 min 01 s'), (3725, '1 h 02 min'),
])
def test_format_seconds(value, expected):
    assert rr.format_seconds(value) == expected


@pytest.mark.parametrize('value, expected', [
    ('2026-12-02T05:15:00+00:00', '2026-12-02 05:15:00 UTC'),
    ('2026-12-02T05:15:00.5Z', '2026-12-02 05:15:00 UTC'),
    ('2026-12-02T05:15:00+01:00', '2026-12-02 05:15:00 +0100'),
    ('soon', 'soon'),
    (None, '?'),
])
def test_format_time(value, expected):
    assert rr.format_time(value) == expected


def test_seconds_keep_the_parts_make_bench_reads():
    """total, switch, reload and gate reach report.json (make bench prints the rest: total minus reload and gate)."""
    report = rr.build_report({}, [{'host': 'relay1', 'batch': 1, 'gate': {'ok': True},
                                   'seconds': {'total': 20, 'switch': 1.5, 'reload': '2.25', 'gate': 12}}], [])
    assert report['hosts'][0]['seconds'] == {'total': 20.0, 'switch': 1.5, 'reload': 2.25, 'gate': 12.0}


@pytest.mark.parametrize('the_record', [
    RELOAD_FAILED,  # gate == gate_after_rollback: the only gate that ran was after the rollback
    dict(RELOAD_FAILED, gate={}, gate_ran=False, failed_task='Reload sendmail gracefully'),
    dict(RELOAD_FAILED, gate_ran='false'),  # gate_ran wins over whatever "gate" holds
], ids=['inferred', 'told', 'told, with a stale gate'])
def test_a_reload_that_failed_shows_no_gate_for_the_failed_generation(the_record):
    report = rr.build_report(run(), [the_record], RELAYS[1:])
    host = report['hosts'][0]
    assert (host['outcome'], host['gate'], host['gate_ran']) == ('failed', {}, False)
    assert host['gate_after_rollback']['ok'] is True
    assert report['summary']['failed'] == 1 and report['summary']['outcome'] == 'failed'
    assert json.loads(rr.render_json(report))['hosts'][0]['gate_ran'] is False

    page = rr.render_html(report)
    assert 'Gate (the run that failed): passed' not in page
    assert 'Gate (the run that failed): not run: relay1.example.org failed before its gate' in page
    assert 'so no gate ran on generation %s' % NEW in page
    assert rr._e(RELOAD_PROBLEM) in page
    assert re.search(r'<details><summary>Gate after rollback: passed', page)
    assert ('(in &quot;Reload sendmail gracefully&quot;)' in page) is ('failed_task' in the_record)

    suite = ET.fromstring(rr.render_junit(report)).find("testsuite[@name='relay1.example.org']")
    # no gate check of the failed generation, so no test case passes for it
    assert [case.get('name') for case in suite.findall('testcase')] == ['switch', 'rollback']
    switch = suite.find("testcase[@name='switch']/failure")
    assert switch.get('message') == RELOAD_PROBLEM
    assert 'gate: not run: relay1.example.org failed before its gate' in switch.text
    assert suite.find("testcase[@name='rollback']/failure") is None


def test_a_gate_that_failed_still_shows_its_checks():
    host = rr.build_report(run(), [CANARY_FAILED], [])['hosts'][0]
    assert host['gate_ran'] is True and host['gate']['ok'] is False


def test_a_check_that_did_not_run_reads_not_run_with_its_reason():
    the_record = record(RELAYS[0], 1, gate=gate_with_skipped_check(RELAYS[0], '192.0.2.10'))
    report = rr.build_report(run(relays=RELAYS[:1]), [the_record], [])
    checks = report['hosts'][0]['gate']['listeners'][1]['checks']
    smuggling = checks[-1]
    assert (smuggling['name'], smuggling['ok'], smuggling['result']) == ('smuggling', None, 'not run')
    assert smuggling['detail'] == ("the smuggling probe is not run on this listener (the gate's settings, "
                                   'or what this listener requires, leave it out)')
    assert [check['result'] for check in checks[:-1]] == ['passed'] * 3
    assert report['summary']['outcome'] == 'succeeded'

    page = rr.render_html(report)
    assert 'Conditional result' not in page
    assert '<td>smuggling</td><td class="notrun">not run</td>' in page
    assert '8 checks, 7 passed, 0 failed, 1 not run' in page

    root = ET.fromstring(rr.render_junit(report))
    case = root.find(".//testcase[@name='smuggling']")
    assert case.get('classname') == 'relay1.example.org.MSA:587@192.0.2.10'
    assert case.find('skipped').get('message').startswith('not run: the smuggling probe is not run on this listener')
    assert junit_totals(root) == {'tests': 9, 'failures': 0, 'errors': 0, 'skipped': 1}
    assert 'Conditional result' not in rr.render_json(report)


@pytest.mark.parametrize('given, expected', [
    ({'ok': True, 'status': 'passed', 'detail': 'x'}, ('passed', True, 'x')),
    ({'ok': False, 'status': 'failed', 'detail': 'x'}, ('failed', False, 'x')),
    ({'ok': True, 'status': 'skipped', 'detail': 'not run (turned off for this gate)'},
     ('not run', None, 'not run (turned off for this gate)')),
    ({'ok': True, 'status': 'skipped', 'detail': ''}, ('not run', None, 'the gate did not run it')),
    ({'ok': True, 'detail': 'the auth probe was skipped: Conditional result was False'},
     ('not run', None, "the auth probe is not run on this listener (the gate's settings, or what this listener "
                       'requires, leave it out)')),
    ({'ok': 'yes', 'detail': 'fine'}, ('passed', True, 'fine')),
    ({'detail': 'nothing said'}, ('no result', None, 'nothing said')),
])
def test_check_results(given, expected):
    check = rr.normalize_check(dict(given, name='c'))
    assert (check['result'], check['ok'], check['detail']) == expected


def test_a_rollback_report_says_where_each_relay_went():
    hosts = [record(RELAYS[0], 1, before=NEWER, after=NEW), record(RELAYS[1], 2, before=NEWER, after=NEW)]
    report = rr.build_report(dict(run(rollback=True, relays=RELAYS[:2]), playbook='mailrelay.sendmail.rollback'), hosts, [])
    page = rr.render_html(report)
    assert '<h1>Rollback (on demand) succeeded</h1>' in page
    assert 'playbook <code>mailrelay.sendmail.rollback</code>' in page
    assert page.count('%s &rarr; %s' % (NEWER, NEW)) == 2
    assert [host['gate_ran'] for host in report['hosts']] == [True, True]
    assert json.loads(rr.render_json(report))['run']['playbook'] == 'mailrelay.sendmail.rollback'


# ---------------------------------------------------------------------------------------
# gate history: earlier runs kept under runs/, read from their report.json

def earlier_run(runs, run_id, started, hosts, pending=(), relays=None, mtime=None):
    """An earlier run's directory as the module leaves it (report.json is all the history reads)."""
    the_run = dict(run(relays=relays), id=run_id, started=started, finished=started)
    directory = runs / run_id
    directory.mkdir(parents=True)
    path = directory / 'report.json'
    path.write_text(rr.render_json(rr.build_report(the_run, hosts, list(pending))), encoding='utf-8')
    (directory / 'report.html').write_text('<!DOCTYPE html>\n', encoding='utf-8')
    if mtime is not None:
        os.utime(str(path), (mtime, mtime))
    return directory


def broken_run(runs, name, content, mtime):
    directory = runs / name
    directory.mkdir(parents=True)
    (directory / 'report.json').write_bytes(content)
    os.utime(str(directory / 'report.json'), (mtime, mtime))


# 2026-11-10T00:00:00Z, between the first and the second run below
BETWEEN = 1794268800


@pytest.fixture
def runs(tmp_path):
    """Three readable earlier runs, two unreadable, and what is no run at all."""
    runs = tmp_path / 'runs'
    # the oldest (written last, so that the files' times would order them wrongly): relay1 passed, relay2 not reached
    earlier_run(runs, '20261101T040000Z', '2026-11-01T04:00:00+00:00', [record(RELAYS[0], 1, before=None, after=OLD)],
                pending=RELAYS[1:2], relays=RELAYS[:2], mtime=BETWEEN + 10 ** 6)
    # relay1's canary failed and was rolled back to OLD
    earlier_run(runs, '20261115T040000Z', '2026-11-15T04:00:00Z', [CANARY_FAILED], pending=RELAYS[1:2], relays=RELAYS[:2])
    # both passed; relay1 listed twice counts once
    earlier_run(runs, '20261120T040000Z', '2026-11-20T04:00:00Z',
                [record(RELAYS[0], 1), record(RELAYS[1], 2, outcome='unchanged', before=NEW), record(RELAYS[0], 1)],
                relays=RELAYS[:2])
    broken_run(runs, 'broken', b'{"run": {"id": "broken"', BETWEEN)
    broken_run(runs, 'a-list', b'[1, 2]', BETWEEN - 10)
    (runs / 'notes').mkdir()  # no report.json: not a run
    (runs / 'notes' / 'readme.txt').write_text('mine')
    (runs / 'plain-file').write_text('{}')
    os.symlink(str(runs / '20261120T040000Z'), str(runs / 'linked'))  # a link is not a run of this directory
    earlier_run(runs, '20261202T051500Z', '2026-12-02T05:15:00Z', [record(RELAYS[0], 1)])  # the current run
    return runs


def test_gate_history_reads_the_earlier_runs(runs):
    history = rr.gate_history(str(runs), '20261202T051500Z', 10)
    assert history['limit'] == 10
    assert [(entry['id'], entry['readable'], entry['outcome']) for entry in history['runs']] == [
        ('20261120T040000Z', True, 'succeeded'), ('20261115T040000Z', True, 'failed'),
        ('broken', False, None), ('a-list', False, None), ('20261101T040000Z', True, 'in progress')]
    latest = history['runs'][0]
    assert (latest['started'], latest['relays'], latest['reached'], latest['failed']) == ('2026-11-20T04:00:00Z', 2, 2, 0)
    assert sorted(history['relays']) == RELAYS[:2]
    assert [(entry['run'], entry['gate'], entry['outcome'], entry['generation'], entry['rolled_back'])
            for entry in history['relays'][RELAYS[0]]] == [
        ('20261120T040000Z', 'passed', 'changed', NEW, False),
        ('20261115T040000Z', 'failed', 'failed', OLD, True),
        ('20261101T040000Z', 'passed', 'changed', OLD, False)]
    assert history['relays'][RELAYS[0]][1]['failure'] == CANARY_FAILED['failure']
    # relay2 was not reached by the runs that stopped before its batch
    assert [entry['run'] for entry in history['relays'][RELAYS[1]]] == ['20261120T040000Z']
    assert history['relays'][RELAYS[1]][0]['outcome'] == 'unchanged'
    assert (runs / 'notes' / 'readme.txt').read_text() == 'mine'


@pytest.mark.parametrize('limit, skip, runs_listed, relay1', [
    (2, (), ['20261120T040000Z', '20261115T040000Z'], ['20261120T040000Z', '20261115T040000Z']),
    # the runs about to be pruned are not linked
    (10, ('20261120T040000Z', 'broken'), ['20261115T040000Z', 'a-list', '20261101T040000Z'],
     ['20261115T040000Z', '20261101T040000Z']),
    # relay1 has its own newest runs, even where the Runs list is shorter than its history
    (1, ('20261120T040000Z',), ['20261115T040000Z'], ['20261115T040000Z']),
])
def test_gate_history_limits_and_skips(runs, limit, skip, runs_listed, relay1):
    history = rr.gate_history(str(runs), '20261202T051500Z', limit, skip=skip)
    assert [entry['id'] for entry in history['runs']] == runs_listed
    assert [entry['run'] for entry in history['relays'][RELAYS[0]]] == relay1


def test_gate_history_of_nothing(tmp_path, monkeypatch):
    assert rr.gate_history(str(tmp_path / 'missing'), 'x', 10) == {'limit': 10, 'runs': [], 'relays': {}}

    def forbidden(*args):
        raise AssertionError('history 0 reads nothing')
    monkeypatch.setattr(rr, 'read_run_reports', forbidden)
    assert rr.gate_history(str(tmp_path), 'x', 0) == {'limit': 0, 'runs': [], 'relays': {}}


def test_a_report_too_large_is_unreadable(runs, monkeypatch):
    monkeypatch.setattr(rr, 'HISTORY_MAX_BYTES', 64)
    history = rr.gate_history(str(runs), '20261202T051500Z', 10)
    assert all(entry['readable'] is False for entry in history['runs']) and history['relays'] == {}


@pytest.mark.parametrize('data', [
    {},
    {'run': 'x', 'summary': None, 'hosts': 'junk'},
    {'run': {'started': 42, 'rollback': 'maybe'}, 'summary': {'outcome': '<b>', 'reached': 'NaN'},
     'hosts': [None, 'relay1', {'host': None}, {'host': ['a']}, {'host': 'relay1', 'gate': 'x', 'outcome': 5, 'finished': {}}]},
])
def test_odd_earlier_reports_do_not_crash(tmp_path, data):
    runs = tmp_path / 'runs'
    broken_run(runs, 'odd', json.dumps(data).encode('utf-8'), BETWEEN)
    history = rr.gate_history(str(runs), 'current', 10)
    assert [(entry['id'], entry['readable'], entry['outcome']) for entry in history['runs']] == [('odd', True, None)]
    report = rr.build_report(run(relays=['relay1', "['a']"]), [record(RELAYS[0], 1)], [], history=history)
    assert json.loads(rr.render_json(report)) == report
    parse_page(rr.render_html(report))
    entries = report['history']['relays'].get('relay1', [])
    assert [(entry['run'], entry['gate'], entry['outcome']) for entry in entries] == (
        [('odd', 'unknown', None)] if data.get('hosts') and isinstance(data['hosts'], list) else [])


def test_the_page_links_each_relays_gate_history(runs):
    history = rr.gate_history(str(runs), '20261202T051500Z', 10)
    # relay2 not reached in this run: its last gate is named in the list of relays not reached
    report = rr.build_report(run(relays=RELAYS[:3]), [record(RELAYS[0], 1)], RELAYS[1:3], history=history)
    assert json.loads(rr.render_json(report)) == report
    assert sorted(report['history']['relays']) == RELAYS[:2]  # relay3 has no history

    page = rr.render_html(report)
    parsed = parse_page(page)
    runs_nav = page.split('<nav class="runs">', 1)[1].split('</nav>', 1)[0]
    assert '<strong>20261202T051500Z</strong> <small>this report</small>' in runs_nav
    assert re.findall(r'<li><a href="([^"]+)">', runs_nav) == [
        'runs/20261120T040000Z/report.html', 'runs/20261115T040000Z/report.html', 'runs/broken/report.html',
        'runs/a-list/report.html', 'runs/20261101T040000Z/report.html']
    assert '<span class="badge failed">FAILED</span> <small>started 2026-11-15 04:00:00 UTC' in runs_nav
    assert 'its report.json could not be read' in runs_nav

    card = page.split('<article class="host passed" id="host-%s">' % RELAYS[0], 1)[1].split('</article>', 1)[0]
    assert '<dt>Earlier gates</dt>' in card
    assert re.findall(r'<a href="([^"]+)"', card) == [
        'runs/%s/report.html#host-%s' % (name, RELAYS[0]) for name in ('20261120T040000Z', '20261115T040000Z', '20261101T040000Z')]
    assert ('title="%s">20261115T040000Z</a> <span class="badge failed">FAILED</span> '
            '<small>failed, rolled back, generation %s</small>' % (rr._e(CANARY_FAILED['failure']), OLD)) in card
    pending = page.split('<ul class="pending-list">', 1)[1].split('</ul>', 1)[0]
    assert ('<li>%s &middot; last reached in <a href="runs/20261120T040000Z/report.html#host-%s">20261120T040000Z</a> '
            '(gate passed)</li>' % (RELAYS[1], RELAYS[1])) in pending
    assert '<li>%s</li>' % RELAYS[2] in pending
    # still self-contained: only relative links, to the sibling files and to runs/
    assert not any(tag in ('script', 'link', 'img', 'iframe', 'object') for tag, attrs in parsed.tags)
    assert all(url in ('report.json', 'junit.xml') or url.startswith('runs/') for url in parsed.urls)
    assert len(parsed.urls) == 2 + 5 + 3 + 1

    # the copy in runs/<id>/ reaches the same pages through ../
    copy = rr.render_html(report, '../')
    assert sorted(parse_page(copy).urls) == sorted(url.replace('runs/', '../', 1) for url in parsed.urls)


def test_a_relay_no_earlier_run_reached_says_so(tmp_path):
    report = rr.build_report(run(relays=RELAYS[:1]), [record(RELAYS[0], 1)], [], history=rr.gate_history(str(tmp_path), 'x', 10))
    page = rr.render_html(report)
    assert 'No earlier run is kept in runs/.' in page
    assert '<dt>Earlier gates</dt><dd><span class="note">none: no earlier run kept in runs/ reached this relay</span></dd>' in page
    assert sorted(parse_page(page).urls) == ['junit.xml', 'report.json']


def test_hostile_history_is_escaped_and_quoted(tmp_path):
    runs = tmp_path / 'runs'
    name = 'a b&"<x>'
    earlier_run(runs, name, '2026-11-20T04:00:00Z', [record(HOSTILE_HOST, 1, failure='<img src=x>', outcome='failed')],
                relays=[HOSTILE_HOST])
    history = rr.gate_history(str(runs), 'current', 10)
    assert [entry['id'] for entry in history['runs']] == [name]
    report = rr.build_report(run(relays=[HOSTILE_HOST]), [record(HOSTILE_HOST, 1)], [], history=history)
    page = rr.render_html(report)
    parsed = parse_page(page)
    assert '<script' not in page.lower() and '<img' not in page
    assert 'runs/a%20b%26%22%3Cx%3E/report.html' in parsed.urls
    anchor = 'runs/a%20b%26%22%3Cx%3E/report.html#' + quote('host-' + HOSTILE_HOST, safe='')
    assert anchor in parsed.urls
    # the fragment names the card's id
    ids = [attrs['id'] for tag, attrs in parsed.tags if tag == 'article']
    assert unquote(anchor.split('#', 1)[1]) in ids


def test_the_history_never_lists_this_run(runs):
    history = rr.build_history(rr.read_run_reports(str(runs)), 10)  # the current run's directory read too
    report = rr.build_report(run(), [record(RELAYS[0], 1)], [], history=history)
    assert '20261202T051500Z' in [entry['id'] for entry in history['runs']]
    assert '20261202T051500Z' not in [entry['id'] for entry in report['history']['runs']]
    assert '20261202T051500Z' not in [entry['run'] for entry in report['history']['relays'][RELAYS[0]]]


def test_without_history_the_report_says_none():
    report = rr.build_report(run(), [record(RELAYS[0], 1)], [])
    assert report['history'] == {'limit': 0, 'runs': [], 'relays': {}}
    page = rr.render_html(report)
    assert 'class="runs"' not in page and 'Earlier gates' not in page
