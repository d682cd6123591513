//! `unknown_recipient`, `unlisted_distribution_list` and `not_a_distribution_list`
//! (online): what the NHSmail directory holds under an address. Only addresses at the
//! directory's domains are asked; each once a run.

use serde::Deserialize;

use super::{Detector, Finding, FunctionOption, typed};
use crate::mail::address::canonical;
use crate::online::Services;
use crate::online::ldap::{Directory, DirectoryEntry};

pub(crate) fn find_unknown(address: &str, services: &Services) -> Vec<Finding> {
    let Some(directory) = directory_for(services, address) else { return Vec::new() };
    match directory.lookup(address) {
        Ok(DirectoryEntry::Missing) => {
            let settings = directory.settings();
            let detail = format!("no entry under {} has {}={address}", settings.base_dn, settings.mail_attribute);
            vec![Finding::whole(address, detail)]
        }
        Ok(DirectoryEntry::Person | DirectoryEntry::List) => Vec::new(),
        Err(why) => vec![Finding::inconclusive(address, why.to_string())],
    }
}

pub(crate) const UNLISTED_OPTIONS: &[FunctionOption] = &[FunctionOption { name: "lists", kind: "a list of addresses" }];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Unlisted {
    lists: Vec<String>,
}

pub(crate) fn unlisted_detector(options: serde_json::Value) -> Result<Box<dyn Detector>, serde_json::Error> {
    Ok(Box::new(typed::<Unlisted>(options)?))
}

impl Detector for Unlisted {
    /// A directory that cannot be asked is reported once, by `unknown_recipient`.
    fn find(&self, address: &str, services: Option<&Services>) -> Vec<Finding> {
        let Some(directory) = services.and_then(|s| directory_for(s, address)) else { return Vec::new() };
        let listed = self.lists.iter().any(|l| canonical(l) == canonical(address));
        match directory.lookup(address) {
            Ok(DirectoryEntry::List) if !listed => vec![Finding::at(0..address.len())],
            _ => Vec::new(),
        }
    }
}

/// For a configured list: the directory must hold it, and as a list.
pub(crate) fn find_not_a_list(address: &str, services: &Services) -> Vec<Finding> {
    let Some(directory) = directory_for(services, address) else { return Vec::new() };
    let detail = match directory.lookup(address) {
        Ok(DirectoryEntry::List) => return Vec::new(),
        Ok(DirectoryEntry::Person) => "the directory holds it as a person, not a distribution list".to_owned(),
        Ok(DirectoryEntry::Missing) => "the directory has no entry for it".to_owned(),
        Err(why) => return vec![Finding::inconclusive(address, why.to_string())],
    };
    vec![Finding::whole(address, detail)]
}

/// The directory, when one is configured and holds addresses at `address`'s domain.
fn directory_for<'a>(services: &'a Services, address: &str) -> Option<&'a Directory> {
    services.directory.as_ref().filter(|d| d.settings().covers(address))
}
