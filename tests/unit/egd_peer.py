# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A scripted EGD daemon on a Unix socket, for the egd_info tests. Every wait is bounded.

Behaviours:

- ``prngd``: the EGD protocol as prngd speaks it - 0x00 level, 0x01 up to N bytes from what it
  has, 0x02 exactly N bytes, 0x04 the pid;
- ``entropybroker``: as entropybroker's eb_client_egd - 0x00 always 9999, 0x04 never answered;
- ``empty``: a daemon with an empty pool (0x00 says 0, 0x01 hands out nothing);
- ``close``: accepts and hangs up; ``silent``: accepts, reads, never answers;
- ``smtp``: an SMTP server's greeting instead of EGD; ``overcount``: announces more bytes than
  asked for; ``short``: announces N bytes, sends fewer and hangs up.
"""

from __future__ import annotations

import os
import shutil
import socket
import struct
import tempfile
import threading
import time


class EGDPeer:
    def __init__(self, behaviour='prngd', pool_bits=4096, pid=4242):
        self.behaviour = behaviour
        self.pool = pool_bits // 8
        self.pid = pid
        self.commands = []
        self.errors = []
        # a short directory: Unix socket paths are limited to 107 bytes
        self.dir = tempfile.mkdtemp(prefix='egd')
        self.path = os.path.join(self.dir, 'pool')
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        os.chmod(self.path, 0o600)
        self.sock.listen(4)
        self.sock.settimeout(5)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _recv(self, conn, count):
        data = b''
        while len(data) < count:
            chunk = conn.recv(count - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def _serve(self):
        try:
            conn = self.sock.accept()[0]
        except OSError as exc:
            self.errors.append(exc)
            return
        conn.settimeout(5)
        try:
            self._play(conn)
        except OSError as exc:
            self.errors.append(exc)
        finally:
            conn.close()

    def _play(self, conn):
        if self.behaviour == 'close':
            return
        if self.behaviour == 'smtp':
            conn.sendall(b'220 mail.test ESMTP ready\r\n')
        if self.behaviour == 'silent':
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline:
                try:
                    if not conn.recv(64):
                        return
                except socket.timeout:
                    return
            return
        while True:
            command = self._recv(conn, 1)
            if command is None:
                return
            command = command[0]
            self.commands.append(command)
            if self.behaviour == 'smtp':
                conn.sendall(b'500 5.5.1 Command unrecognized\r\n')
                continue
            if command == 0x00:
                bits = 9999 if self.behaviour == 'entropybroker' else self.pool * 8
                conn.sendall(struct.pack('>I', bits))
            elif command == 0x01:
                wanted = self._recv(conn, 1)[0]
                if self.behaviour == 'overcount':
                    conn.sendall(bytes([wanted + 10]) + os.urandom(wanted + 10))
                    continue
                if self.behaviour == 'short':
                    conn.sendall(bytes([wanted]) + os.urandom(wanted // 2))
                    return
                give = min(wanted, self.pool)
                self.pool -= give
                conn.sendall(bytes([give]) + os.urandom(give))
            elif command == 0x02:
                wanted = self._recv(conn, 1)[0]
                conn.sendall(os.urandom(wanted))
            elif command == 0x04:
                if self.behaviour == 'entropybroker':
                    continue
                text = str(self.pid).encode('ascii')
                conn.sendall(bytes([len(text)]) + text)
            else:
                self.errors.append('unknown command 0x%02x' % command)
                return

    def stop(self):
        if self.thread.is_alive():
            # a test that never connected: wake up accept() instead of waiting for its timeout
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as waker:
                    waker.settimeout(1)
                    waker.connect(self.path)
            except OSError:
                pass
        try:
            self.sock.close()
        finally:
            self.thread.join(10)
            shutil.rmtree(self.dir, ignore_errors=True)
