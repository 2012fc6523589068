"""Checks a Python block without running it: `python pw_probe.py <project_dir> <block.py>` prints one JSON object.

It reports the interpreter's version, whether pandas and pyarrow can be found, the block file's syntax error if any,
and the modules the file imports that cannot be found (with their lines). Imports inside `try:` (optional
dependencies) and under `if` tests on globals() (Mage's decorator header) are not required.
"""
import ast
import importlib.util
import json
import os
import sys


def findable(name):
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a parent package that fails to import, or a broken __spec__
        return False


def required_imports(tree):
    found = []

    def visit(node, optional):
        if isinstance(node, ast.Try):
            optional = True
        if isinstance(node, ast.If) and 'globals' in ast.dump(node.test):
            optional = True
        if isinstance(node, ast.Import) and not optional:
            found.extend((alias.name, node.lineno) for alias in node.names)
        if isinstance(node, ast.ImportFrom) and not optional and node.level == 0 and node.module:
            found.append((node.module, node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child, optional)

    visit(tree, False)
    return found


def main():
    project_dir, block_file = sys.argv[1], sys.argv[2]
    sys.path.extend([os.path.dirname(block_file), project_dir])  # as pw_harness.py: after the standard library
    report = {
        'version': '%d.%d.%d' % sys.version_info[:3],
        'executable': sys.executable,
        'pandas': findable('pandas'),
        'pyarrow': findable('pyarrow'),  # pyarrow.parquet too: every pyarrow build has it (finding it would import pyarrow)
        'missing': [],
        'syntax': None,
    }
    try:
        with open(block_file, encoding='utf-8') as f:
            tree = ast.parse(f.read(), block_file)
    except SyntaxError as e:
        report['syntax'] = {'message': '%s: %s' % (type(e).__name__, e.msg), 'line': e.lineno, 'column': e.offset}
        tree = None
    if tree is not None:
        seen = set()
        for name, line in required_imports(tree):
            if name in seen or name == 'pipewright' or name.split('.')[0] == 'mage_ai':  # both shipped by pw_harness.py
                continue
            seen.add(name)
            if not findable(name):
                report['missing'].append({'module': name, 'line': line})
    sys.stdout.write(json.dumps(report) + '\n')


if __name__ == '__main__':
    main()
