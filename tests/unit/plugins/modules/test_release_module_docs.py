# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The documentation of the artifact, generation, reload and job_wait plugins agrees with what
they accept and return."""

from __future__ import annotations

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.mailrelay.sendmail.plugins.action import job_wait as job_wait_action
from ansible_collections.mailrelay.sendmail.plugins.modules import (
    artifact_install,
    artifact_pack,
    generation,
    generation_info,
    job_wait,
    live_links,
    sendmail_reload,
)

SPECS = {
    'mailrelay.sendmail.artifact_pack': (artifact_pack, artifact_pack.argument_spec),
    'mailrelay.sendmail.artifact_install': (artifact_install, artifact_install.argument_spec),
    'mailrelay.sendmail.generation': (generation, generation.argument_spec),
    'mailrelay.sendmail.generation_info': (generation_info, generation_info.argument_spec),
    'mailrelay.sendmail.sendmail_reload': (sendmail_reload, sendmail_reload.argument_spec),
    'mailrelay.sendmail.job_wait': (job_wait, lambda: job_wait_action.ARGUMENT_SPEC),
    'mailrelay.sendmail.live_links': (live_links, live_links.argument_spec),
}


def _documented_options(module):
    return yaml.safe_load(module.DOCUMENTATION)['options']


@pytest.mark.parametrize('name', sorted(SPECS))
def test_documented_options_match_the_argument_spec(name):
    module, spec = SPECS[name]
    documented = _documented_options(module)
    assert set(documented) == set(spec())
    for option, settings in spec().items():
        doc = documented[option]
        assert doc.get('type', 'str') == settings.get('type', 'str'), option
        assert doc.get('default') == settings.get('default'), option
        assert bool(doc.get('required')) == bool(settings.get('required')), option
        assert doc.get('choices') == settings.get('choices'), option


@pytest.mark.parametrize('name', sorted(SPECS))
def test_examples_use_the_fqcn_and_valid_arguments(name):
    module, spec = SPECS[name]
    tasks = yaml.safe_load(module.EXAMPLES)
    validator = ArgumentSpecValidator(spec())
    used = 0
    for task in tasks:
        assert 'name' in task, task
        if name not in task:
            assert any(key.startswith(('ansible.builtin.', 'mailrelay.sendmail.')) for key in task), task
            continue
        used += 1
        result = validator.validate(task[name] or {})
        assert not result.error_messages, (task['name'], result.error_messages)
    assert used >= 1


@pytest.mark.parametrize('name', sorted(SPECS))
def test_return_keys_are_documented_with_returned_and_type(name):
    module = SPECS[name][0]
    for key, doc in yaml.safe_load(module.RETURN).items():
        assert 'returned' in doc and 'type' in doc and 'description' in doc, key


def test_generation_returns_only_documented_keys(run_module, tmp_path):
    rc, result, dummy = run_module(generation, dict(root=str(tmp_path / 'r'), state='staged'))
    assert rc == 0
    documented = set(yaml.safe_load(generation.RETURN))
    assert set(result) - {'changed', 'invocation'} == documented - {'from', 'to'}


def test_generation_info_returns_only_documented_keys(run_module, tmp_path):
    rc, result, dummy = run_module(generation_info, dict(root=str(tmp_path / 'r')))
    doc = yaml.safe_load(generation_info.RETURN)
    assert set(result) - {'changed', 'invocation'} == set(doc)
    assert set(result['next']) == set(doc['next']['contains'])
