"""The fleet scenario's final destination: an SMTP server that accepts every message and keeps
its Message-ID, one per line, in a log (no delivery anywhere). Standard library only.

    python3 mailsink.py [--port 25] [--log /var/lib/mailsink/ids.log]
"""
import argparse
import asyncio
import os
import re

MESSAGE_ID = re.compile(rb'^message-id:\s*(<[^>\r\n]+>)', re.IGNORECASE | re.MULTILINE)


class Sink:
    def __init__(self, log_path, name):
        self.log_path = log_path
        self.name = name

    def record(self, data):
        found = MESSAGE_ID.search(data.split(b'\r\n\r\n', 1)[0])
        ident = found.group(1).decode('ascii', 'replace') if found else '<none>'
        with open(self.log_path, 'a') as log:
            log.write(ident + '\n')
            log.flush()
            os.fsync(log.fileno())

    async def session(self, reader, writer):
        def say(line):
            writer.write(line.encode() + b'\r\n')

        say('220 %s ESMTP mailsink' % self.name)
        in_data, data = False, []
        try:
            while True:
                line = await asyncio.wait_for(reader.readline(), 120)
                if not line:
                    break
                if in_data:
                    if line in (b'.\r\n', b'.\n'):
                        self.record(b''.join(data))
                        in_data, data = False, []
                        say('250 2.0.0 kept')
                    else:
                        data.append(line[1:] if line.startswith(b'..') else line)
                    continue
                verb = line.split(b' ', 1)[0].strip().upper()
                if verb in (b'EHLO', b'HELO'):
                    say('250-%s' % self.name)
                    say('250 8BITMIME')
                elif verb in (b'MAIL', b'RCPT', b'RSET', b'NOOP'):
                    say('250 2.0.0 ok')
                elif verb == b'DATA':
                    in_data = True
                    say('354 go ahead')
                elif verb == b'QUIT':
                    say('221 2.0.0 bye')
                    await writer.drain()
                    break
                else:
                    say('502 5.5.2 not implemented')
                await writer.drain()
        except (asyncio.TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--port', type=int, default=25)
    parser.add_argument('--log', default='/var/lib/mailsink/ids.log')
    parser.add_argument('--name', default=os.uname().nodename)
    args = parser.parse_args()
    os.makedirs(os.path.dirname(args.log), exist_ok=True)
    sink = Sink(args.log, args.name)
    server = await asyncio.start_server(sink.session, host='0.0.0.0', port=args.port)
    async with server:
        await server.serve_forever()


if __name__ == '__main__':
    asyncio.run(main())
