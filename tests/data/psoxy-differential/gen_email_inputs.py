#!/usr/bin/env python3
"""Writes inputs/email-inputs.json: hand-picked edge cases, then seeded random RFC 2822 mailbox
strings (valid and near-valid), de-duplicated, in a fixed order. Our own generator (issue 20)."""
import json
import random
import sys

SEED = 20_2822
N_RANDOM = 2300

# --------------------------------------------------------------------------------------------
# (a) hand-picked edge cases
# --------------------------------------------------------------------------------------------
H = []
def h(*xs):
    H.extend(xs)

# known answers / basics
h("alice@acme.com", "test", "Alice@Acme.com", "ALICE@ACME.COM", "alice@ACME.com", "AlIcE@worklytics.co")
h("alice+tag@acme.com", "alice+@acme.com", "+alice@acme.com", "+@acme.com", "a++b@acme.com", "alice+tag+x@acme.com",
  "Alice+Tag@Acme.Com", "alice.smith+news@acme.com", "al.ice@acme.com", "a..b@acme.com", ".alice@acme.com",
  "alice.@acme.com", "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t@acme.com")
# empty / whitespace / junk
h("", " ", "  ", "\t", "\n", "\r\n", "\r\n ", "\u00a0", "\u2003", "\u3000", "@", "@@", "a@", "@a.com", "a@@b.com",
  "a@b@c.com", "a@b.com@c.com", "<>", "<@>", "<a@b.com", "a@b.com>", "<<a@b.com>>", "< a@b.com >", "<a@b.com> ",
  " <a@b.com>", " alice@acme.com", "alice@acme.com ", " alice@acme.com ", "\talice@acme.com", "alice@acme.com\t",
  "alice@acme.com\n", "\nalice@acme.com", "alice@acme.com\r\n", "alice@acme.com\r\n ", "\r\n alice@acme.com")
# display names
h("Alice <alice@acme.com>", "Alice Smith <alice@acme.com>", "\"Alice Smith\" <alice@acme.com>",
  "\"Smith, Alice\" <alice@acme.com>", "Smith, Alice <alice@acme.com>", "A. Person <alice@acme.com>",
  "\"A. Person\" <alice@acme.com>", "Alice  Smith <alice@acme.com>", "Alice\tSmith <alice@acme.com>",
  "Alice<alice@acme.com>", "\"Alice\"<alice@acme.com>", "Alice <alice+tag@Acme.COM>",
  "Alice (comment) <alice@acme.com>", "<alice@acme.com> (Alice)", "alice@acme.com (Alice Smith)",
  "alice@acme.com (Alice) (Smith)", "\"Alice \\\"Al\\\" Smith\" <alice@acme.com>", "\"Alice \\\\ Smith\" <alice@acme.com>",
  "\"\" <alice@acme.com>", "\" \" <alice@acme.com>", "Alice Smith Jr <alice@acme.com>",
  "O'Brien <ob@acme.com>", "Mary-Jane <mj@acme.com>", "Alice_Smith <alice@acme.com>",
  "José <jose@acme.com>", "\"José\" <jose@acme.com>", "\"Zoë Ö\" <zoe@acme.com>", "\"李小龍\" <bruce@acme.com>",
  "\"emoji 😀\" <e@acme.com>", "Zoë <zoe@acme.com>", "\"\u00e9\" <x@acme.com>", "\"tab\there\" <t@acme.com>",
  "\"ctl\u0001\" <c@acme.com>", "\"del\u007f\" <d@acme.com>", "\"nbsp\u00a0x\" <n@acme.com>",
  "=?UTF-8?B?SsO2cmc=?= <jorg@acme.com>", "=?utf-8?q?J=C3=B6rg?= <jorg@acme.com>",
  "Alice\r\n Smith <alice@acme.com>", "\"Alice\r\n Smith\" <alice@acme.com>", "Alice\r\nSmith <alice@acme.com>",
  "Alice <alice@acme.com>, Bob <bob@acme.com>", "alice@acme.com, bob@acme.com", "alice@acme.com;bob@acme.com",
  "alice@acme.com bob@acme.com", "Alice: <alice@acme.com>", "Alice <alice@acme.com>;",
  "\"George R.R. Martin\" <george.r.r.martin@example.com>", "George R.R. Martin <george.r.r.martin@example.com>",
  "\"Hannah Montana\" <hannah.montana+newsletter@worklytics.co>", "<peter.parker@example.com>",
  "jack.o'neill@example.com", "mary_jane@worklytics.co", "nancy+hr@company.org", "invalid-email", "\"\"", "\"<>\"",
  "\"invalid-email\"")
