//! Step 1, the desired state: connector files plus `environments/<env>.yaml`, loaded into configs
//! rendered exactly as Connect stores them. [`load`] reads and validates the files, [`template`]
//! substitutes `{{ env.name }}` references, [`values`] turns YAML/JSON values into Connect's
//! strings.

pub mod load;
pub mod template;
pub mod values;

pub use load::{
    is_dot_segment, load, valid_environment_name, ConnectorConfig, DesiredConnector, DesiredState,
    LoadError, LoadErrors, SourceFile, TargetState,
};
