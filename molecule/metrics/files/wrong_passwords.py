# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Try AUTH PLAIN with a wrong password COUNT times against HOST:587 (after STARTTLS), one
connection each; print how many were refused with 535. Used by the metrics scenario's verify."""

from __future__ import annotations

import smtplib
import ssl
import sys


def main(host, user, count):
    # the gate checks the certificate; this only counts refusals
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    refused = 0
    for attempt in range(count):
        smtp = smtplib.SMTP(host, 587, timeout=20)
        try:
            smtp.ehlo()
            smtp.starttls(context=context)
            smtp.ehlo()
            smtp.user, smtp.password = user, 'wrong-password-%d' % attempt
            try:
                smtp.auth('PLAIN', smtp.auth_plain)
            except smtplib.SMTPAuthenticationError as exc:
                refused += 1 if exc.smtp_code == 535 else 0
        finally:
            smtp.close()
    return refused


if __name__ == '__main__':
    print(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
