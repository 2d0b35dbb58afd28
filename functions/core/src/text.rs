//! Messages quote untrusted input (refs, keys, parameters, whole JSON documents in parser
//! errors). Each reason is one log line and one CodePipeline failure message: keep it short and
//! free of control characters, so a hostile value can neither flood a log nor forge a line in it.
//! Every cut of text to a limit is one of these.

/// A character that changes how text *looks* without being seen, found in untrusted input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("contains U+{:04X} ({kind}) at character {position}", *character as u32)]
pub struct InvisibleCharacter {
    pub character: char,
    pub kind: &'static str,
    /// 1-based, in characters.
    pub position: usize,
}

/// The first Unicode format character (general category Cf: bidirectional overrides and
/// isolates, zero-width spaces and joiners, the byte-order mark…), line separator or paragraph
/// separator in `s`. Such characters let a ref, key or capture read as something else in a review,
/// a log or a console (`feature/\u{202E}txt.exe`), or split a log line; no legitimate name needs them.
pub fn first_invisible(s: &str) -> Option<InvisibleCharacter> {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    s.chars().enumerate().find_map(|(i, c)| {
        let kind = match c.general_category() {
            GeneralCategory::Format => "a format character",
            GeneralCategory::LineSeparator => "a line separator",
            GeneralCategory::ParagraphSeparator => "a paragraph separator",
            _ => return None,
        };
        Some(InvisibleCharacter {
            character: c,
            kind,
            position: i + 1,
        })
    })
}

/// At most `max` characters (not bytes) of `text`, ending in `…` when something was cut: for
/// limits a service counts in characters (CodePipeline's job result summary and message).
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// At most 120 bytes of `s`, then `… (N bytes)` saying how long it was.
pub fn truncate_for_message(s: &str) -> String {
    cut(s.to_owned(), 120, s.len())
}

/// `s` on one line (control characters escaped, as `\n`, `\u{0}`), at most about `limit` bytes.
pub fn one_line(s: &str, limit: usize) -> String {
    let escaped = if s.chars().any(char::is_control) {
        s.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect()
    } else {
        s.to_owned()
    };
    cut(escaped, limit, s.len())
}

fn cut(mut s: String, limit: usize, original_len: usize) -> String {
    if s.len() <= limit {
        return s;
    }
    let mut end = limit;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s.push_str(&format!("… ({original_len} bytes)"));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_characters_are_found_with_their_position() {
        for (text, code, position) in [
            ("feature/\u{202E}txt", 0x202E, 9),
            ("a\u{200B}b", 0x200B, 2),
            ("\u{FEFF}x", 0xFEFF, 1),
            ("x\u{2028}", 0x2028, 2),
            ("x\u{2029}", 0x2029, 2),
            ("\u{2066}x", 0x2066, 1),
        ] {
            let found = first_invisible(text).unwrap();
            assert_eq!(
                (found.character as u32, found.position),
                (code, position),
                "{text:?}"
            );
        }
        assert_eq!(
            first_invisible("ab\u{202E}").unwrap().to_string(),
            "contains U+202E (a format character) at character 3"
        );
        for visible in [
            "feature/é-ünïcode",
            "日本語/ブランチ",
            "emoji-🚀",
            "tab\tis control",
        ] {
            assert_eq!(first_invisible(visible), None, "{visible:?}");
        }
    }

    #[test]
    fn short_text_is_kept_as_is() {
        assert_eq!(
            one_line("regions[0]: \"x\" is unknown", 100),
            "regions[0]: \"x\" is unknown"
        );
        assert_eq!(truncate_for_message("feature/a"), "feature/a");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(one_line("a\nb\u{0}c\td", 100), "a\\nb\\u{0}c\\td");
    }

    #[test]
    fn long_text_is_cut_on_a_char_boundary_saying_how_long_it_was() {
        let long = "é".repeat(1000);
        let cut = one_line(&long, 101);
        assert!(
            cut.starts_with(&"é".repeat(50)) && cut.ends_with("… (2000 bytes)"),
            "{cut}"
        );
        assert!(cut.len() < 101 + 20);
        assert_eq!(
            truncate_for_message(&"a".repeat(200)),
            format!("{}… (200 bytes)", "a".repeat(120))
        );
    }
}
