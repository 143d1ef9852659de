# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the mailrelay.sendmail collection: may change without notice.
#
# The verification gate's judgement of one listener of one relay, from the registered
# results of the probe modules (smtp_ehlo_info, smtp_auth_check with its DATA probe, smtp_relay_check,
# smtp_smuggling_check): one report line, one entry per check, and one failure message per
# failed check that names the listener, the check and what to do. The filter
# mailrelay.sendmail.verify_listener_report is a thin wrapper around listener_report().
#
# The results come from tasks with failed_when: false, so "failed" is always false there:
# a probe counts as failed when it says error_kind, or msg (the probe modules only say msg
# when they fail), or Ansible's own exception/module_stderr/unreachable. Nothing in here may
# raise on a result of unexpected shape: the gate must always get its report.

from __future__ import annotations

from ansible_collections.mailrelay.sendmail.plugins.module_utils._cert_expiry import expiry_text, expiry_verdict
from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp_data import data_summary
from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp_sasl import cleartext_mechanisms

CHECKS = ('ehlo', 'starttls', 'tls_version', 'certificate', 'tls11_refused', 'auth_before_tls', 'auth_after_tls',
          'auth', 'relay_without_auth', 'relay_with_auth', 'data', 'relay_tricks', 'relay_destinations', 'smuggling',
          'probe_host')
STATUSES = ('passed', 'warning', 'failed', 'skipped')  # warning: passed, but needs attention soon
_TLS_ORDER = ('TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3')

# Names the hints use for the gate's own settings; the caller may name its variables instead.
DEFAULT_VARIABLES = {
    'credentials': 'the probe account (user and password) of the gate',
    'ca_file': "the gate's CA file on the probe host",
    'allow_plaintext_auth': "the gate's allow-plaintext-AUTH setting",
    'certificates': "the gate's require-certificates setting",
    'probe_from': "the gate's probe host",
    'data_check': "the gate's DATA-check setting",
    'cert_warn_days': "the gate's certificate warning threshold",
    'cert_fail_days': "the gate's certificate failure threshold",
    'auth_optional': None,
}


# ---------------------------------------------------------------------------------------
# reading registered results without trusting their shape

def _dict(value):
    return value if isinstance(value, dict) else {}


def _list(value):
    if isinstance(value, (list, tuple)):
        return list(value)
    return []


def _text(value, default=''):
    if value is None:
        return default
    return str(value)


def _first_line(value, limit=200):
    text = _text(value).strip().split('\n', 1)[0]
    return text if len(text) <= limit else text[:limit - 3] + '...'


class Probe:
    """One registered probe result: state ('missing', 'skipped', 'failed', 'ok'), why, and what to do.

    error_kind is the module's, or 'module_error' when the task failed without one (the
    module crashed, did not exist on the probe host, got bad arguments), or 'unreachable'.
    """

    def __init__(self, name, result):
        self.name = name
        self.raw = result
        data = _dict(result)
        self.data = data
        self.kind = None
        self.message = None
        self.hint = None
        if result is None or not data:
            self.state, self.message = 'missing', 'the %s probe did not run' % name
        elif data.get('skipped'):
            self.state = 'skipped'
            self.message = 'the %s probe was skipped%s' % (
                name, ': %s' % _first_line(data['skip_reason']) if data.get('skip_reason') else '')
        elif data.get('unreachable'):
            self.state, self.kind = 'failed', 'unreachable'
            self.message = 'the probe host could not be reached: %s' % _first_line(data.get('msg'), 300)
            self.hint = 'make sure the probe host is reachable over SSH from the controller'
        elif (data.get('failed') or data.get('error_kind') or data.get('msg') or data.get('exception')
              or data.get('module_stderr')):
            self.state = 'failed'
            self.kind = _text(data.get('error_kind')) or 'module_error'
            self.message = _first_line(data.get('msg') or data.get('module_stderr') or data.get('exception')
                                       or 'failed without a message', 400)
            if data.get('msg') and data.get('module_stderr'):  # "deserialization failed": stderr says why
                self.message += ' (stderr: %s)' % _first_line(data['module_stderr'], 200)
            self.hint = _text(data.get('hint')) or None
            if self.kind == 'module_error' and not self.hint:
                self.hint = ('the probe module itself failed on the probe host: read its message; check that the '
                             'collection and Python 3 are there and that the task arguments are right')
        else:
            self.state = 'ok'

    @property
    def ran(self):
        """The probe talked to the relay and returned what it saw (it may still have found faults)."""
        return self.state == 'ok' or (self.state == 'failed' and self.kind == 'expectation')

    @property
    def broke(self):
        """The probe failed for another reason than an expectation: connection, TLS, module."""
        return self.state == 'failed' and self.kind != 'expectation'

    def get(self, key, default=None):
        value = self.data.get(key)
        return default if value is None else value


