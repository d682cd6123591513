#!/bin/sh
# Regenerates tests/generated-mail from the generators beside this script: Python's
# email package, nodemailer's MailComposer and Perl's MIME::Lite. The output is
# committed (cargo test needs none of these tools); a re-run with the same versions is
# byte-identical, so `git diff --exit-code tests/generated-mail` after it shows any
# drift. Made with Python 3.11, nodemailer 10.6.1 (pinned in nodemailer/package-lock.json)
# and MIME::Lite 3.033 (Debian 12's libmime-lite-perl).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$(dirname "$here")/generated-mail

perl -MMIME::Lite -e 1 2>/dev/null || { echo "MIME::Lite is missing: apt-get install libmime-lite-perl" >&2; exit 1; }
# The exact nodemailer of the lock file, installed when missing or different.
(cd "$here/nodemailer" && { npm ls --silent >/dev/null 2>&1 || npm ci --no-audit --no-fund --silent; })

# Each generator writes its own folder afresh, so a message it no longer makes is gone.
for generator in python nodemailer perl; do
    rm -rf "${out:?}/$generator"
done
python3 "$here/python/generate.py" "$out/python"
node "$here/nodemailer/generate.mjs" "$out/nodemailer"
perl "$here/perl/generate.pl" "$out/perl"
echo "regenerated $(find "$out" -name '*.eml' | wc -l) messages in $out"
