"""The messages of tests/generated-mail/python, built with Python's standard `email`
package (EmailMessage, policy.SMTP, add_alternative, add_attachment) as an application
would build them. Each breaching message is a compliant one with one leak added.

Usage: generate.py OUT_DIR (regenerate.sh beside it runs every generator).
"""

import email
import sys
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path

ASSETS = Path(__file__).resolve().parent.parent / "assets"
POLICY = policy.SMTP
FROM = Address("Results, Pathology", addr_spec="pathology.results@nhs.net")
# The same account, its display name in Welsh: an RFC 2047 encoded-word on the wire.
FROM_WELSH = Address("Canlyniadau, Patholeg (Tŷ Gwyn)", addr_spec="pathology.results@nhs.net")
REPLY_TO = "pathology.enquiries@nhs.net"
PATIENT = Address("Evans, Rhian", addr_spec="rhian.evans@example.com")
GP = Address("Practice, Parkside Surgery", addr_spec="gp.practice.b81001@nhs.net")
COMMISSIONER = Address("Hughes, Nia", addr_spec="nia.hughes@example.org")
ID_DOMAIN = "pathology.example.nhs.uk"
# The NHS Data Dictionary's example number: valid check digit, in an issued range.
NHS = ("943", "476", "5919")


def headers(msg, sender, to, subject, date, msg_id):
    msg["From"] = sender
    msg["To"] = to
    msg["Reply-To"] = REPLY_TO
    msg["Subject"] = subject
    msg["Date"] = date
    msg["Message-ID"] = f"<{msg_id}@{ID_DOMAIN}>"


def fixed_boundaries(msg, name):
    """Python draws MIME boundaries at random: name them so a re-run is byte-identical."""
    multiparts = [p for p in msg.walk() if p.get_content_maintype() == "multipart"]
    for i, part in enumerate(multiparts):
        part.set_boundary(f"=_py_{name}_{i}")


def fold_ics(line):
    """RFC 5545 folding: content lines of at most 75 octets, not splitting a character."""
    out, current = [], b""
    for ch in line:
        encoded = ch.encode("utf-8")
        limit = 75 if not out else 74
        if len(current) + len(encoded) > limit:
            out.append(current)
            current = b""
        current += encoded
    out.append(current)
    return "\r\n ".join(chunk.decode("utf-8") for chunk in out)


def ics_escape(text):
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")


