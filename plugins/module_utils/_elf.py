# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private helper: which symbols a shared library exports, read from its ELF dynamic symbol table.

This is a private module_utils (leading underscore): no API promise outside this collection.

Used to tell whether the libcrypto a sendmail binary links against has RAND_egd() (OpenSSL
1.1.0 and later only have it when built with enable-egd; Debian's does not). Reading the file
needs neither binutils (nm, readelf) on the host nor loading the library into the process.
"""

from __future__ import annotations

import struct

SHT_DYNSYM = 11
SHN_UNDEF = 0


class ELFError(Exception):
    pass


def _section_headers(data, is64, endian):
    if is64:
        shoff, = struct.unpack_from(endian + 'Q', data, 0x28)
        shentsize, shnum = struct.unpack_from(endian + 'HH', data, 0x3A)
        layout = endian + 'IIQQQQIIQQ'  # name type flags addr offset size link info addralign entsize
    else:
        shoff, = struct.unpack_from(endian + 'I', data, 0x20)
        shentsize, shnum = struct.unpack_from(endian + 'HH', data, 0x2E)
        layout = endian + 'IIIIIIIIII'
    headers = []
    for index in range(shnum):
        fields = struct.unpack_from(layout, data, shoff + index * shentsize)
        headers.append({'type': fields[1], 'offset': fields[4], 'size': fields[5], 'link': fields[6], 'entsize': fields[9]})
    return headers


def _symbol_name(strtab, offset):
    end = strtab.find(b'\0', offset)
    return strtab[offset:end if end >= 0 else len(strtab)].decode('ascii', errors='replace')


def defined_dynamic_symbols(data):
    """The names of the symbols an ELF shared object defines in its dynamic symbol table."""
    if data[:4] != b'\x7fELF':
        raise ELFError('not an ELF file')
    if data[4] not in (1, 2) or data[5] not in (1, 2):
        raise ELFError('unknown ELF class or byte order')
    is64 = data[4] == 2
    endian = '<' if data[5] == 1 else '>'
    try:
        sections = _section_headers(data, is64, endian)
        names = set()
        for section in sections:
            if section['type'] != SHT_DYNSYM or not section['entsize']:
                continue
            strtab_section = sections[section['link']]
            strtab = data[strtab_section['offset']:strtab_section['offset'] + strtab_section['size']]
            for start in range(section['offset'], section['offset'] + section['size'], section['entsize']):
                if is64:
                    st_name, dummy_info, dummy_other, st_shndx = struct.unpack_from(endian + 'IBBH', data, start)
                else:
                    st_name, = struct.unpack_from(endian + 'I', data, start)
                    st_shndx, = struct.unpack_from(endian + 'H', data, start + 14)
                if st_name and st_shndx != SHN_UNDEF:
                    names.add(_symbol_name(strtab, st_name))
        return names
    except (struct.error, IndexError) as exc:
        raise ELFError('truncated or damaged ELF file: %s' % exc)


def exports(path, symbol):
    """Whether the shared library at ``path`` defines ``symbol`` (raises OSError, ELFError)."""
    with open(path, 'rb') as handle:
        data = handle.read()
    return symbol in defined_dynamic_symbols(data)
