//! DynamoDB: the store of webhook deliveries that acted (`switchyard_core::deliveries`).
//!
//! One item per signed body: `key` (the partition key, `github/sha256:…`), `delivery_id` and
//! `function` for people reading the table, and `expires_at` (seconds since the epoch), the
//! table's TTL attribute. Remembering is one conditional `PutItem`
//! (`attribute_not_exists(key)`), so of two concurrent repeats exactly one is new; forgetting is
//! a `DeleteItem`. A delivery whose actions failed is kept in the function's dead-letter queue
//! (SQS `SendMessage`).

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use aws_sdk_dynamodb::Client;
use serde_json::Value;
use switchyard_core::deliveries::{Deliveries, DeliveryClaim, Remembered};
use switchyard_core::ports::ObserveError;

use super::errors::observe_error;

pub const IAM_ACTIONS: &[&str] = &["dynamodb:PutItem", "dynamodb:DeleteItem"];

/// The table's partition key and TTL attribute, as `template.yaml` creates them.
pub const KEY_ATTRIBUTE: &str = "key";
pub const TTL_ATTRIBUTE: &str = "expires_at";

pub struct DynamoDeliveries {
    client: Client,
    dead_letters: aws_sdk_sqs::Client,
}

impl DynamoDeliveries {
    pub fn from_sdk(sdk: &aws_config::SdkConfig) -> Self {
        DynamoDeliveries {
            client: Client::new(sdk),
            dead_letters: aws_sdk_sqs::Client::new(sdk),
        }
    }
}

impl Deliveries for DynamoDeliveries {
    async fn remember(&self, claim: &DeliveryClaim) -> Result<Remembered, ObserveError> {
        let sent = self
            .client
            .put_item()
            .table_name(&claim.table)
            .item(KEY_ATTRIBUTE, AttributeValue::S(claim.key.clone()))
            .item("delivery_id", AttributeValue::S(claim.delivery_id.clone()))
            .item("function", AttributeValue::S(claim.function.to_string()))
            .item(
                TTL_ATTRIBUTE,
                AttributeValue::N(claim.expires_at.to_string()),
            )
            .condition_expression("attribute_not_exists(#key)")
            .expression_attribute_names("#key", KEY_ATTRIBUTE)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let error = match sent {
            Ok(_) => return Ok(Remembered::New),
            Err(error) => error,
        };
        let Some(PutItemError::ConditionalCheckFailedException(failed)) = error.as_service_error()
        else {
            return Err(observe_error("dynamodb:PutItem", error));
        };
        // The item that was already there (ReturnValuesOnConditionCheckFailure), when the
        // service sends it: the first delivery, for the duplicate's reason.
        let first = |name: &str| match failed.item().and_then(|item| item.get(name)) {
            Some(AttributeValue::S(value)) => Some(value.clone()),
            _ => None,
        };
        Ok(Remembered::Seen {
            by: first("function"),
            delivery_id: first("delivery_id"),
        })
    }

    async fn forget(&self, claim: &DeliveryClaim) -> Result<(), ObserveError> {
        self.client
            .delete_item()
            .table_name(&claim.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(claim.key.clone()))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| observe_error("dynamodb:DeleteItem", e))
    }

    async fn keep_failed(&self, queue_url: &str, record: &Value) -> Result<(), ObserveError> {
        self.dead_letters
            .send_message()
            .queue_url(queue_url)
            .message_body(record.to_string())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| observe_error("sqs:SendMessage", e))
    }
}
