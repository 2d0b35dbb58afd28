//! DynamoDB: kafka-sync's state store (`KAFKA_STATE_TABLE`,
//! `switchyard_core::kafka_sync::reconcile::record`): each cluster's last applied desired state
//! and its restart ledger.
//!
//! Two items per cluster, under the partition key `id`: `applied/<cluster>` holds the state as
//! JSON in `state`, and `written_at` (when S3 wrote its desired state, seconds since the epoch),
//! which orders states: recording is one conditional `PutItem`
//! (`attribute_not_exists(id) OR written_at <= :written_at`), so of two concurrent applies the
//! record can only move forwards. `restarts/<cluster>` holds the ledger as JSON in `ledger`.

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;
use switchyard_core::kafka_sync::reconcile::heal::RestartLedger;
use switchyard_core::kafka_sync::reconcile::record::{AppliedState, AppliedStore, Recorded};
use switchyard_core::ports::ObserveError;

use super::errors::observe_error;

pub const IAM_ACTIONS: &[&str] = &["dynamodb:GetItem", "dynamodb:PutItem"];

/// The table's partition key, as `template.yaml` creates it.
pub const KEY_ATTRIBUTE: &str = "id";

pub struct DynamoKafkaState {
    client: Client,
}

impl DynamoKafkaState {
    pub fn from_sdk(sdk: &aws_config::SdkConfig) -> Self {
        DynamoKafkaState {
            client: Client::new(sdk),
        }
    }

    async fn get(
        &self,
        table: &str,
        id: String,
    ) -> Result<Option<HashMap<String, AttributeValue>>, ObserveError> {
        self.client
            .get_item()
            .table_name(table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(id))
            .consistent_read(true)
            .send()
            .await
            .map(|out| out.item)
            .map_err(|e| observe_error("dynamodb:GetItem", e))
    }
}

fn applied_id(cluster: &str) -> String {
    format!("applied/{cluster}")
}

fn restarts_id(cluster: &str) -> String {
    format!("restarts/{cluster}")
}

/// The JSON in attribute `name` of `item`, parsed; a malformed item is an error naming it.
fn json_attribute<T: serde::de::DeserializeOwned>(
    item: &HashMap<String, AttributeValue>,
    name: &str,
    id: &str,
) -> Result<T, ObserveError> {
    let malformed = |why: String| ObserveError {
        operation: "dynamodb:GetItem",
        message: format!("item {id:?}: attribute {name:?} {why}"),
        retryable: false,
    };
    match item.get(name) {
        Some(AttributeValue::S(text)) => {
            serde_json::from_str(text).map_err(|e| malformed(format!("is not valid: {e}")))
        }
        _ => Err(malformed("is missing or not a string".into())),
    }
}

fn to_json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

impl AppliedStore for DynamoKafkaState {
    async fn applied(
        &self,
        table: &str,
        cluster: &str,
    ) -> Result<Option<AppliedState>, ObserveError> {
        let id = applied_id(cluster);
        match self.get(table, id.clone()).await? {
            Some(item) => json_attribute(&item, "state", &id).map(Some),
            None => Ok(None),
        }
    }

    async fn record(&self, table: &str, state: &AppliedState) -> Result<Recorded, ObserveError> {
        let id = applied_id(&state.cluster);
        let sent = self
            .client
            .put_item()
            .table_name(table)
            .item(KEY_ATTRIBUTE, AttributeValue::S(id.clone()))
            .item("state", AttributeValue::S(to_json(state)))
            .item(
                "written_at",
                AttributeValue::N(state.written_at.to_string()),
            )
            .condition_expression("attribute_not_exists(#id) OR written_at <= :written_at")
            .expression_attribute_names("#id", KEY_ATTRIBUTE)
            .expression_attribute_values(
                ":written_at",
                AttributeValue::N(state.written_at.to_string()),
            )
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let error = match sent {
            Ok(_) => return Ok(Recorded::Saved),
            Err(error) => error,
        };
        let Some(PutItemError::ConditionalCheckFailedException(failed)) = error.as_service_error()
        else {
            return Err(observe_error("dynamodb:PutItem", error));
        };
        // The newer state, from the failed condition's item or read again.
        let newer = match failed.item() {
            Some(item) => json_attribute(item, "state", &id)?,
            None => self
                .applied(table, &state.cluster)
                .await?
                .unwrap_or_else(|| state.clone()),
        };
        Ok(Recorded::KeptNewer(Box::new(newer)))
    }

    async fn restarts(&self, table: &str, cluster: &str) -> Result<RestartLedger, ObserveError> {
        let id = restarts_id(cluster);
        match self.get(table, id.clone()).await? {
            Some(item) => json_attribute(&item, "ledger", &id),
            None => Ok(RestartLedger::default()),
        }
    }

    async fn save_restarts(
        &self,
        table: &str,
        cluster: &str,
        ledger: &RestartLedger,
    ) -> Result<(), ObserveError> {
        self.client
            .put_item()
            .table_name(table)
            .item(KEY_ATTRIBUTE, AttributeValue::S(restarts_id(cluster)))
            .item("ledger", AttributeValue::S(to_json(ledger)))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| observe_error("dynamodb:PutItem", e))
    }
}
