"""Processes from /proc, for the demos and the tests (standard library only):
who a process's children are, whether it is still alive, which processes
work in a folder (to check that a demo left nothing running); stopping
the processes one started."""
import os
import signal
import subprocess


def _stat(pid):
    """(command name, state, parent pid) of pid from /proc/PID/stat, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    name, rest = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:]
    fields = rest.split()
    return name, fields[0], int(fields[1])


def pids():
    """Every process id in /proc now."""
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def children_of(pid):
    """(pid, command name) of every process whose parent is pid."""
    found = []
    for child in pids():
        st = _stat(child)
        if st is not None and st[2] == pid:
            found.append((child, st[0]))
    return found


def alive(pid):
    """True while pid exists and is not a zombie."""
    st = _stat(pid)
    return st is not None and st[1] != "Z"


def stop_all(popens, timeout):
    """SIGTERM every subprocess.Popen of popens still running, then wait for
    each, up to timeout seconds; SIGKILL one still running after that."""
    for p in popens:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in popens:
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def working_in(folders):
    """(pid, command line) of every live process whose working folder or
    command line is in one of folders (absolute paths)."""
    roots = [os.path.join(os.path.realpath(f), "") for f in folders]
    found = []
    for pid in pids():
        try:
            cwd = os.path.join(os.readlink(f"/proc/{pid}/cwd"), "")
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().decode(errors="replace").replace("\0", " ").strip()
        except OSError:
            continue
        if alive(pid) and any(cwd.startswith(r) or r.rstrip("/") in argv for r in roots):
            found.append((pid, argv))
    return found
