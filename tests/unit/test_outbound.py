# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""relay_outbound_info and _outbound.py: next hops spoken to over real SMTP with STARTTLS (aiosmtpd
with certificates from the throwaway CA of conftest's tls_material), TLS_Srv rules read as sendmail
reads them, and the queue counted from files with known times."""

from __future__ import annotations

import os
import time

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.mailrelay.sendmail.plugins.module_utils import _outbound
from ansible_collections.mailrelay.sendmail.plugins.modules import relay_outbound_info
from ansible_collections.mailrelay.sendmail.tests.unit.smtp_peers import SERVER_NAME, free_port

NOW = 1_750_000_000.0


def hop(server, **extra):
    """A hop named as the relay knows it (relay.test), reached on the test server's address."""
    entry = {'name': 'smart host', 'host': SERVER_NAME, 'address': server.host, 'port': server.port}
    entry.update(extra)
    return entry


def probe(entry, **options):
    entry = dict({'port': 25}, **entry)
    options.setdefault('timeout', 3.0)
    options.setdefault('ehlo_name', 'relay2.test')
    return _outbound.probe_hop(entry, **options)


# ---------------------------------------------------------------------------------------
# next hops over real SMTP

def test_verified_hop_is_ok(smtp_server, tls_material):
    server = smtp_server('starttls')
    result = probe(hop(server, tls='required', verify=True), ca_file=tls_material.ca_file)
    assert result['answered'] is True
    assert result['banner'].startswith('220 ')
    assert result['starttls_offered'] is True and result['starttls'] is True
    assert result['verified'] is True
    assert result['subject']['CN'] == SERVER_NAME
    assert result['error'] is None and result['ok'] is True
    assert _outbound.hop_failure(result) is None


def test_certificate_from_another_ca_is_not_verified(smtp_server, tls_material):
    server = smtp_server('starttls')
    result = probe(hop(server, verify=True), ca_file=tls_material.other_ca_file)
    assert result['answered'] is True and result['starttls'] is True  # the second, unverified look
    assert result['verified'] is False
    assert 'unable to get local issuer certificate' in result['verify_error']
    assert result['error_kind'] == 'tls_verify' and not result['ok']
    assert 'does not pass' in _outbound.hop_failure(result)


def test_certificate_for_another_name_fails_the_name_check(smtp_server, tls_material):
    server = smtp_server('starttls', certificate='wrong_name')
    result = probe(hop(server, verify=True), ca_file=tls_material.ca_file)
    assert result['verified'] is False
    assert SERVER_NAME in result['verify_error'] or 'mismatch' in result['verify_error'].lower()
    assert result['subject']['CN'] == 'other.test'
    assert not result['ok']


def test_refused_port_did_not_answer():
    entry = {'name': 'peer', 'host': '127.0.0.1', 'port': free_port()}
    result = probe(entry, ca_file=None)
    assert result['answered'] is False
    assert result['error_kind'] == 'connection_refused'
    assert not result['ok']
    assert _outbound.hop_failure(result).startswith('outbound hop peer (127.0.0.1:%d) did not answer' % entry['port'])


def test_wrong_certificate_is_reported_but_no_failure_where_verification_is_not_demanded(smtp_server, tls_material):
    server = smtp_server('starttls', certificate='rogue')
    result = probe(hop(server, verify=False), ca_file=tls_material.ca_file)
    assert result['verified'] is False and result['verify_error']
    assert result['ok'] is True


def test_optional_tls_accepts_a_hop_without_starttls_required_does_not(smtp_server, tls_material):
    server = smtp_server('plain')
    optional = probe(hop(server, tls='optional'), ca_file=tls_material.ca_file)
    assert optional['answered'] and not optional['starttls_offered'] and optional['ok']
    required = probe(hop(server, tls='required'), ca_file=tls_material.ca_file)
    assert required['answered'] and not required['ok']
    assert required['error_kind'] == 'tls_handshake'


