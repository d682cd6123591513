#!/usr/bin/perl
# The messages of tests/generated-mail/perl, built with MIME::Lite (Debian's
# libmime-lite-perl) as a Perl application would build them. Each breaching message is
# a compliant one with one leak added.
#
# Usage: perl generate.pl OUT_DIR (regenerate.sh beside it runs every generator).

use strict;
use warnings;
use utf8;

use Encode qw(encode);
use File::Basename qw(dirname);
use File::Path qw(make_path);
use MIME::Lite;

my $assets = dirname(__FILE__) . '/../assets';
my $id_domain = 'pathology.example.nhs.uk';

sub read_file {
    my ($path) = @_;
    open my $fh, '<:raw', $path or die "$path: $!";
    local $/;
    return <$fh>;
}
my $pdf = read_file("$assets/letter.pdf");

# MIME::Lite writes header values as given: a non-ASCII Subject is encoded here.
sub header_text {
    my ($text) = @_;
    return $text =~ /[^\x20-\x7e]/ ? encode('MIME-Q', $text) : $text;
}

# Everything MIME::Lite would otherwise draw at random or from the clock is fixed, so a
# re-run is byte-identical: the Date, the Message-ID and the MIME boundaries.
sub message {
    my ($name, %h) = @_;
    my $msg = MIME::Lite->new(
        From         => '"Results, Pathology" <pathology.results@nhs.net>',
        To           => $h{to},
        'Reply-To'   => 'pathology.enquiries@nhs.net',
        Subject      => header_text($h{subject}),
        Date         => $h{date},
        'Message-ID' => "<pl.$name\@$id_domain>",
        Type         => $h{type},
    );
    $msg->attr('content-type.boundary' => "pl-$name-boundary");
    return $msg;
}

sub text_part {
    my ($msg, $type, $text) = @_;
    my $part = $msg->attach(Type => $type, Encoding => 'quoted-printable', Data => encode('UTF-8', $text));
    $part->attr('content-type.charset' => 'UTF-8');
    return $part;
}

my $letter_text = <<'END';
Dear Dr Okafor,

Rhian Evans (NHS number 450-557-7104, hospital number RJ1234567) was
discharged from Ward 30 on Wednesday 25 March 2026 at 16:20.

Medicines on discharge: ramipril 2.5 mg once daily; atorvastatin 20 mg at night.
Follow-up: cardiology clinic in 6 weeks (booked for 06/05/2026, 10:30).

The discharge summary is attached.

Ward 30, St Mary's Hospital. Ward clerk: 0113 206 5719 ext. 3030
END

# A discharge summary to a GP practice on nhs.net (a secure domain): patient details
# in the body are allowed there, never in the Subject or the file names. The PDF is
# named after a Unix timestamp, as many document systems name their exports.
sub discharge_summary {
    my ($name, %leak) = @_;
    my $msg = message(
        $name,
        to      => '"Practice, Parkside Surgery" <gp.practice.b81001@nhs.net>',
        subject => 'Discharge summary: Ward 30, 25 March 2026',
        date    => 'Thu, 26 Mar 2026 08:30:00 +0000',
        type    => 'multipart/mixed',
    );
    text_part($msg, 'text/plain', $letter_text);
    $msg->attach(
        Type        => 'application/pdf',
        Encoding    => 'base64',
        Data        => $pdf,
        Filename    => $leak{pdf_name} // 'discharge_1709301600.pdf',
        Disposition => 'attachment',
    );
    return $msg;
}

sub results_text {
    my ($leak) = @_;
    return <<"END";
Dear Sam Jones,

The results of the blood test taken on 24/03/2026 at 10:42 are ready.
${leak}See them in the NHS App, or ask at your next appointment.
Laboratory reference: LAB-26-118447 (received 2026-03-24, reported 26.03.2026).

Questions: Tel: 0113 206 5719, Fax: 0113 206 5720, or 0113.206.5719
from a hospital phone. Textphone: 18001 0113 206 5719.
Prescription charge from 1 May 2026: £9.90 an item.

St Mary's Hospital Pathology, Leeds LS9 7TF
END
}

