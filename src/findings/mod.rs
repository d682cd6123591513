//! What a run finds, as every stage and report format speaks of it: the diagnostic
//! record, and the names of messages and findings that survive a re-export.

pub mod diagnostic;
pub mod fix;
pub mod identity;
