#!/usr/bin/env python3
"""Turn the C++ snippets of docs pages into one doctest translation unit.

Usage: extract_snippets.py OUT.cpp PAGE.md [PAGE.md ...]
                           [--include HEADER ...] [--root DIR]

A ```cpp block preceded (on the line before its fence, blank lines allowed)
by `<!-- snippet: NAME -->` becomes `TEST_CASE("PAGE: NAME")`, its lines the
body. `<!-- snippet: NAME; after: EARLIER -->` continues the snippet EARLIER
of the same page, so a block can use what an earlier block declared: its
test case, `TEST_CASE("PAGE: EARLIER; NAME")`, runs EARLIER's lines (and
those it continues) first, then its own. A snippet that another continues
has no test case of its own: it runs in each of its continuations.
`#include` lines in a snippet move to the top of the file. Every other
```cpp block must be preceded by `<!-- fragment -->`: a fragment is shown but
not compiled (a pattern with placeholders, say). An unmarked block is an
error, so a new example cannot silently escape the test. `#line` directives
point compiler errors and failed CHECKs at each page's own lines. PAGE is
the page's path relative to --root in #line directives and test names
(relative to the current directory without --root).
"""

import argparse
import os
import pathlib
import re
import sys

NAME = r"[A-Za-z0-9_ -]+?"
MARK = re.compile(rf"<!--\s*(snippet:\s*({NAME})(?:\s*;\s*after:\s*({NAME}))?|fragment)\s*-->")


def extract(page_path):
    """The page's snippets as (name, after, first line, lines), and errors."""
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
                    after = mark.group(3).strip() if mark.group(3) else None
                    snippets.append((mark.group(2).strip(), after, start + 1, lines[start:j]))
            elif mark is not None and mark.group(2):
                errors.append(f"{page_path}:{i + 1}: a snippet mark before a "
                              f"```{lang} block, not a ```cpp one")
            mark = None
            i = j + 1
            continue
        if line.strip():
            mark = None
        i += 1
    names = [s[0] for s in snippets]
    for n in sorted({n for n in names if names.count(n) > 1}):
        errors.append(f"{page_path}: snippet name '{n}' is used twice")
    by_name = {s[0]: s for s in snippets}
    for name, after, _, _ in snippets:
        seen = [name]
        while after is not None:
            if after not in by_name:
                errors.append(f"{page_path}: snippet '{seen[-1]}' continues "
                              f"'{after}', which the page does not have")
                break
            if after in seen:
                errors.append(f"{page_path}: snippet '{name}' continues itself")
                break
            seen.append(after)
            after = by_name[after][1]
    return snippets, errors


def chain(snippets, name):
    """The snippet NAME and those it continues, the earliest first."""
    by_name = {s[0]: s for s in snippets}
    parts = []
    while name is not None:
        parts.insert(0, by_name[name])
        name = by_name[name][1]
    return parts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("pages", nargs="+")
    ap.add_argument("--include", action="append", default=[])
    ap.add_argument("--root", help="the pages' names are their paths relative to ROOT")
    args = ap.parse_args()
    includes = ["<doctest/doctest.h>"] + [f"<{h}>" for h in args.include]
    bodies, errors, shown_pages = [], [], []
    for page in args.pages:
        snippets, page_errors = extract(page)
        if not snippets:
            page_errors.append(f"{page}: no <!-- snippet: NAME --> blocks")
        errors += page_errors
        if page_errors:
            continue
        shown = pathlib.Path(os.path.relpath(page, args.root or os.curdir)).as_posix()
        shown_pages.append(shown)
        page_ident = re.sub(r"\W", "_", pathlib.Path(shown).stem)
        continued = {after for _, after, _, _ in snippets}
        for name, _, _, _ in snippets:
            if name in continued:
                continue
            parts = chain(snippets, name)
            text = []
            for _, _, first_line, body in parts:
                kept = []
                for line in body:
                    if line.strip().startswith("#include"):
                        inc = line.strip()[len("#include"):].strip()
                        if inc not in includes:
                            includes.append(inc)
                        kept.append("")
                    else:
                        kept.append(line)
                text.append(f'#line {first_line} "{shown}"\n' + "\n".join(kept))
            ident = re.sub(r"\W", "_", name)
            bodies.append(
                f'namespace snippet_{page_ident}_{ident} {{\n'
                f'TEST_CASE("{shown}: {"; ".join(part[0] for part in parts)}") {{\n' + "\n".join(text) + "\n}\n}\n")
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    out = [f"// Generated from {', '.join(shown_pages)} by test/docs/extract_snippets.py; do not edit.",
           "// Each TEST_CASE (a snippet, after those it continues) is in its own namespace."]
    out += [f"#include {inc}" for inc in includes]
    out += ["", "using namespace tapeless;", ""] + bodies
    pathlib.Path(args.out).write_text("\n".join(out), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