sub results_html {
    my ($leak) = @_;
    return <<"END";
<html><body>
<p>Dear Sam Jones,</p>
<p>The results of the blood test taken on 24/03/2026 at 10:42 are ready.</p>${leak}
<p>See them in the <a href="https://www.nhs.uk/nhs-app/">NHS App</a>, or ask at your next appointment.<br>
Laboratory reference: LAB-26-118447 (received 2026-03-24, reported 26.03.2026).</p>
<p>Questions: Tel:&nbsp;0113&nbsp;206&nbsp;5719, Fax:&nbsp;0113&nbsp;206&nbsp;5720, or 0113.206.5719 from a hospital phone.
Textphone: 18001&nbsp;0113&nbsp;206&nbsp;5719.<br>
Prescription charge from 1 May 2026: &pound;9.90 an item.</p>
<p>St Mary's Hospital Pathology, Leeds LS9&nbsp;7TF</p>
</body></html>
END
}

sub lab_vcard {
    my ($leak) = @_;
    return join "\n",
        'BEGIN:VCARD',
        'VERSION:3.0',
        "FN:St Mary's Hospital Pathology",
        "ORG:St Mary's Hospital;Pathology",
        'TEL;TYPE=WORK,VOICE:+44 113 206 5719',
        'TEL;TYPE=WORK,FAX:+44 113 206 5720',
        'EMAIL;TYPE=INTERNET:pathology.enquiries@nhs.net',
        "ADR;TYPE=WORK:;;Beckett Street;Leeds;;LS9 7TF;United Kingdom",
        ($leak ? ($leak) : ()),
        'END:VCARD',
        '';
}

# A results notice to a patient outside NHSmail: no patient data; phones, dates in
# three forms, a laboratory reference, money, a postcode, the lab's contact card.
sub results_ready {
    my ($name, %leak) = @_;
    my $msg = message(
        $name,
        to      => '"Jones, Sam" <sam.jones@example.com>',
        subject => $leak{subject} // 'Your results are ready – St Mary’s',
        date    => 'Thu, 26 Mar 2026 12:00:00 +0000',
        type    => 'multipart/mixed',
    );
    my $alternative = $msg->attach(Type => 'multipart/alternative');
    $alternative->attr('content-type.boundary' => "pl-$name-alternative");
    text_part($alternative, 'text/plain', results_text($leak{text} // ''));
    text_part($alternative, 'text/html', results_html($leak{html} // ''));
    my $card = $msg->attach(
        Type        => 'text/vcard',
        Encoding    => '8bit',
        Data        => encode('UTF-8', lab_vcard($leak{vcard})),
        Filename    => 'St Marys Pathology.vcf',
        Disposition => 'attachment',
    );
    $card->attr('content-type.charset' => 'UTF-8');
    return $msg;
}

my @compliant = (
    ['discharge-summary-to-gp', sub { discharge_summary('discharge') }],
    ['results-ready', sub { results_ready('results') }],
);

my @breaching = (
    ['discharge-name-hospital-number',
        sub { discharge_summary('hospital-number', pdf_name => 'Discharge summary hospital number K1234567.pdf') }],
    ['results-text-number-wrapped',
        sub { results_ready('wrapped', text => "Patient: Sam Jones, NHS number 943 476\n5919.\n") }],
    ['results-html-en-dashes',
        sub { results_ready('dashes', html => "\n<p>Your NHS number: 943&ndash;476&ndash;5919</p>") }],
    ['results-vcard-note',
        sub { results_ready('vcard', vcard => 'NOTE:Patient NHS number 943 476 5919') }],
    ['results-subject-dob',
        sub { results_ready('dob', subject => 'Your test results are ready, D.O.B. 01.02.60') }],
);

my $out = shift @ARGV or die "usage: generate.pl OUT_DIR\n";
for my $set (['compliant', \@compliant], ['breaching', \@breaching]) {
    my ($kind, $messages) = @$set;
    make_path("$out/$kind");
    for my $entry (@$messages) {
        my ($name, $build) = @$entry;
        my $raw = $build->()->as_string;
        # Bodies are encoded to lines of at most 78 octets; MIME::Lite does not fold
        # header fields, so a long file name stays on one line (under RFC 5322's 998).
        my ($head, $body) = split /\n\n/, $raw, 2;
        for my $line (split /\n/, $body) {
            die "$name: body line over 78: $line\n" if length($line) > 78 && $line !~ /^Content-/;
        }
        open my $fh, '>:raw', "$out/$kind/$name.eml" or die "$out/$kind/$name.eml: $!";
        print $fh $raw;
        close $fh;
    }
}
