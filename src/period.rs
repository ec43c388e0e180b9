//! Reporting periods: a quarter (`2026-Q3`), a month (`2026-07`) or two dates
//! (`2026-07-01..2026-09-30`, both days included). All in UTC.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};

/// A half-open span of time `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// First instant of the period.
    pub start: DateTime<Utc>,
    /// First instant after the period.
    pub end: DateTime<Utc>,
}

impl Period {
    /// Whether `time` falls in the period.
    pub fn contains(&self, time: DateTime<Utc>) -> bool {
        self.start <= time && time < self.end
    }

    /// The instant the state "as of" the period is taken at: the earlier of its end and
    /// `now` (the generation time).
    pub fn as_of(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.end.min(now)
    }
}

fn midnight(date: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

fn month_start(year: i32, month: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, 1)
}

fn next_month(date: NaiveDate) -> Option<NaiveDate> {
    if date.month() == 12 {
        month_start(date.year() + 1, 1)
    } else {
        month_start(date.year(), date.month() + 1)
    }
}

impl FromStr for Period {
    type Err = String;

    fn from_str(text: &str) -> Result<Period, String> {
        let bad =
            || format!("{text:?} is not a period (2026-Q3, 2026-07, or 2026-07-01..2026-09-30)");
        if let Some((from, to)) = text.split_once("..") {
            let from = NaiveDate::parse_from_str(from.trim(), "%Y-%m-%d").map_err(|_| bad())?;
            let to = NaiveDate::parse_from_str(to.trim(), "%Y-%m-%d").map_err(|_| bad())?;
            if to < from {
                return Err(format!("{text:?}: the period ends before it starts"));
            }
            return Ok(Period { start: midnight(from), end: midnight(to) + Duration::days(1) });
        }
        let (year, rest) = text.split_once('-').ok_or_else(bad)?;
        let year: i32 = year.parse().map_err(|_| bad())?;
        let first = match rest.strip_prefix('Q').or_else(|| rest.strip_prefix('q')) {
            Some(quarter) => {
                let quarter: u32 = quarter.parse().map_err(|_| bad())?;
                if !(1..=4).contains(&quarter) {
                    return Err(bad());
                }
                month_start(year, quarter * 3 - 2).ok_or_else(bad)?
            }
            None => month_start(year, rest.parse().map_err(|_| bad())?).ok_or_else(bad)?,
        };
        let months = if rest.starts_with(['Q', 'q']) { 3 } else { 1 };
        let mut end = first;
        for _ in 0..months {
            end = next_month(end).ok_or_else(bad)?;
        }
        Ok(Period { start: midnight(first), end: midnight(end) })
    }
}

impl Period {
    /// The shortest name of the period: `2026-Q3` for a calendar quarter, `2026-07` for a
    /// month, else its dates.
    pub fn label(&self) -> String {
        let (start, last) = (self.start.date_naive(), (self.end - Duration::days(1)).date_naive());
        let whole_months = start.day() == 1 && (last + Duration::days(1)).day() == 1;
        let months = (last.year() - start.year()) * 12 + last.month() as i32 - start.month() as i32;
        match (whole_months, months) {
            (true, 0) => format!("{:04}-{:02}", start.year(), start.month()),
            (true, 2) if start.month() % 3 == 1 => {
                format!("{:04}-Q{}", start.year(), start.month() / 3 + 1)
            }
            _ => self.to_string(),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let last = (self.end - Duration::days(1)).date_naive();
        write!(f, "{}..{}", self.start.date_naive(), last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_months_and_ranges() {
        let q3: Period = "2026-Q3".parse().unwrap();
        assert_eq!(q3.to_string(), "2026-07-01..2026-09-30");
        let q4: Period = "2026-Q4".parse().unwrap();
        assert_eq!(q4.end, midnight(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()));
        let july: Period = "2026-07".parse().unwrap();
        assert_eq!(july.to_string(), "2026-07-01..2026-07-31");
        let range: Period = "2026-02-10..2026-03-05".parse().unwrap();
        assert!(range.contains("2026-03-05T23:59:59Z".parse().unwrap()));
        assert!(!range.contains("2026-03-06T00:00:00Z".parse().unwrap()));
        for bad in ["2026-Q5", "2026-13", "Q3", "2026-03-05..2026-02-10", "soon"] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
    }
}
