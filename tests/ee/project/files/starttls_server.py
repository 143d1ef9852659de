# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A small ESMTP server with STARTTLS for the execution-environment test (scripts/ee-test.sh).

It stands in for a relay so that the test needs no sendmail build: it greets, answers EHLO
(STARTTLS offered in clear text; AUTH PLAIN LOGIN only inside TLS, as the collection's relays do),
switches to TLS with the certificate the private_ca role issued, and ends every session on QUIT.
Only the standard library; every read has a timeout.

    python3 starttls_server.py --cert CERT --key KEY [--port 25] [--name relay.example.org]
"""

from __future__ import annotations

import argparse
import socket
import socketserver
import ssl

TIMEOUT = 30
MAX_COMMANDS = 50


def make_handler(name, context):
    class Handler(socketserver.StreamRequestHandler):
        timeout = TIMEOUT

        def reply(self, text):
            self.wfile.write(text.encode('ascii') + b'\r\n')
            self.wfile.flush()

        def handle(self):
            tls = False
            self.reply(f'220 {name} ESMTP mailrelay ee-test')
            for _command in range(MAX_COMMANDS):
                try:
                    line = self.rfile.readline(1024)
                except (socket.timeout, OSError):
                    return
                if not line:
                    return
                verb = line.decode('ascii', 'replace').strip().split(' ', 1)[0].upper()
                if verb in ('EHLO', 'HELO'):
                    extra = ['AUTH PLAIN LOGIN'] if tls else ['STARTTLS']
                    lines = [name] + extra + ['8BITMIME']
                    for text in lines[:-1]:
                        self.reply('250-' + text)
                    self.reply('250 ' + lines[-1])
                elif verb == 'STARTTLS' and not tls:
                    self.reply('220 2.0.0 Ready to start TLS')
                    try:
                        self.connection = context.wrap_socket(self.connection, server_side=True)
                    except (ssl.SSLError, OSError):
                        return
                    self.connection.settimeout(TIMEOUT)
                    self.rfile = self.connection.makefile('rb')
                    self.wfile = self.connection.makefile('wb')
                    tls = True
                elif verb in ('NOOP', 'RSET'):
                    self.reply('250 2.0.0 OK')
                elif verb == 'QUIT':
                    self.reply('221 2.0.0 closing connection')
                    return
                else:
                    self.reply('502 5.5.1 not implemented here')

    return Handler


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--cert', required=True)
    parser.add_argument('--key', required=True)
    parser.add_argument('--port', type=int, default=25)
    parser.add_argument('--name', default=socket.getfqdn())
    args = parser.parse_args()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(args.cert, args.key)
    with Server(('0.0.0.0', args.port), make_handler(args.name, context)) as server:
        server.serve_forever()


if __name__ == '__main__':
    main()
