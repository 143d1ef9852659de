# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Grafana dashboard shipped with the metrics role (roles/metrics/files/grafana/mailrelay-fleet.json).

Every metric a query names is one the collector writes (module_utils _metrics, rendered from a
sample of two relays built with its own parsers) or one Prometheus and the node exporter add;
every panel queries the `datasource` template variable; panel ids are unique. With promtool
installed, every query parses (`promtool check rules`) and returns something on the sample
relays (`promtool test rules`, with the shipped alert rules loaded so that ALERTS exists).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from ansible_collections.mailrelay.sendmail.plugins.module_utils import _metrics as m

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / 'roles' / 'metrics' / 'files' / 'grafana' / 'mailrelay-fleet.json'
RULES = ROOT / 'roles' / 'metrics' / 'files' / 'prometheus' / 'mailrelay.rules.yml'
FIXTURES = ROOT / 'tests' / 'unit' / 'fixtures' / 'metrics'
PROMTOOL = shutil.which('promtool')
needs_promtool = pytest.mark.skipif(
    not PROMTOOL, reason='promtool not installed (Debian package prometheus): the queries were not parsed nor run')

DATASOURCE = {'type': 'prometheus', 'uid': '${datasource}'}
# names not written by our collector: what Prometheus adds to every scrape and rule evaluation,
# and what Debian's prometheus-node-exporter (1.5, textfile collector) writes itself
NOT_OURS = {
    'up': 'Prometheus, one per scrape target',
    'ALERTS': 'Prometheus, one per pending or firing alert',
    'ALERTS_FOR_STATE': 'Prometheus, when an alert with "for" became pending',
    'node_textfile_scrape_error': 'node exporter, 1 when a textfile could not be read',
    'node_textfile_mtime_seconds': 'node exporter, modification time of each textfile',
}
# what Grafana puts in place of its variables when it runs a query, for running them here
GRAFANA_BUILTINS = {'__rate_interval': '4m', '__interval': '1m', '__range': '6h'}
VARIABLE_VALUES = {'job': 'mailrelay', 'instance': '.+'}

# ---------------------------------------------------------------------------------------------
# reading PromQL

PROMQL_KEYWORDS = {'and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool',
                   'offset', 'inf', 'nan', 'start', 'end'}
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_VARIABLE = re.compile(r'\$(?:\{(\w+)(?::\w+)?\}|(\w+))')
_GROUPING = re.compile(r'\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)')
_TOKEN = re.compile(r'(?P<number>(?:\d+(?:ms|[smhdwy]))+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|0x[0-9a-fA-F]+)'
                    r'|(?P<name>[A-Za-z_:][A-Za-z0-9_:]*)'
                    r'|(?P<other>\S)')


def metric_names(expr):
    """The metric names a PromQL expression selects: identifiers outside strings, label matchers,
    ranges and grouping clauses that are neither keywords nor followed by '(' (functions,
    aggregations)."""
    text = _STRING.sub('""', expr)
    text = _VARIABLE.sub(' ', text)
    text = re.sub(r'\{[^{}]*\}', ' ', text)   # label matchers: only label names are left outside strings
    text = re.sub(r'\[[^\[\]]*\]', ' ', text)  # ranges and subqueries
    text = _GROUPING.sub(' ', text)
    names = set()
    for match in _TOKEN.finditer(text):
        name = match.group('name')
        if name is None or name.lower() in PROMQL_KEYWORDS:
            continue
        if text[match.end():].lstrip().startswith('('):
            continue
        names.add(name)
    return names


@pytest.mark.parametrize('expr, expected', [
    ('up{job="mailrelay"} == 0', {'up'}),
    ('sum by (instance) (rate(sendmail_smtp_auth_total{code="535", sasl_result="-13"}[5m])) * 60 > 5',
     {'sendmail_smtp_auth_total'}),
    ('sum(rate(a_total[$__rate_interval])) by (instance) * 60 or vector(0)', {'a_total'}),
    ('mailrelay_generation_info unless on (platform, sw_id) topk by (platform) (1, count by (platform, sw_id) (mailrelay_generation_info))',
     {'mailrelay_generation_info'}),
    ('time() - foo{instance=~"$instance", x="a{b} rate(c)"} offset 5m > bool 1e3', {'foo'}),
    ('a / on (instance) group_left (sw_id) b', {'a', 'b'}),
    ('max_over_time(x[1h:5m]) and y', {'x', 'y'}),
    ('count(ALERTS{alertname=~"Mailrelay.+"}) OR vector(0)', {'ALERTS'}),
    ('{__name__="hidden"}', set()),
])
def test_metric_names(expr, expected):
    assert metric_names(expr) == expected


