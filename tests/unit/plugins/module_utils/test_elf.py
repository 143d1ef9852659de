# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reading the symbols a shared library exports: on the real libcrypto and on small ELF files made here."""

from __future__ import annotations

import ctypes.util
import glob
import struct

import pytest

from ansible_collections.mailrelay.sendmail.plugins.module_utils._elf import (
    ELFError,
    defined_dynamic_symbols,
    exports,
)


def make_elf(defined, undefined=(), is64=True, little=True):
    """A minimal ELF file with a .dynstr and a .dynsym section (all the reader looks at)."""
    endian = '<' if little else '>'
    names = list(defined) + list(undefined)
    strtab = b'\0' + b''.join(name.encode() + b'\0' for name in names)
    offsets, pos = [], 1
    for name in names:
        offsets.append(pos)
        pos += len(name) + 1
    symbols = []
    for index, offset in enumerate(offsets):
        shndx = 1 if index < len(defined) else 0  # 0 is SHN_UNDEF: imported, not exported
        if is64:
            symbols.append(struct.pack(endian + 'IBBHQQ', offset, 0x12, 0, shndx, 0x1000, 8))
        else:
            symbols.append(struct.pack(endian + 'IIIBBH', offset, 0x1000, 8, 0x12, 0, shndx))
    entsize = 24 if is64 else 16
    dynsym = bytes(entsize) + b''.join(symbols)  # entry 0 is the null symbol
    header_size = 64 if is64 else 52
    strtab_offset = header_size
    dynsym_offset = strtab_offset + len(strtab)
    shoff = dynsym_offset + len(dynsym)
    if is64:
        shdr = endian + 'IIQQQQIIQQ'
        sections = [struct.pack(shdr, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
                    struct.pack(shdr, 0, 3, 0, 0, strtab_offset, len(strtab), 0, 0, 1, 0),
                    struct.pack(shdr, 0, 11, 0, 0, dynsym_offset, len(dynsym), 1, 1, 8, entsize)]
        header = (b'\x7fELF' + bytes([2, 1 if little else 2, 1]) + bytes(9)
                  + struct.pack(endian + 'HHIQQQIHHHHHH', 3, 62, 1, 0, 0, shoff, 0, 64, 0, 0, 64, 3, 0))
    else:
        shdr = endian + 'IIIIIIIIII'
        sections = [struct.pack(shdr, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
                    struct.pack(shdr, 0, 3, 0, 0, strtab_offset, len(strtab), 0, 0, 1, 0),
                    struct.pack(shdr, 0, 11, 0, 0, dynsym_offset, len(dynsym), 1, 1, 4, entsize)]
        header = (b'\x7fELF' + bytes([1, 1 if little else 2, 1]) + bytes(9)
                  + struct.pack(endian + 'HHIIIIIHHHHHH', 3, 3, 1, 0, 0, shoff, 0, 52, 0, 0, 40, 3, 0))
    return header + strtab + dynsym + b''.join(sections)


@pytest.mark.parametrize('is64, little', [(True, True), (True, False), (False, True), (False, False)])
def test_defined_symbols_of_every_elf_kind(is64, little):
    data = make_elf(['RAND_egd', 'RAND_egd_bytes', 'RAND_status'], ['memcpy'], is64=is64, little=little)
    assert defined_dynamic_symbols(data) == {'RAND_egd', 'RAND_egd_bytes', 'RAND_status'}


def test_imported_symbols_do_not_count(tmp_path):
    path = tmp_path / 'libcrypto.so.3'
    path.write_bytes(make_elf(['RAND_status'], ['RAND_egd']))
    assert exports(str(path), 'RAND_status') is True
    assert exports(str(path), 'RAND_egd') is False


@pytest.mark.parametrize('data, message', [
    (b'#!/bin/sh\necho hello\n', 'not an ELF file'),
    (b'\x7fELF' + bytes([3, 1]) + bytes(58), 'unknown ELF class'),
    (make_elf(['RAND_egd'])[:80], 'truncated or damaged'),
])
def test_not_an_elf_library(data, message):
    with pytest.raises(ELFError, match=message):
        defined_dynamic_symbols(data)


def _system_libcrypto():
    found = glob.glob('/usr/lib/*/libcrypto.so.3') + glob.glob('/lib/*/libcrypto.so.3')
    if not found and ctypes.util.find_library('crypto'):
        found = glob.glob('/usr/lib/*/' + ctypes.util.find_library('crypto'))
    return found[0] if found else None


@pytest.mark.skipif(_system_libcrypto() is None, reason='no libcrypto.so.3 on this machine')
def test_debian_libcrypto_has_no_rand_egd():
    # OpenSSL 3 as Debian builds it: RAND_egd() is compiled out (no enable-egd)
    path = _system_libcrypto()
    assert exports(path, 'RAND_status') is True
    assert exports(path, 'RAND_bytes') is True
    assert exports(path, 'RAND_egd') is False