# comments
h("alice@acme.com (comment)", "alice@acme.com(comment)", "alice(comment)@acme.com", "(comment)alice@acme.com",
  "alice@(comment)acme.com", "alice@acme.com (a (nested) c)", "alice@acme.com (a \\( c)", "alice@acme.com (a \\) c)",
  "alice@acme.com ()", "alice@acme.com (", "alice@acme.com )", "alice@acme.com (unterminated",
  "(a)(b)alice(c)@(d)acme.com(e)", "alice (x) @ (y) acme.com", "alice@acme.com (ü)", "alice@acme.com (\u0001)",
  "alice@acme.com (a\r\n b)", "alice@acme.com\r\n (x)", "alice@acme.com (x)\r\n", "alice@acme.com (x) ",
  "<alice@acme.com> (x) (y)", "Alice <alice@acme.com> (x)", "alice@acme.com (@)", "alice@acme.com (<b@c.com>)",
  "(alice@acme.com)", "alice@acme.com ((x))")
# folding whitespace / CRLF
h("\r\n C@ (x) 19.AcC", "alice @acme.com", "alice@ acme.com", "alice @ acme.com", "alice\t@\tacme.com",
  "alice\r\n @acme.com", "alice@\r\n acme.com", "alice\r\n@acme.com", "alice@\r\nacme.com", "alice\n@acme.com",
  "alice\r@acme.com", "alice \r\n \r\n @acme.com", "alice@acme.com\r\n\r\n ", "alice@acme .com", "alice@acme. com",
  "ali ce@acme.com", "\"ali ce\"@acme.com", "alice.\r\n smith@acme.com", "alice . smith@acme.com")
# quoted local parts
h("\"a+b\"@acme.com", "\"A.B\"@acme.com", "\"a b\"@acme.com", "\"a+b c\"@acme.com", "\"A+B\"@Acme.com", "\"alice\"@acme.com",
  "\"Alice\"@acme.com", "\"\"@acme.com", "\" \"@acme.com", "\"a\\\"b\"@acme.com", "\"a\\\\b\"@acme.com", "\"a\\b\"@acme.com",
  "\"a@b\"@acme.com", "\"a(b)\"@acme.com", "\"a,b\"@acme.com", "\"a..b\"@acme.com", "\".a\"@acme.com", "\"a.\"@acme.com",
  "\"a\"\"b\"@acme.com", "\"a\".\"b\"@acme.com", "\"a\".b@acme.com", "a.\"b\"@acme.com", "\"a\" @acme.com", " \"a\"@acme.com",
  "\"a\r\n b\"@acme.com", "\"a\tb\"@acme.com", "\"é\"@acme.com", "\"a\u0001b\"@acme.com", "\"a\u007fb\"@acme.com",
  "\"a+\"@acme.com", "\"+a\"@acme.com", "\"a b+c\"@acme.com", "\"a+b\" <x@acme.com>", "<\"a+b\"@acme.com>",
  "Alice <\"a b\"@acme.com>", "\"a\" <\"a+b\"@acme.com>", "\"unterminated@acme.com", "unterminated\"@acme.com",
  "\"a\\", "\"a\\\"@acme.com", "\"<a@b.com>\"", "\"a\" \"b\" <c@acme.com>")
# mixed case, special atext
h("!#$%&'*+-/=?^_`{|}~@acme.com", "a!b@acme.com", "a#b@acme.com", "a$b@acme.com", "a%b@acme.com", "a&b@acme.com",
  "a'b@acme.com", "a*b@acme.com", "a/b@acme.com", "a=b@acme.com", "a?b@acme.com", "a^b@acme.com", "a_b@acme.com",
  "a`b@acme.com", "a{b@acme.com", "a|b@acme.com", "a}b@acme.com", "a~b@acme.com", "a-b@acme.com", "-@acme.com",
  "a(b@acme.com", "a)b@acme.com", "a,b@acme.com", "a:b@acme.com", "a;b@acme.com", "a<b@acme.com", "a>b@acme.com",
  "a[b@acme.com", "a]b@acme.com", "a\\b@acme.com", "a\"b@acme.com", "josé@acme.com", "ß@acme.com", "ÄLICE@acme.com",
  "İ@acme.com", "I@acme.com", "KELVIN\u212a@acme.com", "a\u0000b@acme.com", "a\u0001@acme.com")
