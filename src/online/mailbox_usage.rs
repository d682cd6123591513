//! The mailbox's usage where the server has no QUOTA extension (Exchange Online, so
//! NHSmail): every selectable folder opened read-only with EXAMINE (never SELECT, which
//! would clear `\Recent` and could change what the owner sees), its messages'
//! `RFC822.SIZE` fetched in batches and summed. The count is bounded by the mailbox's
//! timeout as a whole, and one that stops early says what it had counted, as a lower
//! bound, never as the usage.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use imap_proto::NameAttribute;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::deadline::{Bound, Deadline, Unarmed};
use super::imap_string::quoted;

/// Messages asked for in one FETCH: small enough to look at the clock often and to keep
/// each answer small, large enough that a mailbox of 100,000 messages is 100 round trips.
const BATCH: u32 = 1000;

/// What the count found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Usage {
    /// The sum of the counted messages' sizes.
    pub(crate) bytes: u64,
    pub(crate) messages: u64,
    /// Folders whose every message was counted.
    pub(crate) folders_counted: usize,
    /// Selectable folders the server listed.
    pub(crate) folders: usize,
    /// Why the count is not the whole mailbox (empty: it is): a folder that could not be
    /// opened, or the time running out. `bytes` is then only a lower bound.
    pub(crate) shortfalls: Vec<String>,
}

impl Usage {
    pub(crate) fn complete(&self) -> bool {
        self.shortfalls.is_empty()
    }
}

/// Why the folders could not even be listed: nothing was counted.
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot list the mailbox's folders: {0}")]
pub(crate) struct ListError(pub String);

/// Sums the sizes of the messages in every selectable folder, within `budget` from now.
/// `socket` is the session's TCP connection (a clone of its handle): each reply is
/// waited for only as long as the budget has left. With `progress`, a bar on stderr.
pub(crate) fn sum<T: Read + Write>(
    session: &mut imap::Session<T>,
    socket: &TcpStream,
    budget: Duration,
    progress: bool,
) -> Result<Usage, ListError> {
    let clock = Clock { socket, deadline: Deadline::after(budget), budget };
    let folders = {
        clock.arm().map_err(|e| ListError(e.to_string()))?;
        let names = session.list(Some(""), Some("*")).map_err(|e| ListError(clock.describe(&e)))?;
        selectable(names.iter().map(|n| (n.name(), n.attributes())))
    };
    let bar = progress.then(|| progress_bar(folders.len()));
    let mut usage = Usage { bytes: 0, messages: 0, folders_counted: 0, folders: folders.len(), shortfalls: Vec::new() };
    for folder in &folders {
        if let Some(bar) = &bar {
            bar.set_message(format!("{} of {} folders: {folder}", usage.folders_counted + 1, usage.folders));
        }
        match count_folder(session, &clock, folder, bar.as_ref()) {
            Ok((bytes, messages)) => {
                usage.bytes += bytes;
                usage.messages += messages;
                usage.folders_counted += 1;
            }
            Err(Stop::Folder { counted: (bytes, messages), why }) => {
                // Its counted messages stay in the lower bound; the folder does not count as done.
                usage.bytes += bytes;
                usage.messages += messages;
                usage.shortfalls.push(format!("could not count `{folder}`: {why}"));
            }
            Err(Stop::Connection { counted: (bytes, messages), why }) => {
                usage.bytes += bytes;
                usage.messages += messages;
                usage.shortfalls.push(why);
                break;
            }
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(usage)
}

/// The folders worth opening, INBOX first and then by name (so that a count cut short
/// always covers the same ones): `\Noselect` parents and `\NonExistent` names hold no
/// messages of their own. INBOX is always there (RFC 9051): a list without it is a
/// server's mistake, not an empty mailbox, so it is opened all the same (and a count
/// that cannot open it says so).
fn selectable<'a>(names: impl Iterator<Item = (&'a str, &'a [NameAttribute<'a>])>) -> Vec<String> {
    let mut folders: Vec<String> = names
        .filter(|(_, attributes)| {
            !attributes.iter().any(|a| match a {
                NameAttribute::NoSelect => true,
                NameAttribute::Extension(name) => name.eq_ignore_ascii_case("\\NonExistent"),
                _ => false,
            })
        })
        .map(|(name, _)| name.to_owned())
        .collect();
    if !folders.iter().any(|f| f.eq_ignore_ascii_case("INBOX")) {
        folders.push("INBOX".to_owned());
    }
    folders.sort_by(|a, b| (!a.eq_ignore_ascii_case("INBOX"), a).cmp(&(!b.eq_ignore_ascii_case("INBOX"), b)));
    folders.dedup();
    folders
}

