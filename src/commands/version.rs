//! `nhsmail-lint version`: what this binary is (its version, the commit it was built from,
//! its target) and the built-in pack's digest, as ruff's `version --output-format json`
//! gives them; the same values, from the same place, as every report's provenance.

use serde::Serialize;

use crate::cli::ListFormat;
use crate::report::provenance::{Build, Hashed};
use crate::rules::{BUILTIN_PACK, BUILTIN_PACK_NAME};

/// The keys of a report's `"run"` object that describe the binary, and its pack.
#[derive(Serialize)]
struct Version {
    #[serde(flatten)]
    build: Build,
    packs: [Hashed; 1],
}

/// The version in `format`, ending with a line break.
pub fn text(format: ListFormat) -> String {
    let version = Version { build: Build::current(), packs: [Hashed::of(BUILTIN_PACK_NAME, BUILTIN_PACK)] };
    match format {
        ListFormat::Json => serde_json::to_string_pretty(&version).expect("the version serialises") + "\n",
        ListFormat::Human => {
            let [pack] = &version.packs;
            format!(
                "{} {}\ncommit  {}\ntarget  {}\npack    {}, sha256 {}\n",
                version.build.tool,
                version.build.version,
                version.build.commit_text(),
                version.build.target,
                pack.name,
                pack.sha256
            )
        }
    }
}