def _mechs(values):
    return sorted(set(_text(v).strip().upper() for v in _list(values) if _text(v).strip()))


def _fmt(values):
    return '[' + ' '.join(values) + ']'


def _tls_rank(version):
    return _TLS_ORDER.index(version) if version in _TLS_ORDER else -1


def _code(reply):
    reply = _dict(reply)
    return reply.get('code') if reply.get('code') is not None else '-'


# ---------------------------------------------------------------------------------------
# the report

class _Report:

    def __init__(self, data):
        data = _dict(data)
        self.listener = _dict(data.get('listener'))
        self.options = _dict(data.get('options'))
        self.variables = dict(DEFAULT_VARIABLES)
        self.variables.update((k, _text(v)) for k, v in _dict(self.options.get('variables')).items() if v)
        self.ehlo = Probe('EHLO', data.get('ehlo'))
        self.tls11 = Probe('TLS 1.1', data.get('tls11'))
        self.auth = Probe('AUTH', data.get('auth'))
        self.relay = Probe('relay tricks', data.get('relay'))
        self.smuggling = Probe('smuggling', data.get('smuggling'))
        self.tls_mode = _text(self.listener.get('tls'), 'starttls')
        self.checks = []
        self.failures = []
        self.warnings = []
        self.parts = []

    # --- helpers ---------------------------------------------------------------------------

    @property
    def where(self):
        name = '%s:%s' % (_text(self.listener.get('name'), '?'), _text(self.listener.get('port'), '?'))
        address = _text(self.listener.get('address'))
        return '%s [%s]' % (name, address) if address else name

    def option(self, name, default=False):
        value = self.options.get(name)
        return default if value is None else bool(value)

    def var(self, key):
        return self.variables.get(key, key)

    def add(self, name, status, detail, todo=None):
        self.checks.append({'name': name, 'ok': status != 'failed', 'status': status, 'detail': detail})
        message = '%s %s: %s%s' % (self.where, name, detail, ' - %s' % todo if todo else '')
        if status == 'failed':
            self.failures.append((CHECKS.index(name), message))
        elif status == 'warning':
            self.warnings.append((CHECKS.index(name), message))

    def broken(self, name, probe, todo=None):
        """A check that fails because its probe could not do its work."""
        detail = '%s (%s)' % (probe.message, probe.kind) if probe.kind else probe.message
        self.add(name, 'failed', detail, todo or probe.hint)

    # --- the checks ------------------------------------------------------------------------

    def check_ehlo(self):
        ehlo = self.ehlo
        tls_kinds = ('tls_handshake', 'tls_verify')
        if ehlo.state in ('missing', 'skipped'):
            self.add('ehlo', 'failed', ehlo.message, 'run smtp_ehlo_info against every listener')
            self.parts.append('EHLO not run')
            return False
        if ehlo.broke and ehlo.kind not in tls_kinds:
            self.broken('ehlo', ehlo)
            self.parts.append('EHLO FAILED (%s)' % ehlo.kind)
            return False
        banner = ehlo.get('banner_code')
        if banner != 220 and ehlo.get('ehlo_greeting') is None:
            self.add('ehlo', 'failed', 'no greeting and EHLO answer seen (banner %s)' % _text(banner, '-'),
                     'see the transcript of the EHLO probe')
            self.parts.append('EHLO FAILED')
            return False
        self.add('ehlo', 'passed', 'banner %s, EHLO answered' % banner)
        return True

    def check_tls(self):
        ehlo, tls = self.ehlo, _dict(self.ehlo.get('tls'))
        established = bool(tls.get('established'))
        if self.tls_mode == 'none':
            return
        if established:
            self.add('starttls', 'passed', '%s established' % ('STARTTLS' if self.tls_mode == 'starttls' else 'implicit TLS'))
        else:
            reason = (tls.get('handshake_error') or (ehlo.message if ehlo.kind in ('tls_handshake', 'tls_verify') else None)
                      or ('STARTTLS not offered' if self.tls_mode == 'starttls' and not ehlo.get('starttls_offered')
                          else 'no TLS session'))
            self.add('starttls', 'failed', _first_line(reason, 300),
                     ehlo.hint if ehlo.kind == 'tls_handshake' and ehlo.hint else
                     'sendmail offers TLS only when it can read its certificate and key: check sendmail_config_tls, '
                     'sendmail_config_tls_server_cert and sendmail_config_tls_server_key, and the STARTTLS lines of '
                     'the mail log')
        if established:
            version = _text(tls.get('version'), '?')
            minimum = _text(self.options.get('min_tls_version'), 'TLSv1.2')
            if _tls_rank(version) >= _tls_rank(minimum):
                self.add('tls_version', 'passed', '%s (at least %s)' % (version, minimum))
            else:
                self.add('tls_version', 'failed', 'negotiated %s, below %s' % (version, minimum),
                         'raise sendmail_config_tls_min_version')
        self.check_certificate(tls, established)

    def check_certificate(self, tls, established):
        required = self.option('require_certificates', True)
        verified = tls.get('verified')
        days = tls.get('days_left')
        days_text = ', %s days left' % days if days is not None else ''
        # the expiry rule (_cert_expiry): without thresholds only an expired certificate fails
        warn_days, fail_days = self.options.get('cert_warn_days'), self.options.get('cert_fail_days')
        expiry = expiry_verdict(days, warn_days, 0 if fail_days is None else fail_days)
        if established:
            self.parts.append('%s %s%s%s' % (
                _text(tls.get('version'), 'TLS'), 'verified' if verified is True else 'NOT verified',
                ', certificate %s days left' % days if days is not None else '',
                {'warn': ' (RENEW SOON)', 'fail': ' (EXPIRING)' if isinstance(days, int) and days >= 0 else ''}.get(expiry, '')))
        if not established and verified is not False:
            return  # no certificate seen: the starttls check says why
        renew = ('renew it: private_ca re-issues a certificate within private_ca_renew_before_days of its end, so run '
                 'the rollout (or playbooks/site.yml) for this relay')
        if expiry == 'fail':
            if days < 0:
                self.add('certificate', 'failed', 'the certificate expired %d days ago' % -days,
                         'renew it (private_ca renews certificates close to their end)')
            else:
                self.add('certificate', 'failed', 'the certificate %s (notAfter %s), fewer than %s (%s days)' % (
                    expiry_text(days), _text(tls.get('not_after'), '?'), self.var('cert_fail_days'), fail_days), renew)
            return
        if verified is True:
            if expiry == 'warn':
                self.add('certificate', 'warning', 'verified against the CA, but the certificate %s (notAfter %s), '
                         'fewer than %s (%s days)' % (expiry_text(days), _text(tls.get('not_after'), '?'),
                                                      self.var('cert_warn_days'), warn_days), renew)
            else:
                self.add('certificate', 'passed', 'verified against the CA%s' % days_text)
        elif not required:
            seen = 'did not verify: %s' % tls.get('verify_error') if verified is False else 'not checked'
            self.add('certificate', 'skipped', 'not required (%s)' % seen)
        elif not self.option('ca_file_given', True):
            self.add('certificate', 'failed', 'not verified: no CA file on the probe host',
                     'set %s (or turn off %s for a lab)' % (self.var('ca_file'), self.var('certificates')))
        elif verified is False:
            self.add('certificate', 'failed', 'did not verify: %s' % _first_line(tls.get('verify_error'), 300),
                     'the certificate must chain to the CA in %s and name the relay (tls_server_name); reissue it '
                     'with private_ca or give the right CA' % self.var('ca_file'))
        else:
            self.add('certificate', 'failed', 'not checked', 'give the EHLO probe ca_file and validate_certs')

    def check_tls11(self):
        probe = self.tls11
        if self.tls_mode == 'none' or probe.state in ('missing', 'skipped'):
            if self.tls_mode != 'none' and probe.state == 'skipped':
                self.add('tls11_refused', 'skipped', probe.message)
            return
        if probe.state == 'ok':
            self.add('tls11_refused', 'passed', 'TLS 1.1 refused')
            self.parts.append('TLS 1.1 refused')
        elif probe.kind == 'expectation':
            self.add('tls11_refused', 'failed', 'TLS 1.1 accepted: %s' % probe.message,
                     'set sendmail_config_tls_min_version to TLSv1.2 or later')
            self.parts.append('TLS 1.1 ACCEPTED')
        else:
            self.broken('tls11_refused', probe)
            self.parts.append('TLS 1.1 probe FAILED')

    def check_mechanisms(self):
        ehlo = self.ehlo
        before, after = _mechs(ehlo.get('auth_before_tls')), _mechs(ehlo.get('auth_after_tls'))
        if self.tls_mode == 'none':
            self.parts.append('clear text by configuration')
        elif self.tls_mode == 'starttls':
            self.parts.append('STARTTLS %s' % ('offered' if ehlo.get('starttls_offered') else 'NOT offered'))
        if self.tls_mode != 'implicit':
            self.parts.append('AUTH before TLS %s' % _fmt(before))
        if self.tls_mode != 'none':
            self.parts.append('after TLS %s' % _fmt(after))
        if self.tls_mode != 'implicit':
            problems = []
            clear = cleartext_mechanisms(before)
            if clear and not self.option('allow_plaintext_auth', False):
                problems.append('%s offered before TLS, so passwords can cross the network in clear' % ' and '.join(clear))
            wanted = _mechs(self.listener.get('auth_before_tls'))
            if 'auth_before_tls' in self.listener and wanted != before:
                problems.append('expected %s, server offered %s' % (_fmt(wanted), _fmt(before)))
            if problems:
                self.add('auth_before_tls', 'failed', '; '.join(problems),
                         "keep 'p' in sendmail_config_auth_options (sendmail_config_allow_plaintext_auth: false) "
                         'so PLAIN and LOGIN appear only inside TLS, or set %s for a lab'
                         % self.var('allow_plaintext_auth'))
            else:
                self.add('auth_before_tls', 'passed', 'offered %s' % _fmt(before))
        if self.tls_mode != 'none' and _dict(ehlo.get('tls')).get('established'):
            wanted = _mechs(self.listener.get('auth_after_tls'))
            if 'auth_after_tls' in self.listener and wanted != after:
                self.add('auth_after_tls', 'failed', 'expected %s, server offered %s' % (_fmt(wanted), _fmt(after)),
                         'check sendmail_config_auth_mechanisms and that Cyrus SASL loads those mechanisms '
                         '(pluginviewer)')
            else:
                self.add('auth_after_tls', 'passed', 'offered %s' % _fmt(after))

    def credentials_hint(self):
        hint = 'give %s' % self.var('credentials')
        if self.var('auth_optional'):
            hint += ', or set %s: true if this relay intentionally has no AUTH users' % self.var('auth_optional')
        return hint

    def check_auth(self):
        probe, credentials = self.auth, self.option('credentials_given', False)
        offered = _mechs(self.ehlo.get('auth_after_tls')) + _mechs(self.ehlo.get('auth_before_tls'))
        if probe.state in ('missing', 'skipped'):
            if credentials:
                self.add('auth', 'failed', probe.message, 'run smtp_auth_check with the probe account')
            elif self.option('require_credentials', False) and offered:
                self.add('auth', 'failed', 'not tested: no credentials given', self.credentials_hint())
            return None
        if probe.broke and probe.kind not in ('credentials_withheld', 'no_credentials'):
            self.broken('auth', probe)
            self.parts.append('AUTH probe FAILED (%s)' % probe.kind)
            return None
        withheld = probe.get('auth_withheld')
        if not credentials:
            if self.option('require_credentials', False) and offered:
                self.add('auth', 'failed', 'not tested: no credentials given', self.credentials_hint())
            elif offered:
                self.add('auth', 'skipped', 'not tested: no credentials given')
            return probe
        if withheld or probe.kind == 'credentials_withheld':
            self.add('auth', 'failed', 'credentials withheld: %s' % _first_line(withheld or probe.message, 300),
                     'the gate sends the password only inside TLS verified against the CA and the relay name: fix '
                     '%s or the relay certificate' % self.var('ca_file'))
            self.parts.append('AUTH withheld')
            return probe
        if probe.kind == 'no_credentials':
            self.add('auth', 'failed', probe.message, 'give %s' % self.var('credentials'))
            return probe
        entries = _dict(probe.get('auth'))
        succeeded, failed = _list(probe.get('auth_succeeded')), _list(probe.get('auth_failed'))
        if succeeded and not failed:
            self.add('auth', 'passed', '%s accepted' % ' and '.join(_text(m) for m in succeeded))
            self.parts.append('AUTH %s ok' % '/'.join(_text(m) for m in succeeded))
        elif not entries:
            if offered:
                self.add('auth', 'failed', 'no mechanism was tried although %s is offered' % _fmt(offered),
                         'give the AUTH probe the mechanisms to try')
            else:
                self.add('auth', 'skipped', 'the listener offers no AUTH')
        else:
            outcomes, temporary = [], False
            for mechanism in failed:
                entry = _dict(entries.get(mechanism))
                temporary = temporary or _text(entry.get('code')).startswith('4')
                outcomes.append('%s %s' % (mechanism, _first_line(entry.get('error') or '%s %s' % (
                    _text(entry.get('code'), '-'), _text(entry.get('text'))), 120)))
            if temporary:
                # 454: the relay could not check the password (saslauthd down, or its directory unreachable)
                hint = ('the relay could not check the password: check that saslauthd runs and reaches its '
                        'directory (testsaslauthd on the relay, docs/ldap.md)')
            else:
                hint = ('check the probe account (mailrelay_verify_user) where the relay checks passwords: '
                        'cyrus_sasl_users in sasldb, the directory with saslauthd, system accounts with pam or '
                        'shadow; its realm; and sendmail_config_auth_mechanisms')
            self.add('auth', 'failed', 'login refused: %s' % '; '.join(outcomes), hint)
            self.parts.append('AUTH FAILED')
        return probe

    def check_relay_with_probe(self, probe):
        """relay_without_auth and relay_with_auth, from smtp_auth_check's relay probe."""
        if probe is None:
            return
        relay = _dict(probe.get('relay'))
        if not relay:
            return
        without = _dict(relay.get('without_auth'))
        verdict = _text(without.get('verdict'), '?')
        self.parts.append('relay without AUTH %s (%s)' % (verdict, _code(without.get('rcpt') or without.get('mail'))))
        if verdict == 'denied':
            self.add('relay_without_auth', 'passed', 'denied (%s)' % _code(without.get('rcpt') or without.get('mail')))
        elif verdict == 'accepted':
            self.add('relay_without_auth', 'failed', 'an outside recipient was accepted without AUTH: open relay',
                     'remove RELAY entries for the probe host from sendmail_config_access and promiscuous or loose '
                     'relaying features from sendmail_config_features')
        else:
            self.add('relay_without_auth', 'failed', '%s: %s' % (verdict, _first_line(
                without.get('error') or _dict(without.get('mail')).get('text') or 'no answer')),
                'see the transcript of the AUTH probe')
        if not self.option('credentials_given', False):
            return
        with_auth = _dict(relay.get('with_auth'))
        verdict = _text(with_auth.get('verdict'), '?')
        self.parts.append('with AUTH %s (%s)' % (verdict, _code(with_auth.get('rcpt') or with_auth.get('mail'))))
        if verdict == 'accepted':
            self.add('relay_with_auth', 'passed', 'accepted after AUTH %s' % _text(with_auth.get('mechanism'), ''))
        elif verdict == 'not_run':
            self.add('relay_with_auth', 'failed', 'not tested: no login succeeded',
                     'fix the auth check first')
        else:
            self.add('relay_with_auth', 'failed', 'an authenticated client could not relay (%s: %s)' % (
                verdict, _first_line(with_auth.get('error') or _dict(with_auth.get('rcpt')).get('text') or 'no answer')),
                'authenticated relaying needs TRUST_AUTH_MECH for the mechanism (sendmail_config_trust_auth_mechanisms)')

    def _relay_outcomes(self, kind):
        """(entries tried, accepted, inconclusive) of the relay probe, for kind 'trick' or 'destination'."""
        tried, accepted, inconclusive = 0, [], []
        for phase, outcome in sorted(_dict(self.relay.get('phases')).items()):
            for entry in _list(_dict(outcome).get('tricks')):
                entry = _dict(entry)
                if (entry.get('kind') or 'trick') != kind:
                    continue
                tried += 1
                if entry.get('verdict') == 'accepted':
                    accepted.append('%s (%s, RCPT TO:<%s>)' % (entry.get('id'), phase, entry.get('rcpt_to')))
                elif entry.get('verdict') == 'inconclusive':
                    inconclusive.append('%s (%s: %s)' % (entry.get('id'), phase, _first_line(entry.get('error'), 120)))
        return tried, accepted, inconclusive

    def _relay_faults(self, name, accepted, inconclusive, open_hint):
        """Fail check `name` for accepted (an open relay) or inconclusive probes; True when it failed."""
        if accepted:
            self.add(name, 'failed', 'accepted %s' % ', '.join(accepted), open_hint)
        elif inconclusive:
            self.add(name, 'failed', 'inconclusive %s' % ', '.join(inconclusive),
                     self.relay.hint or 'see the notes and the transcript of the relay probe')
        return bool(accepted or inconclusive)

    def check_relay_tricks(self):
        probe = self.relay
        if probe.state == 'skipped' and self.option('relay_tricks', True) is False:
            self.add('relay_tricks', 'skipped', 'not run (turned off for this gate)')
            return
        if probe.state in ('missing', 'skipped'):
            self.add('relay_tricks', 'failed', probe.message, 'run smtp_relay_check against every listener')
            self.parts.append('relay tricks not run')
            return
        if probe.broke:
            self.broken('relay_tricks', probe)
            self.parts.append('relay tricks FAILED (%s)' % probe.kind)
            return
        counts = _dict(probe.get('counts'))
        tried, accepted, inconclusive = self._relay_outcomes('trick')
        destinations = self._relay_outcomes('destination')[0]
        total = tried if tried or destinations else counts.get('probes', 0)
        refused = total - len(accepted) - len(inconclusive) if tried or destinations else counts.get('refused', 0)
        self.parts.append('relay tricks: %s/%s refused' % (refused, total))
        if probe.kind == 'expectation' and not total:
            inconclusive = ['(no probe answered)']
        if self._relay_faults('relay_tricks', accepted, inconclusive,
                              'the relay relays for outside clients with these tricks: look for RELAY entries in '
                              'sendmail_config_access, sendmail_config_relay_domains, and promiscuous_relay, '
                              'loose_relay_check, relay_local_from or relay_based_on_MX in sendmail_config_features'):
            return
        if not total:
            self.add('relay_tricks', 'failed', 'no trick was tried', 'run smtp_relay_check without restricting tricks')
        else:
            self.add('relay_tricks', 'passed', '%s/%s refused' % (refused, total))

    def check_relay_destinations(self):
        """The outside destinations the gate adds to the tricks (other TLDs, parents of relay domains, literals)."""
        if not self.relay.ran:
            return  # relay_tricks says why
        tried, accepted, inconclusive = self._relay_outcomes('destination')
        if not tried:
            return
        wanted = [_text(item) for item in _list(self.options.get('relay_destinations'))]
        shown = (' (%s)' % ', '.join(wanted)) if wanted else ''
        refused = tried - len(accepted) - len(inconclusive)
        self.parts.append('outside destinations: %s/%s refused' % (refused, tried))
        if not self._relay_faults('relay_destinations', accepted, inconclusive,
                                  'the relay relays to outside domains for anyone: look at what fills class R (the '
                                  'relay-domains file from sendmail_config_relay_domains, C R lines, confCR_FILE), '
                                  'RELAY entries in sendmail_config_access, and relay features in '
                                  'sendmail_config_features'):
            self.add('relay_destinations', 'passed', '%s/%s refused%s' % (refused, tried, shown))

    def check_data(self, probe):
        """The DATA probe of smtp_auth_check: one small message to the relay's discarding alias, 250 required."""
        offers_auth = bool(_mechs(self.ehlo.get('auth_after_tls')) or _mechs(self.listener.get('auth_after_tls')))
        if self.options.get('data_check') is False:
            if offers_auth:
                self.add('data', 'skipped', 'not run (turned off for this gate)')
            return
        data = _dict(probe.get('data')) if probe is not None else {}
        if not data:
            if (probe is not None and self.option('data_check', False) and offers_auth
                    and self.option('credentials_given', False)):
                self.add('data', 'failed', 'the DATA probe did not run', 'give the AUTH probe data_rcpt')
            return
        size = _text(data.get('size'), '?')
        verdict = _text(data.get('verdict'), '?')
        summary = _first_line(data_summary(data), 300)
        self.parts.append('DATA %s' % (_code(data.get('end')) if verdict == 'accepted' else verdict.upper()))
        if verdict == 'accepted':
            self.add('data', 'passed', 'a %s-byte message to <%s> %s' % (size, _text(data.get('rcpt_to')), summary))
        elif verdict == 'not_run':
            self.add('data', 'failed', 'not tested: %s' % summary, 'fix the auth check first')
        else:
            self.add('data', 'failed', 'a %s-byte message to <%s> was %s' % (size, _text(data.get('rcpt_to')), summary),
                     'the relay refuses real mail: check sendmail_config_max_message_size, the milters, the space on '
                     'the queue disk, and that the alias %s exists (sendmail_config_probe_alias); where that address '
                     'cannot exist, turn off %s' % (_text(data.get('rcpt_to')).split('@', maxsplit=1)[0], self.var('data_check')))

    def check_smuggling(self):
        probe = self.smuggling
        if probe.state == 'missing':
            return
        if probe.state == 'skipped':
            self.add('smuggling', 'skipped', probe.message)
            return
        if probe.broke:
            self.broken('smuggling', probe)
            self.parts.append('smuggling probe FAILED (%s)' % probe.kind)
            return
        vulnerable = probe.get('vulnerable')
        if vulnerable is True:
            self.add('smuggling', 'failed', 'vulnerable to SMTP smuggling with %s' % ', '.join(
                _text(v) for v in _list(probe.get('vulnerable_variants'))),
                'build sendmail 8.18.1 or later, or with the CVE-2023-51765 fix (sendmail_build patches)')
            self.parts.append('smuggling: VULNERABLE')
        elif vulnerable is False and probe.state == 'ok':
            self.add('smuggling', 'passed', 'not vulnerable (%s)' % ', '.join(
                '%s %s' % (_dict(v).get('id'), _dict(v).get('verdict')) for v in _list(probe.get('variants'))))
            self.parts.append('smuggling: not vulnerable')
        else:
            self.add('smuggling', 'failed', 'inconclusive: %s' % probe.message,
                     probe.hint or 'see the replies of each variant and the transcript')
            self.parts.append('smuggling: inconclusive')

    def check_probe_host(self):
        for probe in (self.relay, _AuthRelay(self.auth)):
            if probe.ran and probe.get('client_is_relay_host'):
                self.add('probe_host', 'failed', 'the probe ran from %s, an address the relay trusts (loopback or its '
                         'own); relaying from there proves nothing' % _text(probe.get('client_address'), '?'),
                         'set %s to another machine' % self.var('probe_from'))
                return

    def build(self):
        if self.check_ehlo():  # a TLS failure of the EHLO probe still has a greeting: the TLS checks say why
            self.check_mechanisms()
            self.check_tls()
        self.check_tls11()
        probe = self.check_auth()
        self.check_relay_with_probe(probe)
        self.check_data(probe)
        self.check_relay_tricks()
        self.check_relay_destinations()
        self.check_smuggling()
        self.check_probe_host()
        line = '  %s (%s): %s' % (self.where, self.tls_mode, ', '.join(self.parts))
        order = dict((name, index) for index, name in enumerate(CHECKS))
        checks = sorted(self.checks, key=lambda check: order[check['name']])
        failures = [failure for _index, failure in sorted(self.failures, key=lambda item: item[0])]
        warnings = [warning for _index, warning in sorted(self.warnings, key=lambda item: item[0])]
        return {'line': line, 'ok': not failures, 'checks': checks, 'failures': failures, 'warnings': warnings}


class _AuthRelay:
    """smtp_auth_check's relay section seen like a Probe, for the probe-host check."""

    def __init__(self, auth):
        self.ran = auth.ran
        self.relay = _dict(auth.get('relay'))

    def get(self, key, default=None):
        value = self.relay.get(key)
        return default if value is None else value


def listener_report(data):
    """The gate's report of one listener: {line, ok, checks: [{name, ok, status, detail}], failures: [str],
    warnings: [str]}.

    `data` holds listener {name, port, tls, auth_before_tls, auth_after_tls, address}, the
    registered probe results ehlo, tls11, auth (with its DATA probe), relay and smuggling (each
    may be missing, skipped or failed), and options {credentials_given, allow_plaintext_auth,
    require_certificates, ca_file_given, require_credentials, min_tls_version, data_check,
    relay_destinations (the destinations' addresses, for the report), cert_warn_days and
    cert_fail_days (the expiry rule of _cert_expiry for the presented certificate: a check
    'warning' below the first, 'failed' below the second; without them only an expired
    certificate fails), variables}. A check with status 'warning' is ok (it passed) and has a
    message in `warnings`.
    Never raises for what is in `data`.
    """
    return _Report(data).build()
