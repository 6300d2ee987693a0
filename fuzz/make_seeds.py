#!/usr/bin/env python3
"""Writes the checked-in seed corpus, seeds/<target>/, from the repository's own tests.

Run from anywhere: python3 fuzz/make_seeds.py (needs PyJWT and cryptography, as the
interop tests do). Files are named by content, so running it again adds nothing new;
regression inputs (seeds/<target>/regression-*) are kept as they are.
"""

import base64
import hashlib
import hmac
import json
import pathlib
import re

import jwt  # PyJWT

FUZZ = pathlib.Path(__file__).resolve().parent
ROOT = FUZZ.parent
SEEDS = FUZZ / "seeds"
KEYS = ROOT / "tests/integration/fixtures/jwt"
VECTORS = ROOT.parent / "shared/vectors/wycheproof"

# src/jwt.rs: HS256_SECRET (the key set's default key) and HS512_SECRET (`hs512`).
HS256_SECRET = b"auth-core fuzzing HS256 secret!!"
HS512_SECRET = bytes([0x5A]) * 64

CLAIMS = {
    "iss": "https://issuer.example",
    "aud": "api",
    "sub": "user-1",
    "exp": 4102444800,
    "iat": 1700000000,
    "nbf": 1700000000,
    "jti": "token-1",
    "sid": "session-1",
    "scope": "orders:read orders:write",
    "scp": ["extra"],
    "amr": ["pwd", "otp"],
    "groups": ["ops"],
    "realm_access": {"roles": ["admin", "user"]},
    "resource_access": {"api": {"roles": ["reader"]}},
    "tenant": "t-1",
}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def write(target: str, data, name: str | None = None) -> None:
    if isinstance(data, str):
        data = data.encode()
    directory = SEEDS / target
    directory.mkdir(parents=True, exist_ok=True)
    name = name or hashlib.sha1(data).hexdigest()[:16]
    (directory / name).write_bytes(data)


