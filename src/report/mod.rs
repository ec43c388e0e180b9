//! Quarterly reports: the evidence of a period gathered once ([`Assessment`]), turned into
//! report data ([`ReportData`]), charts, and files rendered from templates and signed.

pub mod assessment;
pub mod charts;
pub mod data;
pub mod render;
pub mod signing;

pub use assessment::Assessment;
pub use charts::Charts;
pub use data::{Inputs, ReportData};
pub use render::{Format, TemplateError, Templates};