def test_verify_without_a_ca_file_is_a_failure(smtp_server):
    server = smtp_server('starttls')
    result = probe(hop(server, verify=True), ca_file=None)
    assert not result['ok'] and 'no ca_file' in result['error']


# ---------------------------------------------------------------------------------------
# TLS_Srv rules decide, as in the relay's access map

ACCESS = """# written by sendmail_config
Connect:192.0.2\tRELAY
TLS_Srv:relay.test\tVERIFY+CN:relay.test
TLS_Srv:loose.test\tVERIFY
TLS_Srv:example.org\tENCR:128
TLS_Srv:relay.test\tNONE
"""


@pytest.mark.parametrize('host, address, expected', [
    ('relay.test', None, ('tls_srv:relay.test', 'VERIFY+CN:relay.test')),  # the first of two equal keys
    ('RELAY.test.', None, ('tls_srv:relay.test', 'VERIFY+CN:relay.test')),
    ('[mx1.example.org]', None, ('tls_srv:example.org', 'ENCR:128')),      # parent domain
    ('other.test', None, (None, None)),
    ('192.0.2.7', None, (None, None)),
])
def test_tls_srv_lookup(host, address, expected):
    assert _outbound.tls_srv_rule(_outbound.parse_access_source(ACCESS), host, address) == expected


def test_tls_srv_lookup_falls_back_to_the_address_and_the_default():
    entries = _outbound.parse_access_source('TLS_Srv:192.0.2.7 VERIFY\nTLS_Srv: ENCR:112\n')
    assert _outbound.tls_srv_rule(entries, 'relay.test', '192.0.2.7') == ('tls_srv:192.0.2.7', 'VERIFY')
    assert _outbound.tls_srv_rule(entries, 'relay.test') == ('tls_srv:', 'ENCR:112')


@pytest.mark.parametrize('value, expected', [
    ('VERIFY+CN:relay1.example.org', {'tls': True, 'verify': True, 'cn': 'relay1.example.org'}),
    ('VERIFY+CN', {'tls': True, 'verify': True, 'cn': 'h.test'}),
    ('VERIFY:112', {'tls': True, 'verify': True, 'cn': None}),
    ('ENCR:128', {'tls': True, 'verify': False, 'cn': None}),
    ('PERM+VERIFY', {'tls': True, 'verify': True, 'cn': None}),
    ('OK', {'tls': False, 'verify': False, 'cn': None}),
    ('', {'tls': False, 'verify': False, 'cn': None}),
])
def test_tls_srv_value(value, expected):
    assert _outbound.parse_tls_srv_value(value, 'h.test') == expected


def test_rule_with_cn_fails_a_certificate_for_another_name(smtp_server, tls_material):
    server = smtp_server('starttls', certificate='wrong_name')
    entries = _outbound.parse_access_source(ACCESS)
    result = probe(hop(server), ca_file=tls_material.ca_file, access_entries=entries)
    assert result['tls'] == 'required' and result['verify'] is True and result['expected_cn'] == SERVER_NAME
    assert result['tls_srv_rule'] == 'tls_srv:relay.test VERIFY+CN:relay.test'
    assert result['verified'] is False and 'CN=other.test' in result['verify_error']
    assert not result['ok']


def test_rule_without_cn_checks_the_chain_only_as_sendmail_does(smtp_server, tls_material):
    server = smtp_server('starttls', certificate='wrong_name')
    entries = _outbound.parse_access_source(ACCESS)
    result = probe(hop(server, host='loose.test'), ca_file=tls_material.ca_file, access_entries=entries)
    assert result['verify'] is True and result['expected_cn'] is None
    assert result['verified'] is True and result['ok']
    rogue = smtp_server('starttls', certificate='rogue')
    result = probe(hop(rogue, host='loose.test'), ca_file=tls_material.ca_file, access_entries=entries)
    assert result['verified'] is False and not result['ok']


