//! `nhsmail-lint schema`: JSON Schemas (draft 2020-12) of rule packs and of
//! `nhsmail-lint.yaml`, generated (schemars) from the very types the loader deserialises,
//! so a key the loader takes is a key the schema offers. Committed as `schemas/*.json`.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;

use crate::config::ConfigSpec;
use crate::rules::spec::PackSpec;

/// The rule-pack schema, as committed in `schemas/rules.json`.
pub fn rules() -> String {
    document::<PackSpec>("nhsmail-lint rule pack")
}

/// The configuration schema, as committed in `schemas/config.json`.
pub fn config() -> String {
    document::<ConfigSpec>("nhsmail-lint.yaml")
}

fn document<T: JsonSchema>(title: &str) -> String {
    let mut schema = SchemaSettings::draft2020_12().into_generator().into_root_schema_for::<T>();
    schema.insert("title".into(), title.into());
    serde_json::to_string_pretty(&schema).expect("a schema serialises") + "\n"
}
