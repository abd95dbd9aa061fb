#!/usr/bin/env python3
# Console-socket receiver for the driver: accepts one connection, expects exactly one
# SCM_RIGHTS fd with the pty name as payload, then copies the pty output to stdout.
import array, os, socket, sys

path = sys.argv[1]
if os.path.exists(path):
    os.unlink(path)
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
print("listening", flush=True)
conn, _ = srv.accept()
msg, anc, _flags, _addr = conn.recvmsg(4096, socket.CMSG_SPACE(16))
fds = []
for level, typ, data in anc:
    if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
        fds += array.array("i", data[: len(data) // 4 * 4]).tolist()
print(f"recvtty: name={msg.decode()} fds={len(fds)}", flush=True)
conn.close()
os.unlink(path)
while fds:
    try:
        data = os.read(fds[0], 4096)
    except OSError:
        break
    if not data:
        break
    sys.stdout.write(data.decode(errors="replace").replace("\r\n", "\n"))
    sys.stdout.flush()
