"""Vendors authzed/api's .proto files without their custom options.

The upstream files annotate fields and methods with options from four other
modules (protoc-gen-validate, protovalidate, google.api.http, grpc-gateway's
OpenAPI). None changes the wire format or the generated Rust, so the vendored
copies leave them out (and their imports) rather than vendor those modules too.
Run from this folder: python3 strip_options.py <authzed/api checkout>.
"""

import pathlib
import re
import sys

FILES = [
    "authzed/api/v1/core.proto",
    "authzed/api/v1/debug.proto",
    "authzed/api/v1/permission_service.proto",
    "authzed/api/v1/schema_service.proto",
]
DROPPED_IMPORTS = (
    "buf/validate/",
    "validate/validate.proto",
    "google/api/",
    "protoc-gen-openapiv2/",
)


def skip_string(text, i):
    quote = text[i]
    i += 1
    while text[i] != quote:
        i += 2 if text[i] == "\\" else 1
    return i + 1


def skip_balanced(text, i, open_, close):
    depth = 0
    while True:
        c = text[i]
        if c in "\"'":
            i = skip_string(text, i)
            continue
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1


def strip(text):
    out = []
    i = 0
    while i < len(text):
        c = text[i]
        if c in "\"'":
            j = skip_string(text, i)
            out.append(text[i:j])
            i = j
        elif text.startswith("//", i):
            j = text.index("\n", i)
            out.append(text[i:j])
            i = j
        elif c == "[":
            # a field's options: all custom (parenthesized) in these files
            i = skip_balanced(text, i, "[", "]")
            while out and out[-1].endswith(" "):
                out[-1] = out[-1][:-1]
        elif re.match(r"option\s*\(", text[i:]):
            j = i
            while text[j] != ";":
                j = skip_balanced(text, j, "{", "}") if text[j] == "{" else (
                    skip_string(text, j) if text[j] in "\"'" else j + 1)
            i = j + 1
        else:
            out.append(c)
            i += 1
    lines = [
        line.rstrip()
        for line in "".join(out).split("\n")
        if not any(f'import "{d}' in line for d in DROPPED_IMPORTS)
    ]
    # an rpc left with an empty body reads as `{}`; blank runs collapse
    text = "\n".join(lines)
    text = re.sub(r"\{\s*\}", "{}", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.rstrip() + "\n"


def main():
    root = pathlib.Path(sys.argv[1])
    for name in FILES:
        src = (root / name).read_text()
        dst = pathlib.Path(name)
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(strip(src))


if __name__ == "__main__":
    main()
