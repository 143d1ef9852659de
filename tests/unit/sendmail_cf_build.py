# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Real sendmail.cf text for the unit tests: the role's sendmail.mc template rendered by Ansible's
templar with the role defaults, then m4 with sendmail 8.17.1.9's cf tree from the offline source
tarball (`make sources`). `CfBuilder.available()` says why not when m4 or the tarball is missing.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
from pathlib import Path

import yaml

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core before 2.19 trusts every template
    def trust_as_template(value):
        return value

from ansible_collections.mailrelay.sendmail.plugins.module_utils._cf_judge import baseline_parts
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_rules import sendmail_listeners

ROOT = Path(__file__).resolve().parents[2]
TARBALL = ROOT / '.cache' / 'sources' / 'sendmail_8.17.1.9.orig.tar.gz'
ROLE = ROOT / 'roles' / 'sendmail_config'


def _trusted(value):
    if isinstance(value, str) and '{{' in value:
        return trust_as_template(value)
    return value


class CfBuilder(object):
    """Builds sendmail.mc and sendmail.cf the way roles/sendmail_config/tasks/cf.yml does."""

    def __init__(self, workdir):
        self.workdir = Path(workdir)
        self.cf_dir = None

    @staticmethod
    def missing():
        """Why real cf text cannot be made here, or None."""
        if not shutil.which('m4'):
            return 'm4 is not installed (scripts/deps.sh installs it)'
        if not TARBALL.exists():
            return '%s is missing (make sources)' % TARBALL.relative_to(ROOT)
        return None

    def _tree(self):
        if self.cf_dir is None:
            with tarfile.open(TARBALL) as tar:
                members = [m for m in tar.getmembers() if '/cf/' in m.name and (m.isfile() or m.isdir())]
                tar.extractall(self.workdir, members=members)  # noqa: S202 - our own offline tarball
            self.cf_dir = next(self.workdir.glob('sendmail-*/cf'))
        return self.cf_dir

    @staticmethod
    def variables(overrides):
        variables = yaml.safe_load((ROLE / 'defaults' / 'main.yml').read_text())
        variables.update(yaml.safe_load((ROLE / 'vars' / 'main.yml').read_text()))
        variables.update({'sendmail_config_hostname': 'relay.example.org', 'sendmail_config_auth_realm': 'example.org',
                          'ansible_managed': 'unit test'})
        variables.update(overrides)
        variables = dict((k, _trusted(v)) for k, v in variables.items())
        variables['__sendmail_config_listeners'] = sendmail_listeners(variables['sendmail_config_daemons'])
        variables['__sendmail_config_ssl_options'] = '+SSL_OP_NO_SSLv2 +SSL_OP_NO_SSLv3'
        return variables

    def mc(self, overrides, baseline=False):
        variables = self.variables(overrides)
        if baseline:
            config = dict((k, v) for k, v in variables.items() if k.startswith('sendmail_config_'))
            variables['__sendmail_config_mc_free_form'] = baseline_parts(config)
        template = (ROLE / 'templates' / 'etc' / 'mail' / 'sendmail.mc.j2').read_text()
        return Templar(loader=DataLoader(), variables=variables).template(trust_as_template(template))

    def m4(self, mc_text):
        """(sendmail.cf, m4's stderr) for `mc_text`, read from stdin as the role does."""
        tree = self._tree()
        done = subprocess.run(['m4', '-D_CF_DIR_=%s/' % tree, str(tree / 'm4' / 'cf.m4'), '-'],
                              input=mc_text, capture_output=True, text=True, check=False, timeout=60)
        return done.stdout, done.stderr

    def pair(self, overrides):
        """(candidate cf, baseline cf, candidate's m4 stderr) for the variables `overrides`."""
        candidate, errors = self.m4(self.mc(overrides))
        baseline, _errors = self.m4(self.mc(overrides, baseline=True))
        return candidate, baseline, errors
