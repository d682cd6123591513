//! Small helpers with no place on the data path: the clock, panic isolation, "did you
//! mean" suggestions, quantities, and YAML loading with its error spans.

pub(crate) mod clock;
pub mod isolate;
pub mod suggest;
pub(crate) mod units;
pub mod yaml;
