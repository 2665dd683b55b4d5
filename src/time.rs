//! Unix time as the token carries it: whole seconds, UTC.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};

/// Times at or above this are taken for milliseconds: 10^11 s is the year 5138, while 10^11 ms
/// is 1973, so no real time in seconds comes near it and every recent time in milliseconds does.
pub const MILLISECONDS_THRESHOLD: i64 = 100_000_000_000;

/// Seconds since the Unix epoch, floored.
pub fn now() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(elapsed) => i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX),
        // A clock before 1970 is broken; the floor of a negative time still orders correctly.
        Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX) - 1,
    }
}

/// `value` if it is a plausible time in seconds, the system clock if it is zero or negative.
pub fn seconds_or_now(value: i64, label: &str) -> Result<i64> {
    if value <= 0 {
        return Ok(now());
    }
    if value >= MILLISECONDS_THRESHOLD {
        return Err(Error::invalid_argument(format!(
            "{label} {value} looks like milliseconds; Layer tokens use Unix seconds (divide by 1000)"
        )));
    }
    Ok(value)
}
