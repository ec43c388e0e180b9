//! CSV exports (`controls.csv`, `findings.csv`): RFC 4180 quoting, UTF-8, a header row, and
//! cells made inert for spreadsheets.

use super::rows::{ControlRow, FindingRow};

/// A cell a spreadsheet would read as a formula (or as a DDE command) gets a leading
/// apostrophe, which spreadsheets show as text and do not evaluate.
pub fn neutralise(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

/// `controls.csv`.
///
/// # Errors
///
/// Only if writing to memory fails.
pub fn controls(rows: &[ControlRow]) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(["framework", "control_id", "title", "state", "reasons", "evidence"])?;
    for row in rows {
        let evidence: Vec<String> = row.evidence.iter().map(u64::to_string).collect();
        let state = serde_json::to_value(row.state).unwrap_or_default();
        writer.write_record([
            neutralise(&row.framework),
            neutralise(&row.control_id),
            neutralise(&row.title),
            state.as_str().unwrap_or_default().to_string(),
            neutralise(&row.reasons.join("; ")),
            evidence.join(" "),
        ])?;
    }
    finish(writer)
}

/// `findings.csv`.
///
/// # Errors
///
/// Only if writing to memory fails.
pub fn findings(rows: &[FindingRow]) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record([
        "fingerprint",
        "severity",
        "message",
        "rule",
        "ids",
        "target",
        "sources",
        "first_seen",
        "fixed",
        "sla_due",
        "state",
    ])?;
    for row in rows {
        writer.write_record([
            neutralise(&row.fingerprint),
            row.severity.as_str().to_string(),
            neutralise(&row.message),
            neutralise(&row.rule),
            neutralise(&row.ids.join(" ")),
            neutralise(&row.target),
            neutralise(&row.sources.join(" ")),
            row.first_seen.clone(),
            row.fixed.clone().unwrap_or_default(),
            neutralise(row.sla_due.as_deref().unwrap_or_default()),
            row.state.clone(),
        ])?;
    }
    finish(writer)
}

fn finish(writer: csv::Writer<Vec<u8>>) -> Result<Vec<u8>, csv::Error> {
    writer.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("+1"), "'+1");
        assert_eq!(neutralise("-2"), "'-2");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("CVE-2019-1549"), "CVE-2019-1549");
        assert_eq!(neutralise(""), "");
    }
}