def appointment_ics(description):
    lines = [
        "BEGIN:VCALENDAR",
        "PRODID:-//St Mary's Hospital//Outpatient Booking 4.2//EN",
        "VERSION:2.0",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        f"UID:appt-20260414-0940-b2@{ID_DOMAIN}",
        "DTSTAMP:20260326T090000Z",
        "DTSTART:20260414T084000Z",
        "DTEND:20260414T090000Z",
        "SUMMARY:Clinic at St Mary's – Tŷ Gwyn",
        "LOCATION:" + ics_escape("Outpatients B, Level 2, St Mary's Hospital, Heath Park, Cardiff CF14 4XW"),
        "DESCRIPTION:" + ics_escape(description),
        'ORGANIZER;CN="Results, Pathology":mailto:pathology.results@nhs.net',
        'ATTENDEE;CN="Evans, Rhian";RSVP=TRUE:mailto:rhian.evans@example.com',
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(fold_ics(line) + "\r\n" for line in lines)


APPOINTMENT_TEXT = """\
Dear Rhian Evans,

Your appointment at the Tŷ Gwyn clinic, St Mary's Hospital, is booked:

  Tuesday 14 April 2026 at 09:40 (please arrive by 09:25)
  Outpatients B, Level 2, St Mary's Hospital, Heath Park,
  Cardiff CF14 4XW

e-Referral booking reference (UBRN): 0001 2345 6789
Order number of your home testing kit: ORD-26-0031184

To change or cancel, reply to this email or call the booking team
on 0300 123 4567 (Monday to Friday, 08:00 to 18:00).
From outside the UK: +44 (0)300 123 4563. Textphone: 18001 0300 123 4563.
Out of hours: 0300 311 2236.
Car park: £3.50 for up to 4 hours; blue badge holders park free.

St Mary's Hospital Pathology, Example University Health Board (NHS Wales)
Switchboard: 0113 206 5719 / +44 113 206 5719
"""

APPOINTMENT_DESCRIPTION = (
    "Please arrive by 09:25 and bring this invitation. To change or cancel, call "
    "0300 123 4567 or reply to pathology.enquiries@nhs.net. "
    "e-Referral booking reference 0001 2345 6789. Car park £3.50 for 4 hours."
)


def appointment_html(leak=""):
    return f"""\
<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8">
<style>body{{font-family:Arial,sans-serif;font-size:16px}} td{{padding:4px 8px}}</style>
</head><body>
<div style="display:none;max-height:0;overflow:hidden">Your appointment on Tuesday 14 April 2026 at 09:40</div>
<img src="https://www.example.nhs.uk/img/st-marys-nhs-logo.png" width="180" height="60" alt="St Mary's Hospital, NHS Wales">
<p>Dear Rhian Evans,</p>
<p>Your appointment at the Tŷ Gwyn clinic, St Mary's Hospital, is booked:</p>
<table role="presentation">
<tr><td>When</td><td>Tuesday 14 April 2026 at 09:40 (please arrive by 09:25)</td></tr>
<tr><td>Where</td><td>Outpatients B, Level 2, St Mary's Hospital, Heath Park, Cardiff CF14&nbsp;4XW</td></tr>
<tr><td>Booking reference (UBRN)</td><td>0001&nbsp;2345&nbsp;6789</td></tr>
<tr><td>Home testing kit order</td><td>ORD-26-0031184</td></tr>
</table>{leak}
<p>To change or cancel, reply to this email or call the booking team on
<a href="tel:+443001234567">0300&nbsp;123&nbsp;4567</a> (Monday to Friday, 08:00&ndash;18:00).<br>
From outside the UK: <a href="tel:+443001234563">+44&nbsp;(0)300&nbsp;123&nbsp;4563</a>.
Textphone: 18001 0300 123 4563. Out of hours: 0300&#160;311&#160;2236.</p>
<p>Car park: &pound;3.50 for up to 4 hours; blue badge holders park free.
<a href="https://www.example.nhs.uk/visiting/parking?site=CF14%204XW&amp;from=20260414">Parking and directions</a></p>
<p style="color:#425563;font-size:13px">St Mary's Hospital Pathology, Example University Health Board (NHS Wales)<br>
Switchboard: 0113&nbsp;206&nbsp;5719 / +44&nbsp;113&nbsp;206&nbsp;5719</p>
</body></html>
"""


def appointment(name, subject="Clinic at St Mary's – Tŷ Gwyn", html_leak="", description=APPOINTMENT_DESCRIPTION):
    """An invitation to a patient outside NHSmail: no patient data, many numbers that
    are not NHS numbers (phones, a UBRN, an order number, times, money, a postcode)."""
    msg = EmailMessage(policy=POLICY)
    headers(msg, FROM_WELSH, PATIENT, subject, "Thu, 26 Mar 2026 09:00:00 +0000", f"appt.{name}")
    msg.set_content(APPOINTMENT_TEXT, cte="quoted-printable")
    msg.add_alternative(appointment_html(html_leak), subtype="html", cte="quoted-printable")
    msg.add_attachment(
        appointment_ics(description),
        subtype="calendar",
        cte="base64",
        filename="invite.ics",
        params={"method": "REQUEST"},
    )
    return msg


CLINIC_LETTER_TEXT = """\
Dear Dr Okafor,

Re: Rhian Evans, date of birth 01/02/1960, NHS number 450 557 7104,
hospital number K1234567, 12 Heol y Deri, Cardiff CF14 4XW.

Seen in the cardiology outpatient clinic on Thursday 26 March 2026 at 14:10.
Blood pressure 128/82, heart rate 64. ECG 25/03/2026: sinus rhythm.
Plan: repeat lipid profile in 12 weeks; review on 18/06/2026.

The clinic letter is attached.

Cardiology Outpatients, St Mary's Hospital. Secretaries: 0113 206 5719 ext. 4471
"""


def clinic_letter(name, letter_name="letter_1711401900.pdf"):
    """A clinic letter to a GP practice on nhs.net (a secure domain): patient details in
    the body are allowed there, never in the Subject or the file names. The PDF is named
    after a Unix timestamp, as many document systems name their exports."""
    msg = EmailMessage(policy=POLICY)
    headers(
        msg, FROM, GP, "Clinic letter: Cardiology outpatients, 26 March 2026",
        "Thu, 26 Mar 2026 16:45:00 +0000", f"letter.{name}",
    )
    msg.set_content(CLINIC_LETTER_TEXT, cte="quoted-printable")
    pdf = (ASSETS / "letter.pdf").read_bytes()
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=letter_name)
    # A Welsh file name: RFC 2231 (filename*=utf-8''...) on the wire.
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename="Llythyr clinig – Tŷ Gwyn.pdf")
    return msg


