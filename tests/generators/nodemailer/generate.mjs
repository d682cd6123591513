// The messages of tests/generated-mail/nodemailer, built with nodemailer's MailComposer
// (the part of nodemailer that writes the message; no transport) as a Node application
// would build them. Each breaching message is a compliant one with one leak added.
//
// Usage: node generate.mjs OUT_DIR (regenerate.sh beside it runs every generator).

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer';

const ASSETS = new URL('../assets/', import.meta.url);
const PDF = readFileSync(new URL('letter.pdf', ASSETS));
const FROM = { name: 'Results, Pathology', address: 'pathology.results@nhs.net' };
const REPLY_TO = 'pathology.enquiries@nhs.net';
const PATIENT = { name: 'Khan, Imran', address: 'patient@example.com' };
const COMMISSIONER = { name: 'Hughes, Nia', address: 'nia.hughes@example.org' };
const GP = 'gp.practice.b81001@nhs.net';
const ID_DOMAIN = 'pathology.example.nhs.uk';

// Everything nodemailer would otherwise draw at random or from the clock is fixed, so
// a re-run is byte-identical: the Date, the Message-ID and the MIME boundaries.
function build(name, mail) {
    const composer = new MailComposer({
        from: FROM,
        replyTo: REPLY_TO,
        messageId: `<nm.${name}@${ID_DOMAIN}>`,
        baseBoundary: `nm-${name}`,
        newline: 'windows',
        ...mail
    });
    return new Promise((resolve, reject) =>
        composer.compile().build((err, raw) => (err ? reject(err) : resolve(raw)))
    );
}

// Pre-folded as RFC 5545 asks (75 octets a line): nodemailer sends the text as given.
const INVITE = [
    'BEGIN:VCALENDAR',
    'PRODID:-//Leeds Pathology//Phlebotomy Booking 2.1//EN',
    'VERSION:2.0',
    'METHOD:REQUEST',
    'BEGIN:VEVENT',
    `UID:bk-7q29xm-20260414@${ID_DOMAIN}`,
    'DTSTAMP:20260326T090000Z',
    'DTSTART:20260414T084000Z',
    'DTEND:20260414T085500Z',
    'SUMMARY:Blood test appointment',
    'LOCATION:Phlebotomy\\, Outpatients Building Level 1\\, St James\'s Universi',
    ' ty Hospital\\, Leeds LS9 7TF',
    'DESCRIPTION:Booking reference BK-7Q29XM. Please arrive 5 minutes early. T',
    ' o rebook call 0300 123 4567 (08:00-18:00) or reply to this email. Parking',
    '  £3.50 for 2 hours.',
    'ORGANIZER;CN="Results, Pathology":mailto:pathology.results@nhs.net',
    'END:VEVENT',
    'END:VCALENDAR',
    ''
].join('\r\n');

const WHAT_TO_BRING = (leak = '') =>
    'Your blood test on Tuesday 14 April 2026 at 09:40\n\n' +
    leak +
    'Please bring:\n' +
    '  - this email or your booking reference, BK-7Q29XM\n' +
    '  - a list of the medicines you take\n\n' +
    'Fasting test: water only after 22:00 the evening before.\n' +
    'Phlebotomy reception: 0113 206 5719, 07:30 to 16:00.\n';

const REMINDER_TEXT =
    'Dear Imran Khan,\n\n' +
    'This is a reminder of your blood test:\n\n' +
    '  Tuesday 14 April 2026, 09:40 (booking reference BK-7Q29XM)\n' +
    "  Phlebotomy, Outpatients Building Level 1, St James's University\n" +
    '  Hospital, Leeds LS9 7TF\n\n' +
    'To rebook, reply to this email or call Tel: 0300 123 4567 (08:00-18:00).\n' +
    'Calling from abroad: Phone: +44 300 123 4563. Text us on Mobile: 07700 900469.\n' +
    'Parking: £3.50 for 2 hours, pay at the machine by the main entrance.\n\n' +
    'Leeds Teaching Hospitals NHS Trust, Pathology Results Service\n';

const reminderHtml = (leak = '') =>
    '<html><body style="font-family:Arial,sans-serif">\n' +
    '<p>Dear Imran Khan,</p>\n' +
    '<p>This is a reminder of your blood test:</p>\n' +
    '<p><strong>Tuesday 14 April 2026, 09:40</strong> (booking reference BK-7Q29XM)<br>\n' +
    "Phlebotomy, Outpatients Building Level 1, St James's University Hospital, Leeds LS9&nbsp;7TF</p>\n" +
    leak +
    '<p>To rebook, reply to this email or call Tel:&nbsp;<a href="tel:03001234567">0300 123 4567</a> (08:00&ndash;18:00).<br>\n' +
    'Calling from abroad: Phone: <a href="tel:+443001234563">+44 300 123 4563</a>. ' +
    'Text us on Mobile: 07700&nbsp;900469.</p>\n' +
    '<p>Parking: &pound;3.50 for 2 hours, pay at the machine by the main entrance.</p>\n' +
    '<p style="font-size:12px;color:#425563">Leeds Teaching Hospitals NHS Trust, Pathology Results Service</p>\n' +
    '</body></html>\n';

// A reminder to a patient outside NHSmail: no patient data; phones, a booking
// reference, a date and a time in the Subject, money, a postcode, an invitation.
function reminder(name, { subject, htmlLeak, attachmentLeak } = {}) {
    return build(name, {
        to: PATIENT,
        subject: subject ?? 'Reminder: blood test on 14/04/2026 at 09:40',
        date: new Date('2026-03-26T09:00:00Z'),
        text: REMINDER_TEXT,
        html: reminderHtml(htmlLeak),
        icalEvent: { method: 'REQUEST', filename: 'invite.ics', content: INVITE },
        attachments: [{ filename: 'what-to-bring.txt', content: WHAT_TO_BRING(attachmentLeak), contentType: 'text/plain' }]
    });
}

