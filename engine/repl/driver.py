# wirebook's Python driver: runs a lab's pycon statements the way the
# interactive prompt does, one request at a time, and reports what they
# printed. Requests come on fd 3 and responses go to fd 4, one JSON object a
# line, so that the code's own stdin (empty) and stdout/stderr stay the
# code's: fds 1 and 2 are one pipe that wirebook records, a mark after each
# statement's output.
import code
import json
import os
import random
import signal
import sys

# The honest way to make imaplib's random tag prefix the same on every run
# is to seed the generator it draws from, as a test suite would.
random.seed(int(os.environ.get("WIREBOOK_SEED", "0")))


class LimitExceeded(Exception):
    """More output than a block may print."""


class Budget:
    """What Python's own writes may still print in this statement. Child
    processes write to the descriptors behind Python's back; wirebook
    counts those itself."""

    def __init__(self):
        self.left = 1 << 20
        self.limit = self.left
        self.truncated = False

    def reset(self, limit):
        self.left = self.limit = limit
        self.truncated = False

    def take(self, data):
        """The part of data that may be written; raises once it is cut."""
        if self.truncated:
            raise LimitExceeded("output limit of %d bytes reached" % self.limit)
        if len(data) > self.left:
            self.truncated = True
            return data[:self.left]
        self.left -= len(data)
        return data


def write_all(fd, data):
    while data:
        n = os.write(fd, data)
        data = data[n:]


class BinaryStream:
    """sys.stdout.buffer: bytes straight onto the descriptor."""

    def __init__(self, fd, budget):
        self.fd, self.budget = fd, budget

    def write(self, b):
        b = bytes(b)
        part = self.budget.take(b)
        write_all(self.fd, part)
        if len(part) < len(b):
            raise LimitExceeded("output limit of %d bytes reached" % self.budget.limit)
        return len(b)

    def flush(self):
        pass

    def fileno(self):
        return self.fd

    def isatty(self):
        return False


class Stream:
    """sys.stdout or sys.stderr: unbuffered, each write goes to the
    descriptor at once. fds 1 and 2 are the one pipe wirebook reads, so
    the kernel orders Python's writes and those of the programs it starts
    (os.system, subprocess) as a terminal would show them."""

    encoding = "utf-8"
    errors = "backslashreplace"
    line_buffering = False

    def __init__(self, fd, budget):
        self.buffer = BinaryStream(fd, budget)

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError("write() argument must be str, not %s" % type(s).__name__)
        self.buffer.write(s.encode(self.encoding, self.errors))
        return len(s)

    def writelines(self, lines):
        for s in lines:
            self.write(s)

    def flush(self):
        pass

    def isatty(self):
        return False

    def fileno(self):
        return self.buffer.fd

    def writable(self):
        return True

    def readable(self):
        return False


class Interpreter(code.InteractiveInterpreter):
    """Shows errors with the interpreter's own display, as the prompt does
    (traceback.format_exception differs from it in some versions: 3.11
    leaves out "Did you mean: ...?")."""

    raised = False

    def showtraceback(self):
        self.raised = True
        typ, value, tb = sys.exc_info()
        sys.last_type, sys.last_value, sys.last_traceback = typ, value, tb
        self.display(typ, value.with_traceback(tb.tb_next if tb else None))

    def showsyntaxerror(self, filename=None):
        self.raised = True
        typ, value, tb = sys.exc_info()
        sys.last_type, sys.last_value, sys.last_traceback = typ, value, tb
        self.display(typ, value.with_traceback(None))

    def display(self, typ, value):
        try:
            sys.__excepthook__(typ, value, value.__traceback__)
        except LimitExceeded:
            pass  # the traceback of the limit itself: the output is cut there

    def write(self, data):
        try:
            sys.stderr.write(data)
        except LimitExceeded:
            pass


def main():
    # The end-of-output mark, chosen by wirebook for this run: after each
    # statement it is written, in one write (atomic on a pipe), onto the
    # output pipe, behind everything the statement and its children wrote.
    mark = sys.argv[1].encode("ascii")
    requests = os.fdopen(3, "r", encoding="utf-8")
    responses = os.fdopen(4, "w", encoding="utf-8")
    # A descriptor of our own for the mark: the code may close or redirect
    # fd 1. dup() makes it non-inheritable, as 3 and 4 must be: programs
    # the lab's code starts (os.system) must not hold them open.
    mark_fd = os.dup(1)
    os.set_inheritable(3, False)
    os.set_inheritable(4, False)
    budget = Budget()
    ns = {"__name__": "__main__", "__doc__": None, "__builtins__": __builtins__}
    interp = Interpreter(ns)
    # Ctrl-C at the deadline stops the statement, as it would at the
    # prompt (the C handler adds no frame to the traceback); between
    # statements there is nothing to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.stdout, sys.stderr = Stream(1, budget), Stream(2, budget)
    sys.ps1, sys.ps2 = ">>> ", "... "
    sys.argv = [""]

    def reply(obj):
        responses.write(json.dumps(obj) + "\n")
        responses.flush()

    reply({"version": sys.version.split()[0]})
    for line in requests:
        req = json.loads(line)
        op = req.get("op")
        if op == "define":
            for name, value in req.get("names", {}).items():
                ns[name] = value
            for name, var in req.get("env", {}).items():
                ns[name] = os.environ.get(var, "")
            reply({})
            continue
        if op != "run":
            reply({"fatal": "unknown request %r" % op})
            continue
        budget.reset(max(0, int(req.get("limit", 1 << 20))))
        interp.raised = False
        exited, more = False, False
        try:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            try:
                more = interp.runsource(req["source"], "<stdin>", "single")
            finally:
                signal.signal(signal.SIGINT, signal.SIG_IGN)
        except SystemExit:
            exited = True
        except KeyboardInterrupt:
            # Arrived outside the statement's own code (while compiling).
            interp.raised = True
            try:
                sys.stderr.write("KeyboardInterrupt\n")
            except LimitExceeded:
                pass
        write_all(mark_fd, mark)
        reply({"raised": interp.raised, "incomplete": bool(more),
               "truncated": budget.truncated, "exited": exited})
        if exited:
            return


if __name__ == "__main__":
    main()
