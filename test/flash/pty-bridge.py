# Test helper: a pseudo-terminal whose other end is a TCP connection to the emulated REPL, so the flash
# tool reaches the board through a real serial-port path (the serialport package). Prints the pty path.
import os, pty, socket, select, sys, tty
port = int(sys.argv[1])
m, s = pty.openpty()
tty.setraw(s)
print(os.ttyname(s), flush=True)
sock = socket.create_connection(('127.0.0.1', port))
while True:
    r, _, _ = select.select([m, sock], [], [])
    if m in r:
        try: d = os.read(m, 4096)
        except OSError: d = b''
        if d: sock.sendall(d)
    if sock in r:
        d = sock.recv(4096)
        if not d: break
        os.write(m, d)
