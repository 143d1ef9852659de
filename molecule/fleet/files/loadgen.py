"""The fleet scenario's mail client: submits mail without pause, as a real client with several
relays does - AUTH over verified STARTTLS on port 587; on a refused connection, a 4xx reply or a
session the relay drops, the message is tried again on the next relay. Standard library only.

    python3 loadgen.py --relays r1,r2,... --user U --password-file F --ca CA --stop STOPFILE --out OUT.json

It runs until STOPFILE exists, then writes OUT.json: every Message-ID that got 250 after DATA
(and from which relay), how many submissions needed a retry and why, and how many sessions were
cut in the middle of a transaction (between MAIL FROM and the reply to the final dot).
"""
import argparse
import json
import os
import smtplib
import socket
import ssl
import threading
import time
import uuid


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.accepted = {}
        self.attempts = 0
        self.retried = 0
        self.retry_reasons = {}
        self.cut = []
        self.failed = []

    def note_retry(self, reason):
        with self.lock:
            self.retry_reasons[reason] = self.retry_reasons.get(reason, 0) + 1


def submit(relay, args, context, stats, ident):
    """One attempt. Returns None on 250 after DATA, else the reason to retry elsewhere."""
    stage = 'connect'
    try:
        with smtplib.SMTP(relay, 587, local_hostname='client.mailrelay.test', timeout=30) as smtp:
            stage = 'starttls'
            smtp.ehlo()
            smtp.starttls(context=context)
            smtp.ehlo()
            stage = 'auth'
            smtp.login(args.user, args.password)
            stage = 'mail'
            message = ('From: %s\r\nTo: %s\r\nSubject: fleet load\r\nMessage-ID: %s\r\n\r\nfleet load test\r\n'
                       % (args.sender, args.rcpt, ident))
            code, _reply = smtp.mail(args.sender)
            if code >= 400:
                return '%d after MAIL' % code
            stage = 'rcpt'
            code, _reply = smtp.rcpt(args.rcpt)
            if code >= 400:
                return '%d after RCPT' % code
            stage = 'data'
            code, _reply = smtp.data(message)
            if code != 250:
                return '%d after DATA' % code
            with stats.lock:
                stats.accepted[ident] = relay
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            return None
    except ConnectionRefusedError:
        return 'connection refused'
    except smtplib.SMTPResponseException as exc:
        if exc.smtp_code >= 500:
            with stats.lock:
                stats.failed.append({'id': ident, 'relay': relay, 'stage': stage, 'reply': '%d %s' % (exc.smtp_code, exc.smtp_error)})
        return '%d at %s' % (exc.smtp_code, stage)
    except (smtplib.SMTPServerDisconnected, ConnectionResetError, BrokenPipeError, socket.timeout, ssl.SSLError, OSError) as exc:
        if stage in ('mail', 'rcpt', 'data'):
            with stats.lock:
                stats.cut.append({'id': ident, 'relay': relay, 'stage': stage, 'error': str(exc)})
        return 'dropped at %s' % stage


def worker(number, args, context, stats, stop):
    relays = args.relays
    turn = number
    while not os.path.exists(stop):
        ident = '<%s@loadgen.mailrelay.test>' % uuid.uuid4().hex
        tries = 0
        while True:
            relay = relays[turn % len(relays)]
            turn += 1
            with stats.lock:
                stats.attempts += 1
            reason = submit(relay, args, context, stats, ident)
            if reason is None:
                break
            tries += 1
            stats.note_retry(reason)
            if tries >= 4 * len(relays):
                with stats.lock:
                    stats.failed.append({'id': ident, 'relay': relay, 'stage': 'gave up', 'reply': reason})
                break
            time.sleep(0.05)
        if tries:
            with stats.lock:
                stats.retried += 1
        time.sleep(args.pause)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--relays', required=True)
    parser.add_argument('--user', required=True)
    parser.add_argument('--password-file', required=True)
    parser.add_argument('--ca', required=True)
    parser.add_argument('--sender', default='alice@client.mailrelay.test')
    parser.add_argument('--rcpt', default='loadtest@example.com')
    parser.add_argument('--workers', type=int, default=4)
    parser.add_argument('--pause', type=float, default=0.1)
    parser.add_argument('--stop', required=True)
    parser.add_argument('--out', required=True)
    parser.add_argument('--max-seconds', type=float, default=1200)
    args = parser.parse_args()
    args.relays = [r for r in args.relays.split(',') if r]
    with open(args.password_file) as handle:
        args.password = handle.read().strip()
    context = ssl.create_default_context(cafile=args.ca)
    stats = Stats()
    started = time.time()
    threads = [threading.Thread(target=worker, args=(n, args, context, stats, args.stop), daemon=True)
               for n in range(args.workers)]
    for thread in threads:
        thread.start()
    while not os.path.exists(args.stop) and time.time() - started < args.max_seconds:
        time.sleep(0.2)
    if not os.path.exists(args.stop):
        open(args.stop, 'w').close()
    for thread in threads:
        thread.join(120)
    result = {
        'seconds': round(time.time() - started, 1),
        'accepted': stats.accepted,
        'accepted_count': len(stats.accepted),
        'attempts': stats.attempts,
        'submissions_retried': stats.retried,
        'retry_reasons': stats.retry_reasons,
        'cut_mid_transaction': stats.cut,
        'failed': stats.failed,
    }
    with open(args.out + '.tmp', 'w') as handle:
        json.dump(result, handle, indent=1, sort_keys=True)
    os.rename(args.out + '.tmp', args.out)
    print(json.dumps({k: v for k, v in result.items() if k != 'accepted'}, sort_keys=True))


if __name__ == '__main__':
    main()
