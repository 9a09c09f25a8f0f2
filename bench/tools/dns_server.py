#!/usr/bin/env python3
"""dns_server.py BIND_ADDR PORT ZONE_IP - tiny authoritative DNS server for the bench capture.

Answers over UDP and TCP (2-byte length prefix, several queries per connection):
  A     <anything>.ZONE-ish names -> ZONE_IP (names starting with 'nx' -> NXDOMAIN)
  AAAA  -> ::1;  TXT -> a short text;  MX -> mail.<name>;  anything else -> NOERROR, no answer.
Runs until killed (the generator stops it by PID)."""
import socket, socketserver, struct, sys, threading


def answer(q, zone_ip):
    if len(q) < 12:
        return None
    tid, _flags, qd = struct.unpack('>HHH', q[:6])
    i, labels = 12, []
    while i < len(q) and q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode('ascii', 'replace'))
        i += 1 + q[i]
    i += 1
    if i + 4 > len(q):
        return None
    qtype, _qclass = struct.unpack('>HH', q[i:i + 4])
    qsec = q[12:i + 4]
    name = '.'.join(labels).lower()
    rr = b''
    if labels and labels[0].startswith('nx'):
        return struct.pack('>HHHHHH', tid, 0x8583, 1, 0, 0, 0) + qsec
    if qtype == 1:
        rr = b'\xc0\x0c' + struct.pack('>HHIH', 1, 1, 300, 4) + socket.inet_aton(zone_ip)
    elif qtype == 28:
        rr = b'\xc0\x0c' + struct.pack('>HHIH', 28, 1, 300, 16) + socket.inet_pton(socket.AF_INET6, '::1')
    elif qtype == 16:
        txt = ('v=bench1 host=%s' % name).encode()[:255]
        rr = b'\xc0\x0c' + struct.pack('>HHIH', 16, 1, 300, len(txt) + 1) + bytes([len(txt)]) + txt
    elif qtype == 15:
        mx = b'\x04mail\xc0\x0c'
        rr = b'\xc0\x0c' + struct.pack('>HHIHH', 15, 1, 300, len(mx) + 2, 10) + mx
    return struct.pack('>HHHHHH', tid, 0x8580, 1, 1 if rr else 0, 0, 0) + qsec + rr


class TCPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        f = self.request.makefile('rb')
        while True:
            h = f.read(2)
            if len(h) < 2:
                return
            q = f.read(struct.unpack('>H', h)[0])
            r = answer(q, ZONE_IP)
            if r is None:
                return
            self.request.sendall(struct.pack('>H', len(r)) + r)


class TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def udp_loop(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    while True:
        q, peer = s.recvfrom(4096)
        r = answer(q, ZONE_IP)
        if r is not None:
            s.sendto(r, peer)


if __name__ == '__main__':
    ADDR, PORT, ZONE_IP = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    threading.Thread(target=udp_loop, args=(ADDR, PORT), daemon=True).start()
    TCPServer((ADDR, PORT), TCPHandler).serve_forever()