# ---------------------------------------------------------------------------------------------
# the dashboard

def _dashboard():
    return json.loads(DASHBOARD.read_text())


def _panels(panels=None):
    """Every panel, rows and the panels of collapsed rows included."""
    for panel in _dashboard()['panels'] if panels is None else panels:
        yield panel
        yield from _panels(panel.get('panels') or [])


def _queries():
    """(where, PromQL) for every query the dashboard runs: panel targets, annotations, and the
    series selector of label_values() variables."""
    for panel in _panels():
        for target in panel.get('targets') or []:
            yield 'panel %d %r target %s' % (panel['id'], panel['title'], target['refId']), target['expr']
    for annotation in _dashboard()['annotations']['list']:
        if 'expr' in annotation:
            yield 'annotation %r' % annotation['name'], annotation['expr']
    for variable in _dashboard()['templating']['list']:
        if variable['type'] == 'query':
            match = re.match(r'^label_values\((.+),\s*(\w+)\)$', variable['query']['query'])
            assert match, 'variable %s: only label_values(selector, label) is understood here' % variable['name']
            yield 'variable %s' % variable['name'], match.group(1)


def _variable(name):
    return next((v for v in _dashboard()['templating']['list'] if v['name'] == name), None)


def test_schema_and_identity():
    dashboard = _dashboard()
    assert 36 <= dashboard['schemaVersion'] <= 41
    assert dashboard['uid'] == 'mailrelay-fleet' and dashboard['id'] is None  # importable anywhere


def test_panel_ids_are_unique():
    ids = [panel['id'] for panel in _panels()]
    assert all(isinstance(i, int) for i in ids)
    assert sorted(set(ids)) == sorted(ids), 'duplicate panel ids: %s' % sorted(i for i in set(ids) if ids.count(i) > 1)


def test_template_variables():
    datasource = _variable('datasource')
    assert datasource and datasource['type'] == 'datasource' and datasource['query'] == 'prometheus'
    instance = _variable('instance')
    assert instance and instance['type'] == 'query' and instance['datasource'] == DATASOURCE
    assert instance['multi'] and instance['includeAll']
    assert re.match(r'^label_values\(.*,\s*instance\)$', instance['query']['query'])
    assert _variable('job')['datasource'] == DATASOURCE


def test_every_panel_queries_the_datasource_variable():
    wrong = []
    for panel in _panels():
        if panel['type'] == 'row':
            # a row holds panels, it queries nothing
            assert not panel.get('targets'), panel['title']
            continue
        if panel.get('datasource') != DATASOURCE or not panel.get('targets'):
            wrong.append('panel %d %r' % (panel['id'], panel['title']))
        for target in panel.get('targets') or []:
            if target.get('datasource') != DATASOURCE or not target.get('expr', '').strip():
                wrong.append('panel %d %r target %s' % (panel['id'], panel['title'], target.get('refId')))
        refs = [target.get('refId') for target in panel.get('targets') or []]
        if len(set(refs)) != len(refs):
            wrong.append('panel %d %r: refIds %s' % (panel['id'], panel['title'], refs))
    for annotation in _dashboard()['annotations']['list']:
        if 'expr' in annotation and annotation['datasource'] != DATASOURCE:
            wrong.append('annotation %r' % annotation['name'])
    assert not wrong, 'not on ${datasource}, or without a query: %s' % ', '.join(wrong)


def test_one_row_per_relay():
    rows = [panel for panel in _dashboard()['panels'] if panel.get('repeat') == 'instance']
    assert len(rows) == 1 and rows[0]['type'] == 'row' and '$instance' in rows[0]['title']
    assert rows[0]['panels'], 'the per-relay row is collapsed, its panels are inside it'


