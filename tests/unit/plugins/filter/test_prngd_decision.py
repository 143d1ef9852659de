# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""prngd_decision: when an EGD daemon is needed, table-driven over the builds sendmail can have."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.mailrelay.sendmail.plugins.filter.prngd_decision import FilterModule, prngd_decision

KERNEL_OK = {'path': '/dev/urandom', 'exists': True, 'char_device': True, 'read_ok': True}
NO_KERNEL = {'path': '/dev/urandom', 'exists': False, 'char_device': False, 'read_ok': False}
NOT_CHR = {'path': '/dev/urandom', 'exists': True, 'char_device': False, 'read_ok': True}

# what sendmail_info returns for the builds that matter
DEBIAN = {'exists': True, 'version': '8.17.1.9', 'starttls': True, 'urandom_dev': True, 'egd': False,
          'libcrypto': '/lib/x86_64-linux-gnu/libcrypto.so.3', 'libcrypto_rand_egd': False}
NO_URANDOM_EGD_OK = dict(DEBIAN, urandom_dev=False, egd=True, libcrypto='/opt/openssl-egd/lib/libcrypto.so.3', libcrypto_rand_egd=True)
NO_URANDOM_NO_EGD = dict(DEBIAN, urandom_dev=False)
NO_URANDOM_EGD_DEBIAN_SSL = dict(DEBIAN, urandom_dev=False, egd=True)
NO_TLS = dict(DEBIAN, starttls=False, urandom_dev=False, egd=True, libcrypto=None)
ABSENT = {'exists': False, 'binary': '/usr/sbin/sendmail', 'urandom_dev': False, 'egd': False}


@pytest.mark.parametrize('sendmail, kernel, state, needed, serve, rand_file, first_reason, source', [
    # Debian 12/13: sendmail ignores RandFile - nothing to do, whatever the kernel says
    (DEBIAN, KERNEL_OK, 'auto', False, False, '', 'sendmail 8.17.1.9 defines HASURANDOMDEV',
     'kernel (/dev/urandom, sendmail HASURANDOMDEV)'),
    (DEBIAN, NO_KERNEL, 'auto', False, False, '', 'sendmail 8.17.1.9 defines HASURANDOMDEV',
     'kernel (/dev/urandom, sendmail HASURANDOMDEV)'),
    (DEBIAN, KERNEL_OK, 'absent', False, False, '', 'sendmail 8.17.1.9 defines HASURANDOMDEV',
     'kernel (/dev/urandom, sendmail HASURANDOMDEV)'),
    # the one case that needs the daemon
    (NO_URANDOM_EGD_OK, KERNEL_OK, 'auto', True, True, 'egd:/var/run/egd-pool', 'sendmail 8.17.1.9 lacks HASURANDOMDEV',
     'EGD socket /var/run/egd-pool (entropybroker)'),
    (NO_URANDOM_EGD_OK, NO_KERNEL, 'present', True, True, 'egd:/var/run/egd-pool', 'sendmail 8.17.1.9 lacks HASURANDOMDEV',
     'EGD socket /var/run/egd-pool (entropybroker)'),
    (NO_URANDOM_EGD_OK, KERNEL_OK, 'absent', True, False, '', 'sendmail 8.17.1.9 lacks HASURANDOMDEV',
     'none: sendmail needs an EGD socket and prngd_state is absent'),
    # without HASURANDOMDEV but EGD cannot work: the daemon would not help
    (NO_URANDOM_NO_EGD, KERNEL_OK, 'auto', False, False, '', 'sendmail 8.17.1.9 lacks HASURANDOMDEV but was compiled without EGD',
     'RandFile only: sendmail 8.17.1.9 lacks HASURANDOMDEV but was compiled without EGD'),
    (NO_URANDOM_EGD_DEBIAN_SSL, KERNEL_OK, 'auto', False, False, '',
     'sendmail 8.17.1.9 has EGD, but its libcrypto /lib/x86_64-linux-gnu/libcrypto.so.3 has no RAND_egd', 'RandFile only:'),
    (NO_TLS, KERNEL_OK, 'auto', False, False, '', 'sendmail 8.17.1.9 has no STARTTLS', 'RandFile only:'),
    # no sendmail yet: the host decides
    (ABSENT, KERNEL_OK, 'auto', False, False, '', 'no sendmail at /usr/sbin/sendmail yet: decided from the host alone',
     'kernel (/dev/urandom; no sendmail installed yet)'),
    (ABSENT, KERNEL_OK, 'present', False, True, '', 'no sendmail at /usr/sbin/sendmail yet',
     'kernel (/dev/urandom); EGD socket /var/run/egd-pool (entropybroker) served on request, not read by sendmail'),
    (ABSENT, NO_KERNEL, 'auto', True, True, 'egd:/var/run/egd-pool', 'no sendmail at /usr/sbin/sendmail yet',
     'EGD socket /var/run/egd-pool (entropybroker)'),
    (ABSENT, NOT_CHR, 'auto', True, True, 'egd:/var/run/egd-pool', 'no sendmail at /usr/sbin/sendmail yet',
     'EGD socket /var/run/egd-pool (entropybroker)'),
])
def test_decisions(sendmail, kernel, state, needed, serve, rand_file, first_reason, source):
    decision = prngd_decision(sendmail, kernel, state)
    assert decision['needed'] is needed
    assert decision['serve'] is serve
    assert decision['rand_file'] == rand_file
    assert decision['reasons'][0].startswith(first_reason), decision['reasons']
    assert decision['entropy_source'].startswith(source), decision['entropy_source']
    assert decision['refusal'] == ''


