# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every role's meta/argument_specs.yml mirrors its defaults/main.yml: the same variables, the
same defaults, for every entry point. A variable documented in one place and not the other, or a
default that differs between them (the old *_build_jobs), fails here."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[2] / 'roles'
ROLE_DIRS = sorted(p for p in ROLES.iterdir() if (p / 'meta' / 'argument_specs.yml').exists())


def _load(path):
    with open(path) as handle:
        return yaml.safe_load(handle) or {}


@pytest.mark.parametrize('role', ROLE_DIRS, ids=[p.name for p in ROLE_DIRS])
def test_argument_specs_mirror_defaults(role):
    defaults = _load(role / 'defaults' / 'main.yml') if (role / 'defaults' / 'main.yml').exists() else {}
    specs = _load(role / 'meta' / 'argument_specs.yml')['argument_specs']
    assert 'main' in specs, '%s has no main entry point' % role.name
    for entry, spec in specs.items():
        options = spec.get('options') or {}
        assert set(options) == set(defaults), '%s/%s: only in defaults %s, only in argument_specs %s' % (
            role.name, entry, sorted(set(defaults) - set(options)), sorted(set(options) - set(defaults)))
        for name, option in options.items():
            assert option.get('description'), '%s: %s has no description' % (role.name, name)
            assert option.get('default') == defaults[name], '%s: %s defaults to %r in defaults/main.yml but %r in argument_specs' % (
                role.name, name, defaults[name], option.get('default'))


@pytest.mark.parametrize('role', ROLE_DIRS, ids=[p.name for p in ROLE_DIRS])
def test_every_public_variable_has_a_comment(role):
    """A variable is explained by the comment above it (a pair like user/group may share one)."""
    path = role / 'defaults' / 'main.yml'
    if not path.exists():
        pytest.skip('no defaults')
    lines = path.read_text().splitlines()
    for index, line in enumerate(lines):
        if not line or line[0] in ' #-' or ':' not in line:
            continue
        previous = lines[index - 1] if index else ''
        shares_comment = previous and previous[0] not in ' #-' and ':' in previous
        assert previous.startswith('#') or shares_comment, '%s: %s has no comment above it' % (role.name, line.split(':')[0])
