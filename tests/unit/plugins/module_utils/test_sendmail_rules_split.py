# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The split of _sendmail_rules: each new module stands alone, the facade keeps every old name.

The rules themselves are tested through the facade by test_sendmail_rules.py,
test_sendmail_config_problems.py and test_cf_judge.py; this file tests the seams.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.mailrelay.sendmail.plugins.module_utils import _sendmail_rules

ROOT = Path(__file__).resolve().parents[4]
PACKAGE = 'ansible_collections.mailrelay.sendmail.plugins.module_utils'
FACADE = PACKAGE + '._sendmail_rules'

#: The modules _sendmail_rules was split into, each with the public names it now holds.
MODULES = {
    '_sendmail_constants': (
        'AUTH_OPTION_FLAGS', 'DAEMON_MODIFIERS', 'DONT_BLAME_SENDMAIL_FLAGS', 'OWNED_CF_OPTIONS', 'OWNED_FEATURES',
        'OWNED_M4_NAMES', 'OWNED_RULESETS', 'OWNED_SETTINGS', 'POLICY_RULESETS', 'POLICY_RULESET_MACROS',
        'PRIVACY_FLAGS', 'RELAY_FEATURES', 'RISKS', 'SENDER_CHECK_FEATURES', 'SERVICE_PORTS', 'TLS_MIN_VERSIONS',
        'TLS_SRV_OPTION_FLAGS', 'WEAKENING_DEFINES'),
    '_sendmail_values': ('RuleError', 'cleartext_mechanisms', 'shorten'),
    '_sendmail_m4': ('m4_code', 'm4_quoted_reason', 'm4_word_reason', 'split_m4_args'),
    '_sendmail_listeners': ('daemon_entry_errors', 'parse_port', 'sendmail_listeners'),
    '_sendmail_cf': ('cf_logical_lines', 'parse_cf_options', 'parse_daemon_port_options', 'sendmail_cf_listeners'),
    '_sendmail_smart_host': ('parse_smart_host', 'smart_host_name'),
    '_sendmail_pluginviewer': ('parse_pluginviewer',),
    '_sendmail_relay': ('PUBLIC_SUFFIX_LIST', 'broad_relay_reason', 'is_public_suffix', 'public_suffix_rules'),
    '_sendmail_auth_tls': ('OTHER_PATH_VARIABLES', 'TLS_PATH_VARIABLES'),
    '_sendmail_mc_checks': ('check_feature_text',),
    '_sendmail_problems': ('BOOL_VARIABLES', 'COUNT_VARIABLES', 'DEFAULTS', 'sendmail_config_problems'),
}

#: The public names of plugins/module_utils/_sendmail_rules.py before the split (git show of the
#: commit before it): every name it defined, and CLEARTEXT_MECHANISMS, which it re-exported from
#: _smtp_sasl. Left out: the modules and helpers it merely imported for its own use (re,
#: ipaddress, boolean, trusted_peer_reason, annotations); no caller imported them from here.
PUBLIC_BEFORE = frozenset((
    'AUTH_OPTION_FLAGS', 'BOOL_VARIABLES', 'CLEARTEXT_MECHANISMS', 'COUNT_VARIABLES', 'DAEMON_MODIFIERS', 'DEFAULTS',
    'DONT_BLAME_SENDMAIL_FLAGS', 'OTHER_PATH_VARIABLES', 'OWNED_CF_OPTIONS', 'OWNED_FEATURES', 'OWNED_M4_NAMES',
    'OWNED_RULESETS', 'OWNED_SETTINGS', 'POLICY_RULESETS', 'POLICY_RULESET_MACROS', 'PRIVACY_FLAGS',
    'PUBLIC_SUFFIX_LIST', 'RELAY_FEATURES', 'RISKS', 'RuleError', 'SENDER_CHECK_FEATURES', 'SERVICE_PORTS',
    'TLS_MIN_VERSIONS', 'TLS_PATH_VARIABLES', 'TLS_SRV_OPTION_FLAGS', 'WEAKENING_DEFINES', 'broad_relay_reason',
    'cf_logical_lines', 'check_feature_text', 'cleartext_mechanisms', 'daemon_entry_errors', 'is_public_suffix',
    'm4_code', 'm4_quoted_reason', 'm4_word_reason', 'parse_cf_options', 'parse_daemon_port_options',
    'parse_pluginviewer', 'parse_port', 'parse_smart_host', 'public_suffix_rules', 'sendmail_cf_listeners',
    'sendmail_config_problems', 'sendmail_listeners', 'shorten', 'smart_host_name', 'split_m4_args',
))
#: Private helpers a caller (_cf_judge) imports from the facade.
PRIVATE_IMPORTED = frozenset(('_Problems', '_control_reason', '_str_list'))


@pytest.mark.parametrize('module', sorted(MODULES))
def test_module_imports_standalone_without_the_facade(module):
    """A fresh interpreter imports the module alone, and that does not load _sendmail_rules
    (a new module that imported the facade would make an import cycle)."""
    code = ('import sys; sys.path.insert(0, sys.argv[1]); import importlib; '
            'importlib.import_module(sys.argv[2]); '
            'print(sys.argv[3] in sys.modules)')
    collections_path = str(Path(_sendmail_rules.__file__).parents[5])  # holds ansible_collections/
    result = subprocess.run([sys.executable, '-c', code, collections_path, '%s.%s' % (PACKAGE, module), FACADE],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == 'False'


@pytest.mark.parametrize('module, names', sorted(MODULES.items()))
def test_facade_names_are_the_objects_of_their_module(module, names):
    """The facade holds no copy of its own: each name is the very object of the module holding it."""
    home = importlib.import_module('%s.%s' % (PACKAGE, module))
    for name in names:
        assert getattr(_sendmail_rules, name) is getattr(home, name), name


def test_the_split_covers_every_public_name():
    held = set(name for names in MODULES.values() for name in names)
    assert held | {'CLEARTEXT_MECHANISMS'} == PUBLIC_BEFORE


def test_facade_exposes_the_same_public_names_as_before():
    public_now = set(name for name in vars(_sendmail_rules) if not name.startswith('_')) - {'annotations'}
    assert public_now == PUBLIC_BEFORE
    assert set(_sendmail_rules.__all__) == PUBLIC_BEFORE | PRIVATE_IMPORTED
    for name in PRIVATE_IMPORTED:
        assert hasattr(_sendmail_rules, name), name


def _facade_imports(path):
    """The names `path` imports from _sendmail_rules."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
        if isinstance(node, ast.ImportFrom) and node.module == FACADE:
            names.update(alias.name for alias in node.names)
    return names


def test_every_caller_finds_its_names_in_the_facade():
    callers = {}
    for folder in ('plugins', 'tests'):
        for path in (ROOT / folder).rglob('*.py'):
            names = _facade_imports(path)
            if names:
                callers[str(path.relative_to(ROOT))] = names
    # the callers at the time of the split: the filter plugins, _cf_judge and the unit tests
    assert 'plugins/module_utils/_cf_judge.py' in callers
    assert 'plugins/filter/sendmail_config_problems.py' in callers
    missing = dict((path, sorted(names - set(_sendmail_rules.__all__))) for path, names in callers.items()
                   if names - set(_sendmail_rules.__all__))
    assert not missing