@pytest.mark.parametrize('sendmail, because', [
    (DEBIAN, 'sendmail 8.17.1.9 defines HASURANDOMDEV: it ignores RandFile'),
    (NO_URANDOM_NO_EGD, 'compiled without EGD'),
    (NO_URANDOM_EGD_DEBIAN_SSL, 'has no RAND_egd'),
    (NO_TLS, 'has no STARTTLS'),
])
def test_present_is_refused_where_sendmail_would_ignore_the_socket(sendmail, because):
    decision = prngd_decision(sendmail, KERNEL_OK, 'present')
    assert decision['serve'] is False
    assert decision['rand_file'] == ''
    assert decision['refusal'].startswith('prngd_state is present, but ')
    assert because in decision['refusal']
    assert 'Use prngd_state: auto' in decision['refusal']


def test_kernel_reasons_say_what_is_wrong():
    assert 'is not a character device' in ' '.join(prngd_decision(ABSENT, NOT_CHR)['reasons'])
    assert '/dev/urandom does not exist' in prngd_decision(ABSENT, NO_KERNEL)['reasons']
    unreadable = dict(KERNEL_OK, read_ok=False)
    assert '/dev/urandom cannot be read' in prngd_decision(ABSENT, unreadable)['reasons']
    assert '/dev/urandom is a readable character device' in prngd_decision(DEBIAN, KERNEL_OK)['reasons']


def test_socket_and_provider_name_the_source():
    decision = prngd_decision(NO_URANDOM_EGD_OK, KERNEL_OK, 'auto', '/etc/entropy', 'prngd')
    assert decision['rand_file'] == 'egd:/etc/entropy'
    assert decision['entropy_source'] == 'EGD socket /etc/entropy (prngd)'


@pytest.mark.parametrize('args', [
    ('not a dict', KERNEL_OK),
    (DEBIAN, KERNEL_OK, 'sometimes'),
])
def test_bad_input(args):
    with pytest.raises(AnsibleFilterError):
        prngd_decision(*args)


def test_registered_and_documented():
    assert FilterModule().filters()['prngd_decision'] is prngd_decision
    doc = yaml.safe_load((Path(__file__).resolve().parents[4] / 'plugins' / 'filter' / 'prngd_decision.yml').read_text())
    options = doc['DOCUMENTATION']['options']
    assert set(options) == {'_input', 'kernel', 'state', 'socket', 'provider'}
    assert options['state']['choices'] == ['auto', 'present', 'absent']
    assert set(doc['RETURN']['_value']['contains']) == set(prngd_decision(DEBIAN, KERNEL_OK))