/// How counting a folder ended early: the folder alone (the server said NO or BAD),
/// or the whole count (the time ran out, the connection failed). Both keep what was
/// counted before.
enum Stop {
    Folder { counted: (u64, u64), why: String },
    Connection { counted: (u64, u64), why: String },
}

/// (bytes, messages) of one folder, EXAMINEd and fetched `BATCH` messages at a time.
fn count_folder<T: Read + Write>(
    session: &mut imap::Session<T>,
    clock: &Clock<'_>,
    folder: &str,
    bar: Option<&ProgressBar>,
) -> Result<(u64, u64), Stop> {
    let mut counted = (0u64, 0u64);
    let stop = |counted: (u64, u64), error: imap::Error| match error {
        imap::Error::No(_) | imap::Error::Bad(_) => Stop::Folder { counted, why: clock.describe(&error) },
        error => Stop::Connection { counted, why: clock.describe(&error) },
    };
    clock.arm().map_err(|e| Stop::Connection { counted, why: e.to_string() })?;
    let answer = examine(session, folder).map_err(|e| stop(counted, e))?;
    let exists = messages_in(&answer).ok_or_else(|| Stop::Folder {
        counted,
        why: "the answer to EXAMINE gave no number of messages (EXISTS)".to_owned(),
    })?;
    if let Some(bar) = bar {
        bar.inc_length(u64::from(exists));
    }
    let mut first = 1;
    while first <= exists {
        let last = exists.min(first.saturating_add(BATCH - 1));
        clock.arm().map_err(|e| Stop::Connection { counted, why: e.to_string() })?;
        let fetches = session.fetch(format!("{first}:{last}"), "RFC822.SIZE").map_err(|e| stop(counted, e))?;
        let sizes: Vec<u64> = fetches.iter().filter_map(|f| f.size).map(u64::from).collect();
        counted.0 += sizes.iter().sum::<u64>();
        counted.1 += sizes.len() as u64;
        if let Some(bar) = bar {
            bar.inc(u64::from(last - first + 1));
        }
        let asked = u64::from(last - first + 1);
        if (sizes.len() as u64) < asked {
            // A message left out is a message not counted: the sum is a lower bound.
            let why = format!("the server gave the size of {} of messages {first}:{last}", sizes.len());
            return Err(Stop::Folder { counted, why });
        }
        first = last + 1;
    }
    Ok(counted)
}

/// EXAMINE by hand, its untagged answer as sent: the imap crate's own parser of the
/// answer panics on an untagged `* NO` or `* BYE` in it, which servers may send.
fn examine<T: Read + Write>(session: &mut imap::Session<T>, folder: &str) -> imap::error::Result<Vec<u8>> {
    session.run_command_and_read_response(format!("EXAMINE {}", quoted(folder)))
}

/// The folder's number of messages, from the last `* N EXISTS` of EXAMINE's answer
/// (`None`: there is none, so the folder cannot be taken for empty).
fn messages_in(answer: &[u8]) -> Option<u32> {
    let lines = answer.split(|&b| b == b'\n').filter_map(|line| std::str::from_utf8(line).ok());
    let mut counts = lines.filter_map(|line| {
        let (count, what) = line.trim_end().strip_prefix("* ")?.split_once(' ')?;
        what.eq_ignore_ascii_case("EXISTS").then(|| count.parse().ok()).flatten()
    });
    counts.next_back()
}

/// The count's deadline, kept by setting the socket's timeouts to what is left of it
/// before each command: a server that slows down mid-count cannot hold the run past it.
struct Clock<'a> {
    socket: &'a TcpStream,
    deadline: Deadline,
    budget: Duration,
}

/// Why the count cannot send one more command.
#[derive(Debug, thiserror::Error)]
enum ClockError {
    /// The budget (`mailbox.timeout`) ran out.
    #[error("could not finish within {}s (`mailbox.timeout`)", .0.as_secs())]
    OutOfTime(Duration),
    #[error("cannot set the connection's timeout: {0}")]
    Socket(std::io::Error),
}

impl Clock<'_> {
    /// Ready for one more command, or the reason there is no time for it.
    fn arm(&self) -> Result<(), ClockError> {
        self.deadline.arm(self.socket, Bound::ReadsAndWrites).map_err(|e| match e {
            Unarmed::Passed => ClockError::OutOfTime(self.budget),
            Unarmed::Socket(e) => ClockError::Socket(e),
        })
    }

    /// A reply that did not come in time is the budget running out, not a silent server.
    fn describe(&self, error: &imap::Error) -> String {
        match error {
            imap::Error::Io(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                ClockError::OutOfTime(self.budget).to_string()
            }
            e => super::imap_error::describe(e),
        }
    }
}

