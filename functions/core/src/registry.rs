//! The one list of functions, and what lets one process (replay, the shared tests) hold them
//! all at once: each configured function bound to its ports behind a trait object.
//!
//! Adding a function: a module that implements [`Function`], its variant in
//! [`FunctionName`], and one arm in [`registry`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::Value;

use crate::config::{ConfigError, Vars};
use crate::deadline::Deadline;
use crate::function::{Function, ObserveError, Ports, Resolve};
use crate::metrics::Tally;
use crate::plan::{Decision, FunctionName, RecordDecision};

/// A configured function bound to its ports, behind a trait object, so that one process (replay,
/// the shared tests) can hold every function at once.
pub trait Bound: Send + Sync {
    fn name(&self) -> FunctionName;
    fn decide<'a>(
        &'a self,
        raw: &'a Value,
        deadline: Deadline,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<RecordDecision>, ObserveError>> + Send + 'a>>;
    fn claims_s3_object(&self, bucket: &str, key: &str) -> bool;
    /// [`Function::tally`]: what a decision of this function counts in its metrics.
    fn tally(&self, decision: &Decision) -> Tally;
}

struct BoundFunction<F, P> {
    function: Arc<F>,
    ports: Arc<P>,
}

impl<F: Function, P: Ports> Bound for BoundFunction<F, P> {
    fn name(&self) -> FunctionName {
        F::NAME
    }

    fn decide<'a>(
        &'a self,
        raw: &'a Value,
        deadline: Deadline,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<RecordDecision>, ObserveError>> + Send + 'a>> {
        Box::pin(self.function.decide(raw, &*self.ports, deadline))
    }

    fn claims_s3_object(&self, bucket: &str, key: &str) -> bool {
        self.function.claims_s3_object(bucket, key)
    }

    fn tally(&self, decision: &Decision) -> Tally {
        self.function.tally(decision)
    }
}

/// Binds a configured function to ports.
pub fn bind<F: Function, P: Ports>(function: Arc<F>, ports: Arc<P>) -> Box<dyn Bound> {
    Box::new(BoundFunction { function, ports })
}

/// Something to do with one function's type, chosen at run time by name (see [`registry`]).
pub trait Visit {
    type Output;
    fn visit<F: Function>(self) -> Self::Output;
}

/// The registry: every function, once. Adding a function is one arm here (and its variant in
/// [`FunctionName`]).
pub fn registry<V: Visit>(name: FunctionName, visitor: V) -> V::Output {
    use crate::tag_release;
    use crate::{artifact_release, branch_pipelines, health_gate, kafka_sync, stage_retry};
    match name {
        FunctionName::BranchPipelines => visitor.visit::<branch_pipelines::BranchPipelines>(),
        FunctionName::TagRelease => visitor.visit::<tag_release::TagRelease>(),
        FunctionName::ArtifactRelease => visitor.visit::<artifact_release::ArtifactRelease>(),
        FunctionName::HealthGate => visitor.visit::<health_gate::HealthGate>(),
        FunctionName::StageRetry => visitor.visit::<stage_retry::StageRetry>(),
        FunctionName::KafkaSync => visitor.visit::<kafka_sync::KafkaSync>(),
    }
}

/// Gives a configured function its ports: the dry run shares one world between every function;
/// on AWS each function's ports are built for it (its Kafka Connect clients, say).
pub trait PortsFor: Sync {
    type Ports: Ports;
    fn ports_for<F: Function>(
        &self,
        function: &F,
    ) -> impl Future<Output = Result<Arc<Self::Ports>, ConfigError>> + Send;
}

/// Configures the function `name` and binds it to its ports.
pub async fn configure_bound<P: PortsFor, R: Resolve>(
    name: FunctionName,
    vars: &(dyn Vars + Sync),
    resolve: &R,
    ports: &P,
) -> Result<Box<dyn Bound>, ConfigError> {
    struct Configure<'a, P, R> {
        vars: &'a (dyn Vars + Sync),
        resolve: &'a R,
        ports: &'a P,
    }
    type Configured<'a> = Pin<Box<dyn Future<Output = Result<Box<dyn Bound>, ConfigError>> + 'a>>;
    impl<'a, P: PortsFor, R: Resolve> Visit for Configure<'a, P, R> {
        type Output = Configured<'a>;
        fn visit<F: Function>(self) -> Self::Output {
            Box::pin(async move {
                let function = F::configure(self.vars, self.resolve).await?;
                let ports = self.ports.ports_for(&function).await?;
                Ok(bind(Arc::new(function), ports))
            })
        }
    }
    registry(
        name,
        Configure {
            vars,
            resolve,
            ports,
        },
    )
    .await
}
