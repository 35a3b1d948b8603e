//! JSON written the way Meta writes webhook bodies: pure ASCII, every non-ASCII character as a
//! `\uXXXX` escape (UTF-16, so emoji become surrogate pairs) and `/` escaped as `\/`. Receivers
//! must verify the signature over these exact bytes; re-serializing them would not match.

use serde_json::Value;
use std::fmt::Write;

pub fn to_ascii_json(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn escapes_non_ascii_as_utf16_units() {
        assert_eq!(to_ascii_json(&json!("Grüße")), r#""Gr\u00fc\u00dfe""#);
        assert_eq!(to_ascii_json(&json!("👍")), r#""\ud83d\udc4d""#);
        assert_eq!(to_ascii_json(&json!("日本")), r#""\u65e5\u672c""#);
    }

    #[test]
    fn escapes_slashes_quotes_and_control_characters() {
        assert_eq!(to_ascii_json(&json!("a/b \"c\" \\ \n\t\u{1}")), r#""a\/b \"c\" \\ \n\t\u0001""#);
    }

    #[test]
    fn output_is_ascii_and_parses_back_to_the_same_value() {
        let value = json!({"text": {"body": "Olá 😀 — ok"}, "n": [1, 2.5, -3], "t": true, "x": null});
        let written = to_ascii_json(&value);
        assert!(written.is_ascii());
        assert_eq!(serde_json::from_str::<Value>(&written).unwrap(), value);
    }
}