def test_no_rule_demands_nothing(smtp_server, tls_material):
    server = smtp_server('starttls', certificate='rogue')
    result = probe(hop(server, host='other.test'), ca_file=tls_material.ca_file,
                   access_entries=_outbound.parse_access_source(ACCESS))
    assert result['tls'] == 'optional' and result['verify'] is False and result['tls_srv_rule'] is None
    assert result['starttls'] is True and result['verified'] is False and result['ok']


# ---------------------------------------------------------------------------------------
# the queue, by stat() alone

def _touch(path, mtime):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('x')
    os.utime(path, (mtime, mtime))


def _snapshot(root):
    return sorted((str(p.relative_to(root)), p.stat().st_mtime, p.stat().st_size) for p in root.rglob('*'))


def test_queue_counts_qf_files_and_finds_the_oldest(tmp_path):
    queue = tmp_path / 'mqueue'
    _touch(queue / 'qf5AB12345000001', NOW - 60)
    _touch(queue / 'qf5AB12345000002', NOW - 120)          # rewritten two minutes ago ...
    _touch(queue / 'df5AB12345000002', NOW - 7200)         # ... but the message came two hours ago
    _touch(queue / 'qf' / 'qf5AB12345000003', NOW - 30)    # a qf/ subdirectory
    _touch(queue / 'df' / 'df5AB12345000003', NOW - 40)
    _touch(queue / 'q2' / 'qf5AB12345000004', NOW - 300)   # a queue group one level down
    _touch(queue / 'Qf5AB12345000009', NOW - 99999)        # lost: counted apart, not the oldest
    _touch(queue / 'xf5AB12345000001', NOW - 99999)        # transcript, not an entry
    _touch(queue / 'df5AB12345000077', NOW - 99999)        # a body without qf is not an entry
    state = _outbound.queue_state(str(queue), now=NOW)
    assert state == {'path': str(queue), 'exists': True, 'entries': 4, 'oldest_age_seconds': 7200,
                     'lost_entries': 1, 'error': None}


def test_empty_and_missing_queues(tmp_path):
    (tmp_path / 'empty').mkdir()
    assert _outbound.queue_state(str(tmp_path / 'empty'), now=NOW)['entries'] == 0
    assert _outbound.queue_state(str(tmp_path / 'empty'), now=NOW)['oldest_age_seconds'] is None
    missing = _outbound.queue_state(str(tmp_path / 'missing'), now=NOW)
    assert missing['exists'] is False and missing['entries'] == 0 and missing['error'] is None
    (tmp_path / 'file').write_text('')
    assert 'not a directory' in _outbound.queue_state(str(tmp_path / 'file'))['error']


# ---------------------------------------------------------------------------------------
# the module

def test_module_in_check_mode_reports_hops_and_queues_and_touches_nothing(
        run_module, smtp_server, tls_material, tmp_path):
    good = smtp_server('starttls')
    impostor = smtp_server('starttls', certificate='rogue')
    queue, client = tmp_path / 'mqueue', tmp_path / 'clientmqueue'
    now = time.time()
    _touch(queue / 'qf5AB12345000001', now - 630)
    _touch(client / 'qf5AB12345000002', now - 60.5)
    _touch(client / 'qf5AB12345000003', now - 30)
    access = tmp_path / 'access'
    access.write_text('TLS_Srv:relay.test\tVERIFY+CN:relay.test\n')
    before = _snapshot(tmp_path)
    refused = free_port()
    rc, result, _out = run_module(relay_outbound_info, {
        'hops': [hop(good), hop(impostor, name='peer relay2'), {'name': 'gone', 'host': '127.0.0.1', 'port': refused}],
        'ca_file': tls_material.ca_file, 'access_file': str(access), 'timeout': 3,
        'queue_dir': str(queue), 'client_queue_dir': str(client)}, check_mode=True)
    assert rc == 0 and result['changed'] is False
    assert result['access_file_found'] is True
    assert [h['ok'] for h in result['hops']] == [True, False, False]
    assert [h['verified'] for h in result['hops']] == [True, False, None]
    assert result['ok'] is False and len(result['failures']) == 2
    assert result['failures'][0].startswith('outbound hop peer relay2 (relay.test:%d at 127.0.0.1)' % impostor.port)
    assert 'did not answer' in result['failures'][1]
    assert result['queue']['mqueue']['entries'] == 1 and 630 <= result['queue']['mqueue']['oldest_age_seconds'] < 660
    assert result['queue']['clientmqueue']['entries'] == 2
    assert _snapshot(tmp_path) == before
    assert result['lines'][0].startswith('  outbound smart host relay.test:%d at 127.0.0.1 [TLS required, must verify]: '
                                         'answered, TLSv1.' % good.port)
    assert 'certificate verified (CN=relay.test)' in result['lines'][0]
    assert 'certificate NOT verified' in result['lines'][1] and 'FAILED' in result['lines'][1]
    assert 'NO ANSWER' in result['lines'][2]
    assert result['lines'][3:] == ['  queue %s: 1 entry, oldest 10 min' % queue, '  client queue %s: 2 entries, oldest 60 s' % client]
    documented = yaml.safe_load(relay_outbound_info.RETURN)
    assert set(result) - {'changed', 'invocation'} == set(documented)
    assert set(result['hops'][0]) == set(documented['hops']['contains'])
    assert set(result['queue']['mqueue']) == set(documented['queue']['contains']['mqueue']['contains'])


