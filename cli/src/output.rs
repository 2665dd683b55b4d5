//! Writing results: stdout, JSON shown to people, and Unix times as dates.

use std::fmt::Write as _;
use std::io::{self, Write as _};

use crate::failure::Failure;

/// Writes `text` to stdout. A write error (a closed pipe, a full disk) is a failure, not a panic
/// as with `print!`.
pub fn print(text: &str) -> Result<(), Failure> {
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::write("the output", &e))
}

/// Writes a message for the user to stderr, keeping stdout for the result. If stderr is gone
/// there is nobody to tell, so a write error is ignored (unlike `eprint!`, which panics).
pub fn note(text: &str) {
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

/// `text` as a JSON string literal.
pub fn json_string(text: &str) -> String {
    serde_json::to_string(text).expect("a string always serializes")
}

/// Valid JSON text re-indented for reading, or `None` if `text` is not valid JSON.
///
/// It works on the text rather than on a parsed value because a `serde_json` map would sort the
/// members and merge duplicates: a token is shown with its members in its own order, duplicates
/// included. Characters that can steer a terminal or reorder text on screen are escaped as
/// `\uXXXX` (same JSON value), because a token's contents are chosen by whoever made it.
pub fn pretty_json(text: &str) -> Option<String> {
    serde_json::from_str::<serde::de::IgnoredAny>(text).ok()?;
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push('"');
                // Valid JSON: every string is closed and every escape is complete.
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            out.push('\\');
                            out.extend(chars.next());
                        }
                        '"' => {
                            out.push('"');
                            break;
                        }
                        c if is_unsafe_on_terminal(c) => {
                            write!(out, "\\u{:04x}", u32::from(c)).expect("String write");
                        }
                        c => out.push(c),
                    }
                }
            }
            '{' | '[' => {
                let close = if c == '{' { '}' } else { ']' };
                while chars.next_if(|c| c.is_ascii_whitespace()).is_some() {}
                out.push(c);
                if chars.next_if_eq(&close).is_some() {
                    out.push(close);
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth -= 1;
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_ascii_whitespace() => {}
            c => out.push(c),
        }
    }
    Some(out)
}

/// Control characters (C0, DEL, C1 — C1 includes the 8-bit CSI) and the Unicode bidirectional
/// formatting and line/paragraph separator characters.
fn is_unsafe_on_terminal(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Text that is not valid JSON, shown escaped on one line for the same reason.
pub fn escaped(text: &str) -> String {
    text.chars()
        .map(|c| {
            if is_unsafe_on_terminal(c) {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Unix seconds as `YYYY-MM-DD HH:MM:SS UTC` (proleptic Gregorian, years outside 0..=9999 as
/// plain numbers).
pub fn utc(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let second_of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60
    )
}

/// A moment as RFC 3339 in UTC with milliseconds, `2023-11-14T22:13:20.123Z`, for logs.
pub fn rfc3339_millis(time: std::time::SystemTime) -> String {
    let since_epoch = time
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let seconds = since_epoch.as_secs() as i64;
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let second_of_day = seconds.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60,
        since_epoch.subsec_millis()
    )
}

/// Days since 1970-01-01 to (year, month, day): Howard Hinnant's `civil_from_days`, exact for
/// every date, which keeps a date-time dependency out of the tool for one function.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153; // March = 0
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A span of seconds in its two largest units: `9m 57s`, `3d 4h`.
pub fn duration(seconds: u64) -> String {
    let units = [(86_400, "d"), (3600, "h"), (60, "m"), (1, "s")];
    let parts: Vec<String> = units
        .iter()
        .scan(seconds, |left, &(size, unit)| {
            let count = *left / size;
            *left %= size;
            Some((count, unit))
        })
        .skip_while(|&(count, _)| count == 0)
        .take(2)
        .filter(|&(count, _)| count > 0)
        .map(|(count, unit)| format!("{count}{unit}"))
        .collect();
    if parts.is_empty() {
        "0s".to_owned()
    } else {
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_json_keeps_order_and_duplicates() {
        let text = r#"{"z":1,"a":[],"a":{},"s":"x\"y, {","n":[1,{"b":null}]}"#;
        assert_eq!(
            pretty_json(text).unwrap(),
            "{\n  \"z\": 1,\n  \"a\": [],\n  \"a\": {},\n  \"s\": \"x\\\"y, {\",\n  \
             \"n\": [\n    1,\n    {\n      \"b\": null\n    }\n  ]\n}"
        );
        assert_eq!(pretty_json(" { } ").unwrap(), "{}");
        assert_eq!(pretty_json("{\"a\":"), None);
    }

    #[test]
    fn pretty_json_escapes_terminal_controls() {
        let text = "{\"a\":\"\u{9b}31m\u{202e}txt\u{7f}\"}";
        let pretty = pretty_json(text).unwrap();
        assert_eq!(pretty, "{\n  \"a\": \"\\u009b31m\\u202etxt\\u007f\"\n}");
        let reparsed: serde_json::Value = serde_json::from_str(&pretty).unwrap();
        assert_eq!(reparsed["a"], "\u{9b}31m\u{202e}txt\u{7f}");
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13:20 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(4_102_444_800), "2100-01-01 00:00:00 UTC");
        assert_eq!(utc(-1), "1969-12-31 23:59:59 UTC");
    }

    #[test]
    fn log_times() {
        let time = std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_700_000_000_123);
        assert_eq!(rfc3339_millis(time), "2023-11-14T22:13:20.123Z");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(0), "0s");
        assert_eq!(duration(59), "59s");
        assert_eq!(duration(597), "9m 57s");
        assert_eq!(duration(3600), "1h");
        assert_eq!(duration(90_061), "1d 1h");
    }
}
