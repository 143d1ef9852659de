# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private helpers for egd_info: the client side of the EGD protocol on a Unix socket.

This is a private module_utils (leading underscore): no API promise outside this collection.

The EGD protocol (the Entropy Gathering Daemon's, spoken by prngd, egd.pl, entropybroker's
eb_client_egd and what OpenSSL's RAND_egd() asks for) is one command byte, sometimes one
argument byte, and a binary answer:

- 0x00: how much entropy the daemon has -> 4 bytes, big-endian number of bits;
- 0x01 N: read up to N bytes without blocking -> 1 count byte, then that many bytes
  (this is what RAND_egd() and so sendmail's ``RandFile=egd:`` send);
- 0x02 N: read N bytes, blocking until the daemon has them -> exactly N bytes;
- 0x03 ...: write entropy into the pool (never used here);
- 0x04: the daemon's process id -> 1 length byte, then the pid as text.

Every read is bounded by a timeout; a peer that closes early or answers something that is not
EGD raises EGDProtocolError with a message that says what came back.
"""

from __future__ import annotations

import socket
import struct
import time

GET_ENTROPY_LEVEL = 0x00
READ_NONBLOCKING = 0x01
READ_BLOCKING = 0x02
GET_PID = 0x04
MAX_READ = 255


class EGDError(Exception):
    """Any failure to talk EGD; the message is meant for the user."""


class EGDConnectError(EGDError):
    pass


class EGDTimeout(EGDError):
    pass


class EGDProtocolError(EGDError):
    pass


def _printable(data):
    """A short, printable rendering of unexpected bytes (for error messages)."""
    text = data[:40].decode('ascii', errors='replace')
    if text.isprintable() and data[:40].isascii():
        return repr(text)
    return data[:40].hex()


class EGDClient:
    """One connection to an EGD socket; every command waits at most ``timeout`` seconds."""

    def __init__(self, path, timeout):
        self.path = path
        self.timeout = timeout
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(path)
        except FileNotFoundError:
            self.close()
            raise EGDConnectError('no socket at %s' % path)
        except ConnectionRefusedError:
            self.close()
            raise EGDConnectError('nothing listens on %s (connection refused: a stale socket left by a stopped daemon?)' % path)
        except PermissionError:
            self.close()
            raise EGDConnectError('permission denied connecting to %s (run as root, or as a user the socket mode allows)' % path)
        except socket.timeout:
            self.close()
            raise EGDTimeout('connecting to %s took more than %s seconds' % (path, timeout))
        except OSError as exc:
            self.close()
            raise EGDConnectError('cannot connect to %s: %s' % (path, exc))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *dummy):
        self.close()

    def _send(self, data):
        try:
            self.sock.sendall(data)
        except socket.timeout:
            raise EGDTimeout('%s did not take the command within %s seconds' % (self.path, self.timeout))
        except OSError as exc:
            raise EGDProtocolError('%s closed the connection when sent command 0x%02x (%s): not an EGD daemon?'
                                   % (self.path, data[0], exc))

    def _recv_exactly(self, count, what):
        data = b''
        deadline = time.monotonic() + self.timeout
        while len(data) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise EGDTimeout('no answer to %s from %s within %s seconds (got %d of %d bytes)'
                                 % (what, self.path, self.timeout, len(data), count))
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(count - len(data))
            except socket.timeout:
                raise EGDTimeout('no answer to %s from %s within %s seconds (got %d of %d bytes)'
                                 % (what, self.path, self.timeout, len(data), count))
            except ConnectionResetError:
                chunk = b''
            except OSError as exc:
                raise EGDProtocolError('%s failed while reading the answer to %s: %s' % (self.path, what, exc))
            if not chunk:
                raise EGDProtocolError('%s closed the connection after %d of %d bytes of the answer to %s: '
                                       'not an EGD daemon?' % (self.path, len(data), count, what))
            data += chunk
        return data

    def entropy_level(self):
        """Command 0x00: the number of bits of entropy the daemon says it has."""
        self._send(bytes([GET_ENTROPY_LEVEL]))
        return struct.unpack('>I', self._recv_exactly(4, 'the entropy level query (0x00)'))[0]

    def read_nonblocking(self, count):
        """Command 0x01 N: up to ``count`` bytes, as RAND_egd() asks; returns the bytes."""
        count = _check_count(count)
        self._send(bytes([READ_NONBLOCKING, count]))
        what = 'the non-blocking read (0x01 %d)' % count
        got = self._recv_exactly(1, what)[0]
        if got > count:
            raise EGDProtocolError('%s announced %d bytes for a read of at most %d: not the EGD protocol '
                                   '(first byte of the answer: 0x%02x)' % (self.path, got, count, got))
        return self._recv_exactly(got, what) if got else b''

    def read_blocking(self, count):
        """Command 0x02 N: exactly ``count`` bytes, waiting for the daemon to gather them."""
        count = _check_count(count)
        self._send(bytes([READ_BLOCKING, count]))
        return self._recv_exactly(count, 'the blocking read (0x02 %d)' % count)

    def pid(self):
        """Command 0x04: the daemon's process id as it reports it (a string)."""
        self._send(bytes([GET_PID]))
        what = 'the pid query (0x04)'
        length = self._recv_exactly(1, what)[0]
        raw = self._recv_exactly(length, what) if length else b''
        text = raw.decode('ascii', errors='replace').strip()
        if not text.isdigit():
            raise EGDProtocolError('%s answered the pid query with %s, not a process id' % (self.path, _printable(raw)))
        return text


def _check_count(count):
    if not 0 < count <= MAX_READ:
        raise ValueError('an EGD read asks for 1 to %d bytes, not %r' % (MAX_READ, count))
    return count


def plausible_level(bits):
    """Whether an entropy level answer looks like a number of bits rather than text.

    A peer that is not EGD (an SMTP or HTTP server, a shell) answers the 0x00 query with text:
    four ASCII characters read as a big-endian number give a huge value (``'220 '`` is
    842150944). No EGD daemon holds more than a few million bits.
    """
    return 0 <= bits < (1 << 24)


def summarize_bytes(data):
    """What the module returns about bytes read: their number and how many distinct values they hold.

    The bytes themselves are not returned: they were drawn from a pool that seeds keys.
    """
    return {'bytes_read': len(data), 'distinct_bytes': len(set(data))}