def secure_results(name):
    """Results to a patient outside NHSmail with [secure] in the Subject: NHSmail
    encrypts it, so the NHS number in the body is allowed."""
    msg = EmailMessage(policy=POLICY)
    headers(msg, FROM, PATIENT, "[secure] Your blood test results", "Thu, 26 Mar 2026 11:30:00 +0000", f"secure.{name}")
    number = " ".join(NHS)
    msg.set_content(
        f"Dear Rhian Evans,\n\nYour blood test results are attached.\n\n"
        f"Patient: Rhian Evans, NHS number {number}, DOB 01/02/1960\n"
        f"Sample taken: 24/03/2026 08:52. Reported: 26/03/2026 10:05.\n\n"
        f"Questions: reply to this email or call 0300 123 4567.\n",
        cte="quoted-printable",
    )
    msg.add_alternative(
        f"<p>Dear Rhian Evans,</p><p>Your blood test results are attached.</p>"
        f"<p>Patient: Rhian Evans, NHS number {number}, DOB 01/02/1960<br>"
        f"Sample taken: 24/03/2026 08:52. Reported: 26/03/2026 10:05.</p>"
        f"<p>Questions: reply to this email or call 0300&nbsp;123&nbsp;4567.</p>\n",
        subtype="html",
        cte="quoted-printable",
    )
    msg.add_attachment((ASSETS / "letter.pdf").read_bytes(), maintype="application", subtype="pdf", filename="results.pdf")
    return msg


def bulletin_csv():
    return (
        "week_ending,department,received,reported,median_hours,target_hours\r\n"
        "2026-03-20,Clinical Biochemistry,4812,4790,26,48\r\n"
        "2026-03-20,Haematology,2207,2198,19,24\r\n"
        "2026-03-20,Microbiology,1311,1280,52,72\r\n"
    )


def forwarded_bulletin(name, inner_subject="Weekly turnaround bulletin, week 12",
                       inner_leak="", inner_csv_name="turnaround-2026-03-20.csv"):
    """The pathology account forwards last week's bulletin, as an attached message
    (message/rfc822), to a commissioner outside NHSmail."""
    inner = EmailMessage(policy=POLICY)
    inner["From"] = Address("Ahmed, Yusuf", addr_spec="yusuf.ahmed@nhs.net")
    inner["To"] = "results-team-dl@nhs.net"
    inner["Reply-To"] = REPLY_TO
    inner["Subject"] = inner_subject
    inner["Date"] = "Fri, 20 Mar 2026 16:00:00 +0000"
    inner["Message-ID"] = f"<bulletin-2026-12@{ID_DOMAIN}>"
    inner.set_content(
        "Median turnaround this week: 26 hours (target 48).\n"
        "Samples received: 4,812; reported: 4,790.\n"
        f"{inner_leak}"
        "Courier invoice INV-2026-00417 (£1,234.50) was paid on 19/03/2026.\n"
        "Figures by department are attached.\n\n"
        "Yusuf Ahmed, Pathology Quality Manager, Leeds Teaching Hospitals NHS Trust\n"
        "Tel: 0113 206 5719\n",
        cte="quoted-printable",
    )
    inner.add_attachment(bulletin_csv(), subtype="csv", filename=inner_csv_name)

    msg = EmailMessage(policy=POLICY)
    headers(msg, FROM, COMMISSIONER, "Turnaround bulletin, as requested", "Mon, 23 Mar 2026 10:15:00 +0000", f"fwd.{name}")
    msg.set_content(
        "Dear Nia,\n\nAs requested, last week's turnaround bulletin is attached.\n\n"
        "Pathology Results Service, Leeds Teaching Hospitals NHS Trust\n"
        "Tel: 0113 206 5719 | LS1 3EX\n",
        cte="quoted-printable",
    )
    msg.add_attachment(inner, filename="Weekly turnaround bulletin.eml")
    return msg