# IP-literal / domain literal
h("a@[1.2.3.4]", "a@[127.0.0.1]", "A@[1.2.3.4]", "a@[IPv6:2001:db8::1]", "user@[IPv6:2001:db8::1]",
  "luke.skywalker@[192.168.1.1]", "<a@[1.2.3.4]>", "Alice <a@[1.2.3.4]>", "a@[1.2.3.4] (x)", "a@ [1.2.3.4]",
  "a@[ 1.2.3.4 ]", "a@[1.2.3.4", "a@1.2.3.4]", "a@[]", "<a@[]>", "a@[a b]", "a@[a\\]b]", "a@[a\\\\b]", "a@[[1]]",
  "a@[my computer]", "a@[\r\n 1]", "a@[é]", "a@[1.2.3.4].com", "a@acme.[com]", "\"a b\"@[1.2.3.4]", "<\"a b\"@[1.2.3.4]>",
  "a@1.2.3.4", "a@256.256.256.256", "a@[ABC]", "<A@[AbC]>")
# domains: trailing dots, labels, TLDs
h("alice@acme.com.", "alice@acme..com", "alice@.acme.com", "alice@acme", "alice@localhost", "alice@a", "alice@A",
  "alice@acme.c", "alice@acme.co", "alice@acme.c0m", "alice@acme.123", "alice@123", "alice@1.2", "alice@acme.-com",
  "alice@-acme.com", "alice@acme-.com", "alice@ac--me.com", "alice@ac_me.com", "alice@ac!me.com", "alice@ac+me.com",
  "alice@ac=me.com", "alice@acme.com-", "alice@xn--bcher-kva.example", "alice@bücher.example", "alice@acme.COM",
  "alice@ACME.COM", "alice@AcMe.CoM", "alice@acme.com.au", "alice@sub.sub.sub.acme.com", "alice@acme . com",
  "alice@acme.com.(x)", "alice@acme.com.\r\n ", "alice@acme\\.com", "alice@acme,com", "alice@acme;com")
for n in (1, 2, 25, 26, 27, 30, 63):
    h("alice@acme." + "c" * n)
h("alice@acme.c1", "alice@acme.1c", "alice@acme.co1")
for n in (62, 63, 64, 200):
    h("alice@" + "a" * n + ".com")
for n in (64, 65, 200, 1000):
    h("a" * n + "@acme.com")
h("alice@" + ".".join(["a"] * 120) + ".com")
h("x@" + "a" * 30 + "." + "b" * 26, "x@" + "a" * 30 + "." + "b" * 27)
# group syntax, routes, misc RFC forms
h("g: a@b.com;", "g:a@b.com;", "g: ;", "undisclosed-recipients:;", "g: a@b.com, c@d.com;", "<@a.com:b@c.com>",
  "<@a.com,@b.com:c@d.com>", "mailto:alice@acme.com", "alice@acme.com?subject=x", "\"a\"@\"b\".com", "a@\"b\".com",
  "a@b.com.", "a@b.c.", ".@acme.com", "..@acme.com", "a.@b.com", "a@.b.com")
# unicode / surrogates / odd characters
h("alice@acme.com\u200b", "\u200balice@acme.com", "alice\u00ad@acme.com", "alice@acme.com\u0085", "\u0085alice@acme.com",
  "alice@acme.com\u2028", "alice@acme.com\u000b", "alice@acme.com\u000c", "\u000calice@acme.com", "alice@acme.com\u001c",
  "ａｌｉｃｅ@acme.com", "alice＠acme.com", "alice@acme。com", "😀@acme.com", "\"😀\"@acme.com", "Ἀλίκη <a@acme.com>",
  "\ud800@acme.com", "\"\ud800\" <a@acme.com>")
# quoted local parts whose quotes Psoxy strips because the unquoted text re-parses (CFWS!)
h("\"a (x)\"@acme.com", "a (x)@acme.com", "\" a\"@acme.com", "\"a \"@acme.com", "\"(x)a\"@acme.com",
  "\"a\r\n \"@acme.com", "\"a\t\"@acme.com", "\"a+b (x)\"@acme.com", "\"A (B)\" <\"A (B)\"@Acme.com>",
  "\"a.b (c)\"@acme.com", "\"(a)\"@acme.com")
# Java \p{Cntrl} is ASCII-only: C1 controls (U+0080-U+009F) are qtext in display names
h("\"x\u0085y\" <a@acme.com>", "\"\u009f\" <a@acme.com>", "\"\u0080\" <a@acme.com>", "\u0085 <a@acme.com>")
# things that look like pseudonyms / tokens
h("t~UFdK0TvVTvZ23c6QslyCy0o2MSq2DRtDjEXfTPJyyMk@acme.com", "p~abc@acme.com", "t~abc", "12345", "1.5", "true", "null")

