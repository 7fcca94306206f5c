# wirebook's Python driver: runs a lab's pycon statements the way the
# interactive prompt does, one request at a time, and reports what they
# printed. Requests come on fd 3 and responses go to fd 4, one JSON object a
# line, so that the code's own stdin (empty) and stdout/stderr (recorded)
# stay the code's.
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


class Recorder:
    """sys.stdout and sys.stderr both: one record, in the order written,
    as a terminal shows them."""

    encoding = "utf-8"
    errors = "backslashreplace"

    def __init__(self):
        self.parts = []
        self.size = 0
        self.limit = 1 << 20
        self.truncated = False

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError("write() argument must be str, not %s" % type(s).__name__)
        if self.truncated:
            raise LimitExceeded("output limit of %d bytes reached" % self.limit)
        room = self.limit - self.size
        if len(s) > room:
            self.parts.append(s[:room])
            self.size = self.limit
            self.truncated = True
            raise LimitExceeded("output limit of %d bytes reached" % self.limit)
        self.parts.append(s)
        self.size += len(s)
        return len(s)

    def writelines(self, lines):
        for s in lines:
            self.write(s)

    def flush(self):
        pass

    def isatty(self):
        return False

    def fileno(self):
        raise OSError("wirebook records this stream; it has no file descriptor")

    def take(self):
        out = "".join(self.parts)
        self.parts, self.size, self.truncated = [], 0, False
        return out


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
    requests = os.fdopen(3, "r", encoding="utf-8")
    responses = os.fdopen(4, "w", encoding="utf-8")
    # The lab's code may start programs (os.system): they must not hold
    # the request and response pipes open.
    os.set_inheritable(3, False)
    os.set_inheritable(4, False)
    rec = Recorder()
    ns = {"__name__": "__main__", "__doc__": None, "__builtins__": __builtins__}
    interp = Interpreter(ns)
    # Ctrl-C at the deadline stops the statement, as it would at the
    # prompt (the C handler adds no frame to the traceback); between
    # statements there is nothing to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.stdout = sys.stderr = rec
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
        rec.limit = max(1, int(req.get("limit", 1 << 20)))
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
            sys.stderr.write("KeyboardInterrupt\n")
        truncated = rec.truncated
        reply({"out": rec.take(), "raised": interp.raised, "incomplete": bool(more),
               "truncated": truncated, "exited": exited})
        if exited:
            return


if __name__ == "__main__":
    main()
