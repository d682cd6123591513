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


def attachments(root, count):
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
        headers = (f'From: "Results, Pathology" <pathology.results@nhs.net>\r\n'
                   f'To: "{name}" <patient{i}@nhs.net>\r\nReply-To: pathology.enquiries@nhs.net\r\n'
                   f"Subject: {clinic} appointment letter\r\nDate: Mon, 23 Nov 2026 {8 + i % 10:02d}:{i % 60:02d}:00 +0000\r\n"
                   f"Message-ID: <letter-{i}@pathology.example.nhs.uk>\r\nMIME-Version: 1.0\r\n")
        with open(os.path.join(folder, f"m{i:06d}.eml"), "w", newline="") as f:
            f.write(headers + body)


if __name__ == "__main__":
    profile, root, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    {"small": small, "attachments": attachments}[profile](root, count)