const activityCsv = (leak = '') =>
    'Month,Department,Requests,Reported within target,Invoice,Cost (GBP)\r\n' +
    '2026-03,Clinical Biochemistry,19240,18911,INV-2026-00417,1234.50\r\n' +
    '2026-03,Haematology,8829,8790,INV-2026-00418,877.20\r\n' +
    '2026-03,Microbiology,5244,5019,INV-2026-00419,2310.00\r\n' +
    leak;

// The monthly activity bulletin to a commissioner outside NHSmail. Its table puts
// numbers in adjacent cells (31 | 4790 | 4776): read without the cell boundaries they
// would run together into 3147904776, which passes the NHS number check. The CSV is
// named after the Unix time of the export.
function activity(name, { csvLeak } = {}) {
    return build(name, {
        to: COMMISSIONER,
        subject: 'Pathology activity bulletin, March 2026',
        date: new Date('2026-04-01T08:00:00Z'),
        text:
            'Pathology activity, March 2026 (Leeds Teaching Hospitals NHS Trust)\n\n' +
            'Week  Received  Reported\n' +
            '31    4790      4776\n' +
            '32    4802      4795\n\n' +
            'Monthly figures and invoices are attached.\n' +
            'Queries: Tel 0113 206 5719.\n',
        html:
            '<html><body>\n' +
            '<p>Pathology activity, March 2026 (Leeds Teaching Hospitals NHS Trust)</p>\n' +
            '<table><tr><th>Week</th><th>Received</th><th>Reported</th></tr>' +
            '<tr><td>31</td><td>4790</td><td>4776</td></tr>' +
            '<tr><td>32</td><td>4802</td><td>4795</td></tr></table>\n' +
            '<p>Monthly figures and invoices are attached.<br>Queries: Tel 0113&nbsp;206&nbsp;5719.</p>\n' +
            '</body></html>\n',
        attachments: [{ filename: 'activity_1709285400.csv', content: activityCsv(csvLeak), contentType: 'text/csv' }]
    });
}

// Results to a GP practice on nhs.net, with a Welsh file name (RFC 2231 on the wire)
// and a display name that needs RFC 2047.
function resultsToGp(name, { pdfName } = {}) {
    return build(name, {
        from: { name: 'Results, Pathology (St Mary’s)', address: 'pathology.results@nhs.net' },
        to: GP,
        subject: 'Results available: 3 reports for your practice',
        date: new Date('2026-03-26T10:15:00Z'),
        text:
            '3 new pathology reports are ready in the results portal; the summary is attached.\n' +
            'Requests received 24/03/2026 between 08:00 and 17:30.\n' +
            'Laboratory: 0113 206 5719 (Mon-Fri 08:30-17:00).\n',
        html:
            '<p>3 new pathology reports are ready in the ' +
            '<a href="https://results.example.nhs.uk/inbox?practice=B81001&amp;since=2026-03-24">results portal</a>; ' +
            'the summary is attached.</p>\n' +
            '<p>Requests received 24/03/2026 between 08:00 and 17:30.<br>' +
            'Laboratory: 0113&nbsp;206&nbsp;5719 (Mon&ndash;Fri 08:30&ndash;17:00).</p>\n',
        attachments: [{ filename: pdfName ?? 'Crynodeb canlyniadau – Tŷ Gwyn, mis Mawrth 2026.pdf', content: PDF }]
    });
}

const COMPLIANT = {
    'appointment-reminder': () => reminder('reminder'),
    'activity-bulletin': () => activity('activity'),
    'results-to-gp': () => resultsToGp('results')
};

const BREACHING = {
    'appointment-html-numeric-entities': () =>
        reminder('entities', { htmlLeak: '<p>Your NHS number: 943&#160;476&#160;5919</p>\n' }),
    'appointment-text-attachment': () =>
        reminder('text-attachment', { attachmentLeak: 'Patient NHS number: 943 476 5919\n\n' }),
    'appointment-subject-date-of-birth': () =>
        reminder('dob', { subject: 'Reminder: blood test for Imran Khan, date of birth 1 Feb 1960' }),
    'activity-csv-attachment': () =>
        activity('csv', { csvLeak: '\r\nRejected samples\r\nNHS Number,Reason\r\n943 476 5919,Unlabelled sample\r\n' }),
    'results-name-rfc2231-nhs-number': () =>
        resultsToGp('rfc2231', { pdfName: 'Canlyniadau 943 476 5919 – Tŷ Gwyn.pdf' }),
    'results-name-mrn': () => resultsToGp('mrn', { pdfName: 'clinic-letter-MRN-RJ1234567.pdf' })
};

// What a message must show on the wire, so that a nodemailer upgrade cannot quietly
// turn a test case into something else.
function check(name, raw) {
    const text = raw.toString('latin1');
    if (name === 'results-name-rfc2231-nhs-number') {
        if (!/filename\*0?\*?=utf-8''/i.test(text)) throw new Error(`${name}: no RFC 2231 file name`);
    }
    for (const line of text.split('\r\n')) {
        if (line.length > 78) throw new Error(`${name}: line over 78: ${line}`);
    }
}

const out = process.argv[2];
for (const [kind, messages] of [['compliant', COMPLIANT], ['breaching', BREACHING]]) {
    mkdirSync(join(out, kind), { recursive: true });
    for (const [name, make] of Object.entries(messages)) {
        const raw = await make();
        check(name, raw);
        writeFileSync(join(out, kind, `${name}.eml`), raw);
    }
}