# --------------------------------------------------------------------------------------------
# (b) seeded random RFC 2822 mailboxes, valid and near-valid
# --------------------------------------------------------------------------------------------
rng = random.Random(SEED)
ATEXT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~"
ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
SPECIALS = "()<>[]:;@\\,.\" "
QTEXT = [chr(c) for c in range(33, 127) if chr(c) not in '"\\']
CTEXT = [chr(c) for c in range(33, 127) if chr(c) not in '()\\']
DTEXT = [chr(c) for c in range(33, 127) if chr(c) not in '[]\\']
ODD = ["\u0001", "\u0007", "\u000b", "\u000c", "\u001f", "\u007f", "é", "ü", "ß", "李", "😀", "\u00a0", "\u200b",
       "\r", "\n", "\t", "\u0000", "\ud800"]
TLD_WORDS = ["com", "org", "io", "co", "uk", "net", "de", "info", "museum", "travel", "c", "x1", "12", "CoM"]


def p(prob):
    return rng.random() < prob


def maybe_odd(s, prob=0.04):
    if s and p(prob):
        i = rng.randrange(len(s) + 1)
        s = s[:i] + rng.choice(ODD + list(SPECIALS)) + s[i:]
    return s


def fws():
    r = rng.random()
    if r < 0.55:
        return " " * rng.randint(1, 2)
    if r < 0.7:
        return "\t"
    if r < 0.85:
        return rng.choice(["\r\n ", "\r\n\t", " \r\n "])
    if r < 0.93:
        return rng.choice(["\r\n", "\n", "\r"])  # near-valid: bare line breaks
    return rng.choice([" \t ", "\r\n \r\n "])


def ccontent():
    r = rng.random()
    if r < 0.8:
        return "".join(rng.choice(CTEXT) for _ in range(rng.randint(1, 6)))
    if r < 0.9:
        return "\\" + rng.choice(QTEXT + ["(", ")", "\\", " "])
    return maybe_odd("x", 1.0)


def comment(depth=0):
    parts = []
    for _ in range(rng.randint(0, 3)):
        if p(0.3):
            parts.append(fws())
        if depth < 2 and p(0.12):
            parts.append(comment(depth + 1))  # nested: RFC-valid, unsupported by Psoxy
        else:
            parts.append(ccontent())
    s = "(" + "".join(parts) + ")"
    if p(0.03):
        s = s[:-1]  # unterminated
    return s


def cfws():
    r = rng.random()
    if r < 0.45:
        return fws()
    if r < 0.8:
        return (fws() if p(0.5) else "") + comment() + (fws() if p(0.5) else "")
    return comment() + fws() + comment()


def opt_cfws(prob=0.15):
    return cfws() if p(prob) else ""


def atom():
    s = "".join(rng.choice(ATEXT if p(0.3) else ALNUM) for _ in range(rng.randint(1, 10)))
    return maybe_odd(s)


def dot_atom_text():
    n = rng.choice([1, 1, 1, 2, 2, 3, 4])
    s = ".".join(atom() for _ in range(n))
    if p(0.03):
        s = "." + s
    if p(0.03):
        s = s + "."
    if p(0.02):
        s = s.replace(".", "..", 1)
    return s


def quoted_string():
    parts = []
    for _ in range(rng.randint(0, 6)):
        r = rng.random()
        if r < 0.6:
            parts.append("".join(rng.choice(QTEXT) for _ in range(rng.randint(1, 5))))
        elif r < 0.75:
            parts.append(fws() if p(0.6) else " ")
        elif r < 0.9:
            parts.append("\\" + rng.choice(QTEXT + ['"', "\\", " ", "\t"]))
        else:
            parts.append(rng.choice(ODD + ['"', "\\"]))
    s = '"' + "".join(parts) + '"'
    if p(0.03):
        s = s[:-1]
    return s


def local_part():
    r = rng.random()
    if r < 0.72:
        return dot_atom_text()
    if r < 0.92:
        return quoted_string()
    # obs-local-part: word *("." word), words may be quoted and surrounded by CFWS
    words = [(quoted_string() if p(0.4) else atom()) for _ in range(rng.randint(2, 3))]
    return ".".join(opt_cfws(0.3) + w + opt_cfws(0.3) for w in words)