fn progress_bar(folders: usize) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{spinner} counting the mailbox: {pos}/{len} messages, {msg} ({elapsed})")
        .expect("valid template");
    bar.set_style(style);
    bar.set_message(format!("{folders} folders"));
    // Drawn while a slow server keeps a folder waiting, not only as answers arrive.
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server whose every reply is written in advance (the client's tags are `a1`,
    /// `a2`, ... in order); what the client sends is dropped.
    struct Canned(std::io::Cursor<Vec<u8>>);

    impl Read for Canned {
        fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
            self.0.read(buffer)
        }
    }

    impl Write for Canned {
        fn write(&mut self, buffer: &[u8]) -> std::io::Result<usize> {
            Ok(buffer.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The count against a server that answers `replies` (after the login's `a1 OK`).
    fn count(replies: &str) -> Usage {
        let replies = format!("a1 OK logged in\r\n{replies}");
        let client = imap::Client::new(Canned(std::io::Cursor::new(replies.into_bytes())));
        let mut session = client.login("u", "p").map_err(|(e, _)| e).expect("login");
        // The clock sets its timeouts on a real socket.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let socket = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        sum(&mut session, &socket, Duration::from_secs(5), false).expect("listed")
    }

    #[test]
    fn a_fetch_that_leaves_messages_out_is_a_lower_bound_never_the_usage() {
        let replies = "* LIST () \"/\" INBOX\r\na2 OK\r\n\
                       * 3 EXISTS\r\na3 OK [READ-ONLY] EXAMINE done\r\n\
                       * 1 FETCH (RFC822.SIZE 100)\r\n* 2 FETCH (RFC822.SIZE 200)\r\na4 OK\r\n";
        let usage = count(replies);
        assert_eq!((usage.bytes, usage.messages, usage.folders_counted, usage.folders), (300, 2, 0, 1));
        assert!(!usage.complete());
        assert_eq!(usage.shortfalls, ["could not count `INBOX`: the server gave the size of 2 of messages 1:3"]);
    }

    #[test]
    fn examine_is_read_for_its_exists_and_an_answer_without_it_is_no_count() {
        assert_eq!(messages_in(b"* FLAGS (\\Seen)\r\n* 12 EXISTS\r\n* 0 RECENT\r\n* NO [ALERT] soon\r\n"), Some(12));
        assert_eq!(messages_in(b"* BYE going away\r\n"), None);
        let usage = count("* LIST () \"/\" INBOX\r\na2 OK\r\n* BYE going away\r\na3 OK [READ-ONLY] done\r\n");
        assert_eq!((usage.folders_counted, usage.folders), (0, 1));
        assert_eq!(
            usage.shortfalls,
            ["could not count `INBOX`: the answer to EXAMINE gave no number of messages (EXISTS)"]
        );
    }

    #[test]
    fn a_list_without_inbox_is_never_an_empty_mailbox() {
        let replies = "a2 OK nothing listed\r\na3 NO [NONEXISTENT] Mailbox doesn't exist\r\n";
        let usage = count(replies);
        assert_eq!((usage.bytes, usage.folders_counted, usage.folders), (0, 0, 1));
        assert!(!usage.complete(), "{usage:?}");
        assert!(usage.shortfalls[0].starts_with("could not count `INBOX`: NO"), "{usage:?}");
    }

    #[test]
    fn a_clock_past_its_deadline_says_the_budget_ran_out() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let socket = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let clock =
            Clock { socket: &socket, deadline: Deadline::after(Duration::ZERO), budget: Duration::from_secs(30) };
        let out_of_time = "could not finish within 30s (`mailbox.timeout`)";
        assert_eq!(clock.arm().map_err(|e| e.to_string()), Err(out_of_time.to_owned()));
        assert_eq!(clock.describe(&imap::Error::Io(std::io::ErrorKind::TimedOut.into())), out_of_time);
    }

    #[test]
    fn parents_without_messages_are_skipped_and_inbox_comes_first() {
        let none: &[NameAttribute<'_>] = &[];
        let parent = [NameAttribute::NoSelect];
        let gone = [NameAttribute::Extension("\\NonExistent".into())];
        let children = [NameAttribute::Extension("\\HasChildren".into())];
        let names = [
            ("Sent", none),
            ("Archive", &parent[..]),
            ("Archive/2026", &gone[..]),
            ("Archive/2026/Results", none),
            ("Drafts", &children[..]),
            ("INBOX", none),
        ];
        assert_eq!(selectable(names.into_iter()), ["INBOX", "Archive/2026/Results", "Drafts", "Sent"]);
    }
}
