"""Generated sections of docs/benchmarks.md: each runner replaces only the text between its own markers.

A section is the text between the lines ``<!-- BEGIN generated: NAME -->`` and ``<!-- END generated: NAME -->``.
The rest of the file (the introduction, the other runners' sections) is kept as it is.
"""

import os


def begin_marker(name):
    return f"<!-- BEGIN generated: {name} -->"


def end_marker(name):
    return f"<!-- END generated: {name} -->"


def replace_section(path, name, text):
    """Writes text as section NAME of the file at path.

    If the file has the section, only the section changes; if the file exists without it, the section is appended;
    if there is no file, the file is the section alone.
    """
    section = f"{begin_marker(name)}\n{text.rstrip()}\n{end_marker(name)}\n"
    try:
        with open(path, encoding="utf-8") as existing:
            content = existing.read()
    except FileNotFoundError:
        content = ""

    begin = content.find(begin_marker(name))
    end = content.find(end_marker(name))
    if begin >= 0 and end > begin:
        end += len(end_marker(name))
        if content[end:end + 1] == "\n":
            end += 1
        content = content[:begin] + section + content[end:]
    elif content.strip():
        content = content.rstrip() + "\n\n" + section
    else:
        content = section

    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    with open(path, "w", encoding="utf-8") as output:
        output.write(content)
