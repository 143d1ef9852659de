# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The alert rules shipped with the metrics role: valid for Prometheus, each rule proven by
`promtool test rules` (tests/unit/fixtures/metrics/rules-test.yml), and the thresholds that
mirror a collection default still equal to it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / 'roles' / 'metrics' / 'files' / 'prometheus' / 'mailrelay.rules.yml'
RULES_TEST = ROOT / 'tests' / 'unit' / 'fixtures' / 'metrics' / 'rules-test.yml'
PROMTOOL = shutil.which('promtool')
needs_promtool = pytest.mark.skipif(not PROMTOOL, reason='promtool not installed (Debian package prometheus, scripts/deps.sh)')


def _rules():
    return dict((rule['alert'], rule) for group in yaml.safe_load(RULES.read_text())['groups'] for rule in group['rules'])


def test_certificate_threshold_is_private_ca_renew_before_days():
    default = yaml.safe_load((ROOT / 'roles' / 'private_ca' / 'defaults' / 'main.yml').read_text())['private_ca_renew_before_days']
    rule = _rules()['MailrelayCertificateExpiresSoon']
    assert re.search(r'< %d \* 86400$' % default, rule['expr']), rule['expr']
    assert 'less than %d days' % default in rule['annotations']['summary']


def test_every_rule_is_tested():
    tested = set(re.findall(r'alertname: (\w+)', RULES_TEST.read_text()))
    assert tested == set(_rules())


@needs_promtool
@pytest.mark.parametrize('argv', [['check', 'rules', str(RULES)], ['test', 'rules', RULES_TEST.name]],
                         ids=['check', 'test'])
def test_promtool(argv):
    proc = subprocess.run([PROMTOOL] + argv, cwd=RULES_TEST.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False)
    assert proc.returncode == 0, proc.stdout


def test_observability_guide_names_every_metric_and_alert():
    from ansible_collections.mailrelay.sendmail.plugins.module_utils._metrics import FAMILIES
    guide = (ROOT / 'docs' / 'observability.md').read_text()
    missing = [name for name, _kind, _help in FAMILIES if '`%s`' % name not in guide]
    missing += [alert for alert in _rules() if '`%s`' % alert not in guide]
    assert not missing, 'docs/observability.md does not mention %s' % ', '.join(missing)
