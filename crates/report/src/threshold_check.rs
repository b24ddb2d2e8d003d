//! One checked performance gate as `summary.json` keeps it: the [`ThresholdCheck`] record
//! (limit, measured figure, [`ThresholdStatus`]) and how the reports describe it. Data only, so
//! the summary can hold it; `thresholds.rs` computes the checks from a case's figures.

use serde::{Deserialize, Serialize};

/// What one threshold check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdStatus {
    /// The figure is within the limit.
    Kept,
    /// The figure is beyond the limit.
    Breached,
    /// The case did not measure the figure, so the limit could not be checked.
    NotMeasured,
}

/// One limit of a case and the figure it was checked against.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThresholdCheck {
    /// The key in the scenario (`p99_ms`, `min_handshakes_per_sec`, ...).
    pub threshold: String,
    /// The limit.
    pub limit: f64,
    /// The measured figure, in the key's unit; `null` when not measured.
    pub measured: Option<f64>,
    /// `kept`, `breached` or `not_measured`.
    pub status: ThresholdStatus,
    /// Why the figure is missing (`not_measured` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl ThresholdCheck {
    /// `p99_ms 23.4 > 20` / `server CPU not measured (...)`, for the reports.
    pub fn describe(&self) -> String {
        match (self.status, self.measured) {
            (ThresholdStatus::NotMeasured, _) => format!(
                "{} = {}: not measured ({})",
                self.threshold,
                self.limit,
                self.note.as_deref().unwrap_or("no figure")
            ),
            (status, Some(m)) => {
                let op = match (status, self.threshold.starts_with("min_")) {
                    (ThresholdStatus::Breached, false) => ">",
                    (ThresholdStatus::Breached, true) => "<",
                    (_, false) => "<=",
                    (_, true) => ">=",
                };
                format!("{} {} {op} {}", self.threshold, round(m), self.limit)
            }
            (_, None) => format!("{} = {}", self.threshold, self.limit),
        }
    }

    /// Whether the gate fails: breached, or not measured.
    pub fn fails(&self) -> bool {
        self.status != ThresholdStatus::Kept
    }
}

fn round(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.4}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}
