//! `unroutable_domain` (online): a domain mail cannot be delivered to, because it has
//! no MX record and no A/AAAA record to fall back on (RFC 5321 5.1), or its only MX is
//! the null MX `.` (RFC 7505: "accepts no mail").

use super::Finding;
use crate::online::Services;
use crate::online::dns::Answer;

pub(crate) fn find_unroutable(domain: &str, services: &Services) -> Vec<Finding> {
    let dns = &services.dns;
    match dns.mx(domain) {
        Answer::Found(exchanges) if exchanges.iter().all(|mx| mx.is_empty()) => {
            vec![Finding::whole(domain, format!("{domain} publishes a null MX: it accepts no mail"))]
        }
        Answer::Found(_) => Vec::new(),
        Answer::Failed(why) => vec![Finding::inconclusive(domain, format!("could not look up MX for {domain}: {why}"))],
        Answer::NotFound => match dns.addresses(domain) {
            Answer::Found(_) => Vec::new(),
            Answer::NotFound => vec![Finding::whole(domain, format!("{domain} has no MX and no A/AAAA record"))],
            Answer::Failed(why) => {
                vec![Finding::inconclusive(domain, format!("could not look up addresses of {domain}: {why}"))]
            }
        },
    }
}
