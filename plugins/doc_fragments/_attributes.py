# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the mailrelay.sendmail collection: may change without notice.

from __future__ import annotations


class ModuleDocFragment:

    # What every module of the collection declares (use with one of the fragments below).
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check mode and predict whether it would change the target.
  diff_mode:
    description: Returns details on what has changed (or would change, in check mode) when run with C(--diff).
  idempotent:
    description:
      - Run twice in a row with the same arguments, the second run reports no change.
      - This assumes the target did not change in a relevant way in between.
"""

    # Modules that only look: probes, *_info.
    READ_ONLY = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - The module never changes anything, so it runs the same in check mode.
  diff_mode:
    support: N/A
    details:
      - The module never changes anything.
  idempotent:
    support: full
    details:
      - The module never changes anything.
"""
