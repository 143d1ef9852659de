# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The cf judge on real sendmail.cf text: the role's template, m4 and sendmail 8.17.1.9's cf tree.

Every row of issue 18's table and its variants must be refused (naming the variable that caused
it), or, where a risk id applies, let through and reported when that id is accepted. The shipped
defaults give zero problems and m4 prints nothing on stderr.
"""

from __future__ import annotations

import pytest

from ansible_collections.mailrelay.sendmail.plugins.module_utils._cf_judge import (
    baseline_features,
    cf_problems,
    normalize_rule,
    parse_cf,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_rules import (
    broad_relay_reason,
    is_public_suffix,
    sendmail_config_problems,
)
from ansible_collections.mailrelay.sendmail.tests.unit.sendmail_cf_build import CfBuilder

MC = 'sendmail_config_mc_extra'
DEFINES = 'sendmail_config_defines'
FEATURES = 'sendmail_config_features'
RISKS = 'sendmail_config_accept_risks'


@pytest.fixture(scope='module')
def builder(tmp_path_factory):
    why = CfBuilder.missing()
    if why:
        pytest.skip(why)
    return CfBuilder(tmp_path_factory.mktemp('cf-tree'))


def judge(builder, overrides, accepted=False):
    candidate, baseline, errors = builder.pair(overrides)
    config = builder.variables(overrides)
    return cf_problems(candidate, baseline, config, accepted=accepted), errors


# (id, variables, the variable named, text in the message)
REFUSED = [
    # ---- issue 18's table
    ('define-shadows-PR', {DEFINES: {'PR': 'promiscuous_relay'}, FEATURES: ['PR']}, DEFINES, 'promiscuous_relay'),
    ('local-check-rcpt-quote-split', {MC: "LOCAL_RULESETS\nS`L'ocal_check_rcpt\nR$*\t$#OK\n"}, MC, 'Local_check_rcpt'),
    ('local-check-rcpt-spaces', {MC: "LOCAL_RULESETS\nS`L'ocal_check_rcpt\nR$*  $#OK\n"}, MC, 'Local_check_rcpt'),
    ('class-R-net', {MC: "LOCAL_CONFIG\nC`R'net\n"}, MC, 'class R'),
    ('authoptions-concatenated', {MC: "define(`AO', ``conf'`AUTH_OPTIONS'')define(AO, `A')\n"}, MC, 'AuthOptions'),
    ('confCR_FILE', {DEFINES: {'confCR_FILE': '/tmp/open-relay-domains'}}, DEFINES, 'class R'),
    ('feature-m4exit', {FEATURES: ['m4exit']}, FEATURES, 'cut short'),
    # ---- other quote splits and spellings of class R
    ('class-R-braces', {MC: "LOCAL_CONFIG\nC`{'R`}'com\n"}, MC, 'class R'),
    ('class-R-empty-quotes', {MC: "LOCAL_CONFIG\nC`'R`'org\n"}, MC, 'class R'),
    ('class-R-public-suffix', {MC: "LOCAL_CONFIG\n`C'`R'co.uk\n"}, MC, 'public suffix'),
    ('class-R-narrow-still-owned', {MC: "LOCAL_CONFIG\nC`R'partner.example.net\n"}, MC, 'relay_domains'),
    ('class-R-file', {MC: "LOCAL_CONFIG\nF`R'/tmp/relay-list\n"}, MC, '/tmp/relay-list'),
    ('class-R-program', {MC: "LOCAL_CONFIG\nF`R'|/bin/echo net\n"}, MC, '/bin/echo'),
    # ---- m4 builtins
    ('changequote', {MC: "changequote([,])LOCAL_CONFIG\nC[R]net\nchangequote(`,')\n"}, MC, 'class R'),
    ('undefine-MAILER', {MC: "undefine(`MAILER')\n"}, MC, 'cut short'),
    ('esyscmd', {MC: "LOCAL_CONFIG\nesyscmd(`printf CRorg')\n"}, MC, 'class R'),
    ('syscmd', {MC: "LOCAL_CONFIG\nsyscmd(`echo CRcom')\n"}, MC, 'class R'),
    ('divert-swallows-rest', {MC: "define(`LOCAL_RULESETS', `divert(-1)')\n", 'sendmail_config_trust_auth': [{'authid': 'app', 'may_act_as': ['*']}]},
     MC, 'Local_trust_auth'),
    ('undivert-trick', {MC: "divert(`9')LOCAL_CONFIG\nCRnet\ndivert(0)undivert(`9')\n"}, MC, 'class R'),
    ('m4exit-mc-extra', {MC: "m4exit(0)\n"}, MC, 'cut short'),
    ('dnl-hides-newline', {MC: "LOCAL_CONFIG\nCR`'dnl\nnet\n"}, MC, 'class R'),
    ('define-builds-dnl', {MC: "define(`X', `d'`nl')LOCAL_CONFIG\nCRnet X\n"}, MC, 'cut short'),
    # ---- defines that shadow FEATURE names
    ('define-shadows-real-feature', {DEFINES: {'nouucp': 'promiscuous_relay'}, FEATURES: ['nouucp']},
     DEFINES, 'promiscuous_relay'),
    ('define-shadows-relay_local_from', {DEFINES: {'LF': 'relay_local_from'}, FEATURES: ['LF']},
     DEFINES, 'relay_local_from'),
    ('define-shadows-feature-argument', {DEFINES: {'RM': 'relay_based_on_MX'}, FEATURES: ['`RM\'']},
     DEFINES, 'relay_based_on_MX'),
    # ---- relay FEATUREs written through indirection in mc_extra
    ('feature-indir', {MC: "indir(`FEATURE', `relay_entire_domain')\n"}, MC, 'relay_entire_domain'),
    ('feature-loose-relay', {MC: "define(`FX', defn(`FEATURE'))FX(`loose_relay_check')\n"}, MC, 'loose_relay_check'),
    ('feature-relay-mail-from', {MC: "define(`FX', defn(`FEATURE'))FX(`relay_mail_from')\n"}, MC, 'relay_mail_from'),
    # ---- AUTH and TLS options the variables own
    ('authmechanisms', {MC: "define(`M', ``conf'`AUTH_MECHANISMS'')define(M, `PLAIN LOGIN CRAM-MD5')\n"},
     MC, 'AuthMechanisms'),
    ('tls-srv-options', {MC: "define(`T', ``conf'`TLS_SRV_OPTIONS'')define(T, `C')\n"}, MC, 'TLSSrvOptions'),
    ('cipher-list', {MC: "define(`L', ``conf'`CIPHER_LIST'')define(L, `ALL:eNULL')\n"}, MC, 'CipherList'),
    ('server-cert', {MC: "LOCAL_CONFIG\nO`'ServerCertFile=/tmp/other.crt\n"}, MC, 'ServerCertFile'),
    ('short-form-option', {MC: "LOCAL_CONFIG\nOA/tmp/aliases\n"}, MC, 'short form'),
    ('daemon-port-options', {MC: "LOCAL_CONFIG\nO Daemon`'PortOptions=Port=2525, Name=X, M=\n"}, MC, 'listeners'),
    ('access-map-moved', {MC: "LOCAL_CONFIG\nKaccess hash -o /tmp/access\n"}, MC, 'map access'),
    ('trust-auth-mech', {MC: "LOCAL_CONFIG\nC`{TrustAuthMech}'ANONYMOUS\n"}, MC, 'TrustAuthMech'),
    ('tls-fallback', {DEFINES: {'confTLS_FALLBACK_TO_CLEAR': 'true'}}, DEFINES, 'tlsfallbacktoclear'),
    ('new-check-ruleset', {MC: "LOCAL_RULESETS\nS`'check_compat\nR$*\t$#OK\n"}, MC, 'check_compat'),
    ('parse-rule', {MC: "LOCAL_RULE_0\nR$* < @ $+ . net . > $*\t$#esmtp $@ $2 $: $1 < @ $2 >\n"}, MC, 'parse'),
]


@pytest.mark.parametrize('variables, variable, text', [row[1:] for row in REFUSED], ids=[row[0] for row in REFUSED])
def test_refused(builder, variables, variable, text):
    problems, _errors = judge(builder, variables)
    assert problems, 'nothing refused'
    assert variable in [p['variable'] for p in problems]
    joined = ' '.join(p['message'] for p in problems)
    assert text.lower() in joined.lower()
    for problem in problems:
        assert set(problem) == {'variable', 'value', 'risk', 'message', 'fix'}
        assert problem['message'].startswith(problem['variable'] + ': ')
        assert 'Fix: ' in problem['message'] and problem['fix']


def test_include_of_a_file(builder, tmp_path):
    extra = tmp_path / 'extra.m4'
    extra.write_text('LOCAL_CONFIG\nCRnet\n')
    problems, _errors = judge(builder, {MC: "include(`%s')\n" % extra})
    assert [p['variable'] for p in problems] == [MC]
    assert 'class R' in problems[0]['message']


# (id, variables, the risk id that lets it through)
ACCEPTABLE = [
    ('local-check-rcpt', {MC: "LOCAL_RULESETS\nS`L'ocal_check_rcpt\nR$*\t$#OK\n"}, 'mc_extra:policy_rulesets'),
    ('tls-fallback', {DEFINES: {'confTLS_FALLBACK_TO_CLEAR': 'true'}}, 'define:confTLS_FALLBACK_TO_CLEAR'),
    ('dh-1024', {DEFINES: {'confDH_PARAMETERS': '1024'}}, 'define:confDH_PARAMETERS'),
]


@pytest.mark.parametrize('variables, risk', [row[1:] for row in ACCEPTABLE], ids=[row[0] for row in ACCEPTABLE])
def test_accepted_and_reported(builder, variables, risk):
    refused, _errors = judge(builder, variables)
    assert risk in [p['risk'] for p in refused]
    accepting = dict(variables, **{RISKS: [risk]})
    assert judge(builder, accepting)[0] == []
    reported, _errors = judge(builder, accepting, accepted=True)
    assert risk in [p['risk'] for p in reported]


# a relay FEATURE written plainly is in the baseline once its risk id is accepted; written through
# a define it stays refused, whatever the owner accepted
@pytest.mark.parametrize('feature', ['promiscuous_relay', 'relay_local_from', 'relay_based_on_MX'])
def test_relay_feature_plain_or_through_a_define(builder, feature):
    risk = 'feature:%s' % feature
    assert judge(builder, {FEATURES: ["`%s'" % feature], RISKS: [risk]})[0] == []
    problems, _errors = judge(builder, {FEATURES: ['X'], DEFINES: {'X': feature}, RISKS: [risk]})
    assert problems and feature in problems[0]['message']


# the variables a relay can carry that change nothing the judge watches
FINE = [
    ('shipped-defaults', {}),
    ('mailertable', {FEATURES: ["`mailertable', `hash -o /etc/mail/mailertable'"]}),
    ('queue-la-define', {DEFINES: {'confQUEUE_LA': '8', 'confMAX_HOP': '30'}}),
    ('trusted-users-define', {DEFINES: {'confTRUSTED_USERS': 'www-data'}}),
    ('strong-dh-define', {DEFINES: {'confDH_PARAMETERS': '2048'}}),
    ('mc-extra-define', {MC: "define(`confREFUSE_LA', `12')dnl\n"}),
    ('header-check', {MC: "LOCAL_CONFIG\nHSubject: $>CheckSubject\nLOCAL_RULESETS\nSCheckSubject\n"
                          "R$* viagra $*\t$#error $: 553 no\n"}),
    ('relay-domains-variable', {'sendmail_config_relay_domains': ['example.org']}),
    ('delay-checks-again', {FEATURES: ["`delay_checks'"]}),
    ('no-abuse-limits', {'sendmail_config_conncontrol': 0, 'sendmail_config_ratecontrol': 0}),
]


@pytest.mark.parametrize('variables', [row[1] for row in FINE], ids=[row[0] for row in FINE])
def test_fine(builder, variables):
    problems, errors = judge(builder, variables)
    assert problems == []
    assert errors == ''


def test_shipped_defaults_limit_at_connect(builder):
    """conncontrol and ratecontrol act in check_relay before the access lookup, and m4 is quiet."""
    candidate, errors = builder.m4(builder.mc({}))
    assert errors == ''
    rulesets = parse_cf(candidate)['rulesets']
    assert rulesets['check_relay'] == [normalize_rule('$*\t\t$: $>"RateControl" dummy'),
                                       normalize_rule('$*\t\t$: $>"ConnControl" dummy')]
    assert not any('Control' in rule for rule in rulesets['Basic_check_relay'])


def test_abuse_limits_without_delay_checks_print_an_error(builder):
    """What the old template did: m4 says *** ERROR, and the cf build must fail on it."""
    mc = builder.mc({}).replace("FEATURE(`delay_checks')dnl\n", '')
    _candidate, errors = builder.m4(mc)
    assert '*** ERROR' in errors


def test_baseline_features():
    config = {FEATURES: ['PR', "`mailertable'", 'nouucp', "`relay_local_from'", 'm4exit', "`nullclient', `x'"],
              DEFINES: {'PR': 'promiscuous_relay', 'nouucp': 'x'}, RISKS: ['feature:relay_local_from']}
    assert baseline_features(config) == ["`mailertable'", "`relay_local_from'"]
    assert baseline_features(dict(config, **{RISKS: []})) == ["`mailertable'"]


def test_empty_baseline_trusts_nothing():
    problems = cf_problems('Scheck_rcpt\nR$*\t$#OK\n', '', {})
    assert [p['variable'] for p in problems] == ['sendmail_config_cf_dir']


@pytest.mark.parametrize('domain, suffix', [
    ('co.uk', True), ('com.au', True), ('github.io', True), ('.co.uk', True), ('CO.UK', True),
    ('example.co.uk', False), ('example.org', False), ('relay.example.github.io', False),
    ('[192.0.2.1]', False),
])
def test_public_suffix(domain, suffix):
    assert is_public_suffix(domain) is suffix


@pytest.mark.parametrize('key', ['To:co.uk', 'co.uk', 'Connect:com.au', 'To:github.io', 'From:user@co.uk'])
def test_public_suffix_is_broad(key):
    assert 'public suffix' in broad_relay_reason(key)


@pytest.mark.parametrize('variables, risk', [
    ({'sendmail_config_access': [{'key': 'To:co.uk', 'value': 'RELAY'}]}, 'access:broad_relay'),
    ({'sendmail_config_access': [{'key': 'To:github.io', 'value': 'RELAY'}]}, 'access:broad_relay'),
    ({'sendmail_config_relay_domains': ['co.uk']}, 'relay_domains:broad'),
    ({'sendmail_config_relay_domains': ['com.au']}, 'relay_domains:broad'),
])
def test_public_suffix_needs_a_risk_id(variables, risk):
    variables = dict(variables, sendmail_config_hostname='relay.example.org', sendmail_config_auth_realm='example.org')
    assert [p['risk'] for p in sendmail_config_problems(variables)] == [risk]
    assert sendmail_config_problems(dict(variables, **{RISKS: [risk]})) == []


def test_the_filters_wrap_the_judge():
    from ansible.errors import AnsibleFilterError
    from ansible_collections.mailrelay.sendmail.plugins.filter.sendmail_cf_baseline import FilterModule as Baseline
    from ansible_collections.mailrelay.sendmail.plugins.filter.sendmail_cf_problems import FilterModule as Problems

    judge_filter = Problems().filters()['sendmail_cf_problems']
    baseline_filter = Baseline().filters()['sendmail_cf_baseline']
    base = 'Scheck_rcpt\nR$*\t$@ OK\nMlocal, P=/bin/true\n'
    assert judge_filter(base, base, {}) == []
    assert [p['risk'] for p in judge_filter(base.replace('OK', 'RELAY'), base, {})] == ['mc_extra:policy_rulesets']
    with pytest.raises(AnsibleFilterError):
        judge_filter(None, base, {})
    assert baseline_filter({FEATURES: ["`nouucp'"]}) == {'features': ["`nouucp'"], 'defines': {}, 'mc_extra': ''}
    with pytest.raises(AnsibleFilterError):
        baseline_filter([])
