//! Rendering reports with Tera: the built-in templates of `templates/` (embedded in the
//! binary) or a user's own directory. HTML is autoescaped; Markdown values go through the
//! `md` filter, which neutralises Markdown and HTML syntax in text that came from reports.

use std::collections::HashMap;
use std::path::Path;

use tera::{Tera, Value};

use super::charts::Charts;
use super::data::ReportData;

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Format {
    /// `report.html`: self-contained, with inline SVG charts.
    Html,
    /// `report.md`.
    Md,
    /// `report.json`: the report data as it is.
    Json,
}

impl Format {
    /// The file name written for this format.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Html => "report.html",
            Format::Md => "report.md",
            Format::Json => "report.json",
        }
    }
}

const BUILT_IN: [(&str, &str); 2] = [
    ("report.html", include_str!("../../templates/report.html")),
    ("report.md", include_str!("../../templates/report.md")),
];

/// A template problem: the template, and Tera's account of it (with the line where it
/// gives one).
#[derive(Debug, thiserror::Error)]
#[error("template {template}: {cause}")]
pub struct TemplateError {
    /// The template's file.
    pub template: String,
    /// What is wrong.
    pub cause: String,
}

/// The report templates.
pub struct Templates {
    tera: Tera,
    origin: HashMap<String, String>,
}

impl Templates {
    /// The built-in templates, each replaced by `DIR/<name>` when `dir` has one.
    ///
    /// # Errors
    ///
    /// [`TemplateError`] naming the file when a template cannot be read or parsed.
    pub fn load(dir: Option<&Path>) -> Result<Templates, TemplateError> {
        let mut tera = Tera::default();
        let mut origin = HashMap::new();
        for (name, built_in) in BUILT_IN {
            let (source, text) = match dir.map(|d| d.join(name)).filter(|p| p.exists()) {
                Some(path) => {
                    let text = std::fs::read_to_string(&path).map_err(|e| TemplateError {
                        template: path.display().to_string(),
                        cause: e.to_string(),
                    })?;
                    (path.display().to_string(), text)
                }
                None => (format!("templates/{name} (built in)"), built_in.to_string()),
            };
            tera.add_raw_template(name, &text)
                .map_err(|e| TemplateError { template: source.clone(), cause: chain(&e) })?;
            origin.insert(name.to_string(), source);
        }
        tera.autoescape_on(vec![".html"]);
        tera.register_filter("md", markdown_text);
        Ok(Templates { tera, origin })
    }

    /// Renders `format`.
    ///
    /// # Errors
    ///
    /// [`TemplateError`] naming the template and the cause.
    pub fn render(
        &self,
        format: Format,
        data: &ReportData,
        charts: Option<&Charts>,
    ) -> Result<Vec<u8>, TemplateError> {
        if format == Format::Json {
            let mut bytes = serde_json::to_vec_pretty(data).map_err(|e| TemplateError {
                template: "report.json".into(),
                cause: e.to_string(),
            })?;
            bytes.push(b'\n');
            return Ok(bytes);
        }
        let name = format.file_name();
        let mut context = tera::Context::from_serialize(data)
            .map_err(|e| TemplateError { template: name.into(), cause: chain(&e) })?;
        if let Some(charts) = charts {
            context.insert("charts", charts);
        }
        let text = self.tera.render(name, &context).map_err(|e| TemplateError {
            template: self.origin.get(name).cloned().unwrap_or_else(|| name.to_string()),
            cause: chain(&e),
        })?;
        Ok(text.into_bytes())
    }
}

/// Tera's error with its causes, which hold the line and the real reason.
fn chain(error: &tera::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The `md` filter: text that came from a report, made inert in Markdown (and in the HTML a
/// Markdown viewer may produce): one line, Markdown punctuation and angle brackets escaped.
fn markdown_text(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '!' | '~' | '{' | '}' | '(' | ')' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    Ok(Value::String(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_filter_neutralises_syntax() {
        let value = Value::String("<script>x</script> | [a](javascript:1)\n# h".into());
        let out = markdown_text(&value, &HashMap::new()).unwrap();
        assert_eq!(
            out.as_str().unwrap(),
            "&lt;script&gt;x&lt;/script&gt; \\| \\[a\\]\\(javascript:1\\) \\# h"
        );
    }
}
