//! Step 1, the desired state: connector files, topic files (`topics/`) plus
//! `environments/<env>.yaml`, loaded into configs rendered exactly as Connect stores them.
//! [`load`](mod@load) reads and validates the files, [`files`] is what connector and topic files
//! share (parsing, rendering, the environments filter, the problems), [`template`] substitutes
//! `{{ env.name }}` references, [`values`] turns YAML/JSON values into Connect's strings.

pub mod files;
pub mod load;
pub mod template;
pub mod values;

pub use files::{valid_environment_name, LoadError, LoadErrors};
pub use load::{
    is_dot_segment, load, ConnectorConfig, DesiredConnector, DesiredState, SourceFile, TargetState,
};
