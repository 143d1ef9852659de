"""A rogue SMTP server for the scenarios: it presents a certificate the relays do not trust,
offers AUTH PLAIN LOGIN before and after TLS to tempt a client, accepts everything, and logs
every line it receives (base64 AUTH payloads included) so that a test can prove no credential
ever reached it. Standard library only.

    python3 rogue_smtp.py --cert C --key K --log LOG --port 25:starttls --port 465:implicit ...
"""
import argparse
import socket
import ssl
import threading


def serve(conn, context, implicit, log, lock):
    def record(line):
        with lock:
            with open(log, 'a') as handle:
                handle.write(line + '\n')

    try:
        if implicit:
            conn = context.wrap_socket(conn, server_side=True)
        stream = conn.makefile('rb')

        def say(text):
            conn.sendall(text.encode() + b'\r\n')

        say('220 rogue.invalid ESMTP')
        tls = implicit
        in_data = False
        while True:
            raw = stream.readline()
            if not raw:
                break
            line = raw.decode('latin-1').rstrip('\r\n')
            record(('TLS ' if tls else 'CLEAR ') + line)
            if in_data:
                if line == '.':
                    in_data = False
                    say('250 2.0.0 taken')
                continue
            verb = line.split(' ', 1)[0].upper()
            if verb in ('EHLO', 'HELO'):
                say('250-rogue.invalid')
                say('250-AUTH PLAIN LOGIN')
                if not tls:
                    say('250-STARTTLS')
                say('250 8BITMIME')
            elif verb == 'STARTTLS' and not tls:
                say('220 go ahead')
                conn = context.wrap_socket(conn, server_side=True)
                stream = conn.makefile('rb')
                tls = True
            elif verb == 'AUTH':
                # take whatever comes: a client that sends a credential here has lost it
                if line.upper().startswith('AUTH LOGIN'):
                    say('334 VXNlcm5hbWU6')
                    record('CREDENTIAL ' + stream.readline().decode('latin-1').strip())
                    say('334 UGFzc3dvcmQ6')
                    record('CREDENTIAL ' + stream.readline().decode('latin-1').strip())
                say('235 2.7.0 fine')
            elif verb == 'DATA':
                in_data = True
                say('354 go on')
            elif verb == 'QUIT':
                say('221 bye')
                break
            else:
                say('250 2.0.0 ok')
    except (OSError, ssl.SSLError) as exc:
        record('ERROR %s' % exc)
    finally:
        try:
            conn.close()
        except OSError:
            pass


def listen(port, mode, context, log, lock):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(('0.0.0.0', port))
    server.listen(16)
    while True:
        conn, _peer = server.accept()
        threading.Thread(target=serve, args=(conn, context, mode == 'implicit', log, lock), daemon=True).start()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--cert', required=True)
    parser.add_argument('--key', required=True)
    parser.add_argument('--log', required=True)
    parser.add_argument('--port', action='append', required=True, help='PORT:starttls or PORT:implicit')
    args = parser.parse_args()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    lock = threading.Lock()
    threads = []
    for spec in args.port:
        port, mode = spec.split(':')
        thread = threading.Thread(target=listen, args=(int(port), mode, context, args.log, lock), daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()


if __name__ == '__main__':
    main()
