//! A deadline kept on a socket: before each read (and, where the caller asks, each
//! write) the socket's timeout is set to what is left of it, so that a server that
//! trickles its bytes or floods lines cannot hold the run past it, however many reads
//! an exchange takes. The probes' replies, the TLS handshake and the mailbox's usage
//! count are each bounded this way.

use std::net::TcpStream;
use std::time::{Duration, Instant};

/// The moment by which an exchange must be over.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline(Instant);

/// Which of a socket's timeouts a deadline bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bound {
    Reads,
    ReadsAndWrites,
}

/// Why a socket cannot be given what is left of its deadline.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Unarmed {
    /// Nothing is left: each caller says what ran out in its own words.
    #[error("the deadline has passed")]
    Passed,
    #[error("cannot set the socket's timeout: {0}")]
    Socket(std::io::Error),
}

/// What the deadline is put at for a timeout too large for the clock (the config
/// allows a timeout of centuries).
const LONGEST: Duration = Duration::from_secs(365 * 24 * 3600);

impl Deadline {
    /// `timeout` from now, or a year from now when the clock cannot reach that far.
    pub(crate) fn after(timeout: Duration) -> Deadline {
        let now = Instant::now();
        Deadline(now.checked_add(timeout).unwrap_or_else(|| now + LONGEST))
    }

    /// Sets `socket`'s timeout for `bound` to what is left of the deadline.
    pub(crate) fn arm(self, socket: &TcpStream, bound: Bound) -> Result<(), Unarmed> {
        let left = self.0.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Unarmed::Passed);
        }
        socket.set_read_timeout(Some(left)).map_err(Unarmed::Socket)?;
        if bound == Bound::ReadsAndWrites {
            socket.set_write_timeout(Some(left)).map_err(Unarmed::Socket)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn socket() -> (std::net::TcpListener, TcpStream) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let socket = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        (listener, socket)
    }

    #[test]
    fn what_is_left_bounds_reads_and_writes_only_when_asked() {
        let (_listener, socket) = socket();
        Deadline::after(Duration::from_secs(10)).arm(&socket, Bound::Reads).expect("armed");
        let read = socket.read_timeout().expect("read").expect("a read timeout");
        assert!(read > Duration::from_secs(9) && read <= Duration::from_secs(10), "{read:?}");
        assert_eq!(socket.write_timeout().expect("write"), None, "writes left as they were");
        Deadline::after(Duration::from_secs(5)).arm(&socket, Bound::ReadsAndWrites).expect("armed");
        let write = socket.write_timeout().expect("write").expect("a write timeout");
        assert!(write <= Duration::from_secs(5), "{write:?}");
    }

    #[test]
    fn a_passed_deadline_arms_nothing_and_centuries_do_not_overflow() {
        let (_listener, socket) = socket();
        assert!(matches!(Deadline::after(Duration::ZERO).arm(&socket, Bound::Reads), Err(Unarmed::Passed)));
        assert_eq!(socket.read_timeout().expect("read"), None);
        Deadline::after(Duration::MAX).arm(&socket, Bound::Reads).expect("a year is left");
        let read = socket.read_timeout().expect("read").expect("a read timeout");
        assert!(read > LONGEST - Duration::from_secs(60) && read <= LONGEST, "{read:?}");
    }
}
