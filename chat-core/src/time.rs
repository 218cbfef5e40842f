//! Time as plain data: the caller's clock enters only through events.

use std::fmt;
use std::ops::{Add, Sub};
use std::time::Duration;

/// A point in time: Unix time in milliseconds, supplied by the caller with
/// every event.
///
/// The engine never reads a clock. The runtime derives `Millis` from a
/// monotonic clock anchored to the wall clock at start, so deadlines never
/// jump; if a caller does go backwards, the engine treats it as "no time
/// passed" (all arithmetic saturates).
///
/// ```
/// use chat_core::Millis;
/// use std::time::Duration;
/// let t = Millis(1_000);
/// assert_eq!(t + Duration::from_secs(2), Millis(3_000));
/// assert_eq!(Millis(500) - Millis(2_000), Duration::ZERO);
/// ```
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Millis(pub u64);

impl Millis {
    /// The time as a number of milliseconds since the Unix epoch.
    pub fn as_u64(self) -> u64 {
        self.0
    }

    /// The time in ISO 8601 UTC with milliseconds, as IRC's `server-time`
    /// writes it; computed from the number alone (no clock, no time zone
    /// table).
    ///
    /// ```
    /// use chat_core::Millis;
    /// assert_eq!(Millis(0).iso8601().to_string(), "1970-01-01T00:00:00.000Z");
    /// assert_eq!(
    ///     Millis(1_796_151_600_123).iso8601().to_string(),
    ///     "2026-12-01T19:00:00.123Z"
    /// );
    /// ```
    pub fn iso8601(self) -> Iso8601 {
        Iso8601(self)
    }

    /// Reads the form [`Millis::iso8601`] writes
    /// (`2026-12-01T19:00:00.123Z`; the fraction may have any number of
    /// digits, or be left out), as IRC's `CHATHISTORY` references a
    /// moment; `None` for anything else, or a moment before 1970.
    ///
    /// ```
    /// use chat_core::Millis;
    /// assert_eq!(Millis::parse_iso8601("2026-12-01T19:00:00.123Z"), Some(Millis(1_796_151_600_123)));
    /// assert_eq!(Millis::parse_iso8601("1970-01-01T00:00:01Z"), Some(Millis(1_000)));
    /// assert_eq!(Millis::parse_iso8601("2026-13-01T19:00:00Z"), None);
    /// ```
    pub fn parse_iso8601(text: &str) -> Option<Millis> {
        let text = text.strip_suffix('Z')?;
        let (date, clock) = text.split_once('T')?;
        let mut date = date.split('-');
        let (y, m, d) = (date.next()?, date.next()?, date.next()?);
        if date.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        let (hms, fraction) = match clock.split_once('.') {
            Some((hms, f)) => (hms, Some(f)),
            None => (clock, None),
        };
        let mut hms = hms.split(':');
        let (h, mi, s) = (hms.next()?, hms.next()?, hms.next()?);
        if hms.next().is_some() || [h, mi, s].iter().any(|p| p.len() != 2) {
            return None;
        }
        let num = |p: &str| {
            p.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| p.parse::<u64>().ok())
                .flatten()
        };
        let (y, m, d, h, mi, s) = (num(y)?, num(m)?, num(d)?, num(h)?, num(mi)?, num(s)?);
        if y < 1970
            || !(1..=12).contains(&m)
            || !(1..=31).contains(&d)
            || h > 23
            || mi > 59
            || s > 60
        {
            return None;
        }
        let ms = match fraction {
            None => 0,
            Some(f) if !f.is_empty() && f.len() <= 9 => {
                // Milliseconds: the first three digits, padded.
                let first: String = f.chars().chain("00".chars()).take(3).collect();
                num(f)?;
                num(&first)?
            }
            Some(_) => return None,
        };
        let days = days_from_civil(y, m, d);
        let secs = days * 86_400 + h * 3600 + mi * 60 + s;
        secs.checked_mul(1000)?.checked_add(ms).map(Millis)
    }
}

/// A [`Millis`] shown as ISO 8601 UTC (`2026-12-01T19:00:00.123Z`).
#[derive(Clone, Copy, Debug)]
pub struct Iso8601(Millis);

impl fmt::Display for Iso8601 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0 .0;
        let (days, in_day) = (ms / 86_400_000, ms % 86_400_000);
        let (y, m, d) = civil_from_days(days);
        let secs = in_day / 1000;
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60,
            in_day % 1000
        )
    }
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard
/// Hinnant's `civil_from_days`, for days on or after the epoch).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

/// Days since 1970-01-01 of a proleptic Gregorian date on or after it
/// (the inverse of [`civil_from_days`]).
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe).saturating_sub(719_468)
}

impl Add<Duration> for Millis {
    type Output = Millis;
    fn add(self, rhs: Duration) -> Millis {
        let ms = u64::try_from(rhs.as_millis()).unwrap_or(u64::MAX);
        Millis(self.0.saturating_add(ms))
    }
}

impl Sub for Millis {
    type Output = Duration;
    fn sub(self, rhs: Millis) -> Duration {
        Duration::from_millis(self.0.saturating_sub(rhs.0))
    }
}

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_across_leap_days_and_centuries() {
        let at = |ms: u64| Millis(ms).iso8601().to_string();
        // 2000-02-29 (a leap day of a year divisible by 400).
        assert_eq!(at(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(at(951_868_799_999), "2000-02-29T23:59:59.999Z");
        // 2100-03-01 (2100 is not a leap year).
        assert_eq!(at(4_107_542_400_000), "2100-03-01T00:00:00.000Z");
        assert_eq!(at(1_709_164_800_000), "2024-02-29T00:00:00.000Z");
    }

    #[test]
    fn iso8601_reads_back_what_it_writes() {
        for ms in [
            0,
            999,
            951_782_400_000,
            951_868_799_999,
            4_107_542_400_000,
            1_796_151_600_123,
        ] {
            let text = Millis(ms).iso8601().to_string();
            assert_eq!(Millis::parse_iso8601(&text), Some(Millis(ms)), "{text}");
        }
        assert_eq!(
            Millis::parse_iso8601("2020-01-01T00:00:00.5Z"),
            Some(Millis(1_577_836_800_500))
        );
        for bad in [
            "",
            "2020-01-01",
            "2020-01-01T00:00:00",
            "1969-12-31T23:59:59Z",
            "2020-1-01T00:00:00Z",
            "2020-01-01T00:00:00.Z",
            "2020-01-01T24:00:00Z",
            "+020-01-01T00:00:00Z",
        ] {
            assert_eq!(Millis::parse_iso8601(bad), None, "{bad}");
        }
    }
}