def test_module_without_hops_is_ok(run_module, tmp_path):
    rc, result, _out = run_module(relay_outbound_info, {
        'queue_dir': str(tmp_path / 'none'), 'client_queue_dir': '', 'access_file': str(tmp_path / 'no-access')})
    assert rc == 0 and result['ok'] is True and result['hops'] == [] and result['failures'] == []
    assert result['access_file_found'] is False
    assert result['queue']['mqueue']['exists'] is False and result['queue']['clientmqueue'] is None


def test_missing_ca_file_fails_only_the_hops_that_must_verify(run_module, smtp_server, tmp_path):
    server = smtp_server('starttls')
    rc, result, _out = run_module(relay_outbound_info, {
        'hops': [hop(server, verify=True), hop(server, name='loose')], 'ca_file': str(tmp_path / 'nope.crt'),
        'timeout': 3, 'queue_dir': '', 'client_queue_dir': ''})
    assert rc == 0
    assert [h['ok'] for h in result['hops']] == [False, True]
    assert 'nope.crt does not exist' in result['hops'][0]['error'] and result['hops'][0]['answered'] is False
    assert result['hops'][1]['starttls'] is True and result['hops'][1]['verified'] is None
    assert result['failures'] == ['outbound hop smart host (relay.test:%d at 127.0.0.1) did not answer: %s'
                                  % (server.port, result['hops'][0]['error'])]


def test_documented_options_match_the_argument_spec():
    documented = yaml.safe_load(relay_outbound_info.DOCUMENTATION)['options']
    spec = relay_outbound_info.argument_spec()
    assert set(documented) == set(spec)
    for option, settings in spec.items():
        doc = documented[option]
        assert doc.get('type', 'str') == settings.get('type', 'str'), option
        assert doc.get('default') == settings.get('default'), option
        assert doc.get('choices') == settings.get('choices'), option
    suboptions = documented['hops']['suboptions']
    assert set(suboptions) == set(spec['hops']['options'])
    for option, settings in spec['hops']['options'].items():
        assert suboptions[option].get('type', 'str') == settings.get('type', 'str'), option
        assert suboptions[option].get('default') == settings.get('default'), option
        assert bool(suboptions[option].get('required')) == bool(settings.get('required')), option


def test_examples_are_valid():
    validator = ArgumentSpecValidator(relay_outbound_info.argument_spec())
    used = 0
    for task in yaml.safe_load(relay_outbound_info.EXAMPLES):
        assert 'name' in task
        if 'mailrelay.sendmail.relay_outbound_info' in task:
            used += 1
            result = validator.validate(task['mailrelay.sendmail.relay_outbound_info'] or {})
            assert not result.error_messages, result.error_messages
    assert used == 2
