//! The built-in rule pack, converted at build time from YAML (rules/nhsmail.yaml, which
//! people edit) to JSON (which the binary reads): parsing 115 KB of YAML was most of a
//! one-template run, the pre-commit user's whole wait. The YAML stays in the binary as the
//! pack's source (its digest in reports, its text in errors); a pack that does not parse
//! here is left to the binary's own YAML reading, which reports where it is wrong.

use std::path::Path;

fn main() {
    println!("cargo::rerun-if-changed=rules/nhsmail.yaml");
    let yaml = std::fs::read_to_string("rules/nhsmail.yaml").expect("rules/nhsmail.yaml is readable");
    let json = match serde_saphyr::from_str::<serde_json::Value>(&yaml) {
        Ok(value) => serde_json::to_string(&value).expect("a JSON value serialises"),
        Err(error) => {
            println!("cargo::warning=rules/nhsmail.yaml does not parse ({error}); the binary will report it");
            String::new()
        }
    };
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(Path::new(&out).join("nhsmail.json"), json).expect("OUT_DIR is writable");
}
