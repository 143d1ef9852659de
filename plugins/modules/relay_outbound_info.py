#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: relay_outbound_info
short_description: Report whether a relay can hand mail on to its next hops, and what waits in its queue
version_added: 0.3.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - Runs on the relay itself. For each next hop (a smart host, an AuthInfo host, a peer relay) it
    connects as sendmail would, reads the banner, sends EHLO, upgrades with STARTTLS when the hop offers
    it (RFC 3207), and checks the certificate the hop presents against the relay's own CA file.
  - What a hop must do (TLS at all, a verified certificate, a common name) is given per hop, or read from
    the C(TLS_Srv) rules of the relay's access map source (O(access_file)) the way sendmail's
    C(tls_server) ruleset looks them up - the host name, its parent domains, the address, then the bare
    C(TLS_Srv:) entry. So the check demands verification exactly where the relay's own rules do.
  - Reports the mail queue - the number of entries and the age of the oldest - of the queue directory and
    of the client queue, by C(stat) alone. Queue files are never opened, moved or locked.
  - Never sends MAIL, RCPT or DATA, ends each session with QUIT, and never changes anything. A hop that
    fails does not fail the module; see RV(failures) and RV(ok).
extends_documentation_fragment:
  - mailrelay.sendmail._attributes
  - mailrelay.sendmail._attributes.READ_ONLY
options:
  hops:
    description:
      - The next hops. Empty - only the queue is reported.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: A label for the report (for example V(smart host)). Default O(hops[].host).
        type: str
      host:
        description:
          - The host name sendmail connects to (V(relay1.example.org) for the C(SMART_HOST) V([relay1.example.org]), as
            the P(mailrelay.sendmail.smart_host_name#filter) filter gives it). It is also the name the certificate is
            checked for and the key of the C(TLS_Srv) lookup.
          - An address is accepted (V(192.0.2.25), V([IPv6:2001:db8::25])).
        type: str
        required: true
      address:
        description: Connect to this address instead of resolving O(hops[].host) (the name is still what is checked).
        type: str
      port:
        description: The port. sendmail's C(esmtp) and C(relay) mailers use 25.
        type: int
        default: 25
      tls:
        description:
          - V(required) - the hop must offer STARTTLS and the handshake must succeed.
          - V(optional) - STARTTLS is used when offered, as sendmail does; a hop without it is fine.
          - V(none) - no STARTTLS is attempted.
          - Default - V(required) where the C(TLS_Srv) rule says C(VERIFY) or C(ENCR), or O(hops[].verify) is true;
            otherwise V(optional).
        type: str
        choices: [required, optional, none]
      verify:
        description:
          - Whether the certificate must verify against the CA file and name O(hops[].host) (subjectAltName, or the
            common name of a certificate without one). A hop whose certificate does not is a failure.
          - Default - what the C(TLS_Srv) rule for the host in O(access_file) says (C(VERIFY)); then the name is
            checked only where the rule says C(CN) or C(CN:name), and against the common name, as sendmail does.
            Without a rule, V(false).
        type: bool
      cn:
        description: With O(hops[].verify=true), also require this common name in the certificate's subject.
        type: str
      ca_file:
        description: The CA certificates for this hop. Default O(ca_file).
        type: path
  ca_file:
    description:
      - The relay's own CA file (sendmail's C(CACertFile), C(sendmail_config_tls_ca_cert)), for every hop that does
        not name its own. Also used to report RV(hops[].verified) for hops that need not verify.
      - A CA file that does not exist fails every hop that must verify, with the reason, and nothing else.
    type: path
  access_file:
    description:
      - The relay's access map source (the text makemap reads, for example
        C(/var/lib/mailrelay/current/mail/access)), whose C(TLS_Srv) entries decide O(hops[].tls) and
        O(hops[].verify) where a hop does not set them.
      - A file that does not exist counts as an access map without C(TLS_Srv) entries (RV(access_file_found)).
    type: path
  timeout:
    description: Seconds each step of a session may take.
    type: float
    default: 10.0
  ehlo_name:
    description: The name sent with EHLO. Default the host's own name.
    type: str
  queue_dir:
    description:
      - The queue directory (sendmail's C(QueueDirectory)). Its C(qf) files, those in a C(qf/) subdirectory, and
        those one level down (queue groups) are counted. Empty - not reported.
    type: path
    default: /var/spool/mqueue
  client_queue_dir:
    description: The client queue of the mail submission program (C(submit.cf)), reported apart. Empty - not reported.
    type: path
    default: /var/spool/clientmqueue
notes:
  - Runs on the managed host, so that the connections leave from where the relay's own do (its address, its
    firewall, its resolver). Run it with privileges that can list the queue directory (mode 0700, root).
  - An unbracketed C(SMART_HOST) makes sendmail look up MX records; this module connects to the name's address
    records. Brackets (V([relay1.example.org])), the collection's advice, make both the same.
  - An entry's age is the older modification time of its C(qf) and C(df) files; sendmail rewrites C(qf) at every
    delivery attempt, the C(df) file keeps the time the message arrived.
