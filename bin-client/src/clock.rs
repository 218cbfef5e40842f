//! The one time format of the client: `15:04` or `3:04 PM` (`--clock`).

use chrono::{DateTime, Local, TimeZone};

/// How times are written, everywhere the client writes one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Clock {
    /// `15:04`.
    #[default]
    #[value(name = "24")]
    H24,
    /// `3:04 PM`.
    #[value(name = "12")]
    H12,
}

impl Clock {
    /// A Unix-milliseconds time in `tz`.
    pub(crate) fn at<Tz: TimeZone>(self, millis: u64, tz: &Tz) -> String
    where
        Tz::Offset: std::fmt::Display,
    {
        let format = match self {
            Clock::H24 => "%H:%M",
            Clock::H12 => "%-I:%M %p",
        };
        i64::try_from(millis)
            .ok()
            .and_then(DateTime::from_timestamp_millis)
            .map(|t| t.with_timezone(tz).format(format).to_string())
            .unwrap_or_else(|| "--:--".to_owned())
    }

    /// Now, in the local time zone.
    pub(crate) fn now(self) -> String {
        let ms = u64::try_from(Local::now().timestamp_millis()).unwrap_or(0);
        self.at(ms, &Local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    #[test]
    fn both_forms() {
        // 2023-11-14 14:04:05 UTC: 15:04 at +01:00.
        let ts = 1_699_970_645_000;
        let tz = FixedOffset::east_opt(3600).unwrap();
        assert_eq!(Clock::H24.at(ts, &tz), "15:04");
        assert_eq!(Clock::H12.at(ts, &tz), "3:04 PM");
        assert_eq!(Clock::H12.at(ts - 12 * 3600 * 1000, &tz), "3:04 AM");
        assert_eq!(Clock::H24.at(u64::MAX, &tz), "--:--");
    }
}
