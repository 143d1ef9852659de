# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter prngd_decision: does this host's sendmail need an EGD entropy daemon? (docs: prngd_decision.yml)

The rule, from sendmail's tls.c (tls_rand_init) and main.c:

- sendmail built with HASURANDOMDEV (the Linux default) never reads RandFile: OpenSSL seeds
  itself from the kernel. An entropy daemon is of no use to it.
- Built without HASURANDOMDEV, sendmail seeds OpenSSL from RandFile only, and when that fails it
  turns STARTTLS off. An ``egd:`` RandFile works only if sendmail was compiled with EGD and
  its libcrypto has RAND_egd() (OpenSSL 1.1.0 and later: only when built with enable-egd).
- Without a sendmail binary the host alone decides: a readable kernel random device means any
  sendmail built here defines HASURANDOMDEV.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError


def _kernel_usable(kernel):
    return bool(kernel.get('char_device')) and bool(kernel.get('read_ok'))


def _kernel_reason(kernel):
    path = kernel.get('path', '/dev/urandom')
    if not kernel.get('exists'):
        return '%s does not exist' % path
    if not kernel.get('char_device'):
        return '%s is not a character device' % path
    if not kernel.get('read_ok'):
        return '%s cannot be read' % path
    return '%s is a readable character device' % path


def _egd_obstacle(sendmail):
    """Why an egd: RandFile cannot work with this sendmail (None when it can)."""
    name = 'sendmail %s' % (sendmail.get('version') or '')
    if sendmail.get('urandom_dev'):
        return ('%s defines HASURANDOMDEV: it ignores RandFile and OpenSSL seeds itself from the kernel'
                % name.strip())
    if not sendmail.get('starttls'):
        return '%s has no STARTTLS: it asks OpenSSL for no random numbers' % name.strip()
    if not sendmail.get('egd'):
        return ('%s lacks HASURANDOMDEV but was compiled without EGD: it cannot read an egd: RandFile '
                '(give it a file: RandFile instead)' % name.strip())
    if not sendmail.get('libcrypto_rand_egd'):
        return ('%s has EGD, but its libcrypto %s has no RAND_egd (OpenSSL >= 1.1.0 without enable-egd): '
                'an egd: RandFile would fail' % (name.strip(), sendmail.get('libcrypto') or '(none found)'))
    return None


def prngd_decision(sendmail, kernel, state='auto', socket='/var/run/egd-pool', provider='entropybroker'):
    """Decide whether to serve an EGD socket; see prngd_decision.yml for the input and output keys."""
    if not isinstance(sendmail, dict) or not isinstance(kernel, dict):
        raise AnsibleFilterError('prngd_decision: the input must be a sendmail_info result and a dict about the kernel random device')
    if state not in ('auto', 'present', 'absent'):
        raise AnsibleFilterError('prngd_decision: state must be auto, present or absent, not %r' % (state,))
    reasons = []
    refusal = ''
    kernel_ok = _kernel_usable(kernel)
    if sendmail.get('exists'):
        obstacle = _egd_obstacle(sendmail)
        if obstacle is None:
            needed = True
            reasons.append('sendmail %s lacks HASURANDOMDEV: it seeds OpenSSL only from RandFile, and turns STARTTLS off '
                           'when that fails' % (sendmail.get('version') or ''))
            reasons.append('it has EGD, and its libcrypto %s has RAND_egd' % sendmail.get('libcrypto'))
        else:
            needed = False
            reasons.append(obstacle)
            refusal = ('prngd_state is present, but %s, so an EGD socket would never be read. Use prngd_state: auto '
                       '(or absent); an entropy daemon only helps a sendmail built without HASURANDOMDEV, with EGD, '
                       'against a libcrypto that has RAND_egd.' % obstacle)
        reasons.append(_kernel_reason(kernel))
    else:
        reasons.append('no sendmail at %s yet: decided from the host alone' % (sendmail.get('binary') or '/usr/sbin/sendmail'))
        reasons.append(_kernel_reason(kernel))
        needed = not kernel_ok
        if kernel_ok:
            reasons.append('any sendmail built for this Linux defines HASURANDOMDEV and ignores RandFile')
        else:
            reasons.append('a sendmail built without a kernel random device would need an entropy daemon')

    if state == 'present':
        serve = not refusal
    elif state == 'absent':
        serve = False
    else:
        serve = needed

    if state == 'absent' and needed:
        reasons.append('prngd_state is absent: nothing seeds sendmail, which will run without STARTTLS')

    daemon = 'EGD socket %s (%s)' % (socket, provider)
    if serve and needed:
        source = daemon
    elif serve:
        source = 'kernel (%s); %s served on request, not read by sendmail' % (kernel.get('path', '/dev/urandom'), daemon)
    elif sendmail.get('exists') and sendmail.get('urandom_dev'):
        source = 'kernel (%s, sendmail HASURANDOMDEV)' % kernel.get('path', '/dev/urandom')
    elif not sendmail.get('exists') and kernel_ok:
        source = 'kernel (%s; no sendmail installed yet)' % kernel.get('path', '/dev/urandom')
    elif needed:
        source = 'none: sendmail needs an EGD socket and prngd_state is %s' % state
    else:
        source = 'RandFile only: %s' % (_egd_obstacle(sendmail) if sendmail.get('exists') else _kernel_reason(kernel))

    return {
        'needed': needed,
        'serve': serve,
        'reasons': reasons,
        'refusal': refusal if state == 'present' else '',
        'rand_file': 'egd:%s' % socket if serve and needed else '',
        'entropy_source': source,
    }


class FilterModule:
    def filters(self):
        return {'prngd_decision': prngd_decision}
