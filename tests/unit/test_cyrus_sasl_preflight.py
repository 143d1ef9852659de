# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""cyrus_sasl's preflight for saslauthd -a ldap, as ansible-playbook runs it on localhost: a value
written into saslauthd.conf with a line break or another control character (which would add a
setting of its own, such as ldap_tls_check_peer: no) is refused, naming the variable and never
showing the bind password."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

from ansible_collections.mailrelay.sendmail.tests.unit.conftest import COLLECTIONS_PATH

PLAYBOOK = shutil.which('ansible-playbook', path=os.path.dirname(sys.executable)) or shutil.which('ansible-playbook')
pytestmark = pytest.mark.skipif(not PLAYBOOK, reason='ansible-playbook is not installed')

PLAY = """
- name: cyrus_sasl preflight
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Run the preflight
      ansible.builtin.include_role:
        name: mailrelay.sendmail.cyrus_sasl
        tasks_from: preflight
"""
PASSWORD = 'bind-secret-0815'


def run_preflight(**overrides):
    directory = tempfile.mkdtemp(prefix='saslpreflight')
    try:
        archive = os.path.join(directory, 'cyrus-sasl.tar.gz')
        with open(archive, 'wb') as handle:
            handle.write(b'not really a tarball')
        variables = dict(
            cyrus_sasl_source_archive=archive,
            cyrus_sasl_source_sha256=hashlib.sha256(b'not really a tarball').hexdigest(),
            cyrus_sasl_pwcheck_method='saslauthd', cyrus_sasl_saslauthd_mech='ldap',
            cyrus_sasl_mech_list=['plain', 'login'],
            cyrus_sasl_ldap_servers=['ldaps://ldap.example.org'], cyrus_sasl_ldap_search_base='ou=people,dc=example,dc=org',
            cyrus_sasl_ldap_bind_dn='cn=saslauthd,dc=example,dc=org', cyrus_sasl_ldap_bind_password=PASSWORD,
            cyrus_sasl_ldap_ca_file='/etc/ssl/certs/ldap-ca.crt', cyrus_sasl_users=[{'name': 'probe', 'password': 'x'}])
        variables.update(overrides)
        play, extra = os.path.join(directory, 'play.yml'), os.path.join(directory, 'vars.json')
        with open(play, 'w') as handle:
            handle.write(PLAY)
        with open(extra, 'w') as handle:
            json.dump(variables, handle)
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0',
                   ANSIBLE_STDOUT_CALLBACK='default', ANSIBLE_LOCALHOST_WARNING='0')
        done = subprocess.run([PLAYBOOK, '-vvv', '-i', 'localhost,', '-c', 'local', play, '-e', '@' + extra,
                               '-e', 'ansible_python_interpreter=' + sys.executable], env=env,
                              capture_output=True, text=True, timeout=180, check=False)
    finally:
        shutil.rmtree(directory)
    return done.returncode, done.stdout + done.stderr


def test_clean_directory_settings_pass():
    rc, out = run_preflight()
    assert rc == 0, out
    assert PASSWORD not in out


@pytest.mark.parametrize('variable, value', [
    ('cyrus_sasl_ldap_ca_file', '/etc/ssl/ca.crt\nldap_tls_check_peer: no'),
    ('cyrus_sasl_ldap_ca_file', '/etc/ssl/ca.crt\rldap_tls_check_peer: no'),
    ('cyrus_sasl_ldap_search_base', 'ou=people,dc=example,dc=org\x0bldap_start_tls: no'),
    ('cyrus_sasl_ldap_filter', '(uid=%u)\x00'),
    ('cyrus_sasl_ldap_servers', ['ldaps://ldap.example.org\tldap://evil']),
    ('cyrus_sasl_ldap_bind_password', PASSWORD + '\nldap_tls_check_peer: no'),
])
def test_a_control_character_in_saslauthd_conf_is_refused(variable, value):
    rc, out = run_preflight(**{variable: value})
    assert rc == 2, out
    flat = ' '.join(out.split())
    assert '%s holds a line break or another control character' % variable in flat
    assert 'Nothing was changed.' in flat
    assert PASSWORD not in out
