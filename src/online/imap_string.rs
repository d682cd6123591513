//! An IMAP quoted string (RFC 9051 section 4.3), as the clients that write their own
//! commands write an argument: the mailbox probe's LOGIN (a username and password) and
//! the usage count's EXAMINE (a folder's name).

/// `text` between double quotes, its backslashes and double quotes escaped.
pub(super) fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backslashes_and_quotes_are_escaped() {
        assert_eq!(quoted("INBOX"), "\"INBOX\"");
        assert_eq!(quoted(r#"pa"ss\word"#), r#""pa\"ss\\word""#);
        assert_eq!(quoted(""), "\"\"");
    }
}
