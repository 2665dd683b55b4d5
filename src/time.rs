//! Unix time as the token carries it: whole seconds, UTC. Absent values (`None`) mean "now" or
//! "the default"; a time that is zero or negative is refused rather than read as "now", so a
//! caller's bug (an unset field, a date before 1970) never turns into a token silently.

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

/// `value` if it is a plausible time in Unix seconds, the system clock when it is absent.
pub fn seconds_or_now(value: Option<i64>, label: &str) -> Result<i64> {
    match value {
        None => Ok(now()),
        Some(value) if value <= 0 => Err(Error::invalid_argument(format!(
            "{label} {value} is not after 1970-01-01T00:00:00Z; give no time for now"
        ))),
        Some(value) if value >= MILLISECONDS_THRESHOLD => Err(Error::invalid_argument(format!(
            "{label} {value} looks like milliseconds; Layer tokens use Unix seconds (divide by 1000)"
        ))),
        Some(value) => Ok(value),
    }
}

/// The integer convention of the C ABI and every wrapper: 0 means absent (now, the default);
/// a negative value is refused here, naming the argument, instead of being read as absent.
pub fn zero_is_absent(value: i64, label: &str) -> Result<Option<i64>> {
    match value {
        0 => Ok(None),
        v if v < 0 => Err(Error::invalid_argument(format!(
            "{label} is {v}; it must not be negative (0 means {})",
            if label.contains("ttl") {
                "600 s"
            } else {
                "now"
            }
        ))),
        v => Ok(Some(v)),
    }
}

/// A lifetime in seconds from the C ABI's 64-bit integer: 0 for the default, positive and at
/// most `u32::MAX` otherwise.
pub fn ttl_seconds(value: i64, label: &str) -> Result<Option<u32>> {
    zero_is_absent(value, label)?
        .map(|ttl| {
            u32::try_from(ttl).map_err(|_| {
                Error::invalid_argument(format!(
                    "{label} is {ttl}, more than {} s (136 years)",
                    u32::MAX
                ))
            })
        })
        .transpose()
}

/// A clock skew allowance in seconds from the C ABI's 64-bit integer: 0 or positive, at most
/// `u32::MAX`.
pub fn leeway_seconds(value: i64, label: &str) -> Result<u32> {
    if value < 0 {
        return Err(Error::invalid_argument(format!(
            "{label} is {value}; it must not be negative"
        )));
    }
    u32::try_from(value).map_err(|_| {
        Error::invalid_argument(format!("{label} is {value}, more than {} s", u32::MAX))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_means_now_and_non_positive_times_are_refused() {
        let before = now();
        assert!(seconds_or_now(None, "issued_at").unwrap() >= before);
        assert_eq!(
            seconds_or_now(Some(1_700_000_000), "x").unwrap(),
            1_700_000_000
        );
        for bad in [0, -1, i64::MIN, MILLISECONDS_THRESHOLD] {
            let error = seconds_or_now(Some(bad), "issued_at").unwrap_err();
            assert!(error.message().starts_with("issued_at "), "{error}");
        }
    }

    #[test]
    fn the_abi_integers_map_zero_to_absent_and_refuse_negatives() {
        assert_eq!(zero_is_absent(0, "now").unwrap(), None);
        assert_eq!(zero_is_absent(5, "now").unwrap(), Some(5));
        assert!(zero_is_absent(-1, "now")
            .unwrap_err()
            .message()
            .contains("now is -1"));
        assert_eq!(ttl_seconds(0, "ttl_seconds").unwrap(), None);
        assert_eq!(ttl_seconds(60, "ttl_seconds").unwrap(), Some(60));
        assert!(ttl_seconds(-60, "ttl_seconds")
            .unwrap_err()
            .message()
            .contains("600 s"));
        assert!(ttl_seconds(1 << 40, "ttl_seconds").is_err());
        assert_eq!(leeway_seconds(0, "leeway_seconds").unwrap(), 0);
        assert!(leeway_seconds(-1, "leeway_seconds").is_err());
    }
}