def sign_hs256(header: bytes, payload: bytes) -> str:
    signing_input = f"{b64(header)}.{b64(payload)}"
    mac = hmac.new(HS256_SECRET, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


def tokens() -> list[str]:
    """Tokens every key of the harness's key set verifies, and a few it refuses."""
    pem = lambda name: (KEYS / name).read_bytes()
    typ = {"typ": "at+jwt"}
    out = [
        jwt.encode(CLAIMS, HS256_SECRET, "HS256", headers=typ),
        jwt.encode({"sub": "u", "exp": 4102444800}, HS256_SECRET, "HS256"),
        jwt.encode(CLAIMS, HS512_SECRET, "HS512", headers={"kid": "hs512", **typ}),
        jwt.encode(CLAIMS, pem("ec256.pem"), "ES256", headers={"kid": "es256", **typ}),
        jwt.encode(CLAIMS, pem("ec384.pem"), "ES384", headers={"kid": "es384"}),
        jwt.encode(CLAIMS, pem("rsa2048.pem"), "RS256", headers={"kid": "rs256", **typ}),
        jwt.encode(CLAIMS, pem("rsa2048.pem"), "PS256", headers={"kid": "ps256"}),
        jwt.encode(CLAIMS, pem("ed25519.pem"), "EdDSA", headers={"kid": "ed", **typ}),
        # Refused: expired, wrong key, `alg` of another key, `crit`, unknown `kid`.
        jwt.encode({**CLAIMS, "exp": 1}, HS256_SECRET, "HS256"),
        jwt.encode(CLAIMS, pem("attacker-ec256.pem"), "ES256", headers={"kid": "es256"}),
        jwt.encode(CLAIMS, HS256_SECRET, "HS384", headers={"kid": "hs512"}),
        jwt.encode(CLAIMS, HS256_SECRET, "HS256", headers={"crit": ["exp"]}),
        jwt.encode(CLAIMS, HS256_SECRET, "HS256", headers={"kid": "nope"}),
    ]
    return out


def bearer(all_tokens: list[str]) -> None:
    t = all_tokens[0]
    cases = [
        f"authorization:Bearer {t}",
        f"authorization:bearer {t}",
        f"Authorization:BEARER {t}\nx-other:1",
        f"cookie:a=1; at={t}; b=2",
        f'cookie:at="{t}"',
        f"cookie:a=1\ncookie:at={t}",
        f"cookie:at={t}\ncookie:at={t}",
        f"authorization:Bearer {t}\ncookie:at={t}",
        f"authorization:Bearer {t}\nauthorization:Bearer {t}",
        "authorization:Basic dXNlcjpwYXNz",
        "authorization:Bearer",
        "authorization:Bearer ",
        "authorization:Bearer\tabc",
        "authorization:Bearer a.b.c==",
        "authorization:Bearerabc",
        "cookie:at=",
        'cookie:at="',
        "cookie:;;=;at;at==",
    ]
    for token in all_tokens[1:]:
        cases.append(f"authorization:Bearer {token}")
    for case in cases:
        write("bearer", case)
    write("bearer", b"authorization:Bearer \xff\xfe.\x80\ncookie:at=\xc3\xa9")


def jws(all_tokens: list[str]) -> None:
    for token in all_tokens:
        write("jws", token)
    # Wycheproof's JWS vectors: their keys are not ours, but the shapes are.
    vectors = json.loads((VECTORS / "json_web_signature_test.json").read_text())
    for group in vectors["testGroups"]:
        for test in group["tests"]:
            if isinstance(test.get("jws"), str):
                write("jws", test["jws"])
    # Structured: `<header>\0<payload>`, signed by the harness.
    headers = [
        b'{"alg":"HS256"}',
        b'{"alg":"HS256","typ":"at+jwt"}',
        b'{"alg":"HS256","typ":"application/AT+JWT","cty":"x"}',
        b'{"alg":"HS256","b64":true}',
        b'{"alg":"HS256","b64":false}',
        b'{"alg":"HS256","crit":["b64"],"b64":true}',
        b'{"alg":"HS256","jwk":{"kty":"oct","k":"AA"},"jku":"https://x"}',
        b'{"alg":"HS256","kid":"es256"}',
        b'{"alg":"none"}',
        b'{"alg":"HS256","alg":"HS256"}',
        b'{"alg":"HS\\u0032\\u00356"}',
    ]
    payloads = [
        json.dumps(CLAIMS).encode(),
        b'{"sub":"u","exp":4102444800}',
        b'{"sub":"u","exp":4102444800.5,"nbf":1.5,"aud":["x","api"]}',
        b'{"sub":"u","exp":"4102444800"}',
        b'{"sub":"u","exp":4102444800,"iat":99999999999}',
        b'{"sub":"u","exp":4102444800,"x":{"a":1,"a":2}}',
    ]
    for header in headers:
        for payload in payloads[:2]:
            write("jws", header + b"\0" + payload)
    for payload in payloads:
        write("jws", headers[1] + b"\0" + payload)


def jwk() -> None:
    sets = []
    secret = b64(HS256_SECRET)
    sets.append({"keys": [{"kty": "oct", "alg": "HS256", "kid": "a", "k": secret}]})
    sets.append({"keys": [
        {"kty": "oct", "alg": "HS256", "kid": "a", "k": secret},
        {"kty": "oct", "alg": "A256KW", "use": "enc", "kid": "wrap", "k": secret},
        {"kty": "oct", "alg": "HS256", "kid": "ops", "key_ops": ["sign"], "k": secret},
    ]})
    ed = {"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": "ed-1",
          "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    sets.append({"keys": [ed]})
    sets.append({"keys": [{k: v for k, v in ed.items() if k != "alg"}]})
    ec = {"kty": "EC", "crv": "P-256", "kid": "ec", "alg": "ES256",
          "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
          "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}
    sets.append({"keys": [ec, {**ec, "kid": "ec-ops", "key_ops": ["verify", "verify"]}]})
    sets.append({"keys": [{**ec, "d": "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}]})
    rsa = {"kty": "RSA", "kid": "bilbo.baggins@hobbiton.example", "use": "sig", "alg": "RS256",
           "n": "n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_AJmSCpMaJMRBSFKrKb2wqVwGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-oBHqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKwuCLqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5gHdrNP5zw",
           "e": "AQAB"}
    sets.append({"keys": [rsa, {**rsa, "kid": "enc-1", "use": "enc", "alg": "RSA-OAEP"}]})
    sets.append({"keys": [{k: v for k, v in rsa.items() if k != "alg"}]})
    sets.append({"keys": []})
    for jwk_set in sets:
        write("jwk", json.dumps(jwk_set, separators=(",", ":")))
    for single in [ed, ec, rsa, {"kty": "oct", "alg": "HS256", "k": secret}]:
        write("jwk", json.dumps(single, separators=(",", ":")))
    # Wycheproof's keys, public halves and private ones.
    seen = set()
    for name in ["json_web_key_test.json", "json_web_signature_test.json"]:
        vectors = json.loads((VECTORS / name).read_text())
        for group in vectors["testGroups"]:
            for member in ["private", "public"]:
                key = group.get(member)
                if not isinstance(key, dict):
                    continue
                text = json.dumps({"keys": [key]}, separators=(",", ":"))
                if text not in seen:
                    seen.add(text)
                    write("jwk", text)
    write("jwk", '{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA","alg":"ES256","a":1,"a":2}]}')


def claims() -> None:
    cases = [
        json.dumps(CLAIMS),
        '{"sub":"u1","exp":2000000000.7,"iat":1,"aud":["a","b"],"scope":"x y","scp":["z"],"amr":["pwd"],"tenant":"t"}',
        '{"sub":"u","exp":2000000000,"scope":" a\\tb  c ","scp":["d","e f",""]}',
        '{"sub":"u","exp":2000000000,"scope":"x","scp":"y  z"}',
        '{"sub":"u","exp":2000000000,"realm_access":{"roles":["admin","user"]},"groups":"ops","bad":{"roles":[1]}}',
        '{"sub":"u","exp":"2000000000"}',
        '{"sub":"u","exp":-1}',
        '{"sub":"u","exp":1e300}',
        '{"sub":"","exp":2000000000}',
        '{"sub":"u","exp":1,"\\u0065xp":2000000000}',
        '{"sub":"u","exp":2000000000,"x":[1,{"a":[{"b":1,"b":2}]}]}',
        '{"sub":"\\ud83d\\ude00","exp":2000000000,"a":{"b":{"c":["r"]}}}',
        '{"sub":"u","exp":2000000000,' + ",".join(f'"c{i}":{{}}' for i in range(20)) + "}",
        "[1]",
        "",
    ]
    for case in cases:
        write("claims", case)


def attributes() -> list[tuple[str, str]]:
    """(attribute, item) for every `#[requires(..)]` in the tests, examples and docs."""
    found = []
    files = [*ROOT.glob("tests/ui/**/*.rs"), *ROOT.glob("tests/tests/*.rs"),
             *ROOT.glob("tests/expand/*[!d].rs"), *ROOT.glob("examples/src/**/*.rs"),
             ROOT / "auth-core/src/lib.rs"]
    for path in files:
        text = path.read_text()
        # Doc comments: strip the `/// ` so the examples read as code.
        text = re.sub(r"^\s*///( |$)", "", text, flags=re.M)
        text = re.sub(r"^\s*//!( |$)", "", text, flags=re.M)
        for match in re.finditer(r"#\[(requires|public)\b", text):
            start = match.end()
            attr = ""
            if text[start:start + 1] == "(":
                end = matching(text, start)
                if end is None:
                    continue
                attr = text[start + 1:end]
                start = end + 1
            close = text.find("]", start)
            item_start = close + 1
            brace = text.find("{", item_start)
            semicolon = text.find(";", item_start)
            if brace < 0 or (0 <= semicolon < brace):
                continue
            item_end = matching(text, brace)
            if item_end is None:
                continue
            found.append((attr.strip(), text[item_start:item_end + 1].strip()))
    return found


def matching(text: str, open_at: int) -> int | None:
    pairs = {"(": ")", "{": "}", "[": "]"}
    stack = []
    i = open_at
    in_string = False
    while i < len(text):
        c = text[i]
        if in_string:
            if c == "\\":
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in pairs:
            stack.append(pairs[c])
        elif c in ")}]":
            if not stack or stack.pop() != c:
                return None
            if not stack:
                return i
        i += 1
    return None


def macros() -> None:
    for attr, item in attributes():
        write("requires_attr", attr)
        write("requires_expand", attr + "\0" + item)
        write("requires_expand", attr)
    for attr in ['role("a"), crate = ::auth_core', "state = self.db, Update(order)",
                 "rol(\"a\")", "any()", "Update(order) x", "crate = "]:
        write("requires_attr", attr)
        write("requires_expand", attr)


def roles_files() -> None:
    """The roles files of the repository, and one file per refusal of the loader."""
    for path in sorted(ROOT.glob("**/roles*.toml")):
        if "target" not in path.parts:
            write("roles_file", path.read_text())
    for text in [
        '[roles.a]\ninherits = ["b"]\n[roles.b]\ninherits = ["a"]\n',
        '[permissions]\n"a" = "x"\n[roles.r]\npermissions = ["a", "a", "b"]\n',
        '[roles.a]\n[roles.b]\ninherits = ["a", "a", "c"]\n',
        '[permissions]\n"orders.read" = "x"\n"orders_read" = "y"\n[roles.Self]\n',
        '[roles]\n"" = {}\n"self" = {}\n',
        'roles = 3\npermissions = [1]\n',
        '[roles.x]\ninherit = ["y"]\ndescription = 1\n',
        '[permissions]\norders.read = "x"\n[roles.r]\n',
        '[roles.a\n',
        '',
    ]:
        write("roles_file", text)


def main() -> None:
    all_tokens = tokens()
    bearer(all_tokens)
    jws(all_tokens)
    jwk()
    claims()
    macros()
    roles_files()
    for directory in sorted(SEEDS.iterdir()):
        print(f"{directory.name}: {len(list(directory.iterdir()))} seeds")


if __name__ == "__main__":
    main()
