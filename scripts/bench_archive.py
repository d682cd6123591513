#!/usr/bin/env python3
"""Deterministic synthetic archives for scripts/bench.sh.

    bench_archive.py small DIR MESSAGES        reminders and results, text and HTML,
                                               1% with 1-5 MB PDF attachments
    bench_archive.py attachments DIR MESSAGES  letters with attachments: text + HTML
                                               alternatives, inline images in nested
                                               multiparts, PDFs and photos as base64 (one
                                               message in ten with 1-4 MB of them), and
                                               three messages of 10, 20 and 30 MB; about
                                               270 KB a message on average
    bench_archive.py bulk DIR MESSAGES         the attachments archive, with one message
                                               in ten a bulk send to 1,000-5,000
                                               recipients in To, Cc and Bcc (half bare,
                                               `a@x, b@y`, as bulk senders write them,
                                               half `"Name" <a@x>`), folded
    bench_archive.py shapes DIR N              one message a shape a sender produces, at
                                               N and 4N (scripts/bench.sh shapes)
    bench_archive.py findings DIR MESSAGES     small reminders over 90 weeks, more of them
                                               each week, about half with findings of
                                               several rules: the HTML report's charts
                                               and its accessibility test
                                               (tests/integration/accessibility.rs,
                                               scripts/screenshots.sh)
"""
import base64, os, random, sys


CLINICS = ["Phlebotomy", "Cardiology", "Diabetes", "Orthopaedics", "Dermatology", "Audiology"]
FIRST = ["Asha", "Sam", "Niamh", "Tom", "Priya", "Owen", "Grace", "Kwame"]
LAST = ["Patel", "Jones", "O'Brien", "Smith", "Khan", "Evans", "Taylor", "Mensah"]


def letter(rng, root, i, folders, opening, most):
    """Message i's folder (made), patient, clinic and text: `opening` the clinic's name,
    repeated 2 to `most` times."""
    folder = os.path.join(root, f"{2026 - i % 3}-{1 + i % 12:02d}", f"d{i % folders:02d}")
    os.makedirs(folder, exist_ok=True)
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    clinic = rng.choice(CLINICS)
    text = (f"Dear {name},\r\n\r\n{opening} {clinic} appointment on "
            f"Tuesday {1 + i % 28} December at {8 + i % 9}:{i % 6}0.\r\n"
            "If you cannot attend, reply to this email or call 0113 000 0000.\r\n\r\n"
            "Pathology Results Service\r\n") * rng.randint(2, most)
    return folder, name, clinic, text


def small(root, count):
    rng = random.Random(20261123)
    for i in range(count):
        folder, name, clinic, text = letter(rng, root, i, 50, "This is a reminder of your", 8)
        headers = (f'From: "Results, Pathology" <pathology.results@nhs.net>\r\n'
                   f'To: "{name}" <patient{i}@nhs.net>\r\nReply-To: pathology.enquiries@nhs.net\r\n'
                   f"Subject: {clinic} appointment reminder\r\nDate: Mon, 23 Nov 2026 09:{i % 60:02d}:00 +0000\r\n"
                   f"Message-ID: <reminder-{i}@pathology.example.nhs.uk>\r\nMIME-Version: 1.0\r\n")
        if i % 100 == 7:
            size = rng.randint(1, 5) * 1024 * 1024
            blob = base64.encodebytes(rng.randbytes(size)).decode().replace("\n", "\r\n")
            body = (f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n'
                    f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n--b{i}\r\n"
                    f'Content-Type: application/pdf; name="letter-{i}.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
                    f"{blob}--b{i}--\r\n")
        elif i % 3 == 0:
            html = "<p>" + text.replace("\r\n\r\n", "</p><p>") + "</p>"
            body = (f'Content-Type: multipart/alternative; boundary="a{i}"\r\n\r\n--a{i}\r\n'
                    f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n--a{i}\r\n"
                    f"Content-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n--a{i}--\r\n")
        else:
            body = f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}"
        with open(os.path.join(folder, f"m{i:06d}.eml"), "w", newline="") as f:
            f.write(headers + body)


