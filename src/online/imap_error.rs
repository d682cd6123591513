//! An IMAP error in the words a report gives it: the server's NO or BAD text, or that it
//! did not answer in time. Shared by the quota probe (`imap.rs`) and the folder count
//! (`mailbox_usage.rs`).

pub(super) fn describe(error: &imap::Error) -> String {
    match error {
        imap::Error::Io(e)
            if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut =>
        {
            "no answer within the timeout".to_owned()
        }
        imap::Error::Io(e) => e.to_string(),
        imap::Error::No(no) => format!("NO {}", no.information.trim()),
        imap::Error::Bad(bad) => format!("BAD {}", bad.information.trim()),
        e => e.to_string(),
    }
}