def _sample_relay(gate_ok, sw_id):
    """What the collector writes on one relay, built by its own parsers from realistic input."""
    now = 1796664003
    samples = m.mailstats_samples(m.parse_mailstats((FIXTURES / 'mailstats-P.txt').read_text()))
    samples += m.counter_samples(m.count_log_lines({}, (FIXTURES / 'sendmail-journal.txt').read_text().splitlines()))
    checks = [{'name': 'starttls', 'ok': True}, {'name': 'relay', 'ok': gate_ok}]
    samples += m.gate_samples({'time': '2026-12-07T17:20:03Z', 'ok': gate_ok,
                               'listeners': [{'name': 'MTA', 'port': 25, 'checks': checks},
                                             {'name': 'MSA', 'port': 587, 'checks': checks}]})
    # relay2's sendmail was not reloaded after the switch: it still serves 0006
    served = {'sendmail': {'generation': '0007' if gate_ok else '0006', 'at': '2026-12-07T17:19:02Z'},
              'saslauthd': {'generation': '0007', 'at': '2026-12-07T17:19:01Z'}}
    samples += m.generation_samples('/var/lib/mailrelay/generations/0007',
                                    {'generations': {'0007': {'sw_id': sw_id, 'switched_at': ['2026-12-07T17:19:00Z']}},
                                     'served': served},
                                    'debian-12')
    for name, state in (('sendmail', 'active'), ('saslauthd', 'active' if gate_ok else 'failed')):
        samples.append(m.service_sample(name, m.parse_systemctl_show('LoadState=loaded\nActiveState=%s\n' % state), name != 'sendmail'))
    messages, oldest = m.queue_summary([m.parse_qf('V8\nT%d\nRPFD:<bob@example.com>\n' % (now - 5400))], now)
    samples += [('sendmail_queue_messages', {'queue': 'mqueue'}, messages),
                ('sendmail_queue_oldest_message_age_seconds', {'queue': 'mqueue'}, oldest),
                ('sendmail_queue_messages', {'queue': 'clientmqueue'}, 0),
                ('sendmail_queue_oldest_message_age_seconds', {'queue': 'clientmqueue'}, 0)]
    for certificate in ('server', 'client', 'ca'):
        samples.append(('mailrelay_certificate_expiry_timestamp_seconds', {'certificate': certificate},
                        m.parse_enddate('notAfter=Dec  7 17:20:03 2027 GMT')))
    samples += [('mailrelay_collector_source_success', {'source': 'queue'}, 1),
                ('mailrelay_collector_last_run_timestamp_seconds', {}, now)]
    return m.render(samples)


RELAYS = {'relay1.example.net:9100': _sample_relay(True, 'sw-a'), 'relay2.example.net:9100': _sample_relay(False, 'sw-b')}


def _exported():
    """Metric names in the collector's output, with their type."""
    return dict(line.split()[2:4] for text in RELAYS.values() for line in text.splitlines() if line.startswith('# TYPE '))


def test_sample_covers_every_family_the_collector_knows():
    assert set(_exported()) == set(name for name, _kind, _help in m.FAMILIES)


def test_every_metric_is_exported():
    exported = _exported()
    unknown = ['%s: %s' % (where, name) for where, expr in _queries() for name in sorted(metric_names(expr))
               if name not in exported and name not in NOT_OURS]
    assert not unknown, 'neither written by _metrics.py nor by Prometheus/the node exporter: %s' % '; '.join(unknown)


def test_rates_only_of_counters():
    exported = _exported()
    wrong = []
    for where, expr in _queries():
        for function, name in re.findall(r'\b(rate|irate|increase|delta|deriv)\(\s*([A-Za-z_:][\w:]*)', expr):
            counter = exported.get(name) == 'counter'
            if counter != (function in ('rate', 'irate', 'increase')):
                wrong.append('%s: %s(%s)' % (where, function, name))
    assert not wrong, wrong


