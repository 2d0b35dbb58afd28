//! Step 4, apply and wait: [`validate`] checks every config to be written on the server first
//! (optional) and refuses the plan before any write; [`writes`] writes creates and updates, then
//! deletions; [`wait`] polls until each written connector is in its state (or FAILED, with its
//! trace). Every request is retried only when a retry can help ([`super::retry`]). Each write and
//! each poll is reported as it happens through [`progress`]; [`outcome`] is how one write ended.

pub mod outcome;
pub mod progress;
pub mod validate;
pub mod wait;
pub mod writes;

pub use outcome::WriteOutcome;
pub use progress::{ApplyProgress, LogProgress, NoProgress, ObjectKind, WaitPoll, WriteEvent};
pub use validate::{validate_changes, Refusal};
pub use wait::{WaitOptions, WaitOutcome, WaitResult};
pub use writes::{apply, ApplyOptions, ApplyReport, WriteResult};