seealso:
  - module: mailrelay.sendmail.smtp_ehlo_info
  - plugin: mailrelay.sendmail.smart_host_name
    plugin_type: filter
  - plugin: mailrelay.sendmail.tls_srv_entry
    plugin_type: filter
  - name: RFC 3207
    description: SMTP Service Extension for Secure SMTP over Transport Layer Security (STARTTLS).
    link: https://www.rfc-editor.org/rfc/rfc3207
"""

EXAMPLES = r"""
- name: Can this relay reach its smart host, with the certificate its TLS_Srv rule demands?
  mailrelay.sendmail.relay_outbound_info:
    hops:
      - name: smart host
        host: relay1.example.org
    ca_file: /var/lib/mailrelay/current/certs/ca.crt
    access_file: /var/lib/mailrelay/current/mail/access
  register: outbound

- name: Fail when a next hop cannot take mail
  ansible.builtin.assert:
    that: outbound.ok
    fail_msg: "{{ outbound.failures | join('; ') }}"

- name: Warn when mail has waited in the queue for more than an hour
  ansible.builtin.debug:
    msg: "{{ outbound.queue.mqueue.entries }} entries, the oldest {{ outbound.queue.mqueue.oldest_age_seconds }} s"
  when: (outbound.queue.mqueue.oldest_age_seconds | default(0, true)) > 3600

- name: A hop given by hand - TLS required, certificate from our CA naming the host
  mailrelay.sendmail.relay_outbound_info:
    hops:
      - {name: upstream, host: mx.example.net, tls: required, verify: true, ca_file: /etc/ssl/certs/ca-certificates.crt}
    queue_dir: ""
    client_queue_dir: ""
"""

RETURN = r"""
ok:
  description: Whether every hop can take mail as the relay's rules demand (RV(failures) is empty).
  returned: always
  type: bool
  sample: true
failures:
  description: One line per hop that cannot take mail, with the hop, where, and why.
  returned: always
  type: list
  elements: str
  sample: ["outbound hop smart host (relay1.example.org:25) did not answer: cannot connect to relay1.example.org:25: Connection refused"]
lines:
  description: One line per hop and per queue, for a report.
  returned: always
  type: list
  elements: str
  sample:
    - "  outbound smart host relay1.example.org:25 [TLS required, must verify]: answered, TLSv1.3, certificate verified (CN=relay1.example.org)"
    - "  queue /var/spool/mqueue: 2 entries, oldest 14 min"
access_file_found:
  description: Whether O(access_file) existed; null without O(access_file).
  returned: always
  type: bool
