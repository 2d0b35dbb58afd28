//! Step 3, the plan: [`diff`] compares the desired state with the observed cluster key by key
//! (create / update / delete / state / unchanged; identity-key changes flagged dangerous),
//! [`keys`] is the key-by-key comparison it shares with the topics, [`redact`] hides secret
//! values while the plan is built, [`scope`] limits deletions to the connectors Switchyard
//! manages, and [`display`] lays the plan out as text.

pub mod diff;
pub mod display;
pub mod keys;
pub mod redact;
pub mod scope;

pub use diff::{
    diff, ChangeKind, ChangePlan, ConnectorChange, DangerousChanges, DiffError, DiffOptions,
    Summary,
};
pub use redact::Redactor;
pub use scope::ManagedScope;
