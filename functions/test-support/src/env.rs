//! Variable maps: a function's configuration from literal pairs, and the `{name, value}` lists
//! AWS requests carry (pipeline variables, build environment overrides) read back as maps.

use std::collections::HashMap;

use serde_json::Value;

/// `KEY=VALUE` pairs as the map a configuration's `from_vars` reads.
pub fn string_map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A recorded request's list of `{"name": …, "value": …}` objects (as moto's recorder holds
/// `variables` or `environmentVariablesOverride`) as a map; panics on an entry that is not a pair
/// of strings, so a malformed request fails the test.
pub fn name_value_map(list: &Value) -> HashMap<String, String> {
    list.as_array()
        .unwrap_or_else(|| panic!("expected a list of name/value pairs, got {list}"))
        .iter()
        .map(|v| {
            let field = |key: &str| {
                v[key]
                    .as_str()
                    .unwrap_or_else(|| panic!("{key} of {v} is not a string"))
                    .to_owned()
            };
            (field("name"), field("value"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pairs_and_name_value_lists_become_maps() {
        assert_eq!(
            string_map(&[("A", "1")]),
            HashMap::from([("A".into(), "1".into())])
        );
        assert_eq!(
            name_value_map(&json!([{"name": "ENV", "value": "dev", "type": "PLAINTEXT"}])),
            HashMap::from([("ENV".into(), "dev".into())])
        );
    }
}