hops:
  description: One entry per hop of O(hops), in order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The label of the hop.
      type: str
      sample: smart host
    host:
      description: The host name (or address) sendmail connects to.
      type: str
      sample: relay1.example.org
    address:
      description: The address connected to instead of O(hops[].host), or null.
      type: str
    port:
      description: The port.
      type: int
      sample: 25
    tls:
      description: What was demanded of TLS - V(required), V(optional) or V(none).
      type: str
      sample: required
    verify:
      description: Whether the certificate had to verify.
      type: bool
      sample: true
    expected_cn:
      description: The common name the certificate had to carry, or null.
      type: str
      sample: relay1.example.org
    tls_srv_rule:
      description: The C(TLS_Srv) entry of O(access_file) that applied (key and value, as makemap reads them), or null.
      type: str
      sample: "tls_srv:relay1.example.org VERIFY+CN:relay1.example.org"
    answered:
      description: Whether the hop accepted the connection and sent a greeting.
      type: bool
      sample: true
    banner:
      description: The greeting, with its code.
      type: str
      sample: 220 relay1.example.org ESMTP Sendmail 8.18.1/8.18.1
    starttls_offered:
      description: Whether the EHLO reply offered STARTTLS.
      type: bool
    starttls:
      description: Whether a TLS session was established.
      type: bool
      sample: true
    tls_version:
      description: The negotiated TLS version, or null.
      type: str
      sample: TLSv1.3
    verified:
      description:
        - True when the certificate verified against the CA file (and the name, where that was demanded), false when
          it did not, null when it was not checked (no TLS, or no CA file).
      type: bool
      sample: true
    verify_error:
      description: Why the certificate did not verify, or why the handshake failed; null otherwise.
      type: str
      sample: "certificate verify failed: unable to get local issuer certificate"
    subject:
      description: The certificate's subject, short attribute names as keys.
      type: dict
      sample: {"CN": "relay1.example.org"}
    issuer:
      description: The certificate's issuer, as RV(hops[].subject).
      type: dict
    not_after:
      description: End of the certificate's validity, ASN.1 time in UTC.
      type: str
      sample: "20261122000000Z"
    days_left:
      description: Whole days until RV(hops[].not_after).
      type: int
      sample: 364
    error:
      description: Why mail could not go to this hop; null when it could.
      type: str
    error_kind:
      description:
        - V(connection_refused), V(timeout), V(dns), V(tls_handshake), V(tls_verify) or V(protocol) (see
          M(mailrelay.sendmail.smtp_ehlo_info)); null when the hop is fine.
      type: str
    ok:
      description: Whether mail could go to this hop.
      type: bool
queue:
  description: The queues, by stat() alone. A key is null when its directory option is empty.
  returned: always
  type: dict
  contains:
    mqueue:
      description: O(queue_dir).
      type: dict
      contains:
        path:
          description: The directory.
          type: str
          sample: /var/spool/mqueue
        exists:
          description: Whether it exists.
          type: bool
        entries:
          description: Queued messages (C(qf) files).
          type: int
          sample: 0
        oldest_age_seconds:
          description: Seconds since the oldest entry arrived; null when the queue is empty.
          type: int
          sample: 5400
        lost_entries:
          description: C(Qf) files - queue files sendmail could not read and set aside.
          type: int
          sample: 0
        error:
          description: Why (part of) the directory could not be read, or null.
          type: str
    clientmqueue:
      description: O(client_queue_dir), with the same keys as RV(queue.mqueue).
      type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailrelay.sendmail.plugins.module_utils._outbound import (
    HOP_TLS_MODES,
    outbound_report,
)


def argument_spec():
    return dict(
        hops=dict(type='list', elements='dict', default=[], options=dict(
            name=dict(type='str'),
            host=dict(type='str', required=True),
            address=dict(type='str'),
            port=dict(type='int', default=25),
            tls=dict(type='str', choices=list(HOP_TLS_MODES)),
            verify=dict(type='bool'),
            cn=dict(type='str'),
            ca_file=dict(type='path'),
        )),
        ca_file=dict(type='path'),
        access_file=dict(type='path'),
        timeout=dict(type='float', default=10.0),
        ehlo_name=dict(type='str'),
        queue_dir=dict(type='path', default='/var/spool/mqueue'),
        client_queue_dir=dict(type='path', default='/var/spool/clientmqueue'),
    )


def read_access_file(module, path):
    """The text of the access map source, or None when it does not exist (fails on anything else)."""
    if not path:
        return None, None
    try:
        with open(path, encoding='utf-8', errors='replace') as handle:
            return handle.read(), True
    except FileNotFoundError:
        return '', False
    except OSError as exc:
        module.fail_json(msg='cannot read access_file %s: %s' % (path, exc.strerror or exc),
                         hint='give the access map source (the text makemap reads), readable by the user the task runs as')
    return None, None  # not reached


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    access_text, access_found = read_access_file(module, params['access_file'])
    report = outbound_report(
        params['hops'], ca_file=params['ca_file'], access_text=access_text, timeout=params['timeout'],
        ehlo_name=params['ehlo_name'], queue_dir=params['queue_dir'], client_queue_dir=params['client_queue_dir'])
    module.exit_json(changed=False, access_file_found=access_found, **report)


if __name__ == '__main__':
    main()
