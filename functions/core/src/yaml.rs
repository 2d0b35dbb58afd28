//! The one YAML loader: every YAML document (connector files, environment values, the
//! artifact-release rules) is read with the same options, chosen so that values stay as written.

/// Parses YAML into `T`:
/// - `0755` and `1_000` stay strings where a string is expected (no silent octal or numbers);
/// - YAML 1.2 booleans only: `y`, `yes`, `on` stay strings (the "Norway problem");
/// - errors give line and column but no snippet of the source, which could show a secret.
pub fn from_str<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    let mut options = serde_saphyr::Options::default();
    options.leading_zero_numbers_as_strings = true;
    options.underscored_numbers_as_strings = true;
    options.strict_booleans = true;
    options.with_snippet = false;
    serde_saphyr::from_str_with_options(text, options).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    #[test]
    fn values_stay_as_written() {
        let v: BTreeMap<String, String> =
            super::from_str("mode: 0755\nanswer: yes\nsize: 1_000\n").unwrap();
        assert_eq!(v["mode"], "0755");
        assert_eq!(v["answer"], "yes");
        assert_eq!(v["size"], "1_000");
        let err = super::from_str::<BTreeMap<String, String>>("a: [").unwrap_err();
        assert!(!err.contains("a: ["), "{err}");
    }
}
