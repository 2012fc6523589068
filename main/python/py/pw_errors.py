"""How an exception in a block is reported: the user's frames only, with project-relative paths, the place to mark
in the editor, and whether retrying may help."""
import inspect
import os
import traceback


def is_user_file(filename, job):
    path = os.path.abspath(filename)
    root = job['projectDir'] + os.sep
    return path.startswith(root) and 'site-packages' not in path and os.sep + '.pipewright' + os.sep not in path


def user_frames(exc, job):
    return [f for f in traceback.extract_tb(exc.__traceback__) if is_user_file(f.filename, job)]


def rel(filename, job):
    return os.path.relpath(os.path.abspath(filename), job['projectDir']).replace(os.sep, '/')


def user_place(exc, job):
    if isinstance(exc, SyntaxError) and exc.filename and is_user_file(exc.filename, job):
        return {'file': rel(exc.filename, job), 'line': exc.lineno, 'column': exc.offset}
    frames = user_frames(exc, job)
    if not frames:
        return None
    return {'file': rel(frames[-1].filename, job), 'line': frames[-1].lineno}


NETWORK_MODULES = ('requests', 'urllib3', 'http.client', 'urllib.error', 'socket', 'httpx', 'aiohttp')


def is_transient(exc):
    """Whether retrying may help: a network failure, a timeout, or an HTTP 429/5xx answer (the block's retry: applies)."""
    status = getattr(getattr(exc, 'response', None), 'status_code', None) or getattr(exc, 'code', None)
    if isinstance(status, int) and 400 <= status < 600:
        return status == 429 or status >= 500
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    return any(type(exc).__module__ == m or type(exc).__module__.startswith(m + '.') for m in NETWORK_MODULES)


def describe(exc, job):
    """`Type: message`, an assert's own source line when it has no message, then the user's frames."""
    text = str(exc)
    frames = user_frames(exc, job)
    if isinstance(exc, AssertionError) and not text and frames:
        text = frames[-1].line or ''
    lines = ['%s: %s' % (type(exc).__name__, text) if text else type(exc).__name__]
    if isinstance(exc, SyntaxError) and exc.text:
        lines.append('    ' + exc.text.rstrip('\n'))
    for f in frames:
        lines.append('  File "%s", line %d, in %s' % (rel(f.filename, job), f.lineno, f.name))
        if f.line:
            lines.append('    ' + f.line)
    return '\n'.join(lines)


class BlockError(Exception):
    """A problem with the block file itself (no function to run, a wrong return value), placed at `line`."""

    def __init__(self, message, line=None):
        super().__init__(message)
        self.line = line


def def_line(fn):
    """The line of a function's `def` (co_firstlineno is its first decorator's)."""
    try:
        lines, start = inspect.getsourcelines(fn)
    except (OSError, TypeError):
        return None
    for offset, text in enumerate(lines):
        if text.lstrip().startswith(('def ', 'async def ')):
            return start + offset
    return start


class MissingModule(Exception):
    """A block function's parameter asks for a library (polars, pyarrow) the interpreter does not have."""

    def __init__(self, module, message, line=None):
        super().__init__(message)
        self.module, self.line = module, line
