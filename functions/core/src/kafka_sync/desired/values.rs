//! One value of a connector config or an environment file, rendered to the string Connect stores.
//!
//! Connect keeps every config value as a string (`Map<String, String>`), so the desired state is
//! rendered to strings before it is compared with what the cluster holds: `1` → `"1"`, `true` →
//! `"true"`, a list of scalars → `"a,b"` (Connect's LIST syntax). Null and nested mappings have no
//! string form and are rejected with the key named by the caller.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, SeqAccess, Visitor};

/// What a config file held for one key: a value Connect can store, or something it cannot.
#[derive(Clone, PartialEq, Eq)]
pub enum RawValue {
    Text(String),
    /// `null` / `~` / an empty YAML value: there is no string Connect would store.
    Null,
    /// A mapping: not a config value. In YAML this is often an unquoted `{{ env.x }}`.
    Mapping,
}

// Values can be secrets: never print them through `Debug`.
impl fmt::Debug for RawValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RawValue::Text(_) => f.write_str("Text(..)"),
            RawValue::Null => f.write_str("Null"),
            RawValue::Mapping => f.write_str("Mapping"),
        }
    }
}

impl RawValue {
    /// The string Connect stores, or a message saying why there is none.
    pub fn render(&self) -> Result<String, &'static str> {
        match self {
            RawValue::Text(s) => Ok(s.clone()),
            RawValue::Null => Err("is null; give a value, or remove the key"),
            RawValue::Mapping => Err(
                "is a mapping, not a value (in YAML, quote values that begin with `{{`: \"{{ env.name }}\")",
            ),
        }
    }
}

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = RawValue;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string, number, boolean or list of those")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawValue, E> {
        Ok(RawValue::Text(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<RawValue, E> {
        Ok(RawValue::Text(v))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawValue, E> {
        Ok(RawValue::Text(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawValue, E> {
        Ok(RawValue::Text(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawValue, E> {
        Ok(RawValue::Text(v.to_string()))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<RawValue, E> {
        Ok(RawValue::Text(v.to_string()))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<RawValue, E> {
        Ok(RawValue::Text(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawValue, E> {
        // Shortest text that reads back as the same number (`0.1`, `2.5`); quote a value whose
        // exact spelling matters (`"1.50"`).
        Ok(RawValue::Text(
            serde_json::Number::from_f64(v)
                .map(|n| n.to_string())
                .unwrap_or_else(|| v.to_string()),
        ))
    }
    fn visit_unit<E: de::Error>(self) -> Result<RawValue, E> {
        Ok(RawValue::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<RawValue, E> {
        Ok(RawValue::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawValue, D::Error> {
        d.deserialize_any(RawVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawValue, A::Error> {
        // Connect's LIST type is comma-separated, without spaces.
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<RawValue>()? {
            match item {
                RawValue::Text(s) => items.push(s),
                _ => {
                    return Err(de::Error::custom(
                        "a list may only hold strings, numbers or booleans",
                    ))
                }
            }
        }
        Ok(RawValue::Text(items.join(",")))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<RawValue, A::Error> {
        while map
            .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
            .is_some()
        {}
        Ok(RawValue::Mapping)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn yaml(text: &str) -> BTreeMap<String, RawValue> {
        crate::yaml::from_str(text).unwrap()
    }

    #[test]
    fn scalars_render_as_connect_stores_them() {
        let v = yaml(
            "a: 1\nb: true\nc: text\nd: \"1.50\"\ne: 2.5\nf: [x, y, 3]\ng: -4\nh: 0755\ni: '007'\nj: yes\nk: on\n",
        );
        let r = |k: &str| v[k].render().unwrap();
        assert_eq!(r("a"), "1");
        assert_eq!(r("b"), "true");
        assert_eq!(r("c"), "text");
        assert_eq!(r("d"), "1.50");
        assert_eq!(r("e"), "2.5");
        assert_eq!(r("f"), "x,y,3");
        assert_eq!(r("g"), "-4");
        assert_eq!(
            r("h"),
            "0755",
            "leading zeros are kept, not read as octal or decimal"
        );
        assert_eq!(r("i"), "007");
        assert_eq!(r("j"), "yes", "YAML 1.1 booleans stay strings");
        assert_eq!(r("k"), "on");
    }

    #[test]
    fn null_and_mappings_have_no_string_form() {
        let v = yaml("a: ~\nb:\nc: {x: 1}\n");
        assert!(v["a"].render().unwrap_err().contains("null"));
        assert!(v["b"].render().unwrap_err().contains("null"));
        assert!(v["c"].render().unwrap_err().contains("quote"));
    }

    #[test]
    fn json_numbers_and_booleans() {
        let v: BTreeMap<String, RawValue> =
            serde_json::from_str(r#"{"a": 1, "b": false, "c": 0.25, "d": null}"#).unwrap();
        assert_eq!(v["a"].render().unwrap(), "1");
        assert_eq!(v["b"].render().unwrap(), "false");
        assert_eq!(v["c"].render().unwrap(), "0.25");
        assert!(v["d"].render().is_err());
    }

    #[test]
    fn debug_never_shows_the_value() {
        let v = RawValue::Text("hunter2".into());
        assert!(!format!("{v:?}").contains("hunter2"));
    }
}
