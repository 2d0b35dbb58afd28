//! `template.yaml` as CloudFormation sees it: YAML → JSON, with the short-form intrinsic tags
//! (`!Ref`, `!Sub`, `!GetAtt`, `!If`…) turned into their long forms (`{"Ref": …}`,
//! `{"Fn::Sub": …}`, `{"Fn::GetAtt": [resource, attribute]}`…). serde-saphyr ignores unknown tags
//! by default; `Tagged` captures them, so nothing is silently lost.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use serde_saphyr::Tagged;

use crate::repo_root;

/// Parses CloudFormation YAML.
pub fn parse(text: &str) -> Value {
    let node: Node = serde_saphyr::from_str(text).expect("template is valid YAML");
    node.0
}

/// The repository's `template.yaml`.
pub fn stack_template() -> Value {
    let path = repo_root().join("template.yaml");
    parse(&std::fs::read_to_string(&path).expect("template.yaml exists"))
}

/// The functions whose binary exists in this workspace: each must be in the stack.
pub fn functions_in_workspace() -> Vec<switchyard_core::plan::FunctionName> {
    switchyard_core::plan::FunctionName::ALL
        .into_iter()
        .filter(|f| {
            repo_root()
                .join("functions")
                .join(f.as_str())
                .join("Cargo.toml")
                .exists()
        })
        .collect()
}

/// SAM logical id of a function: `branch-pipelines` → `BranchPipelines`.
pub fn logical_id(function: &str) -> String {
    function
        .split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Resources of one CloudFormation type, by logical id.
pub fn resources_of_type<'a>(template: &'a Value, kind: &str) -> BTreeMap<&'a str, &'a Value> {
    template["Resources"]
        .as_object()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .map(|(id, r)| (id.as_str(), r))
        .collect()
}

/// A value, or each branch of an `Fn::If` (recursively), without `AWS::NoValue`: everything the
/// template could deploy in that place under some choice of parameters.
pub fn alternatives(value: &Value) -> Vec<&Value> {
    if let Some(branches) = value.get("Fn::If").and_then(Value::as_array) {
        return branches[1..].iter().flat_map(alternatives).collect();
    }
    if value.get("Ref").and_then(Value::as_str) == Some("AWS::NoValue") {
        return vec![];
    }
    vec![value]
}

/// A YAML node with its tag applied.
struct Node(Value);

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let Tagged(Untagged(value), tag) = Tagged::<Untagged>::deserialize(deserializer)?;
        Ok(Node(match tag {
            Some(tag) if tag.starts_with('!') => intrinsic(&tag[1..], value),
            _ => value,
        }))
    }
}

fn intrinsic(name: &str, value: Value) -> Value {
    let long = match name {
        "Ref" | "Condition" => return one(name, value),
        "GetAtt" => match value {
            // `!GetAtt Resource.Attribute.Maybe.Dotted`: the first dot separates.
            Value::String(s) => {
                let (resource, attribute) = s.split_once('.').unwrap_or((&s, ""));
                Value::from(vec![resource, attribute])
            }
            other => other,
        },
        _ => value,
    };
    one(&format!("Fn::{name}"), long)
}

fn one(key: &str, value: Value) -> Value {
    Value::Object(Map::from_iter([(key.to_owned(), value)]))
}

/// The node's value; its children are `Node`s again, so their tags are applied too.
struct Untagged(Value);

impl<'de> Deserialize<'de> for Untagged {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UntaggedVisitor).map(Untagged)
    }
}

struct UntaggedVisitor;

impl<'de> Visitor<'de> for UntaggedVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a YAML node")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Node(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some((key, Node(value))) = map.next_entry::<String, Node>()? {
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn short_form_tags_become_long_form_intrinsics() {
        let yaml = "\
a: !Ref Bucket
b: !GetAtt Queue.Arn
c: !Sub arn:${AWS::Partition}:s3:::${Bucket}/*
d: !If [Cond, !Ref X, !Ref AWS::NoValue]
e: !Join [',', !Ref List]
f: [1, true, plain]
g: !GetAtt Url.FunctionUrl
";
        assert_eq!(
            parse(yaml),
            json!({
                "a": {"Ref": "Bucket"},
                "b": {"Fn::GetAtt": ["Queue", "Arn"]},
                "c": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/*"},
                "d": {"Fn::If": ["Cond", {"Ref": "X"}, {"Ref": "AWS::NoValue"}]},
                "e": {"Fn::Join": [",", {"Ref": "List"}]},
                "f": [1, true, "plain"],
                "g": {"Fn::GetAtt": ["Url", "FunctionUrl"]},
            })
        );
        let d = parse(yaml)["d"].clone();
        assert_eq!(alternatives(&d), vec![&json!({"Ref": "X"})]);
    }

    #[test]
    fn logical_ids_are_pascal_case() {
        assert_eq!(logical_id("branch-pipelines"), "BranchPipelines");
        assert_eq!(logical_id("health-gate"), "HealthGate");
    }
}