def recipients(rng, i, n):
    """`n` recipients for message i, as To, Cc and Bcc fields, folded."""
    bare = i % 20 < 10
    addresses = [f"patient{i}.{k}@nhs.net" if bare else f'"{rng.choice(LAST)}, {rng.choice(FIRST)}" <patient{i}.{k}@nhs.net>'
                 for k in range(n)]
    third = n // 3
    fields = {"To": addresses[:third], "Cc": addresses[third:2 * third], "Bcc": addresses[2 * third:]}
    return "".join(f"{name}: " + ",\r\n ".join(group) + "\r\n" for name, group in fields.items())


def attachments(root, count, bulk=False):
    rng = random.Random(20261130)
    # One pool of random base64 lines, sliced for every attachment: generating each
    # attachment's own random bytes would take minutes for the whole archive.
    POOL_LINES = 600_000  # 76-character lines: about 46 MB encoded
    pool = base64.encodebytes(rng.randbytes(POOL_LINES * 57)).decode().replace("\n", "\r\n")
    LINE = 78  # 76 characters and CR LF

    def blob(size, magic):
        """About `size` decoded bytes as base64 lines: `magic` first, then a slice of the pool."""
        lines = max(1, size // 57)
        head = base64.b64encode(magic.ljust(57, b"\0")).decode() + "\r\n"
        start = rng.randrange(0, POOL_LINES - lines) if lines < POOL_LINES else 0
        if lines <= POOL_LINES:
            return head + pool[start * LINE:(start + lines) * LINE]
        return head + pool * (lines // POOL_LINES) + pool[:(lines % POOL_LINES) * LINE]

    PDF, PNG, JPEG = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0\0\x10JFIF\0"
    giants = {count // 4: 10, count // 2: 20, 3 * count // 4: 30}  # MB of base64, a few messages

    def leaf(ctype, body, encoding=None, extra=""):
        enc = f"Content-Transfer-Encoding: {encoding}\r\n" if encoding else ""
        return f"Content-Type: {ctype}\r\n{enc}{extra}\r\n{body}"

    def multipart(kind, boundary, parts):
        inner = "".join(f"--{boundary}\r\n{p}\r\n" for p in parts)
        return f'Content-Type: multipart/{kind}; boundary="{boundary}"\r\n\r\n{inner}--{boundary}--\r\n'

    def attachment(ctype, name, size, magic, inline=None):
        disp = f'Content-Disposition: inline; filename="{name}"\r\nContent-ID: <{inline}>\r\n' if inline \
            else f'Content-Disposition: attachment; filename="{name}"\r\n'
        return leaf(f'{ctype}; name="{name}"', blob(size, magic), "base64", disp)

    for i in range(count):
        folder, name, clinic, text = letter(rng, root, i, 30, "Please find attached the letter about your", 6)
        html = "<html><body><p>" + text.replace("\r\n\r\n", "</p>\r\n<p>") + "</p></body></html>\r\n"
        if i % 4 == 1:  # some text parts encoded, as mail clients do
            plain = leaf("text/plain; charset=utf-8", text.replace("0113", "0113=20"), "quoted-printable")
            html_part = leaf("text/html; charset=utf-8", base64.encodebytes(html.encode()).decode().replace("\n", "\r\n"), "base64")
        else:
            plain, html_part = leaf("text/plain; charset=utf-8", text), leaf("text/html; charset=utf-8", html)
        shape = i % 10
        if i in giants:
            atts = [attachment("application/pdf", f"scan-{i}.pdf", giants[i] * 1024 * 1024 * 3 // 4, PDF)]
            body = multipart("mixed", f"m{i}", [multipart("alternative", f"a{i}", [plain, html_part])] + atts)
        elif shape == 3:  # one in ten: several MB of letters and images
            atts = [attachment("application/pdf", f"letter-{i}-{k}.pdf", rng.randint(400, 1200) * 1024, PDF)
                    for k in range(rng.randint(1, 2))]
            atts.append(attachment("image/jpeg", f"photo-{i}.jpg", rng.randint(200, 600) * 1024, JPEG))
            body = multipart("mixed", f"m{i}", [multipart("alternative", f"a{i}", [plain, html_part])] + atts)
        elif shape in (0, 5):  # text and HTML only
            body = multipart("alternative", f"a{i}", [plain, html_part])
        elif shape in (1, 6, 8):  # a results letter as a PDF
            pdf = attachment("application/pdf", f"results-{i}.pdf", rng.randint(10, 60) * 1024, PDF)
            body = multipart("mixed", f"m{i}", [multipart("alternative", f"a{i}", [plain, html_part]), pdf])
        else:  # HTML with an inline logo (related), the text beside it, and a PDF
            logo = attachment("image/png", "logo.png", rng.randint(4, 20) * 1024, PNG, inline=f"logo{i}@trust")
            related = multipart("related", f"r{i}", [html_part, logo])
            pdf = attachment("application/pdf", f"letter-{i}.pdf", rng.randint(10, 40) * 1024, PDF)
            body = multipart("mixed", f"m{i}", [multipart("alternative", f"a{i}", [plain, related]), pdf])
        to = recipients(rng, i, rng.randint(1000, 5000)) if bulk and i % 10 == 4 \
            else f'To: "{name}" <patient{i}@nhs.net>\r\n'
        headers = (f'From: "Results, Pathology" <pathology.results@nhs.net>\r\n'
                   f'{to}Reply-To: pathology.enquiries@nhs.net\r\n'
                   f"Subject: {clinic} appointment letter\r\nDate: Mon, 23 Nov 2026 {8 + i % 10:02d}:{i % 60:02d}:00 +0000\r\n"
                   f"Message-ID: <letter-{i}@pathology.example.nhs.uk>\r\nMIME-Version: 1.0\r\n")
        with open(os.path.join(folder, f"m{i:06d}.eml"), "w", newline="") as f:
            f.write(headers + body)


def shapes(work, n):
    """Each shape at n and 4n as `{shape}-n.eml` and `{shape}-4n.eml`, and `none.eml`, a message
    with no such part (the baseline)."""
    os.makedirs(work, exist_ok=True)
    head = ('From: "Results, Pathology" <pathology.results@nhs.net>\r\nTo: a.patient@example.org\r\n'
            'Reply-To: pathology.enquiries@nhs.net\r\nSubject: Results\r\n'
            'Date: Mon, 23 Nov 2026 09:00:00 +0000\r\nMessage-ID: <b@nhs.net>\r\nMIME-Version: 1.0\r\n')
    def fill(unit, size):
        return (unit * (size // len(unit) + 1))[:size]
    def bodies(size):
        text = fill("Your results are ready, see 0113 206 5719 &c. ", size)
        html = fill("<tr><td class=\"c\">Result&nbsp;<b>4</b>3&amp;1</td><td><a href=\"/r?x=1\">view</a></td></tr>\r\n", size)
        qp = fill("Your results are re=\r\nady, caf=C3=A9 and 0113 206 5719.\r\n", size)
        unclosed = "<b>" * (size // 7) + "</i>" * (size // 7)
        html_qp = fill("<tr><td class=3D\"c\">Result&nbsp;<b>4</b>3&amp;1</td><td>caf=C3=A9</td></tr>=\r\n", size)
        flowed = fill("Your results are ready, and this line \r\nflows on to the next. \r\n", size)
        calendar = "BEGIN:VEVENT\r\nDESCRIPTION:" + fill("Clinic notes\\, room 4\r\n ", size) + "\r\nEND:VEVENT\r\n"
        b64 = base64.encodebytes(text.encode()).decode().replace("\n", "\r\n")
        levels = size // 10000
        forwarded = "Content-Type: text/plain\r\n\r\nfin\r\n"
        for i in range(levels):
            forwarded = f"Content-Type: message/rfc822\r\n\r\nSubject: level {i}\r\n{forwarded}"
        return {
            "html": "Content-Type: text/html; charset=utf-8\r\n\r\n" + html,
            "html-unclosed": "Content-Type: text/html; charset=utf-8\r\n\r\n" + unclosed,
            "html-qp": "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + html_qp,
            "quoted-printable": "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + qp,
            "base64": "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64,
            "flowed": "Content-Type: text/plain; charset=utf-8; format=flowed\r\n\r\n" + flowed,
            "calendar": "Content-Type: text/calendar; charset=utf-8\r\n\r\n" + calendar,
            "forwarded": forwarded,
            "recipients": "Content-Type: text/plain\r\n\r\nfin\r\n",
            "header-fields": "".join(f"X-Trace-{i}: value {i}\r\n" for i in range(size // 100))
            + "Content-Type: text/plain\r\n\r\nfin\r\n",
            "parts": "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
            + "".join(f"--b\r\nContent-Type: text/plain; name=\"n{i}.txt\"\r\n\r\nnote {i}\r\n" for i in range(size // 500))
            + "--b--\r\n",
            "nested-multiparts": "Content-Type: multipart/mixed; boundary=\"m0\"\r\n\r\n"
            + "".join(f"--m{i}\r\nContent-Type: multipart/mixed; boundary=\"m{i + 1}\"\r\n\r\n" for i in range(levels))
            + f"--m{levels}\r\nContent-Type: text/plain\r\n\r\nleaf\r\n--m{levels}--\r\n"
            + "".join(f"--m{i}--\r\n" for i in reversed(range(levels))),
            "long-line": "Content-Type: text/plain\r\n\r\n" + fill("word 0113 2065719 ", size) + "\r\n",
            # Digits everywhere: every run is a candidate NHS number.
            "digits": "Content-Type: text/plain\r\n\r\n" + fill("9434765919 401 023 2137\r\n", size),
            "recipients-named": "Content-Type: text/plain\r\n\r\nfin\r\n",
            "folded-header": "X-Long: " + fill("word\r\n ", size) + "x\r\nContent-Type: text/plain\r\n\r\nfin\r\n",
            # Lines that start like the delimiter and are not it: each is compared with it.
            "dash-lines": "Content-Type: multipart/mixed; boundary=\"----=_Part_1_2.3\"\r\n\r\n"
            + "------=_Part_1_2.3\r\nContent-Type: text/plain\r\n\r\n"
            + fill("------=_Part_1_2.\r\n-- \r\n", size) + "\r\n------=_Part_1_2.3--\r\n",
        }
    for label, size in (("n", n), ("4n", 4 * n)):
        for shape, body in bodies(size).items():
            to = "a.patient@example.org"
            if shape == "recipients":
                to = ",\r\n ".join(f"p{i}@nhs.net" for i in range(size // 100))
            elif shape == "recipients-named":
                to = ",\r\n ".join(f'"Patel, Asha {i}" <p{i}@nhs.net>' for i in range(size // 100))
            open(f"{work}/{shape}-{label}.eml", "w", newline="").write(head.replace("a.patient@example.org", to) + body)
    open(f"{work}/none.eml", "w", newline="").write(head + "Content-Type: text/plain\r\n\r\nfin\r\n")


def findings(root, count):
    """Reminders dated over 90 weeks up to Monday 23 November 2026, weighted towards the
    newest (the tallest weeks at the right of the weekly chart), with findings of several
    rules by message number, so every chart of the HTML report has bars to draw."""
    import datetime
    rng = random.Random(20261207)
    newest = datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.timezone.utc)
    for i in range(count):
        folder, name, clinic, text = letter(rng, root, i, 20, "This is a reminder of your", 3)
        when = newest - datetime.timedelta(days=int(629 * (1 - ((i + 1) / count) ** 0.5)), minutes=i % 600)
        sender = '"Results, Pathology" <pathology.results@nhs.net>'
        reply = "pathology.enquiries@nhs.net"
        subject = f"{clinic} appointment reminder"
        if i % 7 == 0:
            reply = "no-reply@nhs.net"
        if i % 11 == 0:
            subject += " for 943 476 5919"
        if i % 13 == 0:
            sender = "pathology.results@nhs.net"
        if i % 17 == 0:
            text = text.replace(name, "{{ patient_name }}", 1)
        headers = (f"From: {sender}\r\nTo: \"{name}\" <patient{i}@nhs.net>\r\nReply-To: {reply}\r\n"
                   f"Subject: {subject}\r\nDate: {when.strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\n")
        if i % 19 != 0:
            headers += f"Message-ID: <reminder-{i}@pathology.example.nhs.uk>\r\n"
        with open(os.path.join(folder, f"m{i:06d}.eml"), "w", newline="") as f:
            f.write(headers + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text)


if __name__ == "__main__":
    profile, root, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if profile == "bulk":
        attachments(root, count, bulk=True)
    else:
        {"small": small, "attachments": attachments, "shapes": shapes, "findings": findings}[profile](root, count)