def soft_break_leak():
    """A paragraph whose quoted-printable encoding breaks the NHS number with a soft line
    break: the number starts 70 characters into a line the encoder wraps at 78."""
    return "\n<p>Please quote your patient reference (NHS number) when you call us: " + "".join(NHS) + "</p>"


def ics_fold_leak():
    """The NHS number where RFC 5545 folding splits it: after its first group, 75 octets
    into the DESCRIPTION line."""
    return "Outpatient invitation for Rhian Evans, patient NHS number " + " ".join(NHS) + ". " + APPOINTMENT_DESCRIPTION


COMPLIANT = {
    "appointment-invitation": lambda: appointment("compliant"),
    "clinic-letter-to-gp": lambda: clinic_letter("compliant"),
    "secure-results-to-patient": lambda: secure_results("compliant"),
    "forwarded-bulletin": lambda: forwarded_bulletin("compliant"),
}

BREACHING = {
    "appointment-html-nbsp": lambda: appointment(
        "nbsp", html_leak="\n<p>Patient: Rhian Evans, NHS number 943&nbsp;476&nbsp;5919</p>"),
    "appointment-html-split-by-tags": lambda: appointment(
        "tags", html_leak="\n<p>Your NHS number: 943<span>476</span>5919</p>"),
    "appointment-html-href": lambda: appointment(
        "href", html_leak='\n<p>Your patient record: <a href="https://www.example.nhs.uk/records?patient=9434765919">view online</a></p>'),
    "appointment-html-alt": lambda: appointment(
        "alt", html_leak='\n<p><img src="https://www.example.nhs.uk/barcode.png" alt="Patient NHS number 943 476 5919"></p>'),
    "appointment-html-qp-soft-break": lambda: appointment("qp", html_leak=soft_break_leak()),
    "appointment-ics-description-folded": lambda: appointment("ics", description=ics_fold_leak()),
    "appointment-subject-dob": lambda: appointment("dob", subject="Clinic at St Mary's – Tŷ Gwyn, DOB 01/02/1960"),
    "clinic-letter-name-nhs-number-underscores": lambda: clinic_letter("underscores", letter_name="results_943_476_5919.pdf"),
    "clinic-letter-name-mrn": lambda: clinic_letter("mrn", letter_name="letter_MRN_K1234567.pdf"),
    "forwarded-body": lambda: forwarded_bulletin(
        "body", inner_leak="One sample was rejected, unlabelled: patient NHS number 943 476 5919.\n"),
    "forwarded-subject": lambda: forwarded_bulletin(
        "subject", inner_subject="Rejected sample, NHS number 943 476 5919"),
    "forwarded-attachment-name": lambda: forwarded_bulletin("attachment", inner_csv_name="rejected-9434765919.csv"),
}


def check(name, raw):
    """What a message must show on the wire, so that a change in the email package
    cannot quietly turn a test case into something else."""
    digits = "".join(NHS)
    if name == "appointment-html-qp-soft-break":
        assert any(f"{digits[:i]}=\r\n{digits[i:]}".encode() in raw for i in range(1, 10)), name
    if name == "appointment-ics-description-folded":
        parsed = email.message_from_bytes(raw, policy=POLICY)
        ics = next(p for p in parsed.walk() if p.get_filename() == "invite.ics").get_payload(decode=True)
        spaced = " ".join(NHS).encode()
        assert spaced not in ics and spaced in ics.replace(b"\r\n ", b""), name
    for line in raw.split(b"\r\n"):
        assert len(line) <= 78, (name, line)


def main(out):
    for kind, messages in (("compliant", COMPLIANT), ("breaching", BREACHING)):
        folder = Path(out) / kind
        folder.mkdir(parents=True, exist_ok=True)
        for name, build in messages.items():
            msg = build()
            fixed_boundaries(msg, name)
            raw = msg.as_bytes()
            check(name, raw)
            (folder / f"{name}.eml").write_bytes(raw)


if __name__ == "__main__":
    main(sys.argv[1])
