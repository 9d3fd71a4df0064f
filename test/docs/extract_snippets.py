#!/usr/bin/env python3
"""Turn the C++ snippets of a docs page into one doctest translation unit.

Usage: extract_snippets.py PAGE.md OUT.cpp [--include HEADER ...]

A ```cpp block preceded (on the line before its fence, blank lines allowed)
by `<!-- snippet: NAME -->` becomes `TEST_CASE("PAGE: NAME")`, its lines the
body. `#include` lines in a snippet move to the top of the file. Every other
```cpp block must be preceded by `<!-- fragment -->`: a fragment is shown but
not compiled (a pattern with placeholders, say). An unmarked block is an
error, so a new example cannot silently escape the test. `#line` directives
point compiler errors and failed CHECKs at the page's own lines.
"""

import argparse
import pathlib
import re
import sys

MARK = re.compile(r"<!--\s*(snippet:\s*([A-Za-z0-9_ -]+?)|fragment)\s*-->")


def extract(page_path):
    lines = pathlib.Path(page_path).read_text(encoding="utf-8").splitlines()
    snippets, errors = [], []
    mark = None
    i = 0
    while i < len(lines):
        line = lines[i]
        m = MARK.fullmatch(line.strip())
        if m:
            mark = m
            i += 1
            continue
        fence = re.match(r"^(\s*)```(\S*)\s*$", line)
        if fence:
            lang = fence.group(2)
            start = i + 1
            j = start
            while j < len(lines) and not re.match(r"^\s*```\s*$", lines[j]):
                j += 1
            if j == len(lines):
                errors.append(f"{page_path}:{i + 1}: code block not closed")
                break
            if lang == "cpp":
                if mark is None:
                    errors.append(f"{page_path}:{i + 1}: a ```cpp block needs "
                                  "<!-- snippet: NAME --> or <!-- fragment --> before it")
                elif mark.group(2):
                    snippets.append((mark.group(2).strip(), start + 1, lines[start:j]))
            mark = None
            i = j + 1
            continue
        if line.strip():
            mark = None
        i += 1
    names = [s[0] for s in snippets]
    for n in sorted({n for n in names if names.count(n) > 1}):
        errors.append(f"{page_path}: snippet name '{n}' is used twice")
    return snippets, errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("page")
    ap.add_argument("out")
    ap.add_argument("--include", action="append", default=[])
    ap.add_argument("--source-name", help="the page's name in #line and test names")
    args = ap.parse_args()
    snippets, errors = extract(args.page)
    if not snippets:
        errors.append(f"{args.page}: no <!-- snippet: NAME --> blocks")
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    shown = args.source_name or pathlib.Path(args.page).name
    includes = ["<doctest/doctest.h>"] + [f"<{h}>" for h in args.include]
    bodies = []
    for name, first_line, body in snippets:
        kept = []
        for k, text in enumerate(body):
            if text.strip().startswith("#include"):
                inc = text.strip()[len("#include"):].strip()
                if inc not in includes:
                    includes.append(inc)
                kept.append("")
            else:
                kept.append(text)
        ident = re.sub(r"\W", "_", name)
        bodies.append(
            f'namespace snippet_{ident} {{\n'
            f'TEST_CASE("{shown}: {name}") {{\n'
            f'#line {first_line} "{shown}"\n' + "\n".join(kept) + "\n}\n}\n")
    out = [f"// Generated from {shown} by test/docs/extract_snippets.py; do not edit.",
           "// Each snippet of the page is one TEST_CASE in its own namespace."]
    out += [f"#include {inc}" for inc in includes]
    out += ["", "using namespace tapeless;", ""] + bodies
    pathlib.Path(args.out).write_text("\n".join(out), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