def label():
    r = rng.random()
    if r < 0.8:
        n = rng.randint(1, 12)
        s = rng.choice(ALNUM) + "".join(rng.choice(ALNUM + "-") for _ in range(n - 1))
        if n > 1:
            s = s[:-1] + rng.choice(ALNUM)
        if p(0.03):
            s = "-" + s
        if p(0.03):
            s = s + "-"
        return s
    if r < 0.9:
        return atom()
    return rng.choice(["a" * 63, "b" * 64, "x_y", "ü", "1", "0-0"])


def domain():
    r = rng.random()
    if r < 0.82:
        labels = [label() for _ in range(rng.choice([1, 2, 2, 3, 4]) - 1)]
        tld = rng.choice(TLD_WORDS) if p(0.7) else "".join(
            rng.choice(LETTERS) for _ in range(rng.choice([1, 2, 3, 6, 26, 27])))
        s = ".".join(labels + [tld]) if labels else (label() if p(0.5) else tld)
        if p(0.03):
            s += "."
        if p(0.02):
            s = "." + s
        return maybe_odd(s, 0.02)
    # domain literal
    rr = rng.random()
    if rr < 0.5:
        inner = ".".join(str(rng.randint(0, 300)) for _ in range(4))
    elif rr < 0.65:
        inner = "IPv6:" + ":".join("%x" % rng.randint(0, 65535) for _ in range(rng.randint(2, 8)))
    else:
        bits = []
        for _ in range(rng.randint(0, 4)):
            x = rng.random()
            if x < 0.7:
                bits.append("".join(rng.choice(DTEXT) for _ in range(rng.randint(1, 5))))
            elif x < 0.85:
                bits.append(fws())
            else:
                bits.append("\\" + rng.choice(DTEXT + ["[", "]", "\\"]))
        inner = "".join(bits)
    s = "[" + inner + "]"
    if p(0.03):
        s = s[:-1]
    return s


def addr_spec():
    return opt_cfws(0.12) + local_part() + opt_cfws(0.1) + "@" + opt_cfws(0.1) + domain() + opt_cfws(0.15)


def phrase():
    words = []
    for _ in range(rng.randint(1, 4)):
        w = quoted_string() if p(0.35) else atom()
        if p(0.08):
            w += "."  # obs-phrase: "A. Person"
        words.append(w)
    return "".join(w + (fws() if i < len(words) - 1 else "") for i, w in enumerate(words))


def angle_addr():
    inner = addr_spec()
    if p(0.04):
        inner = "@" + domain() + ",@" + domain() + ":" + inner  # obs-route
    return opt_cfws(0.2) + "<" + inner + ">" + opt_cfws(0.2)


def mailbox():
    r = rng.random()
    if r < 0.55:
        return addr_spec()
    if r < 0.75:
        return phrase() + (fws() if p(0.7) else "") + angle_addr()
    if r < 0.85:
        return angle_addr()
    return opt_cfws(0.5) + phrase() + opt_cfws(0.5) + angle_addr()


def mutate(s):
    ops = rng.randint(1, 2)
    for _ in range(ops):
        r = rng.random()
        if not s:
            return rng.choice(SPECIALS)
        i = rng.randrange(len(s))
        if r < 0.3:
            s = s[:i] + s[i + 1:]
        elif r < 0.55:
            s = s[:i] + rng.choice(SPECIALS + "@.") + s[i:]
        elif r < 0.7:
            s = s[:i] + s[i].swapcase() + s[i + 1:]
        elif r < 0.8:
            s = s + rng.choice([",", ";", " ", ">", ")", "@", "."])
        elif r < 0.9:
            s = rng.choice(["<", "(", " ", "\"", ","]) + s
        else:
            s = s[:i] + rng.choice(ODD) + s[i:]
    return s


def random_input():
    r = rng.random()
    if r < 0.05:
        return mailbox() + "," + mailbox()  # mailbox-list: never a single mailbox
    if r < 0.08:
        return atom() + ":" + (mailbox() if p(0.7) else "") + ";"  # group
    m = mailbox()
    if p(0.22):
        m = mutate(m)
    return m


R = []
while len(R) < N_RANDOM:
    x = random_input()
    if len(x) <= 160:
        R.append(x)

seen = set()
out = []
for x in H + R:
    if x not in seen:
        seen.add(x)
        out.append(x)

# json.dumps with ensure_ascii keeps lone surrogates representable (\ud800)
with open(sys.argv[1] if len(sys.argv) > 1 else "inputs/email-inputs.json", "w") as f:
    f.write("[\n" + ",\n".join(json.dumps(x, ensure_ascii=True) for x in out) + "\n]\n")
print(f"hand-picked {len(H)} (unique {len(set(H))}), random {len(R)}, total unique {len(out)}", file=sys.stderr)