def test_queries_use_defined_variables_and_match_instance_as_regex():
    defined = set(v['name'] for v in _dashboard()['templating']['list']) | set(GRAFANA_BUILTINS)
    wrong = []
    for where, expr in _queries():
        used = set(a or b for a, b in _VARIABLE.findall(expr))
        wrong += ['%s: $%s undefined' % (where, name) for name in used - defined]
        # instance is multi-valued: Grafana writes a regex, which only =~ understands
        if re.search(r'instance\s*(=|!=)\s*"\$', expr):
            wrong.append('%s: instance compared with = not =~' % where)
    assert not wrong, wrong


def test_firing_alerts_panel_shows_every_shipped_alert():
    alerts = [rule['alert'] for group in yaml.safe_load(RULES.read_text())['groups'] for rule in group['rules']]
    filters = [re.search(r'alertname=~"([^"]+)"', expr).group(1) for where, expr in _queries() if 'ALERTS{' in expr]
    assert filters
    for pattern in filters:
        assert [a for a in alerts if not re.fullmatch(pattern, a)] == [], pattern


def test_guide_describes_the_dashboard():
    guide = (ROOT / 'docs' / 'observability.md').read_text()
    assert 'roles/metrics/files/grafana/mailrelay-fleet.json' in guide
    rows = [panel['title'] for panel in _dashboard()['panels'] if panel['type'] == 'row' and not panel.get('repeat')]
    missing = [title for title in rows if title not in guide]
    assert not missing, 'docs/observability.md does not describe the rows %s' % missing


# ---------------------------------------------------------------------------------------------
# promtool: the queries parse, and each returns something on the two sample relays

def _runnable(expr):
    def value(match):
        name = match.group(1) or match.group(2)
        return GRAFANA_BUILTINS.get(name) or VARIABLE_VALUES[name]
    return _VARIABLE.sub(value, expr)


def _series():
    """promtool input series: the sample relays as Prometheus stores them (instance and job
    added by the scrape), counters growing every minute, and `up`."""
    series = []
    for instance, text in RELAYS.items():
        kinds = dict(line.split()[2:4] for line in text.splitlines() if line.startswith('# TYPE '))
        target = 'instance="%s", job="mailrelay"' % instance
        for line in text.splitlines():
            if line.startswith('#'):
                continue
            head, value = line.rsplit(' ', 1)
            name = head.split('{', 1)[0]
            head = head[:-1] + ', %s}' % target if head.endswith('}') else head + '{%s}' % target
            step = max(1, int(float(value))) if kinds[name] == 'counter' else 0
            series.append({'series': head, 'values': '%s+%sx40' % (value, step)})
        series.append({'series': 'up{%s}' % target, 'values': ('1x40' if '1.' in instance else '0x40')})
        series.append({'series': 'node_textfile_scrape_error{%s}' % target, 'values': '0x40'})
    return series


@needs_promtool
def test_promtool_parses_every_query(tmp_path):
    rules = [{'record': 'grafana_query_%d' % number, 'expr': _runnable(expr)} for number, (_where, expr) in enumerate(_queries())]
    path = tmp_path / 'dashboard-queries.yml'
    path.write_text(yaml.safe_dump({'groups': [{'name': 'dashboard', 'rules': rules}]}, sort_keys=False))
    proc = subprocess.run([PROMTOOL, 'check', 'rules', str(path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False)
    assert proc.returncode == 0, proc.stdout


@needs_promtool
def test_promtool_every_panel_shows_data_on_sample_relays(tmp_path):
    tests = [{'expr': 'count(%s) > bool 0' % _runnable(target['expr']), 'eval_time': '20m',
              'exp_samples': [{'labels': '{}', 'value': 1}]}
             for panel in _panels() for target in panel.get('targets') or []]
    path = tmp_path / 'dashboard-test.yml'
    path.write_text(yaml.safe_dump({
        'rule_files': [str(RULES)],
        'evaluation_interval': '1m',
        'tests': [{'interval': '1m', 'input_series': _series(), 'promql_expr_test': tests}],
    }, sort_keys=False))
    proc = subprocess.run([PROMTOOL, 'test', 'rules', str(path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False)
    assert proc.returncode == 0, 'queries without data on the sample relays (got: nil):\n' + proc.stdout
